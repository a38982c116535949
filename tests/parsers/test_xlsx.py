"""XlsxParser on workbooks built here with openpyxl (cached formula values injected)."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import pytest

from parser_service.document import Page, Streamed
from parser_service.errors import CorruptFileError
from parser_service.parsers.base import SNIFF_BYTES
from parser_service.parsers.xlsx import KEEP_ROWS, XlsxParser, _merged_ranges, _merges_from_full_load


def set_cached_values(path: Path, sheet_part: str, cached: dict[str, str]) -> None:
    """Give formula cells the cached value Excel would store (openpyxl computes none)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == sheet_part:
                for formula, value in cached.items():
                    empty = f"<f>{formula}</f><v />".encode()
                    assert empty in data, data
                    data = data.replace(empty, f"<f>{formula}</f><v>{value}</v>".encode())
            target.writestr(info, data)


@pytest.fixture()
def statement(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Statement"
    sheet["B1"] = "Monthly statement"
    sheet.merge_cells("B1:E1")
    sheet["B2"] = "Account: 123"
    sheet["B4"], sheet["C4"], sheet["D4"], sheet["E4"] = "Date", "Category", "Amount", "Double"
    sheet["B5"], sheet["C5"], sheet["D5"] = datetime.date(2024, 3, 1), "Food", 42
    sheet["E5"] = "=D5*2"
    sheet["B6"], sheet["D6"], sheet["E6"] = datetime.datetime(2024, 3, 2, 12, 30), 1.5, "=D6*2"
    sheet.merge_cells("C5:C6")
    sheet["B8"], sheet["C8"], sheet["D8"] = datetime.datetime(2024, 3, 9), "  Rent  ", -700
    other = workbook.create_sheet("Rates")
    other.append(["Currency", "Rate"])
    other.append(["EUR", 1])
    other.append(["USD", 1.08])
    workbook.create_sheet("Empty")
    path = tmp_path / "statement.xlsx"
    workbook.save(path)
    set_cached_values(path, "xl/worksheets/sheet1.xml", {"D5*2": "84", "D6*2": "3"})
    return path


def parse(path: Path) -> list[Page]:
    return XlsxParser().parse(path, path.name)


def test_sniff_needs_a_workbook_part(statement: Path, tmp_path: Path) -> None:
    parser = XlsxParser()
    assert parser.sniff(statement, statement.read_bytes()[:SNIFF_BYTES])
    other = tmp_path / "report.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("notes.txt", "hello")
    assert not parser.sniff(other, other.read_bytes()[:SNIFF_BYTES])
    assert not parser.sniff(statement, b"%PDF-1.4\n")


def test_sheets_become_pages(statement: Path) -> None:
    pages = parse(statement)
    names = [(page.number, page.name) for page in pages]
    assert names == [(1, "Statement"), (2, "Rates"), (3, "Empty")]
    assert all(page.blocks == [] for page in pages)
    assert pages[2].tables == []


def test_preamble_header_values_and_provenance(statement: Path) -> None:
    table = parse(statement)[0].tables[0]
    assert table.preamble == ["Monthly statement", "Account: 123"]
    assert table.header == ["Date", "Category", "Amount", "Double"]
    assert [row.values for row in table.rows] == [
        ["2024-03-01", "Food", 42, 84],  # date cell; formula's cached value
        ["2024-03-02T12:30:00", "Food", 1.5, 3],  # C6 filled from the merged C5:C6
        ["2024-03-09", "Rent", -700, None],  # empty row 7 skipped, text stripped
    ]
    assert [row.provenance.cell_range for row in table.rows] == ["B5:E5", "B6:E6", "B8:E8"]
    assert all(row.provenance.sheet == "Statement" for row in table.rows)
    assert table.provenance.sheet == "Statement"
    assert table.provenance.cell_range == "B4:E8"
    assert isinstance(table.rows[0].values[2], int)
    assert isinstance(table.rows[1].values[2], float)


def test_page_text_renders_the_table(statement: Path) -> None:
    rates = parse(statement)[1]
    assert rates.text == "Currency | Rate\nEUR | 1\nUSD | 1.08"
    assert rates.tables[0].provenance.cell_range == "A1:B3"
    assert rates.tables[0].rows[1].provenance.cell_range == "A3:B3"


def test_merged_ranges_match_a_full_load(statement: Path) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(statement, read_only=True, data_only=True)
    try:
        scanned = _merged_ranges(workbook, statement)
    finally:
        workbook.close()
    assert scanned["Statement"] == [(2, 1, 5, 1), (3, 5, 3, 6)]
    full = _merges_from_full_load(statement)
    assert {k: sorted(v) for k, v in full.items()} == {k: sorted(v) for k, v in scanned.items()}


def test_no_header_row_when_first_wide_row_is_numbers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in ([1, 2, 3], [4, 5, 6]):
        workbook.active.append(row)
    path = tmp_path / "numbers.xlsx"
    workbook.save(path)
    table = parse(path)[0].tables[0]
    assert table.header == []
    assert [row.values for row in table.rows] == [[1, 2, 3], [4, 5, 6]]


def test_trailing_empty_columns_and_rows_are_dropped(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Qty", None, None])
    sheet.append(["Bolt", 3])
    sheet["F10"] = "   "  # whitespace only: empty
    path = tmp_path / "trailing.xlsx"
    workbook.save(path)
    table = parse(path)[0].tables[0]
    assert table.header == ["Name", "Qty"]
    assert [row.values for row in table.rows] == [["Bolt", 3]]
    assert table.provenance.cell_range == "A1:B2"


def test_large_sheet_streams(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Big")
    sheet.append(["id", "label", "value"])
    for number in range(1, 20001):
        sheet.append([number, f"item {number}", number * 0.5])
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    table = parse(path)[0].tables[0]
    assert isinstance(table.rows, Streamed)  # counted, not held: read again when iterated
    assert len(table.rows) == 20000
    assert table.rows[-1].values == [20000, "item 20000", 10000.0]
    assert table.rows[-1].provenance.cell_range == "A20001:C20001"
    first = [row.values for row in table.rows]
    assert first == [row.values for row in table.rows]  # iterated twice, read twice, the same
    assert first[0] == [1, "item 1", 0.5] and len(first) == 20000


def test_a_large_sheet_is_served_as_parsed_even_if_the_file_changes_or_goes(tmp_path: Path) -> None:
    from openpyxl import Workbook

    def write(rows: int, factor: int) -> Path:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Big")
        sheet.append(["id", "value"])
        for number in range(rows):
            sheet.append([number, number * factor])
        workbook.save(tmp_path / "big.xlsx")
        return tmp_path / "big.xlsx"

    table = parse(write(KEEP_ROWS + 10, 2))[0].tables[0]
    assert isinstance(table.rows, Streamed)
    write(KEEP_ROWS + 500, 3)  # spooled when parsed: what was read is what is served
    assert [row.values for row in table.rows][-1] == [KEEP_ROWS + 9, (KEEP_ROWS + 9) * 2]
    (tmp_path / "big.xlsx").unlink()
    assert len(list(table.rows)) == len(table.rows) == KEEP_ROWS + 10


def test_a_small_sheet_is_held_as_read(statement: Path) -> None:
    table = parse(statement)[0].tables[0]
    assert isinstance(table.rows, list)


def test_zip_holding_other_files_named_xlsx_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert not XlsxParser().sniff(path, path.read_bytes()[:SNIFF_BYTES])


def test_truncated_workbook_is_corrupt(statement: Path, tmp_path: Path) -> None:
    data = statement.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    parser = XlsxParser()
    assert parser.sniff(path, path.read_bytes()[:SNIFF_BYTES])
    with pytest.raises(CorruptFileError) as info:
        parser.parse(path, "cut.xlsx")
    assert str(info.value).startswith("cut.xlsx: the XLSX workbook is damaged (")


def test_workbook_with_broken_sheet_xml_is_corrupt(statement: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(statement) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(info, data)
    with pytest.raises(CorruptFileError) as info:
        XlsxParser().parse(path, "broken.xlsx")
    assert info.value.filename == "broken.xlsx"
    assert info.value.__cause__ is not None


def test_loading_leaves_openpyxls_dimension_lookup_as_it_was(statement: Path) -> None:
    """The parser skips openpyxl's stored-dimension scan while it loads, then puts it back."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    before = ReadOnlyWorksheet.__dict__.get("_get_size")
    assert parse(statement)[0].tables  # the statement still reads, rows and all
    assert ReadOnlyWorksheet.__dict__.get("_get_size") is before
