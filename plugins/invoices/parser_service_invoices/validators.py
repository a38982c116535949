"""Cross-field checks that catch a model's mistakes on invoices."""

from __future__ import annotations

import datetime

from parser_service.plugin_api import FieldIssue, checks_of, plausible_date
from parser_service_invoices.schema import Invoice

TOLERANCE = 0.011
#: The highest tax rate an invoice plausibly charges (VAT and GST stay under 28%).
MAX_TAX_RATE = 0.3
EARLIEST = datetime.date(1990, 1, 1)


#: Each check below reads an ``Invoice``, typed.
on_invoices = checks_of(Invoice)


@on_invoices
def totals_consistent(invoice: Invoice) -> list[FieldIssue]:
    """The untaxed total cannot exceed the grand total."""
    amount, untaxed = invoice.amount, invoice.amount_untaxed
    if amount is not None and untaxed is not None and untaxed > amount + TOLERANCE and amount >= 0:
        return [FieldIssue("amount_untaxed", f"untaxed total {untaxed} exceeds the grand total {amount}")]
    return []


@on_invoices
def tax_adds_up(invoice: Invoice) -> list[FieldIssue]:
    """The untaxed total plus the tax is the grand total."""
    amount, untaxed, tax = invoice.amount, invoice.amount_untaxed, invoice.amount_tax
    if amount is None or untaxed is None or tax is None or abs(untaxed + tax - amount) <= TOLERANCE:
        return []
    message = f"untaxed total {untaxed} plus tax {tax} is {round(untaxed + tax, 2)}, not the grand total {amount}"
    return [FieldIssue(name, message) for name in ("amount", "amount_untaxed", "amount_tax")]


def within_tax_rate(tax: float, untaxed: float) -> bool:
    """Whether ``tax`` is at most ``MAX_TAX_RATE`` of ``untaxed`` (in size, to the cent)."""
    return abs(tax) <= MAX_TAX_RATE * abs(untaxed) + TOLERANCE


@on_invoices
def tax_rate_plausible(invoice: Invoice) -> list[FieldIssue]:
    """The tax (given, or the total less the untaxed total) is at most ``MAX_TAX_RATE`` of
    the untaxed total: a tax above it, or an untaxed total far below the grand total,
    is another amount copied in its place."""
    amount, untaxed, tax = invoice.amount, invoice.amount_untaxed, invoice.amount_tax
    if untaxed is None or untaxed == 0:
        return []
    if tax is not None and not within_tax_rate(tax, untaxed):
        return [FieldIssue(name, f"tax {tax} is over {MAX_TAX_RATE:.0%} of the untaxed total {untaxed}") for name in ("amount_tax", "amount_untaxed")]
    if amount is not None and not within_tax_rate(amount - untaxed, untaxed):
        message = f"the grand total {amount} is over {MAX_TAX_RATE:.0%} above the untaxed total {untaxed}"
        return [FieldIssue(name, message) for name in ("amount", "amount_untaxed")]
    return []


date_plausible = plausible_date("date", EARLIEST, "an invoice")

#: Lines against the untaxed total: the list's completeness check (``sum_of`` on ``Invoice.lines``).
VALIDATORS = (totals_consistent, tax_adds_up, tax_rate_plausible, date_plausible)
