"""Candidate spans for extractive decoding, on real document text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from parser_service.domains.domain import extractive
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline.generation_schema import generation_schema
from parser_service.text import spans as text_spans
from parser_service.text.normalize import Amount, ISODate
from tests.conftest import DATA


def _text(name: str) -> str:
    return parse_file(DATA / name, builtin_parsers()).text


def test_real_invoice_spans():
    oyo = _text("oyo.pdf")
    assert text_spans.dates(oyo, 24) == ["31/12/2017", "01/01/2018"]
    assert "1939" in text_spans.amounts(oyo, 16)  # "Rs 1939": a whole number next to a currency
    assert text_spans.currencies(oyo, 8) == ["Rs"]
    assert "IBZY2087" in text_spans.codes(oyo, 24)
    assert "Grand Total   Rs 1939" in text_spans.lines(oyo, 48)


def test_amounts_skip_years_and_bare_integers():
    aws = _text("AmazonWebServices.pdf")
    found = text_spans.amounts(aws, 16)
    assert "4.11" in found and "2014" not in found
    assert "August 3 , 2014" in text_spans.dates(aws, 24)


def test_every_candidate_reads_with_its_normaliser():
    from parser_service.text.normalize import to_currency, to_date, to_number

    text = _text("Facture_FR_BASICWL.pdf")
    assert all(to_number(s) is not None for s in text_spans.amounts(text, 16))
    assert all(to_date(s) for s in text_spans.dates(text, 24))
    assert all(to_currency(s) for s in text_spans.currencies(text, 8))


class Bill(BaseModel):
    date: ISODate | None = Field(None, json_schema_extra=extractive("date", 24, nullable=False))
    total: Amount | None = Field(None, json_schema_extra=extractive("amount", 16))


def test_extractive_fields_become_enums_of_the_text():
    schema = generation_schema(Bill, text="Date 03.04.2024, total 12,50 EUR, tax 2,00 EUR").json_schema
    assert schema["properties"]["date"] == {"enum": ["03.04.2024"]}
    assert schema["properties"]["total"] == {"anyOf": [{"enum": ["12,50", "2,00"]}, {"type": "null"}]}
    nothing = generation_schema(Bill, text="no numbers here").json_schema
    assert nothing["properties"]["date"] == {"type": "null"}  # nothing to copy: null, never invented
    without_text = generation_schema(Bill).json_schema  # no text: bounded free strings
    assert without_text["properties"]["date"]["anyOf"][0]["maxLength"] == 24


def test_unknown_span_kind_is_refused():
    with pytest.raises(ValueError, match="unknown span kind 'colour'"):
        extractive("colour", 10)


def test_spans_after_a_label_come_first_and_alone():
    text = "Customer 77123\nInvoice No: INV-2024-9\nTotal HT 10,00 EUR\nTotal TTC 12,00 EUR\nPage 1"
    codes = text_spans.codes(text, 24)
    assert text_spans.near(text, codes, ["invoice no"]) == ["INV-2024-9"]
    amounts = text_spans.amounts(text, 16)
    assert text_spans.near(text, amounts, ["total ttc"]) == ["12,00"]
    assert text_spans.near(text, amounts, ["not there"]) == amounts  # no label: every span


def test_preferred_spans_narrow_the_candidates_only_when_some_match() -> None:
    from parser_service.text.spans import preferred

    lines = ["ATTN: iViveLabs Limited", "Amazon Web Services, Inc.", "Alexandre Payet"]
    assert preferred(lines, r"\bInc\.") == ["Amazon Web Services, Inc."]
    assert preferred(lines, r"GmbH") == lines  # none matches: all stay


def test_the_invoice_issuer_is_offered_among_company_lines_not_the_recipients() -> None:
    import re

    from parser_service_invoices.schema import ISSUER_LINE

    companies = ["Bei Spiel GmbH", "FACTUUR. Coolblue B.V.", "Polski Koncern Naftowy ORLEN S.A.", "Oravel Stays Pvt. Ltd."]
    others = ["ATTN: iViveLabs Limited", "Bill to: ACME Ltd", "Alexandre Payet", "Total incl. VAT", "such as this"]
    assert all(re.search(ISSUER_LINE, line) for line in companies)
    assert not any(re.search(ISSUER_LINE, line) for line in others)


def test_numbers_after_registration_labels_are_not_offered_as_the_invoice_number() -> None:
    from parser_service.text.spans import codes, far_from

    text = "FACTURE N° FA-2017-0010\nN° TVA intracom : FR19787878784\nPage 1/1 - 2015"
    found = codes(text, 24)
    assert "1/1" not in found and "2015" not in found  # a page number, a year alone
    assert far_from(text, found, ["tva"]) == ["FA-2017-0010"]
    assert far_from(text, found, ["iban"]) == found  # no such label: nothing dropped


def test_a_letterhead_line_offers_its_parts() -> None:
    text = "Au bon moulin SARL - 1242 chemin de l'olive - 84340 Malaucène - France\nAlexandre Payet"
    found = text_spans.lines(text, 48)
    assert "Au bon moulin SARL" in found and "84340 Malaucène" in found
    assert found.index("Au bon moulin SARL") < found.index("Alexandre Payet")  # order of appearance


def test_percentages_are_no_amounts_and_a_space_grouped_number_is_offered_split() -> None:
    found = text_spans.amounts("TVA collectée 20,0 % -20,48 €\nTotal 1 278.61 40.39 319.00\nRemise 10% 5,00", 16)
    assert "20,0" not in found and "10" not in found
    assert {"-20,48", "1 278.61", "278.61", "40.39", "319.00", "5,00"} <= set(found)
    assert "000,00" not in text_spans.amounts("capital de 120 000,00 €", 16)  # a group never starts with 0


def test_amounts_are_not_identifiers() -> None:
    assert text_spans.codes("Netto 400.00 EUR Rechnung RE-20201121/508", 24) == ["RE-20201121/508"]


def test_a_value_under_a_row_of_labels_is_the_one_as_far_along_as_its_label() -> None:
    text = (
        "Klant Order Factuur datum Factuur Vervaldatum\n"
        "SCONL0303006280999 SCONL000000444 8-9-2022 VF1005193039 22-9-2022\n"
    )
    dates = text_spans.dates(text, 24)
    assert text_spans.labelled(text, dates, ["vervaldatum"]) == ["22-9-2022"]
    assert text_spans.far_from(text, dates, ["vervaldatum"]) == ["8-9-2022"]
    codes = text_spans.codes(text, 24)
    assert text_spans.labelled(text, codes, ["klant"]) == ["SCONL0303006280999"]
    assert "VF1005193039" in text_spans.labelled(text, codes, ["factuur"])
    assert text_spans.labelled(text, codes, ["iban"]) == [] and text_spans.near(text, codes, ["iban"]) == codes


def test_the_invoice_date_is_not_a_due_order_or_debit_date() -> None:
    from parser_service_invoices.schema import Invoice

    text = (
        "Order Date: 15-10-2015\nInvoice Date: 20-10-2015\n"
        "Facture n°562044387 du 02 Juillet 2015\nDate limite de paiement le 05 Juillet 2015\n"
    )
    schema = generation_schema(Invoice, ["date"], text).json_schema
    assert schema["properties"]["date"]["enum"] == ["20-10-2015"]  # named outright, the order date before it not


def test_a_span_written_elsewhere_without_the_label_stays() -> None:
    text = "Factuurdatum: 29 maart 2014\nOrderdatum: 29 maart 2014\nBetaald op 31 maart 2014"
    assert text_spans.far_from(text, text_spans.dates(text, 24), ["orderdatum"]) == ["29 maart 2014", "31 maart 2014"]
    assert text_spans.far_from(text, text_spans.dates(text, 24), ["betaald op"]) == ["29 maart 2014"]


def test_labels_are_found_whatever_the_case_and_accents():
    from parser_service.text.spans import folded, labelled

    text = "Date d'échéance : 02/03/2026 NET A PAYER 104,90 EUR\nStraße 5"
    assert labelled(text, ["104,90", "02/03/2026"], ["net à payer"]) == ["104,90"]
    assert labelled(text, ["02/03/2026"], ["DATE D'ECHEANCE"]) == ["02/03/2026"]
    assert len(folded(text)) == len(text)  # positions in the folded text are positions in the text


def test_a_value_right_after_its_label_outranks_one_further_along() -> None:
    text = "N° BON DE VENTE : SALES REF 2547\nFACTURE N° : F20260023\nSubtotal: 90.00\nTotal: 100.00"
    codes = text_spans.codes(text, 24)
    assert text_spans.near(text, codes, ["n°", "facture n°"], right_after=True) == ["F20260023"]
    assert text_spans.near(text, codes, ["n°", "facture n°"]) == ["2547", "F20260023"]
    assert text_spans.labelled(text, codes, ["n°"]) == ["2547", "F20260023"]  # both within reach of "n°"
    amounts = text_spans.amounts(text, 16)
    assert text_spans.tightly_labelled(text, amounts, ["total"]) == ["100.00"]  # "total" is no word in "Subtotal"
    assert text_spans.tightly_labelled("Total: 100.005 EUR", ["100.00"], ["total"]) == []  # the span must end a word
    assert text_spans.tightly_labelled("Amount due: $4.11", ["4.11"], ["amount due"]) == ["4.11"]


def test_a_value_with_a_label_of_its_own_is_not_under_the_label_above() -> None:
    # a ZUGFeRD sample's header: "KUNDE" ends a name, the next line has its own label
    text = "MUSTERLIEFERANT GMBH   MUSTER-KUNDE GMBH\nBeleg-Nr   : RK21012345\nKunden-Nr. : 009420\n"
    codes = text_spans.codes(text, 24)
    assert text_spans.far_from(text, codes, ["kunde"]) == ["RK21012345"]
    assert text_spans.near(text, text_spans.far_from(text, codes, ["kunde"]), ["beleg-nr"], right_after=True) == ["RK21012345"]
    # a row of values under a row of labels is still read by column
    assert text_spans.labelled("Kunde Beleg\nK-0042 RK21012345", ["K-0042", "RK21012345"], ["kunde"]) == ["K-0042"]


def test_a_two_column_line_offers_each_column() -> None:
    found = text_spans.lines("MUSTERLIEFERANT GMBH   MUSTER-KUNDE GMBH\n", 48)
    assert found == ["MUSTERLIEFERANT GMBH   MUSTER-KUNDE GMBH", "MUSTERLIEFERANT GMBH", "MUSTER-KUNDE GMBH"]


def test_a_totals_table_offers_its_column_in_the_last_row_of_figures() -> None:
    # a ZUGFeRD sample's totals: a row per tax rate, then the sum; then the footer
    text = (
        "Warenwert   Nettobetrag   MwSt-Betrag   MwSt-%   Endbetrag\n"
        "326,50   321,40   61,07   19,0   382,47\n"
        "130,70   127,59   8,93   7,0   136,52\n"
        "457,20   448,99   70,00   EUR   518,99\n"
        "MUSTERLIEFERANT GMBH   Geschäftsführung: 12,00\n"
    )
    spans = text_spans.amounts(text, 16)
    assert text_spans.labelled(text, spans, ["endbetrag"]) == ["518,99"]  # the sum, not a rate's
    # a row of words ends the table: what follows is not under the label
    assert "12,00" not in text_spans.labelled(text, spans, ["endbetrag", "warenwert"])
    # an item row under a header is read, the rows after it are not figures alone
    items = "Menge   Preis   Betrag\n2 Stk. Joghurt   5,50   11,00\n3,00   4,00   12,00\n"
    assert text_spans.labelled(items, text_spans.amounts(items, 16), ["betrag"]) == ["11,00"]


def test_a_totals_table_is_read_by_column_counted_from_the_nearer_end() -> None:
    # the whole header of that sample: labels of one and two words, columns left empty
    # in one row (no freight at 7%); counted in words from the right, each label finds
    # its figure in every row
    text = (
        "Warenwert Zu-/Abschlag Fracht-Verp-Vers Skonto sofort   Nettobetrag   MwSt-Betrag MwSt-%   Endbetrag\n"
        "326,50   -8,10   3,00   321,40   61,07   19,0   382,47\n"
        "130,70   -3,11   127,59   8,93   7,0   136,52\n"
        "457,20   -11,21   3,00   448,99   70,00   EUR   518,99\n"
    )
    spans = text_spans.amounts(text, 16)
    assert text_spans.labelled(text, spans, ["nettobetrag"]) == ["448,99"]
    assert text_spans.labelled(text, spans, ["mwst-betrag"]) == ["70,00"]
    assert text_spans.labelled(text, spans, ["warenwert"]) == ["457,20"]
    # the row at 7% has no freight: its figures are still found by column
    one_row = text.split("\n")[0] + "\n" + text.split("\n")[2] + "\n"
    assert text_spans.labelled(one_row, text_spans.amounts(one_row, 16), ["nettobetrag"]) == ["127,59"]


def test_a_name_broken_over_two_lines_is_offered_whole() -> None:
    import re

    from parser_service_invoices.schema import ISSUER_LINE

    text = "MVM Musterhafter\nVersicherungsverein Musterstadt a.G.\nHerrn\nMax Mustermann\n"
    found = text_spans.lines(text, 64)
    assert "MVM Musterhafter\nVersicherungsverein Musterstadt a.G." in found
    preferred = text_spans.preferred(found, ISSUER_LINE)
    # the name whole and its second line; not the name run on into the next line
    assert preferred == ["MVM Musterhafter\nVersicherungsverein Musterstadt a.G.", "Versicherungsverein Musterstadt a.G."]
    assert not re.search(ISSUER_LINE, "Ihr Zeichen: AB-312")  # a reference, not Aktiebolag
    # a labelled line does not run on
    assert not any("\n" in span for span in text_spans.lines("Order Ref\nDue: 12.03.2024\n", 64))


def test_the_issuer_is_the_line_under_its_label_and_not_the_recipients() -> None:
    from parser_service_invoices.schema import Invoice

    text = (
        "Rechnungsersteller\nLieferant GmbH\nLieferantenstraße 20   RECHNUNG\n"
        "Rechnungsempfänger   Kundennummer   GE2020211\nKunden AG Mitte   Beträge in   EUR\n"
        "Ihr Zeichen: AB-312   Ihre USt.-IdentNr.: DE234567890\n"
    )
    schema = generation_schema(Invoice, ["issuer"], text).json_schema
    assert schema["properties"]["issuer"] == {"enum": ["Lieferant GmbH"]}
    # without an issuer label, the line under a recipient's label is not offered
    text = "Brightside Trading Ltd, 4 Quay Road\nInvoice 42\nBill to:\nACME Ltd\n12 High Street\n"
    schema = generation_schema(Invoice, ["issuer"], text).json_schema
    assert "ACME Ltd" not in schema["properties"]["issuer"]["enum"]
    assert "Brightside Trading Ltd, 4 Quay Road" in schema["properties"]["issuer"]["enum"]


def test_the_date_on_a_letter_style_header_line_is_offered_and_a_contract_date_is_not() -> None:
    from parser_service_invoices.schema import Invoice

    text = (
        "Sachversicherungsvertrag Nr: 00.123.456.7   18. April 2014\n"
        "zu Ihrer Versicherung für den Zeitraum vom\n21.05.2014 bis\n21.05.2015 nachstehenden Beitrag\n"
        "Beleg-Datum   : 06.10.2013\nVertrags-Datum   : 01.04.2013\n"
    )
    schema = generation_schema(Invoice, ["date"], text).json_schema
    offered = schema["properties"]["date"]["enum"]
    assert offered == ["18. April 2014"]  # the first; the contract date and the period's are not offered


def test_a_label_naming_the_invoice_number_outright_outranks_any_number() -> None:
    from parser_service_invoices.schema import Invoice

    text = (
        "Zahlungsreferenz:   Kundennummer:. 22334455 Rechnungsnummer:. 6069999998\n"
        "Verkäufer\nNummer:   549910\nGlobale Nummer:   4000001123452 (GLN)\n"
    )
    schema = generation_schema(Invoice, ["invoice_number"], text).json_schema
    assert schema["properties"]["invoice_number"] == {"enum": ["6069999998"]}
    # without it, the numbers after the generic labels are offered as before
    generic = text.split("\n", 1)[1]
    schema = generation_schema(Invoice, ["invoice_number"], generic).json_schema
    assert set(schema["properties"]["invoice_number"]["enum"]) == {"549910", "4000001123452"}


def test_the_issuer_is_read_in_the_sellers_block_of_an_e_invoice_rendering() -> None:
    from parser_service_invoices.schema import Invoice

    # a ZUGFeRD 2 visualisation: a block per party, each under a heading alone on its line
    text = (
        "Handelsrechnung (380) Nr. 6069999999 vom 02.05.2026 - RECHNUNG\n"
        "Zahlungsreferenz:   Kundennummer:. 8888855555 Rechnungsnummer:. 6069999999\n"
        "Verkäufer\nGlobale Nummer:   GLN4000000000 (GLN)\nName: Lieferant GmbH & Co. KG\n"
        "Ansprechpartner:   Georg Verkäufer\n"
        "Käufer/Leistungsempfänger\nNummer:   21212121\nName:   Muster Maschinenbau GmbH\n"
        "Abweichender Warenempfänger\nName:   Muster Maschinenbau GmbH\n"
    )
    schema = generation_schema(Invoice, ["issuer", "invoice_number"], text).json_schema
    assert schema["properties"]["issuer"] == {"enum": ["Lieferant GmbH & Co. KG"]}
    assert schema["properties"]["invoice_number"] == {"enum": ["6069999999"]}
    # the buyer's block alone is left out; a line written outside it stays
    found = text_spans.lines(text, 64)
    assert "Muster Maschinenbau GmbH" not in text_spans.outside_blocks(text, found, ["käufer", "abweichender"])
    assert "Lieferant GmbH & Co. KG" in text_spans.outside_blocks(text, found, ["käufer", "abweichender"])


def test_the_number_after_the_documents_own_name_is_the_invoice_number() -> None:
    from parser_service_invoices.schema import Invoice

    text = (
        "Handelsrechnung (380) Nr. 47110818 vom 31.05.2026\n"
        "Verkäufer\nNummer:   549910\nGlobale Nummer:   4000001123452 (GLN)\n"
        "Ursprungsbeleg-Nr : R87654321012345\n"
    )
    schema = generation_schema(Invoice, ["invoice_number"], text).json_schema
    # not the type code in parentheses, not an 8-digit number read as the year 4711
    assert schema["properties"]["invoice_number"] == {"enum": ["47110818"]}
    assert "47110818" in text_spans.codes(text, 24)
    assert text_spans.tightly_labelled(text, ["47110818"], ["rechnung"]) == []  # in a word only when asked
    assert text_spans.tightly_labelled(text, ["47110818"], ["rechnung"], in_words=True) == ["47110818"]


def test_labels_are_matched_as_folded_and_as_written_without_umlauts() -> None:
    assert text_spans.label_forms(["Fällig", "Straße", "total"]) == ["fallig", "faellig", "strase", "strasse", "total"]
    text = "Rechnungsempfaenger: Muster GmbH\nBetrag 12,00\n"
    assert text_spans.labelled(text, ["Muster GmbH"], ["rechnungsempfänger"]) == ["Muster GmbH"]
    assert text_spans.near(text, ["12,00"], ["steuer"], only=True) == []
    assert text_spans.near(text, ["12,00"], ["steuer"]) == ["12,00"]


def test_a_value_with_its_own_label_is_not_the_one_under_the_header_above() -> None:
    text = "FACTUUR   ONZE REFERENTIE   UW REFERENTIE\nNr.   16117778   Exact Online   BE0882555389\n"
    assert text_spans.labelled(text, ["16117778"], ["referentie"]) == []
    assert text_spans.labelled(text, ["16117778"], ["nr."]) == ["16117778"]


def test_a_span_occurs_whole_only() -> None:
    assert not text_spans.occurs("9314110911", "Nr. 9314110911/00/M/00/N vom 01.03.2026")
    assert text_spans.occurs("9314110911", "Nummer:   9314110911\n")


def test_amounts_check_each_match_against_the_dates_once(monkeypatch) -> None:
    """Whether an amount lies in a date is one sweep over the dates, not a pass over
    every date for every amount: that was quadratic, hours for a 40 MB text. Counted as
    the amount matches' ``start()`` calls, which the old check made once per date."""
    calls = 0

    class CountedMatch:
        def __init__(self, match):
            self._match = match

        def start(self, *group):
            nonlocal calls
            calls += 1
            return self._match.start(*group)

        def __getattr__(self, name):
            return getattr(self._match, name)

    class CountedPattern:
        def __init__(self, pattern):
            self._pattern = pattern

        def finditer(self, *args):
            return (CountedMatch(m) for m in self._pattern.finditer(*args))

    monkeypatch.setattr(text_spans, "_AMOUNT", CountedPattern(text_spans._AMOUNT))
    # the same few amounts again and again: every match is read, none ends the search early
    text = " ".join(f"{i % 28 + 1:02d}.01.2020 {i % 3}2.50 EUR" for i in range(2000))
    assert text_spans.amounts(text, 16) == ["02.50", "12.50", "22.50"]  # nothing from inside the dates
    assert calls < 5 * 2000  # 2,000 matches; the old check called start() for each date, for each
