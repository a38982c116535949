"""Reading a model's JSON answer back: where each value sits, and how sure it was.

Confidence of a field is the geometric mean probability of the tokens that wrote
its value (exp of their mean log probability). Provenance of a field is the place
in the record's source text where the value was found verbatim: its character offsets
and the page and box, sheet and cell, or lines of the pieces it covers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from parser_service.backends.base import TokenLogprob
from parser_service.document import BBox, Provenance
from parser_service.records import Record
from parser_service.text.spans import folded, label_forms


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


#: Occurrences of a value weighed against its labels, at most (a number written on every
#: line of a long export is placed among its first ones).
MAX_OCCURRENCES = 64


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a value sits in its record's text: characters ``start`` to ``end`` (the
    record's text, which for a whole-document record is the document's pieces joined by
    line breaks), and the provenance of the pieces they cover (``span_provenance``)."""

    start: int
    end: int
    where: Provenance | None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, **(self.where.to_dict() if self.where else {})}


def place(record: Record, value: Any, labels: Iterable[str] = ()) -> Placed | None:
    """Where ``value`` occurs verbatim in the record's text (as written; else in another
    case; else with other whitespace between its words: a name cleaned of the line break
    it ran over), None where it does not. A value written more than once is placed at the
    occurrence that follows one of ``labels`` (the field's name and labels) most closely,
    else at its first: "Total 9.00" over the "Subtotal 9.00" above it follows "total"
    more closely, and a document states its own name before the names it quotes."""
    if value is None or isinstance(value, (list, dict)):
        return None
    found = occurrences(record.text, str(value).strip())
    if not found:
        return None
    start, end = _nearest_label(record.text, found, labels)
    return Placed(start, end, span_provenance(record, start, end))


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """(start, end) of each place ``needle`` is written in ``text`` (the first
    ``MAX_OCCURRENCES``): verbatim, else in another case, else with any whitespace
    between its words; none for an empty needle."""
    if not needle:
        return []
    for pattern in (re.escape(needle), "(?i)" + re.escape(needle), r"(?i)" + r"\s+".join(map(re.escape, needle.split()))):
        found = [m.span() for m in islice(re.finditer(pattern, text), MAX_OCCURRENCES)]
        if found:
            return found
    return []


def _nearest_label(text: str, found: list[tuple[int, int]], labels: Iterable[str]) -> tuple[int, int]:
    if len(found) == 1:
        return found[0]
    lowered = folded(text[: found[-1][0]])  # the labels before the last occurrence, not a 40 MB text's
    ends = [m.end() for label in label_forms(labels) if label for m in re.finditer(r"(?<!\w)" + re.escape(label), lowered)]
    after = [(start - end, (start, stop)) for start, stop in found for end in ends if start >= end]
    return min(after)[1] if after else found[0]


def span_provenance(record: Record, start: int, end: int) -> Provenance | None:
    """The provenance of characters ``start`` to ``end`` of the record's text: that of the
    one piece (a line, a cell) holding them, or for a span over several (an address over
    three lines) their first page, the box around their boxes on it, their first to
    last line, their first to last cell."""
    pieces = [where for first, last, where in record.spans if first < max(end, start + 1) and last > start]
    if len(pieces) <= 1:
        return pieces[0] if pieces else record.provenance_at(start)
    head, tail = pieces[0], pieces[-1]
    boxes = [p.bbox for p in pieces if p.bbox is not None and p.page == head.page]
    lines = [n for p in pieces for n in (p.line_start, p.line_end) if n is not None]
    cells = head.cell_range and tail.cell_range and f"{head.cell_range.split(':')[0]}:{tail.cell_range.split(':')[-1]}"
    return Provenance(
        page=head.page,
        bbox=_around(boxes),
        sheet=head.sheet,
        cell_range=cells or head.cell_range,
        line_start=min(lines) if lines else None,
        line_end=max(lines) if lines else None,
    )


def _around(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
