"""What kind of value a cell holds, and the profile of a column's sample of cells.

A cell is one of ``KINDS``, tried in a fixed order (an email before free text, a date
before a number: "20091224120000" is a timestamp, "2.50" an amount). A column's
``Profile`` is the share of its non-empty sampled cells of each kind: what a field's
type is checked against when deciding which column holds it.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from parser_service.document import CellValue

KINDS = (
    "email",
    "url",
    "iban",
    "date",
    "boolean",
    "currency",
    "amount",
    "integer",
    "digits",
    "phone",
    "code",
    "words",
    "text",
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_DATE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[ -][A-Za-z]{3,9}\.?[ -]\d{2,4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")
_BOOLEAN = frozenset(
    ["true", "false", "yes", "no", "ja", "nein", "oui", "non", "si", "wahr", "falsch", "waar", "onwaar", "y", "n", "x"]
)
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|[€$£¥₹₽₺]|R\$|CHF|zł)$")
_AMOUNT = re.compile(
    r"^[-+(]?\s*(?:[A-Z]{3}|[€$£¥₹])?\s*[-+]?\d{1,3}(?:[.,' ]?\d{3})*(?:[.,]\d{1,4})?\s*(?:[A-Z]{3}|[€$£¥₹])?\s*[-)]?$"
)
_DECIMAL = re.compile(r"[.,]\d{1,4}\s*\S*$|[€$£¥₹]|\b[A-Z]{3}\b")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,24}$")
_CODE = re.compile(r"^(?=.*\d)[\w.\-/#:]{2,40}$")


def cell_kind(value: CellValue) -> str | None:
    """The kind of one cell; None when it is empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, datetime.date | datetime.datetime):
        return "date"
    if isinstance(value, float):
        return "amount" if value != int(value) else "integer"
    if isinstance(value, int):
        return "integer"
    return _text_kind(str(value).strip())


def _text_kind(text: str) -> str | None:
    if not text:
        return None
    if _EMAIL.match(text):
        return "email"
    if _URL.match(text):
        return "url"
    if _IBAN.match(text.replace(" ", "")) and len(text.replace(" ", "")) >= 15:
        return "iban"
    if _DATE.match(text) or _compact_date(text):
        return "date"
    if text.casefold() in _BOOLEAN:
        return "boolean"
    if _CURRENCY.match(text):
        return "currency"
    return _number_kind(text) or _word_kind(text)


def _compact_date(text: str) -> bool:
    """ "20091224" or "20091224120000": a real date (and time) in one run of digits."""
    m = _COMPACT_DATE.match(text)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g or 0) for g in m.groups())
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return 1900 <= int(m[1]) <= 2100


def _number_kind(text: str) -> str | None:
    digits = sum(c.isdigit() for c in text)
    if text.isdigit():  # a long run of digits: a phone number or an identifier
        return "integer" if len(text) < 7 or len(text) > 15 else "digits"
    if _AMOUNT.match(text) and _DECIMAL.search(text):
        return "amount"
    if _PHONE.match(text) and digits >= 6:
        return "phone"
    return None


def _word_kind(text: str) -> str:
    if " " not in text and _CODE.match(text):
        return "code"
    return "words" if " " in text else "text"


@dataclass(frozen=True, slots=True)
class Profile:
    """A column's sample: how many cells were filled, and the share of each kind."""

    filled: int
    shares: dict[str, float] = field(default_factory=dict)

    def share(self, *kinds: str) -> float:
        return sum(self.shares.get(k, 0.0) for k in kinds)


def profile(values: Sequence[CellValue]) -> Profile:
    """The profile of a column's sampled cells."""
    kinds = Counter(k for k in map(cell_kind, values) if k is not None)
    filled = sum(kinds.values())
    return Profile(filled, {k: n / filled for k, n in kinds.items()} if filled else {})
