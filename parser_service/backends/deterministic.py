"""A TEST backend: no model, answers every request from its JSON schema alone.

It exists so the service (queue, workers, persistence) can be tested end to end
without loading a language model. Each answer is deterministic and valid against the
request's schema: the first enum value (the first candidate span, the first document
type), the text's first word for an any-span string, null where null is allowed, and
the smallest value otherwise. Never use it to
extract anything real.

``PARSER_SERVICE_TEST_DELAY_S`` (seconds, default 0) makes every ``generate`` call
sleep that long, so a test can kill a worker in the middle of a job.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from parser_service.backends.base import Backend, Generation, GenerationRequest, cut_between_words
from parser_service.backends.span_grammar import SPAN_KEY, first_span
from parser_service.errors import ConfigError
from parser_service.settings import Settings

DELAY_ENV = "PARSER_SERVICE_TEST_DELAY_S"
#: Characters per pseudo-token for ``count_tokens``/``truncate`` (about what BPE tokenizers average).
CHARS_PER_TOKEN = 4


class DeterministicBackend(Backend):
    """Schema-driven answers for tests; see the module docstring."""

    name: ClassVar[str] = "deterministic"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self.delay_s = _delay_from_env()

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        if self.delay_s:
            time.sleep(self.delay_s)
        out = []
        for request in requests:
            text = json.dumps(answer(request.schema), separators=(",", ":"))
            out.append(Generation.from_text(text, n_tokens=self.count_tokens(text)))
        return out

    def count_tokens(self, text: str) -> int:
        return -(-len(text) // CHARS_PER_TOKEN)

    def truncate(self, text: str, max_tokens: int) -> str:
        return cut_between_words(text, max_tokens * CHARS_PER_TOKEN)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "deterministic (test backend, no model)"}


def answer(schema: dict[str, Any]) -> Any:
    """The deterministic value for ``schema``: first enum value, else the first word of an
    any-span's text, else null, else the smallest value."""
    if SPAN_KEY in schema:
        return first_span(schema[SPAN_KEY], int(schema["maxLength"]))
    if "enum" in schema:
        return schema["enum"][0] if schema["enum"] else None
    if "anyOf" in schema:
        return _first_of(schema["anyOf"])
    kind = schema.get("type")
    if kind == "object":
        return {name: answer(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [answer(schema["items"]) for _ in range(int(schema.get("minItems", 0)))]
    return _SCALARS.get(kind, lambda s: None)(schema)


def _first_of(options: list[dict[str, Any]]) -> Any:
    """An enum option first (a candidate copied from the text), else an any-span's first
    word, else null, else the first option."""
    for option in options:
        if option.get("enum"):
            return option["enum"][0]
        if SPAN_KEY in option and (word := answer(option)) is not None:
            return word
    if any(option.get("type") == "null" for option in options):
        return None
    return answer(options[0])


_SCALARS: dict[Any, Any] = {
    "string": lambda s: "x" * max(int(s.get("minLength", 0)), 1),
    "integer": lambda s: int(s.get("minimum", 0)),
    "number": lambda s: float(s.get("minimum", 0)),
    "boolean": lambda s: False,
    "null": lambda s: None,
}


def _delay_from_env() -> float:
    raw = os.environ.get(DELAY_ENV, "").strip()
    try:
        delay = float(raw) if raw else 0.0
    except ValueError:
        raise ConfigError(f"{DELAY_ENV}={raw!r} is not a number of seconds") from None
    if delay < 0:
        raise ConfigError(f"{DELAY_ENV} must not be negative (got {raw})")
    return delay
