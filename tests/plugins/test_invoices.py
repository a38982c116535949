"""The invoices plugin's checks and repairs, on text from real invoices (no model)."""

from __future__ import annotations

from parser_service_invoices.repairs import totals_from_text
from parser_service_invoices.schema import Invoice
from parser_service_invoices.validators import tax_rate_plausible

from parser_service.plugin_api import FieldIssue

#: The totals block of a real invoice (Mustang's sample, as pdfplumber reads it).
MUSTANG = (
    "Artikel 1 160.00 7% 11.20\nArtikel 2 400.00 19% 76.00\n"
    "Gesamtbetrag netto 496.00 €\nUmsatzsteuer 7% 11.20\nUmsatzsteuer 19% 75.04\n"
    "Gesamtbetrag brutto 571.04 €\n"
)
ISSUE = [FieldIssue("amount", "untaxed total plus tax is not the grand total")]


def test_inconsistent_totals_are_mended_from_the_amounts_written() -> None:
    raw = {"amount": "496.00", "amount_untaxed": "496.00", "amount_tax": "160.00"}
    assert totals_from_text(raw, MUSTANG, ISSUE) == {"amount": "571.04", "amount_tax": "75.04"}


def test_no_repair_without_a_problem_with_the_totals_or_an_anchor_in_the_answer() -> None:
    raw = {"amount": "496.00", "amount_untaxed": "496.00", "amount_tax": "160.00"}
    assert totals_from_text(raw, MUSTANG, [FieldIssue("date", "not plausible")]) == {}
    unrelated = {"amount": "1.00", "amount_untaxed": "2.00", "amount_tax": "3.00"}
    assert totals_from_text(unrelated, MUSTANG, ISSUE) == {}  # agrees with none of the triples


def test_a_zero_tax_needs_a_zero_on_the_page() -> None:
    text = "Total HT 530,75 €\nTotal taxes 0,00 €\nTotal TTC 530,75 €\nSolde à payer 383,75 € Vir SEPA 147,00 €"
    raw = {"amount": "530,75", "amount_untaxed": "530,75", "amount_tax": "530,75"}
    # 383,75 + 147,00 = 530,75 too, but a 38% "tax" is no tax
    assert totals_from_text(raw, text, ISSUE) == {"amount_tax": "0,00"}
    assert totals_from_text(raw, text.replace("0,00 €", "-"), ISSUE) == {}


def test_a_tax_rate_above_the_plausible_is_flagged() -> None:
    swapped = Invoice(amount=49.99, amount_untaxed=8.68, amount_tax=41.31)
    assert {i.field for i in tax_rate_plausible(swapped)} == {"amount_tax", "amount_untaxed"}
    far_below = Invoice(amount=717.97, amount_untaxed=1.0)
    assert {i.field for i in tax_rate_plausible(far_below)} == {"amount", "amount_untaxed"}
    assert tax_rate_plausible(Invoice(amount=49.99, amount_untaxed=41.31, amount_tax=8.68)) == []
