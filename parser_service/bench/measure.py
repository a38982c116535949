"""Timing a backend on a list of requests: output tokens/s, records/s, valid answers.

``time_batches`` sends the requests in chunks of ``batch`` (one ``generate`` call
each, as the pipeline does), with log probabilities when the backend gives them
(the pipeline asks for them, so their cost is part of the figure). A record counts
as valid when its answer is complete JSON that satisfies the request's schema.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from parser_service.backends.base import Backend, Generation, GenerationRequest


@dataclass(frozen=True, slots=True)
class Timing:
    records: int
    valid: int
    out_tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.out_tokens / self.seconds if self.seconds else 0.0

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def valid_per_s(self) -> float:
        return self.valid / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"tokens_per_s": self.tokens_per_s, "records_per_s": self.records_per_s}

    def __add__(self, other: Timing) -> Timing:
        """Two measurements as one: their counts and their seconds summed."""
        return Timing(self.records + other.records, self.valid + other.valid,
                      self.out_tokens + other.out_tokens, self.seconds + other.seconds)  # fmt: skip


def is_valid(answer: Generation, schema: dict[str, Any]) -> bool:
    """Complete JSON that the schema accepts."""
    import jsonschema

    if answer.truncated or answer.data is None:
        return False
    try:
        jsonschema.validate(answer.data, schema)
    except jsonschema.ValidationError:
        return False
    return True


def time_batches(backend: Backend, requests: Sequence[GenerationRequest], batch: int) -> Timing:
    logprobs = backend.supports_logprobs
    answers: list[Generation] = []
    started = time.perf_counter()
    for start in range(0, len(requests), batch):
        answers += backend.generate(requests[start : start + batch], logprobs=logprobs)
    seconds = time.perf_counter() - started
    valid = sum(is_valid(a, r.schema) for a, r in zip(answers, requests))
    return Timing(len(requests), valid, sum(a.n_tokens for a in answers), seconds)
