"""CSV parser: encoding and delimiter detection, preamble lines, line provenance.

The delimiter is the one of ``, ; TAB |`` that splits the first records into a
consistent number of columns (csv.Sniffer breaks ties). A comma inside a number
written among words ("SUMME EUR 3,70", "1.234,56 EUR") splits nothing: text whose
only commas are such decimal commas (a receipt, a letter) is not a table. The header
is the first record with that many columns, most of them filled; records above it
are preamble. Values stay strings. Rows carry their physical line range and an A1
cell range whose row number is the record number a spreadsheet would show.

A table may have no header row at all (an export that starts with its first
transaction): when the first record writes dates or numbers in the key columns (below),
a date at least and no word, as the rows do, it is a row. The table then has no header: its records
name the columns by their place ("column 1", "column 2", ..., as a sheet's without one)
and the columns' roles come from their values.

A line that leaves the table's key columns empty (those every row of the sample fills
with a date or a number) and holds only text continues the row above it (a bank
export that writes each description's second line on a line of its own): its text is
joined to that row's cells, below a line break, as a quoted field spanning lines is.

The file is streamed: its encoding is checked chunk by chunk, the parse reads the
header and counts the rows, and the table's rows (``Streamed``) are read from the
file again each time they are iterated, so memory does not grow with the file.
What one row may hold is bounded as it is read (``MAX_CSV_FIELD_CHARS``,
``MAX_CSV_RECORD_CHARS``, ``MAX_CSV_COLUMNS`` in ``limits``): a file past a limit is
refused with ``FileTooLargeError`` naming the line and the limit, when parsed, before
any of it reaches a plugin; a 50 MB line, or a quote never closed, is never held whole.

Sniffing reads past the first ``SNIFF_BYTES`` when they hold only a line or two (a
table of 10,000 columns), up to ``_SNIFF_MAX_CHARS`` of whole lines. A line longer than
a row may be (``MAX_CSV_RECORD_CHARS``) is read past, never held, and counts neither
for nor against a layout: the lines around it decide, so a table with one such row is
still a CSV, and its parse refuses it naming the line and the limit (it was text, which
a plugin of tables then refused as "text/plain", hiding the real problem).
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, count, islice
from pathlib import Path

from parser_service.document import CellValue, Page, Provenance, Row, Streamed, Table, column_letter
from parser_service.errors import CorruptFileError
from parser_service.parsers.base import SNIFF_BYTES, Parser, Stamp, check_unchanged, file_stamp
from parser_service.parsers.encoding import LineTooLong, decode_head, head_codec, iter_lines, split_lines, text_encoding
from parser_service.parsers.limits import MAX_CSV_COLUMNS, MAX_CSV_FIELD_CHARS, MAX_CSV_RECORD_CHARS, too_large
from parser_service.text.normalize import to_date

DELIMITERS = ",;\t|"
_SAMPLE_LINES = 200
#: The first lines read to choose the layout stop at this many characters too.
_SAMPLE_CHARS = 2 * MAX_CSV_RECORD_CHARS
#: Sniffing reads on while the bytes read hold fewer whole lines than this...
_SNIFF_LINES = 8
#: ... up to this many characters of whole lines: two of the longest rows.
_SNIFF_MAX_CHARS = 2 * MAX_CSV_RECORD_CHARS + SNIFF_BYTES
#: Lines past the row limit are read past (in pieces of ``_SKIP_CHARS``) until sniffing
#: has read this many characters in all: more than an upload holds (``max_upload_mb``).
_SNIFF_READ_CHARS = 64 * MAX_CSV_RECORD_CHARS
_SKIP_CHARS = 1 << 20
#: csv.Sniffer reads the first lines up to this many characters (two lines at least).
_SNIFFER_CHARS = 1 << 16
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
    #: The record at ``header_index`` is a row, not a header (see ``_is_row``).
    headless: bool = False

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
        cut = len(head) >= SNIFF_BYTES
        if cut and len(lines) <= _SNIFF_LINES:  # long lines: a wide table, or a row past the limit
            codec = head_codec(head)
            if codec is None:
                return False
            lines, cut = _sniff_lines(path, codec)
        elif cut and len(lines) > 1:
            lines.pop()  # the head may end in the middle of a line
        layout = _choose_layout(lines[:_SAMPLE_LINES], cut=cut)
        return layout is not None and layout.is_consistent

    def parse(self, path: Path, filename: str) -> list[Page]:
        encoding = text_encoding(path, filename)
        try:
            head = _sample(iter_lines(path, encoding, MAX_CSV_RECORD_CHARS))
        except LineTooLong as exc:
            raise too_large(filename, _line_too_long(exc)) from exc
        layout = _choose_layout(head, cut=True) or _Layout(",", 1, 0, 0, 0)
        source = _Source(path, filename, encoding, layout, file_stamp(path))
        try:
            table = _build_table(source, head)
        except _TooLarge as exc:
            raise too_large(filename, exc.problem) from exc
        except csv.Error as exc:
            raise CorruptFileError(filename, f"the CSV could not be read ({exc})") from exc
        return [Page(number=1, tables=[table])]


def _sniff_lines(path: Path, codec: str) -> tuple[list[str], bool]:
    """The file's first whole lines, ``_SAMPLE_LINES`` at most and ``_SNIFF_MAX_CHARS`` in
    all, and whether the file goes on past them. A line longer than
    ``MAX_CSV_RECORD_CHARS`` is read past in pieces and left out (the parse refuses it,
    naming it). Bytes ``codec`` cannot decode are replaced: the parse checks the encoding."""
    lines: list[str] = []
    kept = read = 0
    with path.open(encoding=codec, errors="replace", newline=None) as handle:
        while len(lines) < _SAMPLE_LINES and kept < _SNIFF_MAX_CHARS:
            line = handle.readline(MAX_CSV_RECORD_CHARS + 1)
            if not line:
                return lines, False
            read += len(line)
            if line.endswith("\n") or len(line) <= MAX_CSV_RECORD_CHARS:  # whole (the last may lack "\n")
                lines.append(line.removesuffix("\n"))
                kept += len(line)
                continue
            while not line.endswith("\n"):  # past the limit: read to its end, keep nothing
                if read >= _SNIFF_READ_CHARS:
                    return lines, True
                line = handle.readline(_SKIP_CHARS)
                if not line:
                    return lines, False
                read += len(line)
    return lines, True


def _sample(lines: Iterable[str]) -> list[str]:
    """The first ``_SAMPLE_LINES`` lines, fewer where they pass ``_SAMPLE_CHARS``."""
    out: list[str] = []
    chars = 0
    for line in islice(lines, _SAMPLE_LINES):
        out.append(line)
        chars += len(line)
        if chars >= _SAMPLE_CHARS:
            break
    return out


class _TooLarge(Exception):
    """A record past one of the limits; ``problem`` says which, and where."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _line_too_long(exc: LineTooLong) -> str:
    return f"line {exc.number:,} is longer than {exc.limit:,} characters, the most a CSV row may hold"


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
        return _records(iter_lines(self.path, self.encoding, MAX_CSV_RECORD_CHARS), self.layout.delimiter)

    def rows(self, skip: int, width: int) -> Iterator[Row]:
        """The data rows (after ``skip`` records), as the parse counted them."""
        check_unchanged(self.path, self.filename, self.stamp)
        try:
            for group in _grouped(islice(self.records(), skip, None), self.layout.keys):
                yield _row(group, width)
        except _TooLarge as exc:
            raise too_large(self.filename, exc.problem) from exc
        except csv.Error as exc:
            raise CorruptFileError(self.filename, f"the CSV could not be read ({exc})") from exc


class _Feed:
    """Lines for ``csv.reader``, counting the characters of the record being read:
    ``_TooLarge`` once they pass ``MAX_CSV_RECORD_CHARS`` (or one line is longer)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.number = 0
        #: The first line of the record being read, and its characters so far.
        self.start = 1
        self.chars = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except LineTooLong as exc:
            raise _TooLarge(_line_too_long(exc)) from exc
        self.number += 1
        self.chars += len(line) + 1
        if self.chars > MAX_CSV_RECORD_CHARS:
            raise _TooLarge(
                f"the row from line {self.start:,} runs past {MAX_CSV_RECORD_CHARS:,} characters "
                f"(to line {self.number:,}), the most a CSV row may hold"
            )
        return line + "\n"

    def next_record(self) -> None:
        self.start, self.chars = self.number + 1, 0


def _records(lines: Iterable[str], delimiter: str) -> Iterator[_Record]:
    """Non-blank records with their physical line span (quoted fields may span lines).
    ``_TooLarge`` for a record past a limit (``MAX_CSV_FIELD_CHARS`` and the others)."""
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=delimiter, quotechar='"')
    check_fields = csv.field_size_limit() > MAX_CSV_FIELD_CHARS  # else the reader enforces it
    previous = 0
    for number in count(1):
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _TooLarge(_field_too_long(feed.start, reader.line_num)) from exc
            raise
        start, previous = previous + 1, reader.line_num
        feed.next_record()
        if len(values) > MAX_CSV_COLUMNS:
            raise _TooLarge(
                f"line {start:,} has {len(values):,} columns, more than {MAX_CSV_COLUMNS:,}, "
                "the most a CSV row may hold"
            )
        if check_fields and values and max(map(len, values)) > MAX_CSV_FIELD_CHARS:
            raise _TooLarge(_field_too_long(start, previous))
        if any(value.strip() for value in values):
            yield _Record(values, start, previous, number)


def _field_too_long(start: int, end: int) -> str:
    if end <= start:
        return f"a field on line {start:,} is longer than {MAX_CSV_FIELD_CHARS:,} characters, the most a CSV field may hold"
    return (
        f"a field from line {start:,} runs past {MAX_CSV_FIELD_CHARS:,} characters, the most a CSV "
        f"field may hold (to line {end:,}: is its closing quote missing?)"
    )


def _choose_layout(lines: list[str], *, cut: bool = False) -> _Layout | None:
    """``cut``: ``lines`` are the file's first lines, not all of them."""
    layouts = [layout for d in DELIMITERS if (layout := _layout(lines, d, cut)) is not None]
    if not layouts:
        return None
    sniffed = _sniffed_delimiter(lines)
    return max(
        layouts,
        key=lambda o: (o.is_consistent, o.consistent, o.delimiter == sniffed, o.width),
    )


def _layout(lines: list[str], delimiter: str, cut: bool = False) -> _Layout | None:
    if delimiter == ",":
        lines = [_DECIMAL_COMMA.sub(r"\1.\2", line) for line in lines]
    sample: list[_Record] = []
    try:
        for record in islice(_records(lines, delimiter), _SAMPLE_RECORDS + 1):
            sample.append(record)  # kept one by one: those read before an error count
    except _TooLarge:
        cut = False  # a record past a limit (the parse refuses it, naming it): those above it decide
    except csv.Error:
        return None
    if len(sample) > _SAMPLE_RECORDS:
        sample.pop()
    elif cut and sample and sample[-1].line_end == len(lines) > sample[-1].line_start:
        sample.pop()  # a quoted field open where the lines stop: the record goes on past them
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
    return _Layout(delimiter, width, header, consistent, len(tail) - continuations, keys, _is_row(tail[0], keys))


def _header_index(sample: list[_Record], width: int) -> int:
    """First record with ``width`` columns, most of them filled (else just ``width``).
    Where every row of ``width`` ends in an empty field (each row written with a
    delimiter after its last value), a record one column short is a candidate too: a
    header written without that delimiter."""
    needed = max(2, math.ceil(_HEADER_FILL * width))
    widths = {width, width - 1} if _empty_last_column(sample, width) else {width}
    candidates = [i for i, record in enumerate(sample) if len(record.values) in widths]
    for i in candidates:
        if _filled(sample[i]) >= needed:
            return i
    return candidates[0]


def _empty_last_column(sample: list[_Record], width: int) -> bool:
    rows = [record for record in sample if len(record.values) == width]
    return width > 2 and len(rows) >= 2 and not any(record.values[-1].strip() for record in rows)


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


def _is_row(record: _Record, keys: tuple[int, ...]) -> bool:
    """The header candidate writes dates or numbers in the key columns, as the rows under
    it do (leaving some empty, as a row of a debit/credit pair does), no word, and one
    date at least: it is the first row of a table without a header. A header names its
    columns with words, or with numbers such as years ("Item,2023,2024"), never dates."""
    cells = [record.values[i].strip() for i in keys if i < len(record.values)]
    written = [cell for cell in cells if cell]
    return bool(written) and all(map(_is_value, written)) and any(map(_is_date, written))


def _is_date(text: str) -> bool:
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
    if len(values) < 2 or not keys or keys[0] >= len(values):
        return False
    if any(values[i].strip() for i in keys if i < len(values)):
        return False  # a row of its own: the usual case, decided without reading every cell
    filled = [value for value in values if value.strip()]
    return bool(filled) and not any(map(_is_value, filled))


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
    taken: list[str] = []
    chars = 0
    for line in lines[:20]:
        if len(taken) >= 2 and chars + len(line) > _SNIFFER_CHARS:
            break
        taken.append(line)
        chars += len(line) + 1
    try:
        return csv.Sniffer().sniff("\n".join(taken), delimiters=DELIMITERS).delimiter
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
    headless = source.layout.headless
    header = [] if headless else [value.strip() for value in first.values]
    if headless:
        records = chain([first], records)
    count, width = 0, len(first.values)
    for group in _grouped(records, source.layout.keys):
        last = group[-1]
        count, width = count + 1, max(width, *(len(record.values) for record in group))
    provenance = Provenance(
        cell_range=f"A{first.number}:{column_letter(width)}{last.number}",
        line_start=first.line_start,
        line_end=last.line_end,
    )
    skip = source.layout.header_index + (0 if headless else 1)
    rows = Streamed(count, lambda: source.rows(skip, len(first.values)))
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
