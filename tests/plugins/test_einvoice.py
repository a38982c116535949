"""Expected outputs read from the XML that real e-invoices embed (Factur-X, ZUGFeRD)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from parser_service_invoices import DOMAIN, einvoice

from tests.conftest import DATA, INVOICE_EXAMPLES

FIELDS = ("invoice_number", "type_code", "date", "issuer", "buyer", "currency", "amount", "amount_untaxed", "tax_total")

#: The header of a ZUGFeRD 1.0 invoice, the older vocabulary (CrossIndustryDocument),
#: as the ZUGFeRD 1.0 samples write it: a name over several lines, a credit of negative amounts.
ZUGFERD_1 = b"""<?xml version='1.0' encoding='UTF-8'?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>RK21012345</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130916</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty><ram:Name>MVM Musterhafter
Versicherungsverein a.G.</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>MUSTER-KUNDE GMBH</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">-7.90</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">-7.67</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">-1.30</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">-1.12</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">-8.79</ram:GrandTotalAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
    <ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">-5.00</ram:LineTotalAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:SpecifiedSupplyChainTradeSettlement></ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""


def test_a_factur_x_pdf_gives_the_expected_output_its_issuer_published() -> None:
    xml = einvoice.embedded_xml(DATA / "Facture_FR_BASICWL.pdf")
    assert xml is not None and b"CrossIndustryInvoice" in xml
    published = json.loads((INVOICE_EXAMPLES / "Facture_FR_BASICWL.expected.json").read_text(encoding="utf-8"))
    got = einvoice.expected_from_xml(xml)
    assert {name: got.get(name) for name in FIELDS} == {name: published.get(name) for name in FIELDS}


def test_zugferd_1_header_totals_in_the_invoice_currency_and_a_name_on_one_line() -> None:
    got = einvoice.expected_from_xml(ZUGFERD_1)
    assert got == {
        "invoice_number": "RK21012345",
        "type_code": "380",
        "date": "2013-09-16",
        "issuer": "MVM Musterhafter Versicherungsverein a.G.",
        "buyer": "MUSTER-KUNDE GMBH",
        "currency": "EUR",
        "amount": -8.79,
        "amount_untaxed": -7.67,
        "tax_total": -1.12,  # not the USD figure, not a line's summation
    }


def test_eval_reads_the_sidecar_written_beside_an_e_invoice(tmp_path: Path) -> None:
    pdf = tmp_path / "Facture_FR_BASICWL.pdf"
    shutil.copy(DATA / "Facture_FR_BASICWL.pdf", pdf)
    assert DOMAIN.expected_for(pdf) is None
    assert einvoice.main([str(pdf)]) == 0
    sidecar = DOMAIN.expected_for(pdf)
    assert sidecar == tmp_path / "Facture_FR_BASICWL.embedded.xml"
    [expected] = DOMAIN.read_expected(sidecar)
    assert expected["amount_tax"] == 46.25 and expected["invoice_number"] == "FA-2017-0010"


def test_a_pdf_without_e_invoice_xml_writes_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "oyo.pdf"
    shutil.copy(DATA / "oyo.pdf", pdf)
    assert einvoice.main([str(pdf)]) == 1
    assert "no embedded e-invoice XML" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [pdf]


def test_a_file_that_is_no_pdf_is_reported_and_the_others_still_written(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 cut short")
    good = tmp_path / "Facture_FR_BASICWL.pdf"
    shutil.copy(DATA / "Facture_FR_BASICWL.pdf", good)
    assert einvoice.main([str(broken), str(good)]) == 1
    assert "broken.pdf: cannot read it" in capsys.readouterr().out
    assert (tmp_path / "Facture_FR_BASICWL.embedded.xml").is_file()
