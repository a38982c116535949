"""A job's records as JSON, JSON Lines, CSV or XLSX.

JSON and JSON Lines keep every record whole. CSV and XLSX are tables: nested data
is flattened into one column per leaf (``lines.0.name``, ``lines.1.name``), the
columns being the union over all records in the order of the plugin's schema (a
database may hand the data back with its keys in another order: PostgreSQL's JSONB
sorts them), and every text cell that a spreadsheet would read as a formula is
escaped (a leading apostrophe), so an exported document cannot run code in the
reviewer's spreadsheet. Each record says whether a person should review it
(``review``) and which fields (``review_fields``).

Records are read twice for tables (columns first, then rows) and streamed, so an
export never holds a whole large job in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

#: format -> (media type, file suffix)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("application/json", "json"),
    "jsonl": ("application/x-ndjson", "jsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
#: What a spreadsheet may take for the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
META_COLUMNS = ("record_index", "record_status", "record_review", "record_review_fields")
ERRORS_COLUMN = "record_errors"
#: Excel's limit on the characters of one cell.
XLSX_CELL_MAX = 32767
_XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

#: Calling it gives a fresh iterator over the job's records (export dicts), in order.
RecordSource = Callable[[], Iterable[dict[str, Any]]]
#: A schema's field names in order, each with the order of its nested model's fields (or None).
FieldOrder = dict[str, "FieldOrder | None"]


def field_order(schema: type[BaseModel]) -> FieldOrder:
    """The fields of ``schema`` in declaration order, nested models (``lines: list[Line]``) included."""
    return {name: _nested_order(info.annotation) for name, info in schema.model_fields.items()}


def _nested_order(annotation: Any) -> FieldOrder | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return field_order(annotation)
    for argument in get_args(annotation):  # Optional[...], list[...], Annotated[...]
        found = _nested_order(argument)
        if found is not None:
            return found
    return None


def in_order(data: Any, order: FieldOrder | None) -> Any:
    """``data`` with its keys in schema order (keys the schema does not name after them, as they came)."""
    if isinstance(data, list):
        return [in_order(item, order) for item in data]
    if not isinstance(data, dict) or not order:
        return data
    rank = {name: i for i, name in enumerate(order)}
    keys = sorted(data, key=lambda key: rank.get(key, len(rank)))  # stable: unknown keys keep their order
    return {key: in_order(data[key], order.get(key)) for key in keys}


def escape_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula.

    Numbers stay numbers: a negative amount is a number cell, not a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# -- flattening nested data into columns ----------------------------------------


def merge_shape(shape: Any, value: Any) -> Any:
    """Grow ``shape`` (dicts of dicts/lists, ``True`` for a leaf, None unknown) to cover ``value``.

    Empty and null values say nothing about the shape; a value that disagrees with
    the shape seen so far (a dict here, text there) makes it one leaf column."""
    if value is None or value == [] or value == {}:
        return shape
    if isinstance(value, dict):
        if shape is None:
            shape = {}
        if not isinstance(shape, dict):
            return True
        for key, item in value.items():
            shape[key] = merge_shape(shape.get(key), item)
        return shape
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        if shape is None:
            shape = []
        if not isinstance(shape, list):
            return True
        for i, item in enumerate(value):
            if i < len(shape):
                shape[i] = merge_shape(shape[i], item)
            else:
                shape.append(merge_shape(None, item))
        return shape
    return True


def shape_columns(shape: Any, prefix: str = "") -> list[str]:
    """The leaf paths of ``shape``, in order: ``amount``, ``lines.0.name``."""
    if isinstance(shape, dict):
        children = [(str(key), sub) for key, sub in shape.items()]
    elif isinstance(shape, list):
        children = [(str(i), sub) for i, sub in enumerate(shape)]
    else:
        return [prefix]
    columns: list[str] = []
    for key, sub in children:
        columns += shape_columns(sub, f"{prefix}.{key}" if prefix else key)
    return columns


def data_columns(datas: Iterable[dict[str, Any] | None], order: FieldOrder | None = None) -> list[str]:
    """The columns for the data of every record: the union of their leaf paths, in the order
    of ``order`` (the schema's) where given, else in the order the keys were first seen."""
    shape: Any = {}
    for data in datas:
        if data:
            shape = merge_shape(shape, data)
    return shape_columns(in_order(shape, order)) if isinstance(shape, dict) and shape else []


def flatten(data: dict[str, Any] | None, columns: list[str]) -> list[Any]:
    """The cells of ``data`` under ``columns`` (missing values are empty)."""
    return [_cell(lookup(data, column)) for column in columns]


def lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def _cell(value: Any) -> Any:
    if isinstance(value, list) and not any(isinstance(item, dict | list) for item in value):
        return "; ".join("" if item is None else str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def errors_cell(errors: list[Any]) -> str:
    """``field: message; field: message`` (a record-level error has no field)."""
    parts = []
    for issue in errors or []:
        if isinstance(issue, dict):
            field, message = issue.get("field"), issue.get("message", "")
            parts.append(f"{field}: {message}" if field else str(message))
        else:
            parts.append(str(issue))
    return "; ".join(parts)


def table(source: RecordSource, order: FieldOrder | None = None) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the (escaped) rows of a tabular export, columns in ``order`` (see ``data_columns``)."""
    columns = data_columns((record.get("data") for record in source()), order)
    header = [escape_cell(name) for name in (*META_COLUMNS, *columns, ERRORS_COLUMN)]

    def rows() -> Iterator[list[Any]]:
        for record in source():
            review_fields = "; ".join(str(name) for name in record.get("review_fields") or [])
            meta = [record.get("index"), record.get("status"), bool(record.get("review")), review_fields]
            cells = [*meta, *flatten(record.get("data"), columns), errors_cell(record.get("errors", []))]
            yield [escape_cell(cell) for cell in cells]

    return header, rows()


# -- the four formats -------------------------------------------------------------


def json_chunks(head: dict[str, Any], source: RecordSource) -> Iterator[str]:
    """``{...head, "records": [...]}``, written record by record."""
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    yield opening + (", " if head else "") + '"records": ['
    for i, record in enumerate(source()):
        yield ("," if i else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"


def jsonl_chunks(source: RecordSource) -> Iterator[str]:
    for record in source():
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_chunks(source: RecordSource, order: FieldOrder | None = None) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark and CRLF line ends, as spreadsheets expect."""
    header, rows = table(source, order)
    yield "\ufeff" + _csv_line([header])  # the BOM makes spreadsheets read UTF-8 as UTF-8
    for row in rows:
        yield _csv_line([[_csv_text(cell) for cell in row]])


def _csv_line(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _csv_text(cell: Any) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return cell


def write_xlsx(source: RecordSource, path: Path, title: str = "records", order: FieldOrder | None = None) -> Path:
    """Write the table to ``path`` with openpyxl's streaming (write-only) workbook."""
    from openpyxl import Workbook

    header, rows = table(source, order)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "records")
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_value(cell) for cell in row])
    workbook.save(path)
    return path


def _xlsx_value(cell: Any) -> Any:
    if isinstance(cell, str):
        return _XLSX_ILLEGAL.sub("", cell)[:XLSX_CELL_MAX]
    return cell


def xlsx_file(source: RecordSource, title: str = "records", order: FieldOrder | None = None) -> Path:
    """The workbook in a temporary file (the caller deletes it once sent)."""
    handle = tempfile.NamedTemporaryFile(prefix="export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    try:
        return write_xlsx(source, Path(handle.name), title, order)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def record_dict(record: Any, order: FieldOrder | None = None) -> dict[str, Any]:
    """A stored record as JSON and JSON Lines write it (and tables read it), its data's keys
    in ``order`` (the schema's) where given."""
    return {
        "id": record.id,
        "index": record.index,
        "status": record.status,
        "data": in_order(record.data, order),
        "errors": record.errors or [],
        "confidence": record.confidence or {},
        "provenance": record.provenance or {},
        "review": bool(record.review),
        "review_fields": list(record.review_fields or []),
    }
