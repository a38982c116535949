"""One number field fed by two columns: money in and money out.

A bank export often writes a transaction's amount in one of two columns (credit or
debit, in or out, Haben or Soll), the other left empty or 0.00. Two amount columns
are such a pair when, over the sampled rows that fill either, nearly every row fills
exactly one (``COMPLEMENTARY``) and each fills a fair share (``MIN_SIDE``). The field
then reads their signed combination: the magnitude of the filled cell, negative where
it is the column that reads as money going out. Which one that is comes from the
headers' words (``direction``: any language's usual words for in and out), else from
the model where one is asked (``ask``: it chooses the column of outgoing money).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

from parser_service.document import CellValue
from parser_service.tables.names import _fold
from parser_service.tables.values import is_empty
from parser_service.text.normalize import to_number

#: Share of the rows filling either column that fill exactly one.
COMPLEMENTARY = 0.9
#: Share of those rows each column fills at least (an always-empty column pairs with nothing).
MIN_SIDE = 0.05
#: Words of a header that say money went out of the account, and that it came in.
OUTGOING = frozenset({
    "debit", "debits", "debet", "withdrawal", "withdrawals", "outflow", "out", "outgoing", "spent", "spend",
    "expense", "expenses", "charge", "charges", "paid", "soll", "ausgang", "ausgaben", "lastschrift", "belastung",
    "af", "uitgaand", "uitgaven", "afschrijving", "debe", "cargo", "cargos", "retrait", "retraits", "depense",
    "depenses", "uscite", "addebito", "addebiti", "wyplata", "obciazenie",
})  # fmt: skip
INCOMING = frozenset({
    "credit", "credits", "deposit", "deposits", "inflow", "incoming", "received", "income", "receipt", "receipts",
    "haben", "eingang", "einnahmen", "gutschrift", "bij", "inkomend", "ontvangen", "bijschrijving", "haber",
    "abono", "abonos", "ingreso", "ingresos", "versement", "versements", "recette", "recettes", "entrate",
    "accredito", "accrediti", "wplata", "uznanie",
})  # fmt: skip

#: Asks which of two headers (with their cells) is money going out; None when it cannot say.
Ask = Callable[[Mapping[str, Sequence[CellValue]]], str | None]


def direction(header: str) -> int | None:
    """-1: the header reads as money going out; +1: coming in; None: it says neither (or both)."""
    words = set(_fold(header).split())
    out, into = bool(words & OUTGOING), bool(words & INCOMING)
    return None if out == into else (-1 if out else 1)


def _filled(value: CellValue) -> bool:
    """A cell holding a number other than zero (0.00 is the empty side of a pair)."""
    if is_empty(value) or isinstance(value, bool):
        return False
    try:
        number = float(value) if isinstance(value, int | float) else to_number(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return number != 0


def complementary(a: Sequence[CellValue], b: Sequence[CellValue]) -> bool:
    """Whether two columns (row-aligned samples) fill one side each, row by row."""
    rows = [(_filled(x), _filled(y)) for x, y in zip(a, b)]
    either = [r for r in rows if r[0] or r[1]]
    if not either:
        return False
    one = sum(x != y for x, y in either) / len(either)
    return one >= COMPLEMENTARY and min(sum(x for x, _ in either), sum(y for _, y in either)) / len(either) >= MIN_SIDE


def signs(pair: tuple[str, str], columns: Mapping[str, Sequence[CellValue]], ask: Ask | None) -> dict[str, int] | None:
    """Column -> +1 (money in) or -1 (money out) for a pair; None when neither header nor
    the model tells which is which."""
    a, b = pair
    other = direction(b)
    known = direction(a) or (-other if other is not None else None)
    if known is None and ask is not None:
        out = ask({c: columns[c] for c in pair})
        known = None if out not in pair else (-1 if out == a else 1)
    return None if known is None else {a: known, b: -known}


def find_pair(
    own: str | None, free: Sequence[str], columns: Mapping[str, Sequence[CellValue]]
) -> tuple[str, str] | None:
    """The pair a field of money takes: its own column and the one free amount column
    complementary to it; without a column of its own, the one complementary pair among
    the free amount columns. None when there is none or more than one."""
    if own is not None:
        partners = [c for c in free if c != own and complementary(columns[own], columns[c])]
        return (own, partners[0]) if len(partners) == 1 else None
    pairs = [(a, b) for a, b in combinations(free, 2) if complementary(columns[a], columns[b])]
    return pairs[0] if len(pairs) == 1 else None
