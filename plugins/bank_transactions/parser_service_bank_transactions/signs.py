"""Which way a single amount column counts: as the account holder's money moves, or as
a card statement writes it.

A bank account's export writes money out as negative ("-12.50"). A card statement
often writes it the issuer's way: a purchase (a charge) is positive, a payment to the
card negative. The schema's amount is the holder's ("negative for money out"), so such
a column is read negated. The decision is made once per table, from evidence in this
order, and recorded in the mapping as ``sign_convention``:

1. A running balance: when each row's balance moves by minus its amount (the balance
   owed grows with each charge), the charges are positive; when it moves by the amount,
   the column is the holder's already.
2. Purchases outnumber payments in (almost) every personal account, so the sign most
   amounts carry is money out. Where the table's header or preamble speaks of a card
   ("Card #", "卡号", "Kreditkarte"), a column whose amounts are mostly positive writes
   charges positive; without that word, one whose amounts are positive two times in
   three at least and negative on the other rows (payments, refunds) does.
3. Otherwise the amounts are read as written.

Only a single signed amount column is read this way: a debit/credit pair, or a column
of debit/credit markers, says which way each row goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parser_service_bank_transactions.roles import BALANCED_SHARE, MIN_PAIRS

AS_WRITTEN = "as_written"
CHARGES_POSITIVE = "charges_positive"
#: Share of the non-zero amounts above which the positive sign is the common one, on a
#: table that speaks of a card ...
MAJORITY = 0.5
#: ... and from which it is, without one: twice as many charges as payments (a journal's
#: legs, half positive, half negative, are not a card's).
CLEAR_MAJORITY = 2 / 3
#: "Card" in the languages the header lists know, and in scripts without spaces.
_CARD_WORDS = re.compile(
    r"\b(?:card|cards|karte|kreditkarte|carte|tarjeta|kaart|creditcard|carta|cartao|kort|карта)\b|卡|カード|카드",
    re.IGNORECASE,
)
_CENT = 0.005


def sign_convention(amounts: Sequence[float | None], balances: Sequence[float | None] | None, context: str) -> str:
    """``AS_WRITTEN`` or ``CHARGES_POSITIVE`` for a table's amount column (rows in order),
    its balance column where it has one, and ``context``: its header and preamble text."""
    moved = _balance_movement(amounts, balances) if balances is not None else None
    if moved is not None:
        return moved
    filled = [a for a in amounts if a]
    if not filled:
        return AS_WRITTEN
    share = sum(a > 0 for a in filled) / len(filled)
    if names_card(context):
        return CHARGES_POSITIVE if share > MAJORITY else AS_WRITTEN
    return CHARGES_POSITIVE if CLEAR_MAJORITY <= share < 1 else AS_WRITTEN


def names_card(text: str) -> bool:
    return bool(_CARD_WORDS.search(text))


def _balance_movement(amounts: Sequence[float | None], balances: Sequence[float | None]) -> str | None:
    """Which sign keeps the balance running, oldest or newest row first; None if neither."""
    for sign, convention in ((1, AS_WRITTEN), (-1, CHARGES_POSITIVE)):
        if _runs(amounts, balances, sign):
            return convention
    return None


def _runs(amounts: Sequence[float | None], balances: Sequence[float | None], sign: int) -> bool:
    forward = backward = pairs = 0
    for i in range(1, min(len(amounts), len(balances))):
        before, after, here, there = balances[i - 1], balances[i], amounts[i], amounts[i - 1]
        if before is None or after is None or here is None or there is None:
            continue
        pairs += 1
        forward += abs(after - before - sign * here) < _CENT
        backward += abs(before - after - sign * there) < _CENT
    return pairs >= MIN_PAIRS and max(forward, backward) >= BALANCED_SHARE * pairs
