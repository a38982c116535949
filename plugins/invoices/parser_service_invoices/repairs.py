"""Repairs of an invoice's totals, in code, from the amounts written on it.

A small model often copies the wrong one of an invoice's many amounts (a subtotal for
the total, the tax base for the tax). When the checks find the totals inconsistent,
the invoice's own amounts usually tell the right ones: the grand total, the untaxed
total and the tax are three amounts on the page with untaxed + tax = total and a
plausible tax rate. Of the triples that hold, the one that agrees most with the
model's answer wins; then the one whose amounts stand after their labels. Nothing is
changed when no triple agrees with at least one of the model's values, unless each of
its amounts stands after its own label.

A wrong answer can be consistent (60 / 60 / 0 copied from a line of the invoice), so
no check fails. The text is then the evidence: when the model's total is none of the
grand totals written right after their label ("NET A PAYER 104,90 EUR", "Amount due:
$4.11"), or when a consistent triple has each amount after its own label and the
model's answer does not, the triple so borne out replaces the answer (one with a
stated total first, then the one with the most amounts after their labels).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parser_service.plugin_api import FieldIssue, amount_spans, labelled_spans, tightly_labelled_spans, to_number
from parser_service_invoices.schema import TAX_LABELS, TOTAL_LABELS, UNTAXED_LABELS
from parser_service_invoices.validators import TOLERANCE, within_tax_rate

TOTALS = ("amount", "amount_untaxed", "amount_tax")
LABELS = {"amount": TOTAL_LABELS, "amount_untaxed": UNTAXED_LABELS, "amount_tax": TAX_LABELS}
MAX_CHARS = 16
#: Tax amounts that may add up to the total tax (their sums of two and three are tried).
MAX_TAX_PARTS = 12

Triple = tuple[str, str, str]  # the spans of total, untaxed, tax


@dataclass(frozen=True, slots=True)
class _Scored:
    """A consistent triple, and what bears it out: how many of its amounts the model gave,
    how many stand after their own labels, and whether its total is a stated one."""

    triple: Triple
    numbers: list[float]
    agree: int
    hits: int
    as_stated: bool


def totals_from_text(raw: Mapping[str, Any], text: str, issues: Sequence[FieldIssue]) -> dict[str, Any]:
    """The spans of the consistent (total, untaxed, tax) best borne out by the text, for
    the fields where they differ from the model's answer; nothing if the totals were not
    at fault."""
    spans = amount_spans(text, MAX_CHARS)
    values = {span: to_number(span) for span in spans}
    given = {name: _number(raw.get(name)) for name in TOTALS}
    labelled = {name: set(labelled_spans(text, spans, LABELS[name])) for name in TOTALS}
    sums = _tax_sums(values, labelled["amount_tax"])
    labelled["amount_tax"] |= set(sums)
    stated = [values[span] for span in tightly_labelled_spans(text, spans, TOTAL_LABELS)]
    stated_taxes = set(tightly_labelled_spans(text, spans, TAX_LABELS))
    triples = [t for t in _consistent(values, sums) if _tax_borne_out(t, values, stated_taxes, labelled)]
    values = {**values, **sums}
    scored = [_score(triple, values, given, labelled, stated) for triple in triples]
    answer_labelled = all(any(_close(given[name], values[span]) for span in labelled[name]) for name in TOTALS)
    printed = [s for s in scored if s.triple[2] not in sums]  # a sum mends a failed check only
    contradicted = (bool(stated) and not any(_close(given["amount"], total) for total in stated)) or (
        not answer_labelled and any(s.hits == 3 for s in printed)
    )
    if not contradicted and not any(issue.field in TOTALS for issue in issues):
        return {}
    eligible = [s for s in printed if s.as_stated or s.hits == 3] if contradicted else [
        s for s in scored if s.as_stated or s.agree > 0 or s.hits == 3
    ]
    if not eligible:
        return {}
    best = max(eligible, key=lambda s: _rank(s, contradicted))
    return {
        name: sums.get(span, span) for name, span in zip(TOTALS, best.triple) if not _close(given[name], values[span])
    }


def _tax_borne_out(triple: Triple, values: Mapping[str, float], stated_taxes: set[str],
                   labelled: Mapping[str, set[str]]) -> bool:  # fmt: skip
    """A tax of zero is a claim the page must bear out: the zero right after a tax label
    ("TVA 0,00"), or the untaxed total after an untaxed label ("Rechnungssumme ohne USt.
    380,00"). Nearly every page prints a zero somewhere ("Montant déjà payé : 0,00"),
    and any amount makes a "consistent" triple with it and itself."""
    _, untaxed, tax = triple
    nonzero = tax not in values or values[tax] != 0  # a tax that is a sum of rates' taxes is never zero
    return nonzero or tax in stated_taxes or untaxed in labelled["amount_untaxed"]


def _tax_sums(values: Mapping[str, float], taxes: set[str]) -> dict[str, float]:
    """The sums of two or three amounts written after tax labels ("19,25 + 37,62": the
    tax at 7% and at 19%), keyed by their spans joined with " + ": an invoice that
    prints its tax per rate only states its total tax nowhere. Being no span, a sum is
    handed back as a number (found in code, not verbatim)."""
    parts = sorted((span for span in taxes if values.get(span)), key=lambda span: values[span])
    out: dict[str, float] = {}
    for size in (2, 3):
        for combo in itertools.combinations(parts[:MAX_TAX_PARTS], size):
            if len({values[span] > 0 for span in combo}) == 1:
                out.setdefault(" + ".join(combo), round(sum(values[span] for span in combo), 2))
    return out


def _score(triple: Triple, values: Mapping[str, float], given: Mapping[str, float | None],
           labelled: Mapping[str, set[str]], stated: Sequence[float]) -> _Scored:  # fmt: skip
    numbers = [values[span] for span in triple]
    agree = sum(_close(given[name], number) for name, number in zip(TOTALS, numbers))
    hits = sum(span in labelled[name] for name, span in zip(TOTALS, triple))
    return _Scored(triple, numbers, agree, hits, any(_close(total, numbers[0]) for total in stated))


def _rank(s: _Scored, contradicted: bool) -> tuple[float, ...]:
    """A stated total first; then, for a contradicted answer (weak evidence), the labels,
    a tax, agreement; otherwise agreement, the labels, a tax; then the larger total."""
    if contradicted:
        return (s.as_stated, s.hits, s.numbers[2] != 0, s.agree, abs(s.numbers[0]))
    return (s.as_stated, s.agree, s.hits, s.numbers[2] != 0, abs(s.numbers[0]))


def _consistent(values: Mapping[str, float], sums: Mapping[str, float]) -> list[Triple]:
    """(total, untaxed, tax) spans with untaxed + tax = total, of one sign, the tax no more
    than ``MAX_TAX_RATE`` of the untaxed total (a tax of zero needs a zero on the page);
    the tax may be one of ``sums`` where no single amount on the page is it."""
    by_value: dict[float, str] = {}
    for span, value in [*values.items(), *sums.items()]:
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
