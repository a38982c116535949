"""Comparing extracted values with expected ones, with a rule that fits each type.

Codes and dates compare exactly, amounts within a tolerance, names and free text
by normalised similarity. On top of the single comparison, ``FieldCounts`` tallies
one field over many records, and ``score_records`` pairs a document's expected
records with the extracted ones and scores every field of every pair.

Outcomes of one field of one record pair, when the expected output labels it:

* ``correct``  — a value was given and it matches the expected one;
* ``wrong``    — a value was given and it does not match;
* ``missing``  — a value was expected, none was given;
* ``spurious`` — a value was given where the expected output says there is none.

Independently, a given value is ``invented`` when it does not occur in the
document (the model wrote it; it was not copied). Values given for fields the
expected output does not label at all are ``unscored``: they count towards the
invented rate, never towards precision.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

AMOUNT_TOLERANCE = 0.01
NAME_SIMILARITY = 0.8


def normalise_name(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def same_amount(expected: Any, got: Any) -> bool:
    try:
        return abs(float(expected) - float(got)) <= AMOUNT_TOLERANCE
    except (TypeError, ValueError):
        return False


def same_name(expected: Any, got: Any) -> bool:
    a, b = normalise_name(expected), normalise_name(got)
    if not a or not b:
        return False
    return a in b or difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def same_code(expected: Any, got: Any) -> bool:
    """Equal but for spaces, case and a leading number sign ("# BLR_1" is "BLR_1")."""
    return got is not None and _code(expected) == _code(got)


def _code(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).upper().removeprefix("#")


RULES: dict[str, Callable[[Any, Any], bool]] = {
    "issuer": same_name,
    "payee": same_name,
    "memo": same_name,
    "name": same_name,
    "invoice_number": same_code,
    "currency": same_code,
    "date": same_code,
    "amount": same_amount,
    "amount_untaxed": same_amount,
    "amount_tax": same_amount,
    "balance": same_amount,
    "qty": same_amount,
    "price_unit": same_amount,
    "price_subtotal": same_amount,
}


def field_matches(field: str, expected: Any, got: Any) -> bool:
    return RULES.get(field, same_code)(expected, got)


def score_fields(expected: dict[str, Any], got: dict[str, Any] | None, fields: list[str]) -> dict[str, bool]:
    """For each of ``fields`` that ``expected`` labels: did ``got`` match it?"""
    got = got or {}
    return {f: field_matches(f, expected[f], got.get(f)) for f in fields if f in expected}


@dataclass
class FieldCounts:
    """Outcomes of one field over many records; precision, recall and F1 follow."""

    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0
    invented: int = 0
    unscored: int = 0

    @property
    def given(self) -> int:
        """Values given where the expected output labels the field."""
        return self.correct + self.wrong + self.spurious

    @property
    def expected(self) -> int:
        return self.correct + self.wrong + self.missing

    @property
    def precision(self) -> float | None:
        return self.correct / self.given if self.given else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def invented_rate(self) -> float | None:
        """Invented values over every value given (scored or not)."""
        total = self.given + self.unscored
        return self.invented / total if total else None

    def add(self, other: FieldCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(given=self.given, expected=self.expected)
        for name in ("precision", "recall", "f1", "invented_rate"):
            value = getattr(self, name)
            out[name] = None if value is None else round(value, 4)
        return out


def total(counts: Mapping[str, FieldCounts]) -> FieldCounts:
    """All fields together (micro-averaged)."""
    out = FieldCounts()
    for one in counts.values():
        out.add(one)
    return out


@dataclass(frozen=True, slots=True)
class Extracted:
    """One extracted record as scoring sees it: its values and which were invented."""

    data: dict[str, Any]
    invented: frozenset[str] = frozenset()


def invented_fields(data: Mapping[str, Any] | None, provenance: Mapping[str, Any], source_text: str) -> frozenset[str]:
    """Fields whose value the model wrote but that do not occur in the document.

    A value is copied when the record's provenance says it was found verbatim, or
    was read in code (prefill); otherwise the document text is searched for it,
    ignoring case and runs of whitespace. A value the model chose among options
    (``inferred``: an enum, a boolean) is not copied, so it cannot be invented.
    """
    haystack = _squash(source_text)
    out = set()
    for name, where in (provenance.get("fields") or {}).items():
        value = (data or {}).get(name)
        if value is None or isinstance(value, (list, dict)) or where.get("source", "model") != "model":
            continue
        if where.get("inferred"):
            continue
        if not where.get("verbatim") and _squash(str(value)) not in haystack:
            out.add(name)
    return frozenset(out)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def classify(name: str, expected: Mapping[str, Any] | None, got: Extracted | None) -> str | None:
    """The outcome of field ``name`` for one pair: correct, wrong, missing, spurious,
    unscored (given, but the expected record does not label it), or None (nothing to count)."""
    value = got.data.get(name) if got else None
    if value is not None and expected is None:
        return "spurious"  # an extracted record that no expected record pairs with
    if expected is None or name not in expected:
        return "unscored" if value is not None else None
    want = expected[name]
    if want is None or want == "":
        return "spurious" if value is not None else None
    if value is None:
        return "missing"
    return "correct" if field_matches(name, want, value) else "wrong"


def score_pair(expected: Mapping[str, Any] | None, got: Extracted | None, names: Sequence[str]) -> dict[str, FieldCounts]:
    counts = {name: FieldCounts() for name in names}
    for name in names:
        outcome = classify(name, expected, got)
        if outcome is not None:
            setattr(counts[name], outcome, getattr(counts[name], outcome) + 1)
        if got is not None and name in got.invented and got.data.get(name) is not None:
            counts[name].invented += 1
    return counts


def pair_records(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Extracted], keys: Sequence[str]
) -> tuple[list[tuple[Mapping[str, Any] | None, Extracted | None]], int]:
    """Pairs of (expected, extracted) records, and how many matched on every key field.

    With key fields: first the pairs that agree on all of them, then those that
    agree on at least one (so a wrong amount is scored as wrong, not as missing),
    each record used once; without keys, records pair in order. Records left over
    pair with None.
    """
    if not keys:
        n = max(len(expected), len(got))
        return [(_at(expected, i), _at(got, i)) for i in range(n)], 0
    left = list(got)
    pairs: list[tuple[Mapping[str, Any] | None, Extracted | None]] = []
    unmatched: list[Mapping[str, Any]] = []
    for want in expected:
        hit = _take(left, want, keys, all)
        if hit is None:
            unmatched.append(want)
        else:
            pairs.append((want, hit))
    full = len(pairs)
    pairs += [(want, _take(left, want, keys, any)) for want in unmatched]
    pairs += [(None, g) for g in left]
    return pairs, full


def _at(items: Sequence[Any], i: int) -> Any:
    return items[i] if i < len(items) else None


def _take(
    left: list[Extracted], want: Mapping[str, Any], keys: Sequence[str], agree: Callable[[Iterable[bool]], bool]
) -> Extracted | None:
    """Remove and return the first of ``left`` whose key fields ``agree`` (all/any) with ``want``."""
    for i, candidate in enumerate(left):
        if agree(field_matches(k, want.get(k), candidate.data.get(k)) for k in keys):
            return left.pop(i)
    return None


@dataclass
class RecordScores:
    """One document's expected records against its extracted ones."""

    fields: dict[str, FieldCounts]
    records_expected: int
    records_extracted: int
    records_matched: int
    pairs: list[tuple[Mapping[str, Any] | None, Extracted | None]]


def score_records(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Extracted], names: Sequence[str], keys: Sequence[str] = ()
) -> RecordScores:
    pairs, matched = pair_records(expected, got, keys)
    counts = {name: FieldCounts() for name in names}
    for want, have in pairs:
        for name, one in score_pair(want, have, names).items():
            counts[name].add(one)
    return RecordScores(counts, len(expected), len(got), matched, pairs)


@dataclass
class RowCounts:
    """The rows of one list field over many records: how many were expected, extracted,
    paired, and paired with every labelled field right (``exact``); precision, recall
    and F1 count exact rows."""

    expected: int = 0
    extracted: int = 0
    matched: int = 0
    exact: int = 0

    @property
    def precision(self) -> float | None:
        return self.exact / self.extracted if self.extracted else None

    @property
    def recall(self) -> float | None:
        return self.exact / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None and r is None:
            return None
        p, r = p or 0.0, r or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: RowCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("precision", "recall", "f1"):
            value = getattr(self, name)
            out[name] = None if value is None else round(value, 4)
        return out


def labelled_rows(rows: Any, names: Sequence[str]) -> list[Mapping[str, Any]]:
    """The rows of an expected list that label one of ``names`` (a truth's section
    headings and notes, which label none, are no rows)."""
    if not isinstance(rows, list):
        return []
    return [row for row in rows if isinstance(row, Mapping) and any(row.get(n) not in (None, "") for n in names)]


def agreement(expected: Mapping[str, Any], got: Mapping[str, Any], names: Sequence[str]) -> int:
    """How many of ``names`` that ``expected`` labels ``got`` gives right."""
    return sum(
        1 for n in names if expected.get(n) not in (None, "") and got.get(n) is not None and field_matches(n, expected[n], got[n])
    )


def match_rows(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]:
    """Pairs of (expected, extracted) rows, greedy on field agreement: the pair agreeing
    on most fields first, then the next among the rows left (ties in document order);
    a pair must agree on one field at least. Rows left over pair with None."""
    scored = [(agreement(w, g, names), i, j) for i, w in enumerate(expected) for j, g in enumerate(got)]
    taken_w: set[int] = set()
    taken_g: set[int] = set()
    pairs: list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]] = []
    for score, i, j in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if score and i not in taken_w and j not in taken_g:
            taken_w.add(i)
            taken_g.add(j)
            pairs.append((expected[i], got[j]))
    pairs += [(w, None) for i, w in enumerate(expected) if i not in taken_w]
    pairs += [(None, g) for j, g in enumerate(got) if j not in taken_g]
    return pairs


def score_list(
    expected: Any, got: Any, names: Sequence[str]
) -> tuple[dict[str, FieldCounts], RowCounts]:
    """One list field of one record pair, scored by row: the rows matched on their
    fields (``match_rows``), each field of each pair classified as for records, and the
    rows counted (exact: every field the expected row labels is right)."""
    want_rows = labelled_rows(expected, names)
    got_rows = [row for row in got if isinstance(row, Mapping)] if isinstance(got, list) else []
    counts = {name: FieldCounts() for name in names}
    rows = RowCounts(expected=len(want_rows), extracted=len(got_rows))
    for want, have in match_rows(want_rows, got_rows, names):
        extracted = Extracted(dict(have)) if have is not None else None
        for name, one in score_pair(want, extracted, names).items():
            counts[name].add(one)
        if want is not None and have is not None:
            rows.matched += 1
            rows.exact += agreement(want, have, names) == sum(1 for n in names if want.get(n) not in (None, ""))
    return counts, rows
