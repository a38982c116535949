"""TextParser and the shared encoding helpers."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from parser_service.errors import EncodingError
from parser_service.parsers.encoding import decode_text, looks_like_text, split_lines
from parser_service.parsers.text import TextParser

DATA = Path(__file__).resolve().parent.parent / "data"
ENCODING_MESSAGE = "could not detect the text encoding (tried UTF-8, windows-1252, latin-1)"


def test_orlen_invoice_blocks_with_line_provenance() -> None:
    path = DATA / "Orlen.txt"
    parser = TextParser()
    assert parser.sniff(path, path.read_bytes()[:8192])
    pages = parser.parse(path, "Orlen.txt")
    assert len(pages) == 1 and pages[0].number == 1
    blocks = pages[0].blocks
    assert blocks[0].text.startswith("Faktura nr: F 1234K20/1234/12")
    assert blocks[0].provenance.line_start == blocks[0].provenance.line_end == 1
    assert "Adres:             Chemików 7 09-411 Płock" in pages[0].text
    total = next(b for b in blocks if b.text.startswith("Należność ogółem"))
    assert total.text == "Należność ogółem: 316,83 PLN"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[total.provenance.line_start - 1] == total.text
    assert all(block.text.strip() for block in blocks)  # blank lines give no block


def test_blank_lines_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"first\r\n\r\n  second  \rthird\n")
    blocks = TextParser().parse(path, "note.txt")[0].blocks
    assert [(b.text, b.provenance.line_start) for b in blocks] == [
        ("first", 1),
        ("  second", 3),
        ("third", 4),
    ]


def test_decode_utf8_bom_is_stripped() -> None:
    assert decode_text(codecs.BOM_UTF8 + "Größe".encode(), "f.txt") == "Größe"


def test_decode_windows_1252_and_latin1() -> None:
    assert decode_text("Preis: 5 € – “netto”".encode("cp1252"), "f.txt") == "Preis: 5 € – “netto”"
    assert decode_text("Café Zürich".encode("latin-1"), "f.txt") == "Café Zürich"
    # 0x81 is undefined in windows-1252: only latin-1 decodes it, and charset-normalizer agrees
    data = "Name;Stadt;Notiz\nJosé;Zürich;Grüße aus der Schweiz\n".encode("latin-1")
    data += b"Anna;Bern;\x81\n"
    assert decode_text(data, "f.txt").startswith("Name;Stadt;Notiz\nJosé;Zürich")


@pytest.mark.parametrize(
    "data",
    [
        "Hello world\n".encode("utf-16-le"),  # UTF-16 without BOM: NULs
        b"\x00\x01\x02binary",
        bytes(range(1, 32)) * 20,  # control characters, no NUL
        codecs.BOM_UTF8 + "Gr\xfc\xdfe".encode("latin-1"),  # BOM says UTF-8, bytes are not
    ],
)
def test_undecodable_bytes(data: bytes) -> None:
    with pytest.raises(EncodingError) as info:
        decode_text(data, "bad.txt")
    assert str(info.value) == f"bad.txt: {ENCODING_MESSAGE}"
    assert info.value.filename == "bad.txt"
    assert not looks_like_text(data)


def test_looks_like_text_tolerates_a_cut_utf8_sequence() -> None:
    head = "Zürich;München\n".encode() * 10 + "Zü".encode()[:-1]
    assert looks_like_text(head)
    assert not looks_like_text(b"")


def test_split_lines_handles_all_line_endings() -> None:
    assert split_lines("a\nb\r\nc\rd") == ["a", "b", "c", "d"]
    assert split_lines("a\r\r\nb\n") == ["a", "", "b"]
    assert split_lines("x\x85y\u2028z") == ["x\x85y\u2028z"]  # only CR/LF break lines


def test_an_over_long_line_becomes_blocks_cut_after_a_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read line by line downstream, one line of megabytes cost hours (each label found
    on it read the rest of the line): a line past MAX_TEXT_LINE_CHARS is cut, nothing lost."""
    from parser_service.parsers import limits

    monkeypatch.setattr(limits, "MAX_TEXT_LINE_CHARS", 100)
    words = " ".join(f"word{i:03d}" for i in range(200))  # 1,599 characters, one line
    unbroken = "x" * 250
    path = tmp_path / "long.txt"
    path.write_text(f"Invoice 42\n{words}\n{unbroken}\nTotal 12.50\n", encoding="utf-8")
    blocks = TextParser().parse(path, "long.txt")[0].blocks
    assert blocks[0].text == "Invoice 42" and blocks[-1].text == "Total 12.50"
    cut = [b for b in blocks if b.provenance.line_start == 2]
    assert len(cut) > 1 and all(len(b.text) <= 100 for b in cut)
    assert " ".join(b.text for b in cut) == words  # cut after spaces: every word whole
    assert all(b.provenance.line_end == 2 for b in cut)
    hard = [b.text for b in blocks if b.provenance.line_start == 3]
    assert hard == ["x" * 100, "x" * 100, "x" * 50]
    assert len(blocks) == 2 + len(cut) + 3
