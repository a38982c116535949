"""One record per row of a document's tables, its fields read in code by the table's mapping.

The mapping of each table is inferred once, from its first ``SAMPLE_ROWS`` rows (see
``mapping.map_columns``); then rows stream through. Each record carries what the
mapping read (``context["values"]``) and each field's column (``field_columns``: the
pipeline gives the value that cell's sheet and cell reference). A row whose mapped
cells are all empty (a blank row, a section title) and a repeated header are no
records. A field the table has no column for is absent (null), as is a field no column
can hold (an object, an array), so no model is asked for any field of any row unless a
cell cannot be read as its field's kind. Each field's confidence is its column
mapping's (``record.field_confidence``).

A document whose tables map no field at all (a PDF, a note) is one record, read as a
whole, as a schema without tables reads any document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pydantic import BaseModel

from parser_service.document import CellValue, Document, Table
from parser_service.domains.domain import Splitter
from parser_service.records import Record, iter_rows, whole_document
from parser_service.tables.choice import ModelChooser
from parser_service.tables.fields import Target, targets_of
from parser_service.tables.mapping import TableMapping, map_columns
from parser_service.tables.values import UNREADABLE, is_empty, read_field
from parser_service.text.normalize import infer_dayfirst

#: Rows a table's mapping is inferred from ...
SAMPLE_ROWS = 200
#: ... fewer in a wide table, so that the sample holds about this many cells ...
SAMPLE_CELLS = 100_000
#: ... but never fewer than this many rows.
MIN_SAMPLE_ROWS = 20


@dataclass(frozen=True, slots=True)
class TableSplitter:
    """A splitter for a schema: rows of mapped tables, else the whole document. Its
    columns are matched by ``method`` (see ``map_columns``); the pipeline gives it the
    model (``using``) where its settings ask for a method that needs one."""

    targets: tuple[Target, ...]
    unmapped: tuple[str, ...]
    chooser: ModelChooser | None = None
    method: str = "names"

    def __call__(self, document: Document) -> Iterator[Record]:
        return split_rows(self.targets, document, self.unmapped, self.chooser, self.method)

    def using(self, chooser: ModelChooser, method: str) -> TableSplitter:
        return dataclasses.replace(self, chooser=chooser, method=method)


def table_records(model: type[BaseModel]) -> Splitter:
    """A splitter for ``model``: rows of mapped tables, else the whole document."""
    targets = targets_of(model)
    unmapped = [name for name in model.model_fields if name not in {t.name for t in targets}]
    return TableSplitter(tuple(targets), tuple(unmapped))


def split_rows(
    targets: Sequence[Target],
    document: Document,
    unmapped: Sequence[str] = (),
    chooser: ModelChooser | None = None,
    method: str = "names",
) -> Iterator[Record]:
    """The records of ``document`` (see the module's docstring); ``unmapped``: the
    schema's fields no column can hold, null in every row."""
    tables = [(t, table_mapping(targets, t, chooser, method)) for page in document.pages for t in page.tables]
    tables = [(t, m) for t, m in tables if m.mapped]
    if not tables:
        yield from whole_document(document)
        return
    index = 0
    for table, mapping in tables:
        for record in _mapped_rows(table, mapping, unmapped):
            record.index = index
            index += 1
            yield record


def table_mapping(
    targets: Sequence[Target], table: Table, chooser: ModelChooser | None = None, method: str = "names"
) -> TableMapping:
    """The mapping of one table, from its first rows (``method``: see ``map_columns``)."""
    sample = columns_of(list(islice(iter_rows(table), sample_rows(len(table.header)))))
    return map_columns(targets, sample, chooser, method)


def sample_rows(width: int) -> int:
    """Rows sampled from a table of ``width`` columns: a table of 10,000 columns is
    profiled from 20 rows, not 200 (two million cells)."""
    return max(MIN_SAMPLE_ROWS, min(SAMPLE_ROWS, SAMPLE_CELLS // max(width, 1)))


def columns_of(records: list[Record]) -> dict[str, list[CellValue]]:
    """Column name -> its cells, in table order."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.cells or {}))
    return {name: [(r.cells or {}).get(name) for r in records] for name in names}


def _mapped_rows(table: Table, mapping: TableMapping, unmapped: Sequence[str]) -> Iterator[Record]:
    saved = mapping.to_dict()
    confidence = {name: round(m.confidence, 4) for name, m in mapping.fields.items()}
    dayfirst = _dayfirst(table, mapping)
    for record in iter_rows(table):
        cells = record.cells or {}
        if _no_record(cells, mapping):
            continue
        values = {
            name: read_field(cells, m.columns, mapping.kinds[name], dayfirst.get(name), m.signs)
            for name, m in mapping.fields.items()
        } | dict.fromkeys(unmapped)
        record.context["mapping"], record.context["values"] = saved, values
        record.field_columns = _field_columns(cells, mapping)
        record.field_confidence = confidence
        yield record


def _no_record(cells: dict[str, CellValue], mapping: TableMapping) -> bool:
    mapped = [c for m in mapping.fields.values() for c in m.columns]
    filled = [c for c in mapped if not is_empty(cells.get(c))]
    if not filled:
        return True
    return all(isinstance(cells.get(c), str) and str(cells.get(c)).strip() == c.strip() for c in filled)


def _field_columns(cells: dict[str, CellValue], mapping: TableMapping) -> dict[str, str]:
    """Each mapped field's first non-empty column (its provenance)."""
    out = {}
    for name, m in mapping.fields.items():
        filled = [c for c in m.columns if not is_empty(cells.get(c))]
        if filled:
            out[name] = filled[0]
    return out


def _dayfirst(table: Table, mapping: TableMapping) -> dict[str, bool | None]:
    """Day/month order of each date field's column, decided once from its first rows."""
    dated = {n: m.columns[0] for n, m in mapping.fields.items() if mapping.kinds[n] == "date" and m.columns}
    if not dated:
        return {}
    sample = list(islice(iter_rows(table), sample_rows(len(table.header))))
    return {n: infer_dayfirst((r.cells or {}).get(c) for r in sample) for n, c in dated.items()}


def prefill_row(record: Record) -> dict[str, Any]:
    """The fields a row's mapping read; a field left unreadable goes to the model."""
    values = record.context.get("values")
    if values is None or "mapping" not in record.context:
        return {}
    return {name: value for name, value in values.items() if value is not UNREADABLE}
