"""The model-backend interface: structured generation for a batch of prompts.

Backends know nothing of file formats or plugins. They take chat messages and a
JSON schema, decode under that schema's grammar, and report for each answer its
text, whether it was cut off by the token limit, and (optionally) the log
probability of every output token.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    messages: list[Message]
    schema: dict[str, Any]
    max_new_tokens: int
    adapter: Path | None = None

    @property
    def schema_key(self) -> str:
        return json.dumps(self.schema)  # key order is the order the model writes fields in


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """One output token: its text, its log probability, and where it starts in the text."""

    text: str
    logprob: float
    offset: int


@dataclass(slots=True)
class Generation:
    text: str
    truncated: bool
    n_tokens: int
    logprobs: list[TokenLogprob] | None = None
    data: Any = field(default=None)

    @classmethod
    def from_text(cls, text: str, n_tokens: int) -> Generation:
        """Parse ``text``: a grammar-constrained answer that is not complete JSON was cut off."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return cls(text=text, truncated=True, n_tokens=n_tokens)
        return cls(text=text, truncated=False, n_tokens=n_tokens, data=data)


def cut_between_words(text: str, end: int) -> str:
    """``text[:end]``, moved back to the whitespace before the word ``end`` falls in: a
    value cut in two (``05.01.20`` of ``05.01.2024``) reads as another value, which the
    model, copying spans of the text it sees, would copy. A text with no whitespace
    before ``end`` is cut at ``end``."""
    start = end
    while 0 < start < len(text) and not text[start].isspace() and not text[start - 1].isspace():
        start -= 1
    return text[: start or end]


class Backend(ABC):
    """A language model that decodes under a JSON-schema grammar."""

    name: ClassVar[str]
    supports_lora: ClassVar[bool] = False
    supports_logprobs: ClassVar[bool] = False
    #: The engine must know the plugins' adapters when it starts: its constructor takes
    #: them (``adapters=``) from whoever builds it, as a backend knows nothing of plugins.
    takes_adapters: ClassVar[bool] = False

    @abstractmethod
    def generate(
        self, requests: Sequence[GenerationRequest], *, logprobs: bool = False
    ) -> list[Generation]:
        """Answer every request, in order. Batches internally as it sees fit."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this backend's tokenizer."""

    @abstractmethod
    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut to at most ``max_tokens`` tokens."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Backend name, model id and versions, for results and job records."""

    @property
    def prefill_seconds(self) -> float:
        """Seconds spent reading prompts so far, where the backend times them (0 otherwise)."""
        return 0.0
