"""Reading a model's JSON answer back: where each value sits, and how sure it was.

Confidence of a field is the geometric mean probability of the tokens that wrote
its value (exp of their mean log probability). Provenance of a field is the place
in the record's source text where the value was found verbatim.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from parser_service.backends.base import TokenLogprob
from parser_service.document import Provenance
from parser_service.records import Record


def value_spans(answer: str, fields: list[str]) -> dict[str, tuple[int, int]]:
    """Character span of each top-level field's value inside the JSON ``answer``."""
    decoder = json.JSONDecoder()
    spans: dict[str, tuple[int, int]] = {}
    cursor = 0
    for name in fields:
        key = answer.find(json.dumps(name), cursor)
        if key < 0:
            continue
        start = answer.index(":", key + len(json.dumps(name))) + 1
        while start < len(answer) and answer[start] in " \n\t":
            start += 1
        try:
            _, end = decoder.raw_decode(answer, start)
        except json.JSONDecodeError:
            continue
        spans[name] = (start, end)
        cursor = end
    return spans


def field_confidence(
    answer: str, fields: list[str], logprobs: list[TokenLogprob] | None
) -> dict[str, float]:
    if not logprobs:
        return {}
    out: dict[str, float] = {}
    for name, (start, end) in value_spans(answer, fields).items():
        inside = [t.logprob for t in logprobs if start <= t.offset < end]
        if inside:
            out[name] = round(math.exp(sum(inside) / len(inside)), 4)
    return out


def locate(record: Record, value: Any) -> tuple[Provenance | None, bool]:
    """Where ``value`` occurs verbatim in the record's text, and whether it does."""
    if value is None or isinstance(value, (list, dict)):
        return None, False
    needle = str(value).strip()
    if not needle:
        return None, False
    at = record.text.find(needle)
    if at < 0:
        at = record.text.lower().find(needle.lower())
    if at < 0 and len(words := needle.split()) > 1:  # a name cleaned of the line break it ran over
        found = re.search(r"\s+".join(map(re.escape, words)), record.text, re.IGNORECASE)
        at = found.start() if found else -1
    if at < 0:
        return None, False
    return record.provenance_at(at), True
