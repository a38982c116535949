"""Repairs of an invoice's totals, in code, from the amounts written on it.

A small model often copies the wrong one of an invoice's many amounts (a subtotal for
the total, the tax base for the tax). When the checks find the totals inconsistent,
the invoice's own amounts usually tell the right ones: the grand total, the untaxed
total and the tax are three amounts on the page with untaxed + tax = total and a
plausible tax rate. Of the triples that hold, the one that agrees most with the
model's answer wins; then the one whose amounts stand after their labels. Nothing is
changed when no triple agrees with at least one of the model's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parser_service.plugin_api import FieldIssue, amount_spans, labelled_spans, to_number
from parser_service_invoices.schema import TAX_LABELS, TOTAL_LABELS, UNTAXED_LABELS
from parser_service_invoices.validators import TOLERANCE, within_tax_rate

TOTALS = ("amount", "amount_untaxed", "amount_tax")
LABELS = {"amount": TOTAL_LABELS, "amount_untaxed": UNTAXED_LABELS, "amount_tax": TAX_LABELS}
MAX_CHARS = 16

Triple = tuple[str, str, str]  # the spans of total, untaxed, tax


def totals_from_text(raw: Mapping[str, Any], text: str, issues: Sequence[FieldIssue]) -> dict[str, Any]:
    """The spans of the consistent (total, untaxed, tax) closest to the model's answer,
    for the fields where they differ from it; nothing if the totals were not at fault."""
    if not any(issue.field in TOTALS for issue in issues):
        return {}
    spans = amount_spans(text, MAX_CHARS)
    values = {span: to_number(span) for span in spans}
    given = {name: _number(raw.get(name)) for name in TOTALS}
    labelled = {name: set(labelled_spans(text, spans, LABELS[name])) for name in TOTALS}
    best: tuple[tuple[int, int, bool, float], Triple] | None = None
    for triple in _consistent(values):
        numbers = [values[span] for span in triple]
        agree = sum(_close(given[name], number) for name, number in zip(TOTALS, numbers))
        if agree == 0:
            continue
        hits = sum(span in labelled[name] for name, span in zip(TOTALS, triple))
        rank = (agree, hits, numbers[2] != 0, abs(numbers[0]))
        if best is None or rank > best[0]:
            best = (rank, triple)
    if best is None:
        return {}
    return {
        name: span
        for name, span in zip(TOTALS, best[1])
        if not _close(given[name], values[span])
    }


def _consistent(values: Mapping[str, float]) -> list[Triple]:
    """(total, untaxed, tax) spans with untaxed + tax = total, of one sign, the tax no more
    than ``MAX_TAX_RATE`` of the untaxed total (a tax of zero needs a zero on the page)."""
    by_value: dict[float, str] = {}
    for span, value in values.items():
        by_value.setdefault(round(value, 2), span)
    found = []
    for total_span, total in values.items():
        for untaxed_span, untaxed in values.items():
            if total == 0 or untaxed == 0 or (total > 0) != (untaxed > 0):
                continue
            tax = round(total - untaxed, 2)
            tax_span = by_value.get(tax)
            if tax_span is not None and within_tax_rate(tax, untaxed) and tax * total >= 0:
                found.append((total_span, untaxed_span, tax_span))
    return found


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return to_number(value)
    except ValueError:
        return None


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= TOLERANCE


REPAIRS = (totals_from_text,)
