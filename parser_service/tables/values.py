"""A row's value for a field, read in code from the field's column(s) by the field's kind.

A cell that does not read as its field's kind ("Pending" in a date column) is
``UNREADABLE``: the field is then left to the model rather than guessed. An empty cell
is a known absence (None). A field spread over several columns joins its non-empty
cells in table order: with a space where each is one word ("Marge" "Simpson"), with
", " otherwise ("2587 Sesame Street, Springfield").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from parser_service.document import CellValue
from parser_service.text.normalize import clean_text, to_currency, to_date, to_number


class _Unreadable:
    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Any = _Unreadable()
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\d{2}){0,3}$")
_TRUE = frozenset(["true", "yes", "ja", "oui", "si", "wahr", "waar", "y", "x", "1"])
_FALSE = frozenset(["false", "no", "nein", "non", "falsch", "onwaar", "n", "0"])


def is_empty(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_field(
    cells: Mapping[str, CellValue],
    columns: Sequence[str],
    kind: str,
    dayfirst: bool | None,
    signs: Mapping[str, int] | None = None,
) -> Any:
    """The field's value in this row; None when its cells are empty. ``signs`` (a number
    fed by a pair of columns, money in and out): the signed magnitudes of its cells, summed."""
    if signs:
        return _signed(cells, signs)
    filled = [cells.get(c) for c in columns if not is_empty(cells.get(c))]
    if not filled:
        return None
    if len(filled) > 1:
        parts = [_as_text(v) for v in filled]
        joiner = ", " if any(" " in p or "," in p for p in parts) else " "
        return joiner.join(parts)
    try:
        return _read(filled[0], kind, dayfirst)
    except (ValueError, TypeError, OverflowError):
        return UNREADABLE


def _signed(cells: Mapping[str, CellValue], signs: Mapping[str, int]) -> Any:
    """In minus out: each filled cell's magnitude with its column's sign."""
    filled = {c: cells.get(c) for c in signs if not is_empty(cells.get(c))}
    if not filled:
        return None
    try:
        return sum(sign * abs(_read(filled[c], "amount", None)) for c, sign in signs.items() if c in filled) + 0.0
    except (ValueError, TypeError, OverflowError):
        return UNREADABLE


def _read(value: CellValue, kind: str, dayfirst: bool | None) -> Any:
    if kind == "date":
        return _date(value, dayfirst).isoformat()
    if kind == "amount":
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else to_number(value)
    if kind == "integer":
        number = float(value) if isinstance(value, int | float) else to_number(value)
        if number != int(number):
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    if kind == "currency":
        return to_currency(value)
    if kind == "boolean":
        return _boolean(value)
    return _as_text(value)


def _date(value: CellValue, dayfirst: bool | None) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    m = _COMPACT.match(str(value).strip())
    if m:  # "20091224" or the timestamp "20091224120000"
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    return to_date(value, dayfirst=dayfirst)


def _boolean(value: CellValue) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{value!r} is not a yes or a no")


def _as_text(value: CellValue) -> str:
    """A cell as text: 29932 not 29932.0; a date in ISO form."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return clean_text(value) or ""
