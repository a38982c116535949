"""Expected outputs from the XML an e-invoice carries (Factur-X, ZUGFeRD 1 and 2, XRechnung CII).

Such a PDF embeds its own data as UN/CEFACT Cross Industry Invoice XML, written by
the software that issued it. That makes it third-party truth for ``parser-service
eval``: ``python -m parser_service_invoices.einvoice DOC.pdf ...`` writes
``DOC.embedded.xml`` beside each document, and the plugin reads it as the expected
output. The mapping is mechanical: the header's number, issue date, seller name,
currency and monetary summation, nothing guessed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from parser_service_invoices import EMBEDDED_XML

#: Names under which e-invoice standards embed their XML.
XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def embedded_xml(pdf: Path) -> bytes | None:
    """The e-invoice XML attached to ``pdf``, or None when it carries none."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            if attachment.get_name().lower() in XML_NAMES:
                return bytes(attachment.get_data())
        return None
    finally:
        document.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first(root: ET.Element, *path: str) -> ET.Element | None:
    """The first element reached by local names ``path``, each a descendant of the last."""
    found = root
    for name in path:
        step = next((e for e in found.iter() if _local(e.tag) == name and e is not found), None)
        if step is None:
            return None
        found = step
    return found


def _either(first: ET.Element | None, second: ET.Element | None) -> ET.Element | None:
    return first if first is not None else second


def _child(parent: ET.Element | None, name: str) -> str | None:
    if parent is None:
        return None
    element = next((e for e in parent if _local(e.tag) == name), None)
    text = " ".join(element.text.split()) if element is not None and element.text else ""
    return text or None


def _amount(summation: ET.Element | None, name: str, currency: str | None) -> float | None:
    """The summation's amount ``name``, in the invoice currency where it is given in several."""
    if summation is None:
        return None
    amounts = [e for e in summation if _local(e.tag) == name and e.text]
    chosen = next((e for e in amounts if e.get("currencyID") in (None, currency)), None)
    return round(float(chosen.text), 2) if chosen is not None and chosen.text else None


def _issue_date(header: ET.Element | None) -> str | None:
    stamp = _first(header, "IssueDateTime", "DateTimeString") if header is not None else None
    text = (stamp.text or "").strip() if stamp is not None else ""
    if len(text) != 8 or not text.isdigit():
        return None
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


def expected_from_xml(xml: bytes) -> dict[str, Any]:
    """The invoice fields of a Cross Industry Invoice (or ZUGFeRD 1 CrossIndustryDocument)."""
    root = ET.fromstring(xml)
    # Factur-X and ZUGFeRD 2 name these parts one way, ZUGFeRD 1 the other.
    header = _either(_first(root, "ExchangedDocument"), _first(root, "HeaderExchangedDocument"))
    settlement = _either(
        _first(root, "ApplicableHeaderTradeSettlement"), _first(root, "ApplicableSupplyChainTradeSettlement")
    )
    currency = _child(settlement, "InvoiceCurrencyCode")
    summation = None
    if settlement is not None:
        summation = next((e for e in settlement if _local(e.tag).endswith("MonetarySummation")), None)
    values = {
        "invoice_number": _child(header, "ID"),
        "type_code": _child(header, "TypeCode"),
        "date": _issue_date(header),
        "issuer": _child(_first(root, "SellerTradeParty"), "Name"),
        "buyer": _child(_first(root, "BuyerTradeParty"), "Name"),
        "currency": currency,
        "amount": _amount(summation, "GrandTotalAmount", currency),
        "amount_untaxed": _amount(summation, "TaxBasisTotalAmount", currency),
        "tax_total": _amount(summation, "TaxTotalAmount", currency),
        "due_payable": _amount(summation, "DuePayableAmount", currency),
    }
    return {name: value for name, value in values.items() if value is not None}


def write_sidecar(pdf: Path) -> Path | None:
    """Write ``pdf``'s embedded XML beside it as ``NAME.embedded.xml``; None when it has none."""
    xml = embedded_xml(pdf)
    if xml is None:
        return None
    target = pdf.with_name(pdf.stem + EMBEDDED_XML)
    target.write_bytes(xml)
    return target


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m parser_service_invoices.einvoice DOC.pdf ...", file=sys.stderr)
        return 2
    missing = 0
    for name in argv:
        try:
            written = write_sidecar(Path(name))
        except (OSError, pdfium.PdfiumError) as exc:  # not a PDF, damaged, unreadable
            print(f"{name}: cannot read it ({exc})")
            written = None
        else:
            print(f"{name}: {written.name if written else 'no embedded e-invoice XML'}")
        missing += written is None
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
