"""CSV parser: encoding and delimiter detection, preamble lines, line provenance.

The delimiter is the one of ``, ; TAB |`` that splits the first records into a
consistent number of columns (csv.Sniffer breaks ties). A comma inside a number
written among words ("SUMME EUR 3,70", "1.234,56 EUR") splits nothing: text whose
only commas are such decimal commas (a receipt, a letter) is not a table. The header
is the first record with that many columns, most of them filled; records above it
are preamble. Values stay strings. Rows carry their physical line range and an A1
cell range whose row number is the record number a spreadsheet would show.

A line that leaves the table's key columns empty (those every row of the sample fills
with a date or a number) and holds only text continues the row above it (a bank
export that writes each description's second line on a line of its own): its text is
joined to that row's cells, below a line break, as a quoted field spanning lines is.

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
from parser_service.normalize import to_date
from parser_service.parsers.base import SNIFF_BYTES, Parser, Stamp, check_unchanged, file_stamp
from parser_service.parsers.encoding import decode_head, iter_lines, split_lines, text_encoding

DELIMITERS = ",;\t|"
_SAMPLE_LINES = 200
_SAMPLE_RECORDS = 50
_HEADER_FILL = 0.6
_CONSISTENT_SHARE = 0.8
_MARKDOWN_RULE = re.compile(r":?-{3,}:?")
#: A number with a decimal comma, written after a word: a space before it, one or two
#: decimals, and nothing after them that goes on with the number or a field
#: ("SUMME EUR 3,70", "-1.234,56 EUR"; not "1,23-Jan-15" nor "7,12,A").
_DECIMAL_COMMA = re.compile(r"(?<=\s)([-+]?[€$£]?\d{1,3}(?:\.\d{3})*|[-+]?[€$£]?\d+),(\d{1,2})(?![\d,\-/.:])")
#: A cell that is a number: digits with separators, a sign, a currency sign or code.
_NUMBER = re.compile(r"[-+(]?\s*(?:[€$£¥]|[A-Z]{3})?\s*[-+]?\d[\d.,'’ ]*\)?\s*(?:[€$£¥%]|[A-Z]{3})?[-+]?")


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
    #: Columns every row of the sample fills with a date or a number (see ``_continues``).
    keys: tuple[int, ...] = ()

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
            for group in _grouped(islice(self.records(), skip, None), self.layout.keys):
                yield _row(group, width)
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
    if delimiter == ",":
        lines = [_DECIMAL_COMMA.sub(r"\1.\2", line) for line in lines]
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
    rows = [r for r in tail[1:] if _fits(r, width)]
    keys = _key_columns(rows, width)
    continuations = sum(_continues(r, keys) for r in tail[1:])
    consistent = len(rows) + _fits(tail[0], width)
    return _Layout(delimiter, width, header, consistent, len(tail) - continuations, keys)


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


def _fits(record: _Record, width: int) -> bool:
    """``width`` columns, two of them filled at least."""
    return len(record.values) == width and _filled(record) >= 2


def _key_columns(rows: list[_Record], width: int) -> tuple[int, ...]:
    """Columns that every one of ``rows`` (two at least) fills with a date or a number."""
    if len(rows) < 2:
        return ()
    return tuple(i for i in range(width) if all(_is_value(row.values[i]) for row in rows))


def _is_value(text: str) -> bool:
    """A date or a number, not words."""
    text = text.strip()
    if not text:
        return False
    if _NUMBER.fullmatch(text):
        return True
    try:
        to_date(text)
    except ValueError:
        return False
    return True


def _continues(record: _Record, keys: tuple[int, ...]) -> bool:
    """Text on a delimited line of its own, under a row: its cells in the key columns
    written and empty (",,more text"), no cell a date or a number (a row without a
    date but with an amount is a row of its own; a line without a delimiter is none)."""
    values = record.values
    filled = [value for value in values if value.strip()]
    return (
        len(values) >= 2
        and bool(keys)
        and keys[0] < len(values)
        and all(not values[i].strip() for i in keys if i < len(values))
        and bool(filled)
        and not any(map(_is_value, filled))
    )


def _grouped(records: Iterable[_Record], keys: tuple[int, ...]) -> Iterator[list[_Record]]:
    """Each record with the continuation lines under it (see ``_continues``)."""
    group: list[_Record] = []
    for record in records:
        if group and _continues(record, keys):
            group.append(record)
            continue
        if group:
            yield group
        group = [record]
    if group:
        yield group


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
    for group in _grouped(records, source.layout.keys):
        last = group[-1]
        count, width = count + 1, max(width, *(len(record.values) for record in group))
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


def _row(group: list[_Record], width: int) -> Row:
    """A record and its continuation lines as one row: each cell's lines joined."""
    first, last = group[0], group[-1]
    values: list[CellValue] = [value.strip() or None for value in first.values]
    for record in group[1:]:
        for i, value in enumerate(record.values):
            if not value.strip():
                continue
            values += [None] * (i + 1 - len(values))
            above = values[i]
            values[i] = value.strip() if above is None else f"{above}\n{value.strip()}"
    values += [None] * (width - len(values))
    cells = f"A{first.number}:{column_letter(len(values))}{last.number}"
    where = Provenance(cell_range=cells, line_start=first.line_start, line_end=last.line_end)
    return Row(values, where)
