"""Format detection and parse_file, end to end over the built-in parsers."""

from __future__ import annotations

import codecs
import hashlib
import random
import shutil
import zipfile
from pathlib import Path

import pytest

import parser_service.parsers as parsers_package
from parser_service.errors import (
    EmptyFileError,
    EncodingError,
    FileNotFound,
    FileTooLargeError,
    InputError,
    UnsupportedFormatError,
)
from parser_service.parsers import BUILTIN_PARSERS, builtin_parsers
from parser_service.parsers.base import Parser
from parser_service.parsers.encoding import UTF16_WITHOUT_BOM
from parser_service.parsers.limits import MAX_CSV_RECORD_CHARS
from parser_service.parsers.sniff import detect, parse_file

DATA = Path(__file__).resolve().parent.parent / "data"
UNSUPPORTED = "unsupported file type (not a PDF, XLSX, CSV or text file)"


@pytest.mark.parametrize(
    ("name", "parser_name", "media_type"),
    [
        ("oyo.pdf", "pdf", "application/pdf"),
        ("QualityHosting.pdf", "pdf", "application/pdf"),
        ("gls.csv", "csv", "text/csv"),
        ("creditunion.csv", "csv", "text/csv"),
        ("20180226-1000594757-umsatz.CSV", "csv", "text/csv"),
        ("Orlen.txt", "text", "text/plain"),
    ],
)
def test_detect_real_documents(name: str, parser_name: str, media_type: str) -> None:
    parser = detect(DATA / name, builtin_parsers(), name)
    assert (parser.name, parser.media_type) == (parser_name, media_type)


def test_detect_ignores_the_file_name(tmp_path: Path) -> None:
    disguised = tmp_path / "invoice.csv"
    shutil.copy(DATA / "oyo.pdf", disguised)
    assert detect(disguised, builtin_parsers(), "invoice.csv").name == "pdf"


def test_builtin_parsers_in_priority_order() -> None:
    instances = builtin_parsers()
    assert [p.name for p in instances] == ["pdf", "xlsx", "csv", "text"]
    assert [p.priority for p in instances] == sorted(p.priority for p in instances)
    assert all(issubclass(cls, Parser) for cls in BUILTIN_PARSERS)
    assert parsers_package.builtin_parsers is builtin_parsers


def test_detect_tries_parsers_by_priority_not_list_order() -> None:
    order = list(reversed(builtin_parsers()))
    assert detect(DATA / "gls.csv", order, "gls.csv").name == "csv"


def test_parse_file_builds_a_document() -> None:
    path = DATA / "oyo.pdf"
    document = parse_file(path, builtin_parsers())
    assert document.filename == "oyo.pdf"
    assert document.media_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document.size == path.stat().st_size
    assert "IBZY2087" in document.text
    assert document.summary()["pages"] == 1


def test_parse_file_uses_the_given_name(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    shutil.copy(DATA / "gls.csv", path)
    document = parse_file(path, builtin_parsers(), filename="gls.csv")
    assert document.filename == "gls.csv"
    assert document.media_type == "text/csv"
    assert document.pages[0].tables[0].header[3] == "Auftraggeber/Empfänger"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFound) as info:
        parse_file(tmp_path / "nope.pdf", builtin_parsers())
    assert str(info.value) == "nope.pdf: no such file"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError) as info:
        parse_file(tmp_path, builtin_parsers(), filename="folder")
    assert str(info.value) == "folder: is a directory"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError) as info:
        parse_file(path, builtin_parsers())
    assert str(info.value) == "empty.csv: the file is empty"


def test_binary_garbage_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(random.Random(0).randbytes(20000))
    with pytest.raises(UnsupportedFormatError) as info:
        parse_file(path, builtin_parsers())
    assert str(info.value) == f"garbage.bin: {UNSUPPORTED}"


def test_garbage_without_nul_bytes_is_unsupported(tmp_path: Path) -> None:
    data = bytes(b for b in random.Random(0).randbytes(20000) if b)
    path = tmp_path / "noise.dat"
    path.write_bytes(data)
    with pytest.raises(UnsupportedFormatError):
        parse_file(path, builtin_parsers())


def test_zip_named_xlsx_without_a_workbook_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report/summary.txt", "total: 12\n" * 50)
        archive.writestr("report/data.csv", "a,b\n1,2\n")
    with pytest.raises(UnsupportedFormatError) as info:
        parse_file(path, builtin_parsers())
    assert str(info.value) == f"report.xlsx: {UNSUPPORTED}"


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")], ids=["le", "be"]
)
def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path, bom: bytes, codec: str) -> None:
    csv_path, text_path = tmp_path / "export.csv", tmp_path / "letter.txt"
    csv_path.write_bytes(bom + "Datum;Empf\u00e4nger;Betrag\r\n01.02.2024;M\u00fcller;-2,50\r\n".encode(codec))
    text_path.write_bytes(bom + "Sehr geehrte Frau M\u00fcller,\r\nvielen Dank.\r\n".encode(codec))
    document = parse_file(csv_path, builtin_parsers())
    assert document.media_type == "text/csv"
    table = document.pages[0].tables[0]
    assert table.header == ["Datum", "Empf\u00e4nger", "Betrag"]
    assert table.rows[0].values == ["01.02.2024", "M\u00fcller", "-2,50"]
    letter = parse_file(text_path, builtin_parsers())
    assert letter.media_type == "text/plain"
    assert [block.text for block in letter.pages[0].blocks] == ["Sehr geehrte Frau M\u00fcller,", "vielen Dank."]


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Date,Amount\n2024-01-01,5\n".encode("utf-16-le"))
    with pytest.raises(EncodingError) as info:
        parse_file(path, builtin_parsers())
    assert str(info.value) == f"export.csv: {UTF16_WITHOUT_BOM}"


def test_a_nul_byte_in_the_first_bytes_of_a_text_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"Date,Amount\r\n2024-01-01,\x005.00\r\n" + b"2024-01-02,1.00\r\n" * 10)
    with pytest.raises(EncodingError) as info:
        detect(path, builtin_parsers(), "export.csv")
    assert str(info.value) == (
        "export.csv: contains a NUL byte at offset 24 (line 2): text holds none, so the file is damaged "
        "or is not a text or CSV file"
    )


def test_binary_bytes_with_nuls_stay_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(3).randbytes(2000))
    with pytest.raises(UnsupportedFormatError):
        parse_file(path, builtin_parsers())


def test_a_nul_after_the_first_bytes_is_named(tmp_path: Path) -> None:
    head = b"Date,Description,Amount\n" + b"2024-01-01,Coffee,2.50\n" * 600
    path = tmp_path / "broken.csv"
    path.write_bytes(head + b"\x00\x00\x81\x00garbage\x00")
    assert len(head) > 8192
    with pytest.raises(EncodingError) as info:
        parse_file(path, builtin_parsers())
    assert info.value.filename == "broken.csv"
    assert f"contains a NUL byte at offset {len(head):,} (line 602)" in str(info.value)


def test_a_csv_of_10000_columns_is_a_csv_not_text(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"col{i}" for i in range(10_000))
    path.write_text(header + "\n" + "".join(",".join(str(r * 10_000 + i) for i in range(10_000)) + "\n" for r in range(3)))
    document = parse_file(path, builtin_parsers())
    assert document.media_type == "text/csv"
    assert len(document.pages[0].tables[0].rows) == 3


def test_a_csv_whose_second_line_is_past_the_sniff_window_is_refused_for_that_line(tmp_path: Path) -> None:
    """Detected as CSV (it was text/plain: a bank plugin then refused "text/plain"), then
    refused by the CSV reader's row limit, naming the line."""
    path = tmp_path / "export.csv"
    path.write_text("date,amount,description\n2024-01-01,12.50," + "x" * (3 * MAX_CSV_RECORD_CHARS) + "\n"
                    + "".join(f"2024-01-{day:02d},{day}.00,coffee\n" for day in range(2, 8)))
    assert detect(path, builtin_parsers(), path.name).media_type == "text/csv"
    with pytest.raises(FileTooLargeError) as info:
        parse_file(path, builtin_parsers())
    assert info.value.filename == "export.csv"
    assert str(info.value) == (f"export.csv: line 2 is longer than {MAX_CSV_RECORD_CHARS:,} characters, "
                               "the most a CSV row may hold: the document is refused")


def test_all_input_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError) as info:
        parse_file(path, builtin_parsers())
    assert info.value.filename == "x.bin"
    assert str(info.value).startswith("x.bin: ")


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Invoices"
    workbook.active.append(["Number", "Total"])
    workbook.active.append(["INV-1", 12.5])
    workbook.save(path)
    return path


def test_parse_file_xlsx(tmp_path: Path) -> None:
    document = parse_file(_workbook(tmp_path / "book.bin"), builtin_parsers())
    assert document.media_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert document.pages[0].name == "Invoices"
    assert document.text == "Number | Total\nINV-1 | 12.5"


def test_truncated_xlsx_is_corrupt_not_unsupported(tmp_path: Path) -> None:
    from parser_service.errors import CorruptFileError

    data = _workbook(tmp_path / "full.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError):
        parse_file(path, builtin_parsers())


@pytest.mark.parametrize("how", ["truncated", "encrypted"])
def test_damaged_pdfs_through_parse_file(tmp_path: Path, how: str) -> None:
    from parser_service.errors import CorruptFileError, EncryptedFileError

    path = tmp_path / f"{how}.pdf"
    if how == "truncated":
        data = (DATA / "QualityHosting.pdf").read_bytes()
        path.write_bytes(data[: len(data) // 2])
        expected: type[InputError] = CorruptFileError
    else:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(DATA / "QualityHosting.pdf"))
        writer.encrypt("pw", algorithm="AES-128")
        with path.open("wb") as handle:
            writer.write(handle)
        expected = EncryptedFileError
    with pytest.raises(expected) as info:
        parse_file(path, builtin_parsers())
    assert info.value.filename == f"{how}.pdf"
