"""Per-record checks that catch a model's mistakes on transactions.

Only what one record can show is checked here: a transaction has an amount, and
its date is plausible. The running balance (balance before + amount = balance
after) links *consecutive* records, so a per-record validator cannot check it;
``balance_breaks`` does that over a whole export's results, for a caller that holds
them all (an evaluation, or a later document-level check). Exports list rows
newest-first or oldest-first, so both orders are tried.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from parser_service.plugin_api import FieldIssue, checks_of, plausible_date
from parser_service_bank_transactions.schema import Transaction

TOLERANCE = 0.011
EARLIEST = datetime.date(1970, 1, 1)


#: Each check below reads an ``Transaction``, typed.
on_transactions = checks_of(Transaction)


@on_transactions
def amount_present(transaction: Transaction) -> list[FieldIssue]:
    """A transaction moves money: it has an amount."""
    if transaction.amount is None:
        return [FieldIssue("amount", "a transaction needs an amount")]
    return []


date_plausible = plausible_date("date", EARLIEST, "a transaction")

VALIDATORS = (amount_present, date_plausible)


def balance_breaks(transactions: Sequence[dict[str, Any]]) -> list[int]:
    """Indexes where the running balance does not follow from the amounts.

    ``transactions`` are dicts with ``amount`` and ``balance`` in file order. Pairs
    missing either value are not judged. Returns the breaks of whichever order
    (oldest-first or newest-first) has fewer.
    """

    def breaks(step: int) -> list[int]:
        found = []
        for i in range(1, len(transactions)):
            before, after = (transactions[i - 1], transactions[i]) if step > 0 else (transactions[i], transactions[i - 1])
            opening, amount, closing = before.get("balance"), after.get("amount"), after.get("balance")
            if opening is None or amount is None or closing is None:
                continue
            if abs(opening + amount - closing) > TOLERANCE:
                found.append(i)
        return found

    return min(breaks(1), breaks(-1), key=len)
