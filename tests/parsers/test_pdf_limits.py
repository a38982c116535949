"""What a PDF may unpack to: compressed-stream bombs and pages that draw millions of
objects are refused with ``FileTooLargeError`` naming the limit, having held no more
than the limit. The limits are lowered here so that the hostile files stay small."""

from __future__ import annotations

import tracemalloc
import zlib
from pathlib import Path

import pytest

from parser_service.errors import FileTooLargeError
from parser_service.parsers import limits, pdf_limits
from parser_service.parsers.pdf import PdfParser

MiB = 1 << 20
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Invoice 42 total 12.50 EUR) Tj ET\n"


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, filters: bytes = b"/FlateDecode") -> bytes:
    return b"<< /Length %d /Filter %s >>\nstream\n" % (len(data), filters) + data + b"\nendstream"


def _zeros(size: int) -> bytes:
    """``size`` spaces, deflated (about 1,000 to 1)."""
    deflate = zlib.compressobj(9)
    return b"".join(deflate.compress(b" " * MiB) for _ in range(size // MiB)) + deflate.flush()


def _document(tmp_path: Path, pages: list[list[bytes]], name: str = "hostile.pdf") -> Path:
    """A PDF whose pages each have the text ``TEXT`` and then the given (encoded) content streams."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", FONT, _stream(zlib.compress(TEXT))]
    kids = []
    for streams in pages:
        page = len(objects) + 1
        refs = b" ".join(b"%d 0 R" % (page + 1 + i) for i in range(len(streams)))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents [4 0 R %s] >>" % refs)
        objects.extend(streams)
        kids.append(b"%d 0 R" % page)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    path = tmp_path / name
    path.write_bytes(_pdf(objects))
    return path


def _refused(path: Path, words: str) -> None:
    with pytest.raises(FileTooLargeError) as caught:
        PdfParser().parse(path, path.name)
    message = str(caught.value)
    assert message.startswith(f"{path.name}: ") and words in message and "refused" in message


def test_a_flate_bomb_is_refused_holding_no_more_than_the_limit(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 2 * MiB)
    path = _document(tmp_path, [[_stream(_zeros(64 * MiB))]])
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        _refused(path, "a stream of the PDF inflates to more than 2 MiB (the limit per stream)")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB  # pdfminer inflated the whole 64 MiB before


def test_flate_over_flate_is_bounded_at_each_stage(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 2 * MiB)
    twice = zlib.compress(_zeros(64 * MiB), 9)
    path = _document(tmp_path, [[_stream(twice, b"[/FlateDecode /FlateDecode]")]])
    _refused(path, "(the limit per stream)")


def test_a_fonts_to_unicode_stream_is_bounded_too(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 2 * MiB)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        _stream(zlib.compress(TEXT)),
        _stream(_zeros(16 * MiB)),
    ]
    path = tmp_path / "font.pdf"
    path.write_bytes(_pdf(objects))
    _refused(path, "(the limit per stream)")


def test_streams_within_the_stream_limit_are_bounded_in_all(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_STREAM_BYTES", 2 * MiB)
    monkeypatch.setattr(limits, "MAX_PDF_DECODED_BYTES", 5 * MiB)
    one = _stream(_zeros(MiB))
    path = _document(tmp_path, [[one] for _ in range(8)])
    _refused(path, "the PDF's streams inflate to more than 5 MiB in all (the limit per document)")


def test_a_page_of_too_many_characters_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_CHARS", 1000)
    text = b"BT /F1 1 Tf 72 700 Td (" + b"A" * 5000 + b") Tj ET\n"
    path = _document(tmp_path, [[_stream(zlib.compress(text))]])
    _refused(path, "a page of the PDF draws more than 1,000 characters (the limit per page)")


def test_characters_are_bounded_over_the_document(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_CHARS", 1000)
    text = b"BT /F1 1 Tf 72 700 Td (" + b"A" * 400 + b") Tj ET\n"
    path = _document(tmp_path, [[_stream(zlib.compress(text))] for _ in range(4)])
    _refused(path, "the PDF's pages draw more than 1,000 characters (the limit per document)")


def test_a_path_of_too_many_segments_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_SHAPES", 1000)
    path_ops = b"0 0 m\n" + b"1 1 l\n2 2 l\n" * 2500 + b"S\n"
    path = _document(tmp_path, [[_stream(zlib.compress(path_ops))]])
    _refused(path, "a page of the PDF draws more than 1,000 path segments and shapes (the limit per page)")


def test_rectangles_are_bounded_over_the_document(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_SHAPES", 1000)
    rects = b"1 1 2 2 re f\n" * 200
    path = _document(tmp_path, [[_stream(zlib.compress(rects))] for _ in range(4)])
    _refused(path, "(the limit per document)")


def test_too_many_pages_are_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 3)
    path = _document(tmp_path, [[] for _ in range(5)])
    _refused(path, "the PDF has more than 3 pages (the limit)")


def test_pages_within_the_limits_parse_as_before(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 3)
    pages = PdfParser().parse(_document(tmp_path, [[] for _ in range(3)]), "ok.pdf")
    assert [page.text for page in pages] == ["Invoice 42 total 12.50 EUR"] * 3


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x80", bytes([2]) + b"abc" + bytes([253]) + b"x" + b"\x80junk",
                                  bytes([254]) + b"z" + bytes([1]) + b"yz", bytes([5]) + b"ab"])
def test_run_length_decodes_as_pdfminer_does(data: bytes) -> None:
    from pdfminer.runlength import rldecode

    try:
        expected = rldecode(data)
    except (StopIteration, RuntimeError):  # pdfminer fails on a truncated run; we end the data there
        expected = None
    got = pdf_limits._run_length(data, MiB, "limit")
    assert expected is None or got == expected


def test_run_length_and_lzw_stop_past_the_room() -> None:
    with pytest.raises(pdf_limits.LimitExceeded, match="the limit"):
        pdf_limits._run_length(bytes([129, 65]) * 10_000, 100_000, "the limit")  # 1.28 MB
    lzw = _lzw_encode(b"A" * 200_000)
    assert pdf_limits._lzw(lzw, MiB, "limit") == b"A" * 200_000
    with pytest.raises(pdf_limits.LimitExceeded):
        pdf_limits._lzw(lzw, 100_000, "the limit")


def test_outside_a_parse_pdfminer_decodes_as_it_did(tmp_path) -> None:
    from pdfminer.pdftypes import PDFStream, lzwdecode

    PdfParser().parse(_document(tmp_path, [[]]), "ok.pdf")  # the hooks are in
    stream = PDFStream({"Filter": pdf_limits_flate()}, zlib.compress(b" " * 3 * MiB))
    assert stream.get_data() == b" " * 3 * MiB
    assert lzwdecode(_lzw_encode(b"abcabcabc")) == b"abcabcabc"


def pdf_limits_flate():
    from pdfminer.psparser import LIT

    return LIT("FlateDecode")


def _lzw_encode(data: bytes) -> bytes:
    """A minimal LZW encoder as PDF's LZWDecode reads it (early change, MSB first)."""
    out: list[tuple[int, int]] = [(256, 9)]  # (code, width)
    table = {bytes([i]): i for i in range(256)}
    next_code, width, current = 258, 9, b""

    def emit(code: int) -> None:
        nonlocal next_code, width
        out.append((code, width))
        next_code += 1  # the decoder adds an entry per code (one code later: same count)
        if next_code >= 1 << width and width < 12:
            width += 1

    for byte in data:
        if current + bytes([byte]) in table:
            current += bytes([byte])
            continue
        table[current + bytes([byte])] = next_code
        emit(table[current])
        current = bytes([byte])
        if next_code >= 4094:
            out.append((256, width))
            table = {bytes([i]): i for i in range(256)}
            next_code, width = 258, 9
    if current:
        emit(table[current])
    out.append((257, width))
    bits = "".join(format(code, f"0{w}b") for code, w in out)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")
