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


def test_no_repair_without_a_problem_with_the_totals_or_an_anchor_in_the_answer_or_the_labels() -> None:
    raw = {"amount": "496.00", "amount_untaxed": "496.00", "amount_tax": "160.00"}
    unlabelled = MUSTANG.replace("Gesamtbetrag netto", "").replace("Gesamtbetrag brutto", "").replace("Umsatzsteuer", "")
    assert totals_from_text(raw, unlabelled, [FieldIssue("date", "not plausible")]) == {}
    # where each amount of a consistent triple stands after its label, that is the fault
    assert totals_from_text(raw, MUSTANG, [FieldIssue("date", "not plausible")]) == {"amount": "571.04", "amount_tax": "75.04"}
    unrelated = {"amount": "1.00", "amount_untaxed": "2.00", "amount_tax": "3.00"}
    assert totals_from_text(unrelated, unlabelled, ISSUE) == {}  # agrees with none of the triples
    assert totals_from_text(unrelated, MUSTANG, ISSUE) == {"amount": "571.04", "amount_untaxed": "496.00", "amount_tax": "75.04"}


def test_a_zero_tax_needs_a_zero_after_a_tax_label() -> None:
    text = "Total HT 530,75 €\nTotal taxes 0,00 €\nTotal TTC 530,75 €\nSolde à payer 383,75 € Vir SEPA 147,00 €"
    raw = {"amount": "530,75", "amount_untaxed": "530,75", "amount_tax": "530,75"}
    # 383,75 + 147,00 = 530,75 too, but a 38% "tax" is no tax
    assert totals_from_text(raw, text, ISSUE) == {"amount_tax": "0,00"}
    assert totals_from_text(raw, text.replace("0,00 €", "-"), ISSUE) == {}
    # any other zero bears out no tax: unless the untaxed total is labelled as such
    elsewhere = text.replace("Total taxes 0,00 €", "Remise 0,00 €")
    assert totals_from_text(raw, elsewhere, ISSUE) == {"amount_tax": "0,00"}
    assert totals_from_text(raw, elsewhere.replace("Total HT", "Montant"), ISSUE) == {}


#: A final invoice after a down payment (a FeRD sample, as pdfplumber reads it): the
#: amount due is stated, the grand total is not; zeros stand after labels of no tax.
FINAL_INVOICE = (
    "Umsatzsteuer (S)   14.100,00   19   2.679,00\nBelegsummen\nPositionssumme 14.100,00\n"
    "Gesamtbetrag der Zuschläge   0,00\nGesamtbetrag der Abschläge   -0,00\n"
    "Rechnungssumme ohne USt.   14.100,00\nSteuerbetrag in EUR   2.679\nBruttosumme 16.779,00\n"
    "Zahlbetrag   6.779,00\n"
)


def test_a_triple_under_its_labels_mends_a_failed_check_that_no_value_of_it_agrees_with() -> None:
    raw = {"amount": "2.250,00", "amount_untaxed": "2.100,00", "amount_tax": "1.250,00"}
    fixed = {"amount": "16.779,00", "amount_untaxed": "14.100,00", "amount_tax": "2.679,00"}
    assert totals_from_text(raw, FINAL_INVOICE, ISSUE) == fixed  # not 6.779,00 twice and a zero


def test_a_tax_rate_above_the_plausible_is_flagged() -> None:
    swapped = Invoice(amount=49.99, amount_untaxed=8.68, amount_tax=41.31)
    assert {i.field for i in tax_rate_plausible(swapped)} == {"amount_tax", "amount_untaxed"}
    far_below = Invoice(amount=717.97, amount_untaxed=1.0)
    assert {i.field for i in tax_rate_plausible(far_below)} == {"amount", "amount_untaxed"}
    assert tax_rate_plausible(Invoice(amount=49.99, amount_untaxed=41.31, amount_tax=8.68)) == []


#: A consistent but wrong answer is on the page too: 60,00 of a line, no tax.
STATED = (
    "1 PRESTATION SUPPORT PCE 1,00 60,00 0,00%\n(Net): 60,00\nTVA 0,00\n"
    "TOTAL HT TOTAL TVA TOTAL TTC\n100,00 4,90 104,90\nDate d'échéance : 02/03/2026 NET A PAYER 104,90 EUR\n"
)


def test_a_consistent_answer_gives_way_to_the_total_written_after_its_label() -> None:
    raw = {"amount": "60,00", "amount_untaxed": "60,00", "amount_tax": "0,00"}
    assert totals_from_text(raw, STATED, []) == {"amount": "104,90", "amount_untaxed": "100,00", "amount_tax": "4,90"}
    right = {"amount": "104,90", "amount_untaxed": "100,00", "amount_tax": "4,90"}
    assert totals_from_text(right, STATED, []) == {}
    unlabelled = STATED.replace("NET A PAYER", "Reste").replace("TOTAL HT TOTAL TVA TOTAL TTC", "A B C")
    assert totals_from_text(raw, unlabelled, []) == {}  # no total stated, no triple under its labels: no fault seen


def test_a_triple_written_after_its_labels_replaces_an_answer_that_is_not() -> None:
    """The model's total is the stated one, but its untaxed total and tax (104,90 and a
    zero found elsewhere) are after no label of theirs; 100,00 and 4,90 stand under theirs."""
    raw = {"amount": "104,90", "amount_untaxed": "104,90", "amount_tax": "0,00"}
    assert totals_from_text(raw, STATED, []) == {"amount_untaxed": "100,00", "amount_tax": "4,90"}


def test_a_tax_printed_per_rate_only_is_mended_as_their_sum() -> None:
    text = (
        "Rechnungssumme Netto (excl. USt.)   473,00\n"
        "Steuerbasisbetrag USt. 7%   275,00   19,25\n"
        "Steuerbasisbetrag USt. 19%   198,00   37,62\n"
        "Rechnungssumme Brutto (inkl. USt.)   529,87\n"
    )
    raw = {"amount": "529,87", "amount_untaxed": "473,00", "amount_tax": "529,87"}
    # no amount on the page is the tax: it is the sum of the two, found in code
    assert totals_from_text(raw, text, [FieldIssue("amount_tax", "inconsistent")]) == {"amount_tax": 56.87}
    # a consistent answer is not replaced by a sum: a sum mends a failed check only
    assert totals_from_text({**raw, "amount_tax": "56,87"}, text, []) == {}


def test_totals_under_german_e_invoice_labels_are_found() -> None:
    # the sums block of a ZUGFeRD 2 rendering: "ohne USt.", "Steuerbetrag", "Zahlbetrag"
    text = (
        "Positionssumme 554,55\nGesamtbetrag der Abschläge   -0,00\nRechnungssumme ohne USt.   554,55\n"
        "Steuerbetrag in EUR   100,83\nBruttosumme 655,38\nZahlbetrag   655,38\nPos 1   51,50\n"
    )
    raw = {"amount": "655,38", "amount_untaxed": "51,50", "amount_tax": "0,00"}
    issues = [FieldIssue("amount", "untaxed total plus tax is not the grand total")]
    assert totals_from_text(raw, text, issues) == {"amount_untaxed": "554,55", "amount_tax": "100,83"}


#: A small business's invoice without VAT, written without umlauts ("Faellig",
#: "Rechnungsempfaenger"), as ASCII-only renderers write German.
NO_VAT = (
    "Atelier Mira Sommer\nBachweg 3, 87561 Oberstdorf\nRECHNUNG\nRechnungsnummer: 2026-044\n"
    "Rechnungsdatum: 02.07.2026\nFaellig bis: 16.07.2026\nRechnungsempfaenger: Skiclub Hoernle GmbH\n"
    "Pos. Beschreibung   Menge Einzelpreis   Gesamt\nPortraits Vereinsvorstand   1   350,00   350,00\n"
    "Retusche 20 Fotos   20   4,00   80,00\nNettobetrag: 430,00 EUR\nRechnungsbetrag: 430,00 EUR\n"
    "Gemäß §19 UStG wird keine Umsatzsteuer berechnet.\n"
)


def _offered(text: str, name: str) -> list[str] | None:
    from parser_service.pipeline.generation_schema import generation_schema

    schema = generation_schema(Invoice, [name], text).json_schema["properties"][name]
    if schema.get("type") == "null":
        return None
    return schema.get("enum") or next(option["enum"] for option in schema["anyOf"] if "enum" in option)


def test_an_invoice_that_labels_no_tax_offers_no_tax_amount() -> None:
    assert _offered(NO_VAT, "amount_tax") is None  # a line's 80,00 is no tax
    assert _offered(NO_VAT, "amount_untaxed") == ["430,00"]
    assert _offered(MUSTANG, "amount_tax") == ["11.20", "75.04"]  # a labelled tax still is


def test_labels_written_without_umlauts_count() -> None:
    issuers = _offered(NO_VAT, "issuer")
    assert issuers is not None and issuers[0] == "Atelier Mira Sommer"
    assert "Skiclub Hoernle GmbH" not in issuers  # the buyer, after "Rechnungsempfaenger:"
    assert _offered(NO_VAT, "date") == ["02.07.2026"]  # "Faellig bis" is the due date


def test_the_invoice_date_offered_is_the_one_named_outright_else_the_first() -> None:
    # a delivery date the labels miss ("Versand"), before the date named outright
    named = "Versand 01.02.2026\nRechnungsnummer: 17\nRechnungsdatum: 03.02.2026\nZahlbar bis 17.02.2026\n"
    assert _offered(named, "date") == ["03.02.2026"]
    # a ride's date after "vom", as the invoice's own is: the header states the invoice's first
    header = "Handelsrechnung Nr. TX-4711 vom 30.10.2026\nBemerkung: Taxifahrt vom 29.10.2026\n"
    assert _offered(header, "date") == ["30.10.2026"]


#: The parties of a ZUGFeRD rendering: the seller's name after "Name:", the buyer's
#: customer number in the buyer's block.
PARTIES = (
    "Handelsrechnung (380) Nr. 9314110911/00/M/00/N vom 01.03.2026\nVerkäufer\nNummer:   549910\n"
    "Name:   MUSTER-Autovermietung\nAnschrift: Musterstr. 99\nKäufer/Leistungsempfänger\n"
    "Nummer:   9314110911\nName:   MUSTER-KUNDE GMBH\n"
)


def test_the_sellers_name_and_not_the_buyers_number() -> None:
    assert _offered(PARTIES, "issuer") == ["MUSTER-Autovermietung"]
    assert _offered(PARTIES, "invoice_number") == ["9314110911/00/M/00/N"]
