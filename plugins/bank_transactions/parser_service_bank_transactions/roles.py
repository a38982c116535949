"""The amount and balance columns of a table whose headers name neither, from values.

An export in a language the keyword lists do not know ("交易金额", "余额"), or one
without a header row ("column 3"), still holds money columns: numbers with two
decimals. Which of them is the amount is decided by what the values do, strongest
evidence first:

1. A running balance: a column B and an amount A (or a debit/credit pair) for which
   each row's balance is the one before it plus the row's amount (rows oldest first),
   or minus the amount of the row before (newest first), on most pairs of rows. This
   also tells a pair's debit from its credit.
2. Signs: of the money columns, only one holds both negative and positive amounts
   (or writes "+"): the signed amount (a balance rarely changes sign). Signed columns
   that hold the same amount on most rows are one amount in two currencies: the last
   (the account's, as booked) is read.
3. Size: of exactly two money columns, the amount is the one whose typical value is
   smaller (a balance adds many amounts up). Only where a debit/credit marker column
   signs the amounts, as a signless amount without one would still be read unsigned.

None of these decides where no header does and the values do not: the mapping stays
unconfident and the model reads the rows.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import permutations

from parser_service.plugin_api import CellValue, to_number

#: Share of consecutive row pairs a running balance must explain, and the fewest pairs.
BALANCED_SHARE = 0.6
MIN_PAIRS = 2
_CENT = 0.005
_TWO_DECIMALS = re.compile(r"[.,]\d{2}\b")

Columns = dict[str, list[CellValue]]


@dataclass(frozen=True, slots=True)
class Money:
    """Columns found from values: a signed ``amount``, or a ``debit``/``credit`` pair."""

    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    balance: str | None = None


def number(value: CellValue) -> float | None:
    """The cell as a number, None when empty or not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return to_number(value)
    except (TypeError, ValueError):
        return None


def money_columns(columns: Columns, used: set[str]) -> list[str]:
    """Columns (in table order) every filled cell of which is a number, half of them at
    least written with two decimals, as money is."""
    found = []
    for name, values in columns.items():
        filled = [v for v in values if v is not None and str(v).strip()]
        if name in used or not filled or any(number(v) is None for v in filled):
            continue
        if 2 * sum(bool(_TWO_DECIMALS.search(str(v))) for v in filled) >= len(filled):
            found.append(name)
    return found


def find_money(columns: Columns, used: set[str], signed_elsewhere: bool) -> Money | None:
    """The money columns of a table whose headers name none; ``signed_elsewhere``: a
    marker column gives the amounts' signs."""
    money = money_columns(columns, used)
    if len(money) == 1:
        return Money(amount=money[0])
    found = _by_balance(money, columns) or _by_sign(money, columns)
    if found is None and signed_elsewhere and len(money) == 2:
        found = _by_size(money, columns)
    return found


def _by_balance(money: list[str], columns: Columns) -> Money | None:
    """The first reading of the money columns whose amounts keep one of them a running balance."""
    for found, amount in _readings(money, columns):
        if found.balance and _balances(columns[found.balance], amount):
            return found
    return None


def _readings(money: list[str], columns: Columns) -> Iterator[tuple[Money, Callable[[int], float | None]]]:
    """Each balance column with each other column as the amount, then with each pair of
    others that are filled on complementary rows as debit and credit."""
    for balance in money:
        others = [n for n in money if n != balance]
        for amount in others:
            yield Money(amount=amount, balance=balance), _reader(columns, amount)
        for debit, credit in permutations(others, 2):
            if _complementary(columns[debit], columns[credit]):
                yield Money(debit=debit, credit=credit, balance=balance), _pair_reader(columns, debit, credit)


def _reader(columns: Columns, name: str) -> Callable[[int], float | None]:
    return lambda i: number(columns[name][i])


def _pair_reader(columns: Columns, debit: str, credit: str) -> Callable[[int], float | None]:
    def read(i: int) -> float | None:
        out, into = number(columns[debit][i]), number(columns[credit][i])
        if out is None and into is None:
            return None
        return abs(into or 0.0) - abs(out or 0.0)

    return read


def _complementary(a: Sequence[CellValue], b: Sequence[CellValue]) -> bool:
    """On most rows one of the two is filled (not zero) and the other is not."""
    rows = [(bool(number(x)), bool(number(y))) for x, y in zip(a, b)]
    one = sum(x != y for x, y in rows)
    return bool(rows) and one > BALANCED_SHARE * len(rows)


def _balances(balance: Sequence[CellValue], amount: Callable[[int], float | None]) -> bool:
    """Each balance is the previous one plus this row's amount (oldest first), or minus
    the previous row's amount (newest first), on most pairs of rows."""
    forward = backward = pairs = 0
    for i in range(1, len(balance)):
        before, after = number(balance[i - 1]), number(balance[i])
        here, there = amount(i), amount(i - 1)
        if before is None or after is None or here is None or there is None:
            continue
        pairs += 1
        forward += abs(after - before - here) < _CENT
        backward += abs(before - after - there) < _CENT
    return pairs >= MIN_PAIRS and max(forward, backward) >= BALANCED_SHARE * pairs


def _by_sign(money: list[str], columns: Columns) -> Money | None:
    signed = [n for n in money if _mixed_signs(columns[n])]
    if len(signed) > 1 and _one_amount(signed, columns):
        signed = signed[-1:]
    return Money(amount=signed[0]) if len(signed) == 1 else None


def _one_amount(names: list[str], columns: Columns) -> bool:
    """The columns hold the same amount on most rows: one amount written twice, in the
    transaction's currency and in the account's (the account's, booked, comes last)."""
    rows = [[number(columns[n][i]) for n in names] for i in range(len(columns[names[0]]))]
    filled = [[x for x in r if x is not None] for r in rows if None not in r]
    same = sum(max(r) - min(r) < _CENT for r in filled)
    return len(filled) >= MIN_PAIRS and same >= BALANCED_SHARE * len(filled)


def _mixed_signs(values: Sequence[CellValue]) -> bool:
    numbers = [(v, n) for v in values if (n := number(v)) is not None]
    negative = any(n < 0 for _, n in numbers)
    positive = any(n > 0 for _, n in numbers)
    plus = any(str(v).strip().startswith("+") for v, _ in numbers)
    return negative and (positive or plus)


def _by_size(money: list[str], columns: Columns) -> Money | None:
    sizes = {n: statistics.median(abs(x) for v in columns[n] if (x := number(v)) is not None) for n in money}
    small, large = sorted(money, key=sizes.__getitem__)
    return Money(amount=small, balance=large) if sizes[small] < sizes[large] else None
