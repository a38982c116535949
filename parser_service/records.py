"""Records: the unit sent to the model, and what comes back for each.

A splitter turns a ``Document`` into ``Record`` objects (the whole document for an
invoice, one per row for a bank export). The pipeline turns each into a
``RecordResult`` with a status of ``ok``, ``invalid`` or ``failed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

from parser_service.document import CellValue, Document, Page, Provenance, Table, column_letter

Status = Literal["ok", "invalid", "failed"]


@dataclass(slots=True)
class Record:
    """A piece of a document to extract one schema object from.

    ``cells`` (header -> value) and ``cell_provenance`` are set for table rows, so
    a plugin can read columns directly and point each field at its cell.
    """

    index: int
    text: str
    provenance: list[Provenance]
    cells: dict[str, CellValue] | None = None
    cell_provenance: dict[str, Provenance] = field(default_factory=dict)
    #: (start, end, provenance) of pieces of ``text``, in order, for locating values.
    spans: list[tuple[int, int, Provenance]] = field(default_factory=list)
    #: Free room for a plugin's splitter to pass facts to its ``prefill``. By
    #: convention ``context["columns"]`` maps a field to the column it is read from,
    #: which gives prefilled fields their cell provenance.
    context: dict[str, Any] = field(default_factory=dict)

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
    plugin: str
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

    @property
    def review(self) -> bool:
        return self.status != "ok" or bool(self.review_fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "plugin": self.plugin,
            "schema": self.schema,
            "status": self.status,
            "data": self.data,
            "errors": [issue.to_dict() for issue in self.errors],
            "provenance": self.provenance,
            "confidence": self.confidence,
            "truncated": self.truncated,
            "review": self.review,
            "review_fields": self.review_fields,
        }


def whole_document(document: Document) -> list[Record]:
    """One record holding the whole document's text (invoices, receipts, CVs)."""
    pieces: list[str] = []
    spans: list[tuple[int, int, Provenance]] = []
    offset = 0
    for page in document.pages:
        for text, where in _page_pieces(page):
            pieces.append(text)
            spans.append((offset, offset + len(text), where))
            offset += len(text) + 1
    pages = [Provenance(page=page.number, sheet=page.name) for page in document.pages]
    return [Record(index=0, text="\n".join(pieces), provenance=pages, spans=spans)]


def _page_pieces(page: Page) -> list[tuple[str, Provenance]]:
    if page.blocks:
        return [(block.text, block.provenance) for block in page.blocks]
    pieces = []
    for table in page.tables:
        pieces += [(line, table.provenance) for line in table.preamble]
        pieces += table.lines()
    return pieces


def chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """``records`` in lists of ``size`` (the last may be shorter), drawn as they come."""
    it = iter(records)
    while chunk := list(islice(it, size)):
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
    """One record per data row of ``table``, indexed from ``start``."""
    header = table.header
    names: list[str] = [name or f"column {i + 1}" for i, name in enumerate(header)]
    letters = [column_letter(i + 1) for i in range(len(names))]
    for index, row in enumerate(table.rows, start):
        if len(row.values) > len(names):
            names += [f"column {i + 1}" for i in range(len(names), len(row.values))]
            letters += [column_letter(i + 1) for i in range(len(letters), len(names))]
        width = max(len(header), len(row.values))
        yield _row_record(index, names[:width], letters, row.values, row.provenance)


def _row_record(
    index: int, names: list[str], letters: list[str], values: list[CellValue], where: Provenance
) -> Record:
    cells = {name: value for name, value in zip(names, values)}
    by_cell = _cell_provenance(names, letters, where)
    lines, spans, offset = [], [], 0
    for name, value in cells.items():
        line = f"{name}: {'' if value is None else value}"
        spans.append((offset, offset + len(line), by_cell.get(name, where)))
        lines.append(line)
        offset += len(line) + 1
    return Record(index, "\n".join(lines), [where], cells, by_cell, spans)


def _cell_provenance(names: list[str], letters: list[str], where: Provenance) -> dict[str, Provenance]:
    if not where.cell_range:
        return {}
    first = where.cell_range.split(":")[0]
    row_number = first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return {
        names[i]: Provenance(
            sheet=where.sheet,
            cell_range=letters[i] + row_number,
            line_start=where.line_start,
            line_end=where.line_end,
        )
        for i in range(len(names))
    }
