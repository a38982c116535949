"""PdfParser on real invoices, and on damaged, encrypted and image-only PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from parser_service.document import Page
from parser_service.errors import CorruptFileError, EncryptedFileError, NoTextLayerError
from parser_service.parsers.pdf import PdfParser

DATA = Path(__file__).resolve().parent.parent / "data"


def parse(name: str) -> list[Page]:
    return PdfParser().parse(DATA / name, name)


def inside(bbox: tuple[float, float, float, float], page: Page) -> bool:
    x0, top, x1, bottom = bbox
    assert page.width and page.height
    return 0 <= x0 <= x1 <= page.width and 0 <= top <= bottom <= page.height


def test_sniff_accepts_pdf_magic_after_leading_whitespace() -> None:
    parser = PdfParser()
    head = (DATA / "oyo.pdf").read_bytes()[:8192]
    assert parser.sniff(DATA / "oyo.pdf", head)
    assert parser.sniff(DATA / "oyo.pdf", b"\xef\xbb\xbf\r\n  " + head)
    assert not parser.sniff(DATA / "oyo.pdf", b" " * 1100 + head)
    assert not parser.sniff(DATA / "gls.csv", (DATA / "gls.csv").read_bytes())


def test_oyo_text_words_and_provenance() -> None:
    pages = parse("oyo.pdf")
    assert len(pages) == 1
    page = pages[0]
    assert page.number == 1
    assert (round(page.width or 0), round(page.height or 0)) == (595, 842)
    assert "IBZY2087" in page.text
    assert "Grand Total" in page.text
    booking = [word for word in page.words if word.text == "IBZY2087"]
    assert len(booking) == 1
    assert booking[0].provenance.page == 1
    assert booking[0].provenance.bbox is not None
    assert inside(booking[0].provenance.bbox, page)


def test_blocks_are_lines_in_reading_order() -> None:
    page = parse("oyo.pdf")[0]
    texts = [block.text for block in page.blocks]
    assert texts[0] == "PAYMENT RECEIPT"
    assert texts.index("Booking ID   Payment Mode") < texts.index("IBZY2087   Cash at Hotel")  # two columns
    tops = [block.provenance.bbox[1] for block in page.blocks if block.provenance.bbox]
    assert tops == sorted(tops)
    assert all(block.provenance.page == 1 for block in page.blocks)


def test_quality_hosting_two_pages_with_provenance() -> None:
    pages = parse("QualityHosting.pdf")
    assert [page.number for page in pages] == [1, 2]
    assert "Rechnungsnr.   30064443   Kundennr.   47774" in pages[0].text  # label and value columns
    for page in pages:
        assert page.blocks
        for block in page.blocks:
            assert block.provenance.page == page.number
            assert block.provenance.bbox and inside(block.provenance.bbox, page)
    total = [t for t in pages[1].tables if any(r.values[0] == "Total EUR" for r in t.rows)]
    assert total, "the ruled total box on page 2 is a table"
    row = next(r for r in total[0].rows if r.values[0] == "Total EUR")
    assert row.values == ["Total EUR", "34,73"]
    assert row.provenance.page == 2
    assert row.provenance.bbox and inside(row.provenance.bbox, pages[1])


def test_table_header_detected_on_factur_x_invoice() -> None:
    page = parse("Facture_FR_BASICWL.pdf")[0]
    lines = next(t for t in page.tables if t.header[:2] == ["Description", "Quantité"])
    assert lines.header == ["Description", "Quantité", "Prix unitaire", "Rem.", "Prix HT"]
    assert lines.rows[0].values[0] == "Nougat de l'Abbaye 250g"
    assert lines.provenance.bbox and inside(lines.provenance.bbox, page)
    # a row's bbox lies within its table's bbox
    tx0, ttop, tx1, tbottom = lines.provenance.bbox
    for row in lines.rows:
        assert row.provenance.bbox
        x0, top, x1, bottom = row.provenance.bbox
        assert tx0 <= x0 and x1 <= tx1 and ttop <= top and bottom <= tbottom
    # a two-cell box whose second cell is an amount is data, not a header
    totals = next(t for t in page.tables if any(r.values[0] == "Total TTC" for r in t.rows))
    assert totals.header == []
    assert totals.rows[0].values == ["Total HT", "624,90 €"]


def test_amazon_invoice_number_and_words() -> None:
    page = parse("AmazonWebServices.pdf")[0]
    assert "Invoice Number:   42183017" in page.text
    assert any(word.text == "42183017" for word in page.words)
    assert all(inside(word.provenance.bbox, page) for word in page.words if word.provenance.bbox)


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    data = (DATA / "AmazonWebServices.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError) as info:
        PdfParser().parse(path, "half.pdf")
    assert info.value.filename == "half.pdf"
    assert str(info.value).startswith("half.pdf: the PDF is damaged or truncated (")
    assert info.value.__cause__ is not None


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(DATA / "oyo.pdf"))
    writer.encrypt("secret", algorithm="AES-256")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(EncryptedFileError) as info:
        PdfParser().parse(path, "locked.pdf")
    assert str(info.value) == (
        "locked.pdf: the PDF is encrypted; remove the password and try again"
    )


def test_pdf_with_empty_user_password_still_opens(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(DATA / "oyo.pdf"))
    writer.encrypt("", owner_password="owner", algorithm="AES-256")
    path = tmp_path / "owner-only.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "IBZY2087" in PdfParser().parse(path, "owner-only.pdf")[0].text


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    drawing = canvas.Canvas(str(path))
    drawing.rect(100, 100, 200, 200, fill=1)
    drawing.showPage()
    drawing.line(10, 10, 300, 500)
    drawing.save()
    with pytest.raises(NoTextLayerError) as info:
        PdfParser().parse(path, "scan.pdf")
    assert str(info.value) == (
        "scan.pdf: the PDF has no text layer (a scan?); OCR is not available in parser-service"
    )


def test_many_pages_parse_page_by_page(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "long.pdf"
    drawing = canvas.Canvas(str(path))
    for number in range(1, 41):
        drawing.drawString(72, 720, f"Page marker {number}")
        drawing.showPage()
    drawing.save()
    pages = PdfParser().parse(path, "long.pdf")
    assert [page.number for page in pages] == list(range(1, 41))
    assert pages[39].blocks[0].text == "Page marker 40"
    assert pages[39].words[-1].provenance.page == 40


def test_a_long_pdf_is_spooled_and_read_back_as_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond KEEP_PAGES no page is held: each is read back from the spool, the same
    each time and the same as the pages of a parse that holds them all."""
    from parser_service.bench.large_inputs import statement_pdf
    from parser_service.document import Streamed
    from parser_service.parsers import pdf

    path = statement_pdf(tmp_path, pdf.KEEP_PAGES + 5)
    spooled = PdfParser().parse(path, path.name)
    assert isinstance(spooled, Streamed) and len(spooled) == pdf.KEEP_PAGES + 5
    monkeypatch.setattr(pdf, "KEEP_PAGES", 1000)
    held = PdfParser().parse(path, path.name)
    assert isinstance(held, list)
    assert list(spooled) == held and list(spooled) == held  # read again, page by page
    assert spooled[-1] == held[-1] and spooled[-1].tables and spooled[-1].words


def test_two_columns_on_one_line_stay_apart_and_word_spaces_stay_single(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "columns.pdf"
    sheet = canvas.Canvas(str(path))
    sheet.setFont("Helvetica", 10)
    sheet.drawString(50, 760, "MUSTERLIEFERANT GMBH")  # the seller's column
    sheet.drawString(300, 760, "MUSTER-KUNDE GMBH")  # the buyer's, on the same line
    sheet.drawString(50, 740, "Beleg-Nr : RK21012345")
    sheet.save()
    lines = [block.text for block in PdfParser().parse(path, path.name)[0].blocks]
    assert lines == ["MUSTERLIEFERANT GMBH   MUSTER-KUNDE GMBH", "Beleg-Nr : RK21012345"]
