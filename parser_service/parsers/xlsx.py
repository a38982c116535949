"""XLSX parser: one page per worksheet, each holding one table (openpyxl, read-only).

Rows are streamed. A sheet of more than ``KEEP_ROWS`` data rows is not held in memory:
the parse spools its rows to a temporary file as it counts them and finds its columns,
and its table's rows (``Streamed``) are read back from the spool each time they are
iterated, so memory stays flat as sheets grow and the workbook is parsed once.
Formulas give their cached values. Merged ranges, read from the sheet XML, are filled
with their top-left value. Rows above the header (a title, "Account: 123") become the
table's preamble.
"""

from __future__ import annotations

import math
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from parser_service.document import CellValue, Page, Provenance, Row, Streamed, Table, column_letter
from parser_service.errors import CorruptFileError
from parser_service.parsers import limits
from parser_service.parsers.base import Parser
from parser_service.parsers.limits import size, too_large
from parser_service.parsers.spool import CHUNK_ITEMS, Spool

_ZIP_MAGIC = b"PK\x03\x04"
_WORKBOOK_PART = "xl/workbook.xml"
#: Part names seen in the local headers of a workbook whose zip directory is lost.
_PART_HINTS = (b"xl/workbook.xml", b"xl/worksheets/", b"xl/_rels/")
_HEADER_SCAN_ROWS = 30
#: A sheet with more data rows than this is not held: its rows are spooled to a temporary file.
KEEP_ROWS = 5000
#: Nor is one whose rows held would hold more cells than this (wide rows), nor a chunk of its spool.
KEEP_CELLS = 1_000_000
_HEADER_FILL = 0.6
_NUMBER_NOISE = re.compile(r"[\s,.'+\-%€$£¥]")
_SMALL_FILE = 5 * 1024 * 1024
_CHUNK = 1 << 16
#: ``[^<>]``: an attempt never runs past the tag it starts in (``[^>]`` ran to the next ``>``).
_MERGE_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^<>]*?\bref=[\"']([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)[\"']"
)
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
#: Start tags of a cell (``<c>``, or ``<x:c>`` under a prefix), counted per row.
_CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")
_SHARED_STRING_TAGS = (b"<si>", b"<si ", b"<si/", b":si>", b":si ", b":si/")
#: Bytes of a start tag cut by a chunk's end kept for the next chunk: no tag the scan
#: looks for is longer; a longer run from a ``<`` with no ``>`` is no such tag.
_MAX_TAG = 4096
_MANIFEST = "[Content_Types].xml"
_OVERRIDE_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Override\b([^<>]*)>")
_PART_NAME_RE = re.compile(rb"\bPartName=[\"']/?([^\"']+)[\"']")
_SHARED_STRINGS_TYPE = b"sharedStrings+xml"
#: Errors openpyxl and zipfile raise on damaged workbooks (SyntaxError covers XML ParseError).
_BROKEN = (
    zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, zlib.error, SyntaxError,
    NotImplementedError, RuntimeError, OSError, IndexError, AttributeError,
)

Bounds = tuple[int, int, int, int]  # min_col, min_row, max_col, max_row (1-based)


@dataclass(slots=True)
class _SheetRow:
    number: int
    values: list[CellValue]
    filled: int  # non-empty cells, a merged range counted once


class XlsxParser(Parser):
    name = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    priority = 20

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(_ZIP_MAGIC):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                return _WORKBOOK_PART in archive.namelist()
        except _BROKEN:  # a damaged zip: claim it only if its bytes name workbook parts
            return any(hint in head for hint in _PART_HINTS)

    def parse(self, path: Path, filename: str) -> list[Page]:
        try:
            _check_archive(path, filename)
            with _open_workbook(path) as workbook:
                merges = _merged_ranges(workbook, path, filename)
                used = _Used(filename)
                return [
                    _read_sheet(sheet, merges.get(sheet.title, []), number, used)
                    for number, sheet in enumerate(workbook.worksheets, start=1)
                ]
        except (_invalid_file(), *_BROKEN) as exc:
            raise _damaged(filename, exc) from exc


def _invalid_file() -> type[Exception]:
    from openpyxl.utils.exceptions import InvalidFileException

    return InvalidFileException


def _damaged(filename: str, exc: Exception) -> CorruptFileError:
    detail = str(exc) or type(exc).__name__
    return CorruptFileError(filename, f"the XLSX workbook is damaged ({detail})")


#: openpyxl's read-only sheets look for their stored dimensions when the workbook loads:
#: where the ``<dimension>`` element is missing or written after the rows (openpyxl's own
#: write-only files), that parses the whole sheet once more, every time it is opened, for
#: a value ``_sheet_rows`` throws away (stored dimensions are often wrong). The lookup is
#: skipped while our loads run, one at a time: 30% of the time of a 100,000-row sheet.
_LOAD_LOCK = threading.Lock()


@contextmanager
def _open_workbook(path: Path) -> Iterator[Any]:
    from openpyxl import load_workbook

    # a file object, not the path: openpyxl rejects names not ending in .xlsx
    with path.open("rb") as handle:
        with _sizes_skipped():
            workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


@contextmanager
def _sizes_skipped() -> Iterator[None]:
    """openpyxl's dimension lookup left out (see ``_LOAD_LOCK``), where it has one."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    with _LOAD_LOCK:
        lookup = ReadOnlyWorksheet.__dict__.get("_get_size")
        if lookup is None:  # another openpyxl: leave it as it is
            yield
            return
        ReadOnlyWorksheet._get_size = _no_size
        try:
            yield
        finally:
            ReadOnlyWorksheet._get_size = lookup


def _no_size(sheet: Any) -> None:
    """Stands in for ``ReadOnlyWorksheet._get_size``."""


def _read_sheet(sheet: Any, merges: list[Bounds], number: int, used: _Used) -> Page:
    table = _sheet_table(_sheet_rows(sheet, merges, used), sheet.title)
    return Page(number=number, name=sheet.title, tables=[table] if table else [])


# --- limits ------------------------------------------------------------------


def _check_archive(path: Path, filename: str) -> None:
    """Refuse a workbook whose parts unpack past ``limits`` before openpyxl reads any:
    it reads the parts other than the sheets whole (the shared strings, the styles)
    when it loads the workbook. The sizes are the zip directory's, which the zip
    reader never yields more than."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.MAX_XLSX_UNPACKED_BYTES:
            raise too_large(filename, f"the workbook unpacks to more than "
                                      f"{size(limits.MAX_XLSX_UNPACKED_BYTES)} (the limit)")
        manifest = next((info for info in infos if info.filename == _MANIFEST), None)
        if manifest is not None:
            _check_part(manifest, filename)
        strings = _shared_strings_parts(archive) if manifest is not None else set()
        for info in infos:
            if info.filename in strings or _is_shared_strings(info.filename):
                _check_shared_strings(archive, info, filename)
            else:
                _check_part(info, filename)


def _check_part(info: zipfile.ZipInfo, filename: str) -> None:
    if not _streamed(info.filename) and info.file_size > limits.MAX_XLSX_PART_BYTES:
        raise too_large(filename, f"the workbook's part {info.filename} unpacks to more than "
                                  f"{size(limits.MAX_XLSX_PART_BYTES)} (the limit per part)")


def _streamed(name: str) -> bool:
    """Parts openpyxl's read-only mode never reads whole: the sheets (streamed, and
    scanned by ``_scan_sheet``), pivot caches, and binary parts (media, VBA)."""
    lower = name.lower()
    return (
        lower.startswith(("xl/worksheets/", "xl/pivotcache/"))
        or not lower.endswith((".xml", ".rels", ".vml"))
    )


def _is_shared_strings(name: str) -> bool:
    return name.lower().rsplit("/", 1)[-1].startswith("sharedstrings")


def _shared_strings_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts the manifest declares as shared strings (openpyxl reads those)."""
    manifest = archive.read(_MANIFEST)  # its size checked by the caller
    parts = set()
    for override in _OVERRIDE_RE.finditer(manifest):
        attributes = override.group(1)
        name = _PART_NAME_RE.search(attributes)
        if name and _SHARED_STRINGS_TYPE in attributes:
            parts.add(name.group(1).decode("utf-8", "replace"))
    return parts


def _check_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> None:
    if info.file_size > limits.MAX_XLSX_SHARED_STRINGS_BYTES:
        raise too_large(filename, f"the workbook's shared strings unpack to more than "
                                  f"{size(limits.MAX_XLSX_SHARED_STRINGS_BYTES)} (the limit)")
    count = 0
    with archive.open(info) as source:
        for region in _regions(source, filename, "the workbook's shared strings hold"):
            count += sum(region.count(tag) for tag in _SHARED_STRING_TAGS)
            if count > limits.MAX_XLSX_SHARED_STRINGS:
                raise too_large(filename, f"the workbook has more than {limits.MAX_XLSX_SHARED_STRINGS:,} "
                                          "shared strings (the limit)")


def _regions(source: IO[bytes], filename: str, where: str) -> Iterator[bytes]:
    """An XML part's bytes, read in chunks, as pieces that cut no tag; refuses a text
    (or a tag) of more than ``MAX_XLSX_TEXT_BYTES`` between two ``<`` before any XML
    reader would hold it whole. Linear: what is carried to the next chunk is a cut
    tag, at most ``_MAX_TAG`` bytes (it grew without bound while no ``<`` came)."""
    longest = limits.MAX_XLSX_TEXT_BYTES
    step = max(1, min(_CHUNK, longest // 2))  # a run past the limit then spans a whole chunk
    carry = b""
    since = 0  # bytes since the last "<"
    while chunk := source.read(step):
        first = chunk.find(b"<")
        if first >= 0:
            if since + first > longest:
                break
            since = len(chunk) - chunk.rfind(b"<") - 1
        else:
            since += len(chunk)
        if since > longest:
            break
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        if cut < 0 or buffer.find(b">", cut) >= 0:
            cut = len(buffer)  # the last tag is whole: nothing to carry
        yield buffer[:cut]
        carry = buffer[cut:] if len(buffer) - cut <= _MAX_TAG else b""
    else:
        if carry:
            yield carry
        return
    raise too_large(filename, f"{where} a text of more than {size(longest)}: a cell longer than "
                              f"{limits.MAX_XLSX_CELL_CHARS:,} characters (the limit, Excel's)")


# --- merged ranges -----------------------------------------------------------


def _merged_ranges(workbook: Any, path: Path, filename: str | None = None) -> dict[str, list[Bounds]]:
    """Merged ranges per sheet title, scanned from the sheet XML when reachable; the
    scan (``_scan_sheet``) refuses a sheet past ``limits`` before its rows are read."""
    filename = filename or path.name
    archive = getattr(workbook, "_archive", None)
    sheets = workbook.worksheets
    if archive is not None and all(hasattr(s, "_worksheet_path") for s in sheets):
        return {s.title: _scan_sheet(archive, s._worksheet_path, s.title, filename) for s in sheets}
    if _unpacked_size(path) < _SMALL_FILE:
        return _merges_from_full_load(path)
    return {}


def _unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _scan_sheet(archive: zipfile.ZipFile, part: str, title: str, filename: str) -> list[Bounds]:
    """The sheet's merged ranges; refuses more rows than ``MAX_XLSX_ROWS``, a row of
    more cells than ``MAX_XLSX_COLUMNS``, more merged ranges than
    ``MAX_XLSX_MERGED_RANGES`` or an over-long text (``_regions``), each of which
    openpyxl would hold (a row's cells are all in memory before its first is read)."""
    merges: list[Bounds] = []
    rows = cells = 0
    with archive.open(part.lstrip("/")) as source:
        for region in _regions(source, filename, f"sheet {title!r} holds"):
            tags = _CELL_TAGS if any(tag in region for tag in _CELL_TAGS[3:]) else _CELL_TAGS[:3]
            if cells + _cells(region, 0, len(region), tags) <= limits.MAX_XLSX_COLUMNS:
                # no row here can pass the limit: count the rows, and the cells of the last
                found, last = 0, None
                for found, last in enumerate(_ROW_TAG.finditer(region), start=1):  # noqa: B007
                    pass
                rows += found
                cells = _cells(region, last.end(), len(region), tags) if last else cells + _cells(region, 0, len(region), tags)
            else:
                rows, cells = _count_rows(region, tags, rows, cells, title, filename)
            if rows > limits.MAX_XLSX_ROWS:
                raise too_large(filename, f"sheet {title!r} has more than {limits.MAX_XLSX_ROWS:,} rows "
                                          "(the limit, Excel's)")
            for match in _MERGE_RE.finditer(region) if b"mergeCell" in region else ():
                merges.append(_bounds(match.group(1).decode("ascii")))
                if len(merges) > limits.MAX_XLSX_MERGED_RANGES:
                    raise too_large(filename, f"sheet {title!r} has more than {limits.MAX_XLSX_MERGED_RANGES:,} "
                                              "merged ranges (the limit)")
    return merges


def _count_rows(region: bytes, tags: tuple[bytes, ...], rows: int, cells: int, title: str, filename: str) -> tuple[int, int]:
    """``rows`` and ``cells`` (of the row still open) after ``region``, row by row."""
    at = 0
    for row in _ROW_TAG.finditer(region):
        cells += _cells(region, at, row.start(), tags)
        _check_row(cells, title, filename)
        rows, cells, at = rows + 1, 0, row.end()
    cells += _cells(region, at, len(region), tags)
    _check_row(cells, title, filename)
    return rows, cells


def _cells(region: bytes, start: int, end: int, tags: tuple[bytes, ...]) -> int:
    """Cell start tags in ``region[start:end]`` (``tags``: the prefixed ones only where
    the region holds any)."""
    count = 0
    for tag in tags:
        count += region.count(tag, start, end)
    return count


def _check_row(cells: int, title: str, filename: str) -> None:
    if cells > limits.MAX_XLSX_COLUMNS:
        raise too_large(filename, f"sheet {title!r} has a row of more than {limits.MAX_XLSX_COLUMNS:,} cells "
                                  "(the limit, Excel's)")


def _bounds(ref: str) -> Bounds:
    from openpyxl.utils.cell import range_boundaries

    return tuple(range_boundaries(ref.upper()))


def _merges_from_full_load(path: Path) -> dict[str, list[Bounds]]:
    from openpyxl import load_workbook

    with path.open("rb") as handle:
        workbook = load_workbook(handle, read_only=False, data_only=True)
        return {
            sheet.title: [tuple(r.bounds) for r in sheet.merged_cells.ranges]
            for sheet in workbook.worksheets
        }


class _MergeFiller:
    """Copies each merged range's top-left value into its other cells, row by row."""

    def __init__(self, merges: list[Bounds]) -> None:
        self._starting: dict[int, list[Bounds]] = {}
        for bounds in merges:
            self._starting.setdefault(bounds[1], []).append(bounds)
        self._active: list[tuple[Bounds, CellValue]] = []

    def fill(self, number: int, values: list[CellValue]) -> tuple[int, int]:
        """Fill ``values`` (row ``number``) in place; return the merged cells carried in
        and the cells written."""
        carried = sum(value is not None for _, value in self._active)
        written = 0
        for bounds in self._starting.pop(number, []):
            column = bounds[0] - 1
            self._active.append((bounds, values[column] if column < len(values) else None))
        for (min_col, _, max_col, _), value in self._active:
            if value is not None:
                values.extend([None] * (max_col - len(values)))
                values[min_col - 1 : max_col] = [value] * (max_col - min_col + 1)
                written += max_col - min_col + 1
        self._active = [(b, v) for b, v in self._active if b[3] > number]
        return carried, written


# --- rows and values ---------------------------------------------------------


@dataclass(slots=True)
class _Used:
    """What a workbook's rows have cost so far: cells visited, characters read."""

    filename: str
    cells: int = 0
    chars: int = 0

    def row(self, cells: int, chars: int) -> None:
        self.cells += cells
        self.chars += chars
        if self.cells > limits.MAX_XLSX_CELLS:
            raise too_large(self.filename, f"the workbook's sheets span more than {limits.MAX_XLSX_CELLS:,} cells, "
                                           "empty ones within their rows counted (the limit)")
        if self.chars > limits.MAX_XLSX_CHARS:
            raise too_large(self.filename, f"the workbook's cells hold more than {limits.MAX_XLSX_CHARS:,} "
                                           "characters in all (the limit)")


def _sheet_rows(sheet: Any, merges: list[Bounds], used: _Used | None = None) -> Iterator[_SheetRow]:
    """Non-empty rows with their true 1-based row numbers, merged cells filled.

    openpyxl gives each row as wide as its last cell, and the rows a gap in the row
    numbers skips; a shared string is one text however many cells show it. The rows
    (``MAX_XLSX_ROWS``), the cells visited and filled (``MAX_XLSX_CELLS``), the
    characters read (``MAX_XLSX_CHARS``) and a cell's text (``MAX_XLSX_CELL_CHARS``)
    are bounded."""
    used = used or _Used("")
    sheet.reset_dimensions()  # stored dimensions are often wrong; read every row
    filler = _MergeFiller(merges)
    for number, raw in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > limits.MAX_XLSX_ROWS:
            raise too_large(used.filename, f"sheet {sheet.title!r} has more than {limits.MAX_XLSX_ROWS:,} rows "
                                           "(the limit, Excel's)")
        try:
            values = [_value(value) for value in raw]
        except _LongCell:
            column = next(i for i, v in enumerate(raw) if isinstance(v, str) and len(v) > limits.MAX_XLSX_CELL_CHARS)
            raise too_large(used.filename, f"cell {_letter(column)}{number} of sheet {sheet.title!r} holds more "
                                           f"than {limits.MAX_XLSX_CELL_CHARS:,} characters (the limit, Excel's)") from None
        own = sum(value is not None for value in values)
        carried, written = filler.fill(number, values)
        used.row(len(raw) + written + 1, sum(len(value) for value in values if isinstance(value, str)) if own else 0)
        if own or carried:
            yield _SheetRow(number, values, own + carried)


class _LongCell(Exception):  # noqa: N818 (caught in _sheet_rows, which names the cell)
    """A cell's text is longer than ``MAX_XLSX_CELL_CHARS``."""


def _value(value: Any) -> CellValue:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > limits.MAX_XLSX_CELL_CHARS:
            raise _LongCell
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- the table ---------------------------------------------------------------


def _sheet_table(rows: Iterator[_SheetRow], title: str) -> Table | None:
    """The sheet's table. Up to ``KEEP_ROWS`` rows are kept as read; a longer sheet's
    rows are spooled (``_Kept``) and read back when iterated."""
    head = list(islice(rows, _HEADER_SCAN_ROWS))
    if not head:
        return None
    start, has_header = _table_start(head)
    preamble = [_row_text(row) for row in head[:start]]
    body = chain(head[start:], rows)
    header_row = next(body) if has_header else None
    wide = _column_span([header_row] if header_row else [])
    kept = _Kept()
    first_body, last_body = 0, 0
    for row in body:
        first_body = first_body or row.number
        last_body = row.number
        wide = _widen(wide, row)
        kept.append(row)
    first_col, last_col = (0, 0) if wide[1] < 0 else (int(wide[0]), wide[1])
    header = [_header_name(v) for v in _trim(header_row, first_col, last_col)] if header_row else []
    table_rows = kept.rows(first_col, last_col, title)
    first = header_row.number if header_row else (first_body or head[start].number)
    last = last_body or first
    cells = f"{_letter(first_col)}{first}:{_letter(last_col)}{last}"
    provenance = Provenance(sheet=title, cell_range=cells)
    return Table(header=header, rows=table_rows, provenance=provenance, preamble=preamble)


class _Kept:
    """A sheet's body rows as read: in a list up to ``KEEP_ROWS`` rows (and ``KEEP_CELLS``
    cells), then in a ``Spool`` whose chunks hold about ``KEEP_CELLS`` cells at most."""

    def __init__(self) -> None:
        self._held: list[_SheetRow] = []
        self._cells = 0
        self._spool: Spool | None = None

    def append(self, row: _SheetRow) -> None:
        if self._spool is not None:
            self._spool.append((row.number, row.values))
            return
        self._held.append(row)
        self._cells += len(row.values)
        if len(self._held) > KEEP_ROWS or self._cells > KEEP_CELLS:
            widest = max(len(held.values) for held in self._held)
            self._spool = Spool(chunk=max(1, min(CHUNK_ITEMS, KEEP_CELLS // max(1, widest))))
            for held in self._held:
                self._spool.append((held.number, held.values))
            self._held = []

    def rows(self, first: int, last: int, title: str) -> Sequence[Row]:
        """The table's rows, cut to columns ``first..last``."""
        spool = self._spool
        if spool is None:
            return [_table_row(row, first, last, title) for row in self._held]

        def read() -> Iterator[Row]:
            for number, values in spool:
                yield _table_row(_SheetRow(number, values, 0), first, last, title)

        return Streamed(len(spool), read)


def _widen(span: tuple[float, int], row: _SheetRow) -> tuple[float, int]:
    """``span`` (first, last 0-based column with a value) widened to hold ``row``'s values."""
    first, last = span
    values = row.values
    for i, value in enumerate(values):
        if value is not None:
            first = min(first, i)
            break
    else:
        return first, last
    for i in range(len(values) - 1, -1, -1):
        if values[i] is not None:
            return first, max(last, i)
    return first, last


def _table_start(head: list[_SheetRow]) -> tuple[int, bool]:
    """Index of the first table row in ``head`` and whether that row is a header."""
    needed = max(2, math.ceil(_HEADER_FILL * max(row.filled for row in head)))
    for index, row in enumerate(head):
        if row.filled >= needed:
            return index, _looks_like_header(row.values)
    return 0, False


def _looks_like_header(values: list[CellValue]) -> bool:
    filled = [value for value in values if value is not None]
    texts = [v for v in filled if isinstance(v, str) and not _is_number(v)]
    return len(texts) * 2 > len(filled)


def _is_number(text: str) -> bool:
    return _NUMBER_NOISE.sub("", text).isdigit()


def _row_text(row: _SheetRow) -> str:
    """A preamble row as text; a merged range's repeated value appears once."""
    parts: list[str] = []
    for value in row.values:
        text = "" if value is None else str(value)
        if text and (not parts or parts[-1] != text):
            parts.append(text)
    return " ".join(parts)


def _column_span(rows: list[_SheetRow]) -> tuple[float, int]:
    """0-based first and last column holding a value in any of ``rows`` (inf, -1: none)."""
    span: tuple[float, int] = (math.inf, -1)
    for row in rows:
        span = _widen(span, row)
    return span


def _trim(row: _SheetRow, first: int, last: int) -> list[CellValue]:
    """``row.values`` cut (in place) to columns ``first..last``, padded with None."""
    values = row.values
    del values[last + 1 :]
    del values[:first]
    values.extend([None] * (last + 1 - first - len(values)))
    return values


def _table_row(row: _SheetRow, first: int, last: int, title: str) -> Row:
    cells = f"{_letter(first)}{row.number}:{_letter(last)}{row.number}"
    return Row(_trim(row, first, last), Provenance(sheet=title, cell_range=cells))


def _header_name(value: CellValue) -> str:
    return "" if value is None else str(value)


def _letter(column: int) -> str:
    """A1 letters of a 0-based column index."""
    return column_letter(column + 1)
