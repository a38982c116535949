"""Records: the unit sent to the model, and what comes back for each.

A splitter turns a ``Document`` into ``Record`` objects (the whole document for an
invoice, one per row for a bank export). The pipeline turns each into a
``RecordResult`` with a status of ``ok``, ``invalid`` or ``failed``.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal, overload

from parser_service.document import CellValue, Document, Page, Provenance, Table, column_letter

Status = Literal["ok", "invalid", "failed"]
#: A table row's text (``name: value`` lines) stops at the line that passes this many
#: characters: 8,192 tokens and more, past what a prompt holds (``max_prompt_tokens``
#: cuts it to 1,536 by default). Its cells stay whole; a row of 10,000 columns no
#: longer carries 90,000 characters of text and a span for each of them.
MAX_ROW_TEXT_CHARS = 32_768


@dataclass(slots=True)
class Record:
    """A piece of a document to extract one schema object from.

    ``cells`` (header -> value) and ``cell_provenance`` are set for table rows, so
    a plugin can read columns directly and point each field at its cell
    (``field_columns``).
    """

    index: int
    text: str
    provenance: list[Provenance]
    cells: dict[str, CellValue] | None = None
    #: A dict, or for a table row a mapping that makes each cell's provenance when asked.
    cell_provenance: Mapping[str, Provenance] = field(default_factory=dict)
    #: (start, end, provenance) of pieces of ``text``, in order, for locating values (a
    #: list, or for a table row a sequence that makes each piece's provenance when asked).
    spans: Sequence[tuple[int, int, Provenance]] = field(default_factory=list)
    #: Free room for a plugin's splitter to pass facts to its own ``prefill``; the
    #: pipeline never reads it.
    context: dict[str, Any] = field(default_factory=dict)
    #: Schema field -> the column (a key of ``cells``) its value is read from, set by a
    #: splitter that knows the table's layout. The pipeline gives such a field that
    #: cell's provenance, verbatim, instead of searching the record's text for the value.
    field_columns: dict[str, str] = field(default_factory=dict)
    #: Schema field -> how sure the splitter is of that field's column (0..1): a
    #: prefilled field's confidence, where set (else 1.0).
    field_confidence: dict[str, float] = field(default_factory=dict)
    #: Schema field -> how its value was read from its cell, where not as written (a card
    #: statement's charge, negated): the output's provenance says so (``reading``).
    field_readings: dict[str, str] = field(default_factory=dict)
    #: The tables detected in the record's part of the document (a PDF's ruled tables):
    #: where the rows of its lists are looked for, besides its text's lines.
    tables: list[Table] = field(default_factory=list)

    def provenance_at(self, offset: int) -> Provenance | None:
        """The provenance of the piece of ``text`` holding character ``offset``."""
        for start, end, where in self.spans:
            if start <= offset < end:
                return where
        return self.provenance[0] if self.provenance else None


@dataclass(slots=True)
class FieldIssue:
    """A problem with one field (``field`` None: the record as a whole)."""

    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


@dataclass(slots=True)
class RecordResult:
    index: int
    #: The name of the domain the record was extracted for.
    domain: str
    schema: str
    status: Status
    data: dict[str, Any] | None
    errors: list[FieldIssue]
    provenance: dict[str, Any]
    confidence: dict[str, float]
    truncated: bool = False
    #: Fields under the plugin's confidence threshold, or failing validation: a person should look.
    review_fields: list[str] = field(default_factory=list)
    #: What each field's confidence was computed from (for calibration; not in the output).
    evidence: dict[str, Any] = field(default_factory=dict, repr=False)
    #: List field -> why it cannot be shown complete (its count or its sum does not check out).
    incomplete: dict[str, str] = field(default_factory=dict)

    @property
    def review(self) -> bool:
        return self.status != "ok" or bool(self.review_fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "domain": self.domain,
            "schema": self.schema,
            "status": self.status,
            "data": self.data,
            "errors": [issue.to_dict() for issue in self.errors],
            "provenance": self.provenance,
            "confidence": self.confidence,
            "truncated": self.truncated,
            "review": self.review,
            "review_fields": self.review_fields,
            "incomplete": self.incomplete,
        }


def whole_document(document: Document) -> list[Record]:
    """One record holding the whole document's text (invoices, receipts, CVs)."""
    pieces: list[str] = []
    spans: list[tuple[int, int, Provenance]] = []
    tables: list[Table] = []
    offset = 0
    for page in document.pages:
        tables += page.tables if page.blocks else []
        for text, where in _page_pieces(page):
            pieces.append(text)
            spans.append((offset, offset + len(text), where))
            offset += len(text) + 1
    pages = [Provenance(page=page.number, sheet=page.name) for page in document.pages]
    return [Record(index=0, text="\n".join(pieces), provenance=pages, spans=spans, tables=tables)]


def _page_pieces(page: Page) -> list[tuple[str, Provenance]]:
    if page.blocks:
        return [(block.text, block.provenance) for block in page.blocks]
    pieces = []
    for table in page.tables:
        pieces += [(line, table.provenance) for line in table.preamble]
        pieces += table.lines()
    return pieces


def chunks(records: Iterable[Record], size: int, max_chars: int | None = None) -> Iterator[list[Record]]:
    """``records`` in lists of ``size`` (the last may be shorter), drawn as they come.

    ``max_chars``: a list also ends once its records' text reaches that many characters
    (one record at least): what a record holds grows with its text (a row of 10,000
    columns holds 10,000 cells, their provenance and a line of text each), so a list
    of wide rows stays as small as one of narrow ones."""
    if max_chars is None:
        it = iter(records)
        while chunk := list(islice(it, size)):
            yield chunk
        return
    chunk, chars = [], 0
    for record in records:
        chunk.append(record)
        chars += len(record.text)
        if len(chunk) >= size or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def expected_count(records: Iterable[Record], document: Document) -> int:
    """How many records a splitter's answer holds: its length, or for records still to
    be drawn, the document's table rows (an upper bound: a splitter skips footers)."""
    if isinstance(records, Sized):
        return len(records)
    return sum(len(table.rows) for page in document.pages for table in page.tables)


def table_rows(document: Document) -> list[Record]:
    """One record per data row of every table (bank exports, contact lists)."""
    records: list[Record] = []
    for page in document.pages:
        for table in page.tables:
            records += iter_rows(table, len(records))
    return records


def iter_rows(table: Table, start: int = 0) -> Iterator[Record]:
    """One record per data row of ``table``, indexed from ``start``: its cells by column
    name, its text (``name: value`` lines, up to ``MAX_ROW_TEXT_CHARS``) and each cell's
    provenance."""
    header = table.header
    names: list[str] = [name or f"column {i + 1}" for i, name in enumerate(header)]
    letters = [column_letter(i + 1) for i in range(len(names))]
    columns = _Columns(names, letters)
    for index, row in enumerate(table.rows, start):
        if len(row.values) > len(names):
            names += [f"column {i + 1}" for i in range(len(names), len(row.values))]
            letters += [column_letter(i + 1) for i in range(len(letters), len(names))]
            columns = _Columns(names, letters)
        width = max(len(header), len(row.values))
        yield _row_record(index, columns, width, row.values, row.provenance)


@dataclass(frozen=True, slots=True)
class _Columns:
    """A table's column names and letters, and the column of each name, shared by its rows."""

    names: list[str]
    letters: list[str]
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            index[name] = i  # a name twice: its last column, as the row's cells read it
        object.__setattr__(self, "index", index)


def _row_record(index: int, columns: _Columns, width: int, values: list[CellValue], where: Provenance) -> Record:
    names = columns.names[:width]
    cells = {name: value for name, value in zip(names, values)}
    by_cell: Mapping[str, Provenance] = _CellProvenance(columns, cells, where) if where.cell_range else {}
    lines, ends, offset = [], array("q"), 0
    for name, value in cells.items():
        if offset >= MAX_ROW_TEXT_CHARS:
            break
        line = f"{name}: {'' if value is None else value}"
        lines.append(line)
        offset += len(line)
        ends.append(offset)
        offset += 1
    spans = _RowSpans(ends, list(islice(cells, len(ends))), by_cell, where)
    return Record(index, "\n".join(lines), [where], cells, by_cell, spans)


class _RowSpans(Sequence[tuple[int, int, Provenance]]):
    """The spans of a row's text, a line per cell, each with its cell's provenance, made
    when asked (``Record.provenance_at`` reads them only to place a model's value)."""

    __slots__ = ("_ends", "_names", "_by_cell", "_where")

    def __init__(self, ends: array[int], names: list[str], by_cell: Mapping[str, Provenance], where: Provenance) -> None:
        self._ends, self._names, self._by_cell, self._where = ends, names, by_cell, where

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int, Provenance]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int, Provenance]]: ...
    def __getitem__(self, index: int | slice) -> tuple[int, int, Provenance] | list[tuple[int, int, Provenance]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("span index out of range")
        start = self._ends[index - 1] + 1 if index else 0
        return start, self._ends[index], self._by_cell.get(self._names[index], self._where)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class _CellProvenance(Mapping[str, Provenance]):
    """Column name -> the provenance of that cell of one row, made when asked (a row of
    10,000 columns made 10,000 of them, most never read)."""

    __slots__ = ("_columns", "_cells", "_where", "_row_number")

    def __init__(self, columns: _Columns, cells: dict[str, CellValue], where: Provenance) -> None:
        self._columns, self._cells, self._where = columns, cells, where
        first = (where.cell_range or "").split(":")[0]
        self._row_number = first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def __getitem__(self, name: str) -> Provenance:
        if name not in self._cells:
            raise KeyError(name)
        where = self._where
        letter = self._columns.letters[self._columns.index[name]]
        return Provenance(
            sheet=where.sheet, cell_range=letter + self._row_number, line_start=where.line_start, line_end=where.line_end
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    def __contains__(self, name: object) -> bool:
        return name in self._cells
