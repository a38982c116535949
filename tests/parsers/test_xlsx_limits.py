"""What a workbook may unpack to: zipped sheet XML of millions of rows, of one huge
cell, of rows millions of cells wide, is refused with ``FileTooLargeError`` naming
the limit before openpyxl holds it. The limits are lowered here so that the hostile
workbooks stay small."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from parser_service.document import Streamed
from parser_service.errors import FileTooLargeError
from parser_service.parsers import limits, xlsx
from parser_service.parsers.xlsx import XlsxParser, _merged_ranges

MiB = 1 << 20
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
TABLE = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Amount</t></is></c></row>'
         b'<row r="2"><c r="A2" t="inlineStr"><is><t>2024-01-05</t></is></c><c r="B2"><v>12.5</v></c></row>')
TAIL = b"</sheetData></worksheet>"


def _workbook(path: Path, sheet: list[bytes], strings: list[bytes] | None = None,
              extra: dict[str, bytes] | None = None) -> Path:
    """A one-sheet workbook whose sheet XML is ``sheet`` (written piece by piece)."""
    overrides = '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    relations = f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    if strings is not None:
        overrides += f'<Override PartName="/xl/strings.xml" ContentType="{SST_TYPE}"/>'
        relations += f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="strings.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{relations}</Relationships>'))
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            for piece in sheet:
                out.write(piece)
        if strings is not None:
            with archive.open("xl/strings.xml", "w") as out:
                out.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
                for piece in strings:
                    out.write(piece)
                out.write(b"</sst>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def _refused(path: Path, words: str) -> None:
    with pytest.raises(FileTooLargeError) as caught:
        XlsxParser().parse(path, path.name)
    message = str(caught.value)
    assert message.startswith(f"{path.name}: ") and words in message and "refused" in message


def test_the_merged_cell_scan_carries_no_more_than_a_tag(tmp_path, monkeypatch) -> None:
    """A run of 16 MiB with no ``<`` (one huge cell) before a merged range: the scan's
    carry grew with it, copied at every chunk (quadratic: hours for 1 GiB); now what it
    holds is a chunk and a cut tag, whatever the run."""
    from openpyxl import load_workbook

    monkeypatch.setattr(limits, "MAX_XLSX_TEXT_BYTES", 64 * MiB)  # the run is let through here
    run = b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + b"A" * (16 * MiB) + b"</t></is></c></row>"
    merged = b'</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>'
    path = _workbook(tmp_path / "long.xlsx", [HEAD, TABLE, run, merged])
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        tracemalloc.start()
        try:
            merges = _merged_ranges(workbook, path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        workbook.close()
    assert merges == {"Sheet1": [(1, 1, 2, 1)]}
    assert peak < 2 * MiB  # the old carry held the whole run: 16 MiB, twice over


def test_a_cell_of_a_huge_text_is_refused_before_it_is_read(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_TEXT_BYTES", 6000)
    run = b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + b"A" * 50_000 + b"</t></is></c></row>"
    _refused(_workbook(tmp_path / "cell.xlsx", [HEAD, TABLE, run, TAIL]),
             "sheet 'Sheet1' holds a text of more than 6,000 bytes: a cell longer than 32,767 characters")


def test_a_cell_longer_than_excel_allows_is_refused_naming_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_CELL_CHARS", 100)
    run = b'<row r="3"><c r="A3"><v>1</v></c><c r="B3" t="inlineStr"><is><t>' + b"A" * 150 + b"</t></is></c></row>"
    _refused(_workbook(tmp_path / "cell.xlsx", [HEAD, TABLE, run, TAIL]),
             "cell B3 of sheet 'Sheet1' holds more than 100 characters (the limit, Excel's)")


def test_millions_of_empty_rows_are_refused_as_they_are_counted(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_ROWS", 1000)
    path = _workbook(tmp_path / "rows.xlsx", [HEAD, TABLE, b"<row/>" * 5000, TAIL])
    _refused(path, "sheet 'Sheet1' has more than 1,000 rows (the limit, Excel's)")


def test_a_row_numbered_past_the_limit_is_refused(tmp_path, monkeypatch) -> None:
    """openpyxl gives every row a gap skips (two billion here): the count stops it."""
    monkeypatch.setattr(limits, "MAX_XLSX_ROWS", 1000)
    far = b'<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>'
    _refused(_workbook(tmp_path / "gap.xlsx", [HEAD, TABLE, far, TAIL]), "has more than 1,000 rows")


def test_a_row_of_too_many_cells_is_refused_before_openpyxl_holds_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_COLUMNS", 100)
    wide = b'<row r="3">' + b"<c/>" * 500 + b"</row>"
    _refused(_workbook(tmp_path / "wide.xlsx", [HEAD, TABLE, wide, TAIL]),
             "sheet 'Sheet1' has a row of more than 100 cells (the limit, Excel's)")


def test_rows_as_wide_as_their_last_cell_are_bounded_in_all(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_CELLS", 100_000)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="XFD%d"><v>2</v></c></row>' % (i, i, i)
                    for i in range(3, 20))
    _refused(_workbook(tmp_path / "far.xlsx", [HEAD, TABLE, rows, TAIL]),
             "the workbook's sheets span more than 100,000 cells, empty ones within their rows counted (the limit)")


def test_a_shared_string_shown_in_many_cells_is_bounded_in_characters(tmp_path, monkeypatch) -> None:
    """One string of 1,000 characters, shown by 300 cells of a few bytes each."""
    monkeypatch.setattr(limits, "MAX_XLSX_CHARS", 100_000)
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (i, i) for i in range(3, 303))
    path = _workbook(tmp_path / "echo.xlsx", [HEAD, TABLE, rows, TAIL], strings=[b"<si><t>" + b"A" * 1000 + b"</t></si>"])
    _refused(path, "the workbook's cells hold more than 100,000 characters in all (the limit)")


def test_wide_rows_are_spooled_not_held(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(xlsx, "KEEP_CELLS", 50_000)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="XFD%d"><v>2</v></c></row>' % (i, i, i, i)
                    for i in range(3, 40))
    table = XlsxParser().parse(_workbook(tmp_path / "far.xlsx", [HEAD, TABLE, rows, TAIL]), "far.xlsx")[0].tables[0]
    assert isinstance(table.rows, Streamed) and len(table.rows) == 38
    assert [(row.values[0], row.values[-1]) for row in table.rows][-2:] == [(38, 2), (39, 2)]
    assert len(table.header) == 16_384


def test_the_workbook_unpacked_is_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_UNPACKED_BYTES", MiB)
    _refused(_workbook(tmp_path / "big.xlsx", [HEAD, TABLE, b"<row/>" * 300_000, TAIL]),
             "the workbook unpacks to more than 1 MiB (the limit)")


def test_shared_strings_are_counted_before_openpyxl_loads_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_SHARED_STRINGS", 100)
    path = _workbook(tmp_path / "sst.xlsx", [HEAD, TABLE, TAIL], strings=[b"<si><t>a</t></si>" * 200])
    _refused(path, "the workbook has more than 100 shared strings (the limit)")
    monkeypatch.setattr(limits, "MAX_XLSX_SHARED_STRINGS_BYTES", 1000)
    _refused(path, "the workbook's shared strings unpack to more than 1,000 bytes (the limit)")


def test_a_huge_shared_string_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_TEXT_BYTES", 6000)
    path = _workbook(tmp_path / "sst.xlsx", [HEAD, TABLE, TAIL], strings=[b"<si><t>" + b"A" * 10_000 + b"</t></si>"])
    _refused(path, "the workbook's shared strings hold a text of more than 6,000 bytes")


def test_a_part_read_whole_is_bounded_but_media_are_not(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_PART_BYTES", 10_000)
    image = _workbook(tmp_path / "image.xlsx", [HEAD, TABLE, TAIL], extra={"xl/media/image1.png": b"\x89PNG" + bytes(50_000)})
    assert XlsxParser().parse(image, "image.xlsx")[0].tables[0].rows[0].values == ["2024-01-05", 12.5]
    styles = _workbook(tmp_path / "styles.xlsx", [HEAD, TABLE, TAIL], extra={"xl/styles.xml": b"<styleSheet/>" + b" " * 50_000})
    _refused(styles, "the workbook's part xl/styles.xml unpacks to more than 10,000 bytes (the limit per part)")


def test_within_the_limits_a_workbook_parses_as_before(tmp_path) -> None:
    merged = b'</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>'
    path = _workbook(tmp_path / "ok.xlsx", [HEAD, TABLE, merged], strings=[b"<si><t>unused</t></si>"])
    table = XlsxParser().parse(path, "ok.xlsx")[0].tables[0]
    assert [row.values for row in table.rows] == [["2024-01-05", 12.5]]
