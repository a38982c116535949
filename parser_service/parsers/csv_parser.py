"""CSV parser: encoding and delimiter detection, preamble lines, line provenance.

The delimiter is the one of ``, ; TAB |`` that splits the first records into a
consistent number of columns (csv.Sniffer breaks ties). The header is the first
record with that many columns, most of them filled; records above it are preamble.
Values stay strings. Rows carry their physical line range and an A1 cell range
whose row number is the record number a spreadsheet would show.

The file is streamed: its encoding is checked chunk by chunk, the parse reads the
header and counts the rows, and the table's rows (``Streamed``) are read from the
file again each time they are iterated, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from parser_service.document import CellValue, Page, Provenance, Row, Streamed, Table, column_letter
from parser_service.errors import CorruptFileError
from parser_service.parsers.base import SNIFF_BYTES, Parser, Stamp, check_unchanged, file_stamp
from parser_service.parsers.encoding import decode_head, iter_lines, split_lines, text_encoding

DELIMITERS = ",;\t|"
_SAMPLE_LINES = 200
_SAMPLE_RECORDS = 50
_HEADER_FILL = 0.6
_CONSISTENT_SHARE = 0.8
_MARKDOWN_RULE = re.compile(r":?-{3,}:?")


@dataclass(frozen=True, slots=True)
class _Record:
    values: list[str]
    line_start: int
    line_end: int
    number: int


@dataclass(frozen=True, slots=True)
class _Layout:
    delimiter: str
    width: int
    header_index: int
    consistent: int
    total: int

    @property
    def is_consistent(self) -> bool:
        return self.consistent >= 2 and self.consistent >= _CONSISTENT_SHARE * self.total


class CsvParser(Parser):
    name = "csv"
    media_type = "text/csv"
    priority = 50

    def sniff(self, path: Path, head: bytes) -> bool:
        text = decode_head(head)
        if text is None:
            return False
        lines = split_lines(text)
        if len(head) >= SNIFF_BYTES and len(lines) > 1:
            lines.pop()  # the head may end in the middle of a line
        layout = _choose_layout(lines[:_SAMPLE_LINES])
        return layout is not None and layout.is_consistent

    def parse(self, path: Path, filename: str) -> list[Page]:
        encoding = text_encoding(path, filename)
        head = list(islice(iter_lines(path, encoding), _SAMPLE_LINES))
        layout = _choose_layout(head) or _Layout(",", 1, 0, 0, 0)
        source = _Source(path, filename, encoding, layout, file_stamp(path))
        try:
            table = _build_table(source, head)
        except csv.Error as exc:
            raise CorruptFileError(filename, f"the CSV could not be read ({exc})") from exc
        return [Page(number=1, tables=[table])]


@dataclass(frozen=True, slots=True)
class _Source:
    """A CSV file and how to read it: rows are read from here each time they are iterated."""

    path: Path
    filename: str
    encoding: str
    layout: _Layout
    #: The file as parsed: reading it again checks that it is still that file.
    stamp: Stamp

    def records(self) -> Iterator[_Record]:
        return _records(iter_lines(self.path, self.encoding), self.layout.delimiter)

    def rows(self, skip: int, width: int) -> Iterator[Row]:
        """The data rows (after ``skip`` records), as the parse counted them."""
        check_unchanged(self.path, self.filename, self.stamp)
        try:
            for record in islice(self.records(), skip, None):
                yield _row(record, width)
        except csv.Error as exc:
            raise CorruptFileError(self.filename, f"the CSV could not be read ({exc})") from exc


def _records(lines: Iterable[str], delimiter: str) -> Iterator[_Record]:
    """Non-blank records with their physical line span (quoted fields may span lines)."""
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter, quotechar='"')
    previous = 0
    for number, values in enumerate(reader, start=1):
        start, previous = previous + 1, reader.line_num
        if any(value.strip() for value in values):
            yield _Record(values, start, previous, number)


def _choose_layout(lines: list[str]) -> _Layout | None:
    layouts = [layout for d in DELIMITERS if (layout := _layout(lines, d)) is not None]
    if not layouts:
        return None
    sniffed = _sniffed_delimiter(lines)
    return max(
        layouts,
        key=lambda o: (o.is_consistent, o.consistent, o.delimiter == sniffed, o.width),
    )


def _layout(lines: list[str], delimiter: str) -> _Layout | None:
    try:
        sample = list(islice(_records(lines, delimiter), _SAMPLE_RECORDS))
    except csv.Error:
        return None
    if delimiter == "|" and any(map(_is_markdown_rule, sample)):
        return None  # a Markdown document, not a pipe-separated export
    wide = Counter(len(record.values) for record in sample if len(record.values) >= 2)
    if not wide:
        return None
    width = max(wide.items(), key=lambda item: (item[1], item[0]))[0]
    header = _header_index(sample, width)
    tail = sample[header:]
    consistent = sum(len(r.values) == width and _filled(r) >= 2 for r in tail)
    return _Layout(delimiter, width, header, consistent, len(tail))


def _header_index(sample: list[_Record], width: int) -> int:
    """First record with ``width`` columns, most of them filled (else just ``width``)."""
    needed = max(2, math.ceil(_HEADER_FILL * width))
    candidates = [i for i, record in enumerate(sample) if len(record.values) == width]
    for i in candidates:
        if _filled(sample[i]) >= needed:
            return i
    return candidates[0]


def _filled(record: _Record) -> int:
    return sum(bool(value.strip()) for value in record.values)


def _is_markdown_rule(record: _Record) -> bool:
    """``|---|:---:|`` under a Markdown table header."""
    cells = [value.strip() for value in record.values if value.strip()]
    return bool(cells) and all(_MARKDOWN_RULE.fullmatch(cell) for cell in cells)


def _sniffed_delimiter(lines: list[str]) -> str | None:
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return None


def _build_table(source: _Source, head: list[str]) -> Table:
    """Header and preamble from the file's first lines; the rows are counted here and
    read again when iterated (``Streamed``)."""
    records = source.records()
    strip = source.layout.delimiter + " \t"
    preamble = [
        _source_text(head, record).strip().rstrip(strip)
        for record in islice(records, source.layout.header_index)
    ]
    first = next(records, None)
    if first is None:
        return Table(header=[], rows=[], provenance=Provenance(), preamble=preamble)
    last: _Record = first
    header = [value.strip() for value in first.values]
    count, width = 0, len(header)
    for last in records:
        count, width = count + 1, max(width, len(last.values))
    provenance = Provenance(
        cell_range=f"A{first.number}:{column_letter(width)}{last.number}",
        line_start=first.line_start,
        line_end=last.line_end,
    )
    skip = source.layout.header_index + 1
    rows = Streamed(count, lambda: source.rows(skip, len(header)))
    return Table(header=header, rows=rows, provenance=provenance, preamble=preamble)


def _source_text(lines: list[str], record: _Record) -> str:
    return "\n".join(lines[record.line_start - 1 : record.line_end])


def _row(record: _Record, width: int) -> Row:
    values: list[CellValue] = [value.strip() or None for value in record.values]
    values += [None] * (width - len(values))
    cells = f"A{record.number}:{column_letter(len(values))}{record.number}"
    where = Provenance(cell_range=cells, line_start=record.line_start, line_end=record.line_end)
    return Row(values, where)
