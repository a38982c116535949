"""Scoring values extracted into a request's schema against a held-out set's truth.

Three figures per field, each over values the schema says how to read:

* **F1**: precision and recall over present and absent values. A scalar the truth gives
  and the extraction matches is a true positive; a value given where the truth has none
  or another one is a false positive; a truth value not given is a false negative. A list
  is scored as a set: its items matched one to one.
* **invented rate**: of the copied values given (strings, amounts, dates: not enums or
  booleans, which are chosen), the share that does not occur in the source text. A
  plain string occurs when it is a substring of the text once runs of whitespace are
  made one space; a date or an amount, whose value is normalised, when some date or
  amount written in the text reads as it.
* **location match**: of the right values, the share whose located place in the text
  overlaps a place the truth gives for that field and value. A value's place comes from
  the result's provenance where it carries character offsets, else its line range, else
  (the provenance says nothing) from searching the text; which one is counted.

Equality is normalised: dates compare as dates, amounts as numbers (within half a cent),
strings after Unicode compatibility folding, case folding, whitespace runs made one
space, and punctuation stripped from both ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parser_service.text import spans
from parser_service.text.normalize import to_date, to_number

AMOUNT_TOLERANCE = 0.005
#: Where a value's place in the text came from.
LOCATED_BY = ("offsets", "lines", "search")
_EDGE_PUNCTUATION = " \t\n.,;:-–—·|/\\()[]{}\"'*#"


@dataclass
class FieldTally:
    """One field's outcomes over a set of documents."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    copied: int = 0
    invented: int = 0
    located: int = 0
    located_right: int = 0
    located_by: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """None when nothing was expected nor given; 0 when something was and nothing matched."""
        if not self.tp + self.fp + self.fn:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    @property
    def invented_rate(self) -> float | None:
        return self.invented / self.copied if self.copied else None

    @property
    def location_match(self) -> float | None:
        return self.located_right / self.located if self.located else None

    def add(self, other: FieldTally) -> None:
        for name in ("tp", "fp", "fn", "copied", "invented", "located", "located_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.located_by.update(other.located_by)


# --- equality ---------------------------------------------------------------------------


def normalise_text(value: Any) -> str:
    """Compatibility- and case-folded, whitespace runs made one space, edge punctuation cut."""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION)


def same_value(node: Mapping[str, Any], truth: Any, got: Any) -> bool:
    """Equal as ``node`` (a JSON Schema of a scalar) reads them."""
    kind = _reading(node)
    if kind == "date":
        return _same(to_date, truth, got)
    if kind == "amount":
        return _same_amount(truth, got)
    return normalise_text(truth) == normalise_text(got) != ""


def _reading(node: Mapping[str, Any]) -> str:
    """How a scalar node's values compare: date, amount, choice or text."""
    if "enum" in node or node.get("type") == "boolean":
        return "choice"
    if node.get("format") == "date":
        return "date"
    declared = node.get("type")
    kinds = set(declared) if isinstance(declared, list) else {declared}
    if node.get("format") == "amount" or kinds & {"number", "integer"}:
        return "amount"
    return "text"


def _same(read: Any, truth: Any, got: Any) -> bool:
    try:
        return bool(read(truth) == read(got))
    except (TypeError, ValueError):
        return normalise_text(truth) == normalise_text(got) != ""


def _same_amount(truth: Any, got: Any) -> bool:
    try:
        return abs(to_number(truth) - to_number(got)) <= AMOUNT_TOLERANCE
    except (TypeError, ValueError):
        return normalise_text(truth) == normalise_text(got) != ""


# --- F1 -----------------------------------------------------------------------------------


def present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def score_field(node: Mapping[str, Any], truth: Any, got: Any) -> FieldTally:
    """Counts of one field of one document; a list node scores its items as sets."""
    if node.get("type") == "array":
        return _score_items(node.get("items", {}), _items(truth), _items(got))
    tally = FieldTally()
    if present(truth) and present(got) and same_value(node, truth, got):
        tally.tp = 1
        return tally
    tally.fn = int(present(truth))
    tally.fp = int(present(got))
    return tally


def _items(value: Any) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if present(v)]


def _score_items(node: Mapping[str, Any], truth: list[Any], got: list[Any]) -> FieldTally:
    truth, got = _distinct(truth), _distinct(got)
    matched = matches(node, truth, got)
    return FieldTally(tp=len(matched), fp=len(got) - len(matched), fn=len(truth) - len(matched))


def _distinct(values: list[Any]) -> list[Any]:
    """One of each value as normalised (a set), first written form kept."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(normalise_text(value), value)
    return list(seen.values())


def matches(node: Mapping[str, Any], truth: Sequence[Any], got: Sequence[Any]) -> list[tuple[Any, Any]]:
    """(truth, got) pairs of equal items, each item used once, in the extraction's order."""
    left = list(truth)
    pairs = []
    for value in got:
        hit = next((i for i, want in enumerate(left) if same_value(node, want, value)), None)
        if hit is not None:
            pairs.append((left.pop(hit), value))
    return pairs


# --- invented -----------------------------------------------------------------------------


def copied(node: Mapping[str, Any]) -> bool:
    """Whether a scalar node's value is copied from the text (not chosen among options)."""
    return _reading(node) != "choice"


def occurs(node: Mapping[str, Any], value: Any, text: str) -> bool:
    """Whether ``value`` is in ``text``, as the module notes say for its kind."""
    kind = _reading(node)
    if kind == "date":
        return any(_same(to_date, span, value) for span in spans.dates(text, 40))
    if kind == "amount":
        return any(_same_amount(span, value) for span in spans.amounts(text, 24))
    return " ".join(str(value).split()) in " ".join(text.split())


def count_invented(node: Mapping[str, Any], got: Any, text: str) -> FieldTally:
    item = node.get("items", {}) if node.get("type") == "array" else node
    values = _distinct(_items(got)) if copied(item) else []
    invented = sum(not occurs(item, value, text) for value in values)
    return FieldTally(copied=len(values), invented=invented)


# --- location -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A value's place in the source text: character offsets, or (from ``lines``) the
    1-based inclusive line range, with how it was found."""

    start: int
    end: int
    by: str

    def overlaps(self, truth: tuple[int, int], text: str) -> bool:
        if self.by == "lines":
            first, last = line_of(text, truth[0]), line_of(text, max(truth[0], truth[1] - 1))
            return self.start <= last and first <= self.end
        return self.start < truth[1] and truth[0] < self.end


def line_of(text: str, offset: int) -> int:
    """The 1-based line holding character ``offset``."""
    return text.count("\n", 0, offset) + 1


def place(value: Any, where: Mapping[str, Any] | None, text: str) -> Place | None:
    """Where the result puts ``value``: its provenance's character offsets, else its
    lines, else the value's first occurrence in ``text`` (whitespace runs matching any)."""
    where = where or {}
    offsets = _offsets(where)
    if offsets is not None:
        return Place(offsets[0], offsets[1], "offsets")
    if where.get("line_start") is not None:
        return Place(int(where["line_start"]), int(where.get("line_end") or where["line_start"]), "lines")
    words = str(value).split()
    found = re.search(r"\s+".join(map(re.escape, words)), text, re.IGNORECASE) if words else None
    return Place(found.start(), found.end(), "search") if found else None


def _offsets(where: Mapping[str, Any]) -> tuple[int, int] | None:
    """Character offsets in a provenance entry, under the names a provenance may use."""
    for start, end in (("char_start", "char_end"), ("start", "end"), ("offset_start", "offset_end")):
        if isinstance(where.get(start), int) and isinstance(where.get(end), int):
            return where[start], where[end]
    span = where.get("offsets") or where.get("span")
    if isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(x, int) for x in span):
        return span[0], span[1]
    return None


def item_provenance(where: Any, index: int) -> Mapping[str, Any] | None:
    """The provenance of a field's value, or of a list's ``index``-th item: a list of
    entries (one per item), a mapping with ``items``, or one entry for a scalar."""
    if isinstance(where, list):
        return where[index] if index < len(where) and isinstance(where[index], Mapping) else None
    if isinstance(where, Mapping) and isinstance(where.get("items"), list):
        return item_provenance(where["items"], index)
    return where if isinstance(where, Mapping) and index == 0 else None


def count_located(
    node: Mapping[str, Any],
    got: Any,
    where: Any,
    truth_places: Mapping[str, Sequence[tuple[int, int]]],
    text: str,
) -> FieldTally:
    """Of the right values of one field (``truth_places``: normalised truth value -> its
    character spans), how many are placed where the truth puts that value."""
    item = node.get("items", {}) if node.get("type") == "array" else node
    values = _distinct(_items(got))
    tally = FieldTally()
    for index, value in enumerate(values):
        truth_key = next((key for key in truth_places if same_value(item, key, value)), None)
        found = place(value, item_provenance(where, index), text) if truth_key is not None else None
        if truth_key is None or found is None:
            continue
        tally.located += 1
        tally.located_by[found.by] += 1
        tally.located_right += any(found.overlaps(span, text) for span in truth_places[truth_key])
    return tally


def truth_places(spans_: Iterable[tuple[str, int, int]], text: str) -> dict[str, list[tuple[int, int]]]:
    """Normalised value -> the character spans the truth labels it at."""
    out: dict[str, list[tuple[int, int]]] = {}
    for _label, start, end in spans_:
        out.setdefault(normalise_text(text[start:end]), []).append((start, end))
    return out
