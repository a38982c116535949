"""The answer a model should give for a record: each field's surface, fitted to the schema.

A training answer must be an answer the grammar admits. For a field decoded as an
enum of candidate spans, the surface (the value as written) is used when it is one
of the candidates; otherwise the candidate that normalises to the true value (the
same date written another way); otherwise the field cannot be answered for this
record and is *dropped* from the request, with the reason: the candidate finders'
misses are a measure of their coverage. A free string is used as written when it
fits its length bound. A document whose truth has no surfaces (a public example
with an expected output of normalised values) gets them the same way: from the
candidates, or from the record's cells and spans, whichever normalises to the truth.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from parser_service.backends.span_grammar import SPAN_KEY
from parser_service.records import Record
from parser_service.text.spans import FINDERS

#: Two amounts this close are the same amount.
TOLERANCE = 0.005
#: Why a field was dropped from an example.
NOT_A_CANDIDATE = "not among the candidate spans"
NOT_NEAR_LABEL = "found by the span finder, but not after one of the field's labels"
NO_CANDIDATES = "no candidate spans of its kind in the text"
TOO_LONG = "longer than the field's bound"
NEEDS_VALUE = "absent, but the schema needs a value"
UNLABELLED = "not labelled in the expected output"
NOT_FOUND = "no text in the record reads as the expected value"


class Dropped(Exception):
    """A field that cannot be answered for this record: ``reason`` and the surface missed."""

    def __init__(self, field: str, reason: str, surface: Any = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.surface = field, reason, surface


@dataclass(frozen=True, slots=True)
class _Options:
    enum: list[Any] | None
    max_length: int | None
    nullable: bool
    #: An any-span string's text: the answer must be a stretch of it (``span_grammar.py``).
    within: str | None = None


def _options(prop: dict[str, Any]) -> _Options:
    parts = prop.get("anyOf", [prop])
    enum = next((p["enum"] for p in parts if "enum" in p), None)
    string = next((p for p in parts if p.get("type") == "string"), None)
    max_length = int(string.get("maxLength", 10**6)) if string is not None else None
    within = string.get(SPAN_KEY) if string is not None else None
    return _Options(enum, max_length, any(p.get("type") == "null" for p in parts), within)


# --------------------------------------------------------------------------- normalising


def normalised(model: type[BaseModel], name: str, raw: Any) -> Any:
    """``raw`` as ``model`` reads it for field ``name`` (JSON form); ValueError when it does not read."""
    try:
        instance = model.__pydantic_validator__.validate_assignment(model.model_construct(), name, raw)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(instance, BaseModel):  # a pydantic model's validator returns the model
        raise ValueError(f"{model.__name__} is not a pydantic model")
    return instance.model_dump(mode="json", include={name})[name]


def same(a: Any, b: Any) -> bool:
    """Equal as values: numbers within ``TOLERANCE``, text without case or spacing."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), abs_tol=TOLERANCE)
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
    return bool(a == b)


def reads_as(model: type[BaseModel], name: str, truth: Any) -> Callable[[Any], bool]:
    """A test: does a raw value read, for field ``name``, as ``truth``?"""

    def test(raw: Any) -> bool:
        try:
            return same(normalised(model, name, raw), truth)
        except ValueError:
            return False

    return test


def item_reads_as(model: type[BaseModel], name: str, key: str, truth: Any) -> Callable[[Any], bool]:
    """Like ``reads_as`` for ``key`` of an item of the list field ``name`` (an invoice line's qty)."""

    def test(raw: Any) -> bool:
        try:
            items = normalised(model, name, [{key: raw}])
        except ValueError:
            return False
        return bool(items) and same(items[0].get(key), truth)

    return test


# --------------------------------------------------------------------------- fitting


def scalar_target(field: str, prop: dict[str, Any], truth: Any, surface: Any, reads: Callable[[Any], bool],
                  spans: Callable[[], list[str]]) -> Any:
    """The value to answer for one scalar field, or ``Dropped``.

    ``surface``: the value as written (None: unknown, find it). ``spans``: raw strings
    of the record to look for it among when the schema offers no enum.
    """
    options = _options(prop)
    if truth is None:
        if options.nullable:
            return None
        raise Dropped(field, NEEDS_VALUE)
    if options.enum is not None:
        if surface is not None and surface in options.enum:
            return surface
        found = next((value for value in options.enum if reads(value)), None)
        if found is None:
            raise Dropped(field, NOT_A_CANDIDATE, truth if surface is None else surface)
        return found
    if options.max_length is None:  # the schema allows only null: nothing of this kind in the text
        raise Dropped(field, NO_CANDIDATES, truth if surface is None else surface)
    if surface is None or surface == "":
        surface = next((span for span in spans() if reads(span)), None)
        if surface is None:
            raise Dropped(field, NOT_FOUND)
    text = str(surface)
    if options.within is not None and text not in options.within:  # the grammar would not let it be written
        raise Dropped(field, NOT_A_CANDIDATE, text)
    if len(text) > options.max_length:
        raise Dropped(field, TOO_LONG, text)
    return text


def record_spans(record: Record, kind: str | None, max_chars: int) -> list[str]:
    """Raw strings a value may be written as in ``record``: its cells (a debit also
    negated), then the spans of ``kind`` in its text."""
    out: list[str] = []
    for value in (record.cells or {}).values():
        if value is None or isinstance(value, bool):
            continue
        text = str(value).strip()
        if text:
            out += [text, "-" + text.lstrip("-")]
    if kind in FINDERS:
        out += FINDERS[kind](record.text, max_chars)
    return out


_LETTERS = re.compile(r"[^\W\d_]+")


def shape(text: Any) -> str:
    """The pattern of a surface: digits as 9, words as a / A / Aa ("12. März 2024" -> "99. Aa 9999")."""
    if text is None:
        return "(none)"

    def word(match: re.Match[str]) -> str:
        w = match.group()
        return "A" if w.isupper() and len(w) > 1 else "Aa" if w[0].isupper() else "a"

    return _LETTERS.sub(word, re.sub(r"\d", "9", str(text)))
