"""One record per transaction row, and the fields its table's column mapping can read.

``split_transactions`` builds on ``iter_rows``: every data row of every table is a
candidate, and records are yielded one at a time as the table streams its rows. A
column mapping (see ``mapping``) is inferred once per table, from its first rows, and
stored in each record's context (``context["mapping"]``, and ``context["values"]``:
what the mapping read from the row, read once), and each field's column in its
``field_columns``, which gives prefilled fields their cell provenance. Rows that are
not transactions are skipped: empty rows, a repeated header, and total/footer rows
(a row with neither a date nor an amount, or with a "Total"/"Summe"/"Saldo" label
and no date). When some table of the document maps to dates and amounts, tables that
do not (a summary sheet) are skipped; when none does, every row is kept and the
model reads them all.

``prefill_transaction`` returns what the mapping reads from a row's cells. A cell it
cannot read ("Pending" in a date column) is left out, so the model is asked for that
field; an empty cell is a known absence (null).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from parser_service.plugin_api import CellValue, Document, Record, Table, clean_text, iter_rows
from parser_service_bank_transactions.mapping import (
    CREDIT_MARKS,
    DEBIT_MARKS,
    Mapping,
    cell_mark,
    infer_mapping,
    is_empty,
    normalise_header,
    read_date,
    read_number,
    sample_rows,
)
from parser_service_bank_transactions.signs import CHARGES_POSITIVE

#: A label that makes a row without a date a summary, not a transaction.
_TOTAL_LABELS = re.compile(
    r"^(?:sub ?)?(?:total|totals|totaal|totale|summe|gesamt|gesamtsumme|sum|suma|somme|"
    r"opening balance|closing balance|balance brought forward|balance carried forward|"
    r"anfangssaldo|endsaldo|beginsaldo|eindsaldo|saldo|saldo inicial|saldo final|"
    r"solde|solde initial|solde final|kontostand)\b"
)


#: The amount's reading on a card statement that writes charges positive (``signs``).
CHARGES_NEGATED = "negated: a card statement's charges are written positive (sign_convention charges_positive)"


class _Unreadable:
    """A cell the mapping cannot read: the field is left to the model."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = _Unreadable()


def split_transactions(document: Document) -> Iterator[Record]:
    """The document's transactions, one record at a time: each table's mapping comes
    from its first ``SAMPLE_ROWS`` rows (fewer in a wide table: ``sample_rows``), then
    its rows stream through (a 100,000-row export is never held as records)."""
    tables = [(table, _table_mapping(table)) for page in document.pages for table in page.tables]
    any_confident = any(mapping.confident for _, mapping in tables)
    index = 0
    for table, mapping in tables:
        if any_confident and not mapping.confident:
            continue
        saved = mapping.to_dict()
        for record in iter_rows(table):
            values = transaction_values(record, mapping)
            if values is None:
                continue
            record.index = index
            index += 1
            record.context["mapping"] = saved
            record.field_columns = _field_columns(record, mapping)
            if mapping.sign_convention == CHARGES_POSITIVE:
                record.field_readings["amount"] = CHARGES_NEGATED
            record.context["values"] = values
            yield record


def _table_mapping(table: Table) -> Mapping:
    rows = list(islice(iter_rows(table), sample_rows(len(table.header))))
    return infer_mapping(_columns(rows), context=" ".join(table.preamble))


def _columns(records: list[Record]) -> dict[str, list[CellValue]]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.cells or {}))
    return {name: [(r.cells or {}).get(name) for r in records] for name in names}


def _field_columns(record: Record, mapping: Mapping) -> dict[str, str]:
    columns = {f: getattr(mapping, f) for f in ("date", "amount", "balance", "payee", "memo")}
    if mapping.debit and mapping.credit:
        cells = record.cells or {}
        columns["amount"] = mapping.debit if is_empty(cells.get(mapping.credit)) else mapping.credit
    return {f: c for f, c in columns.items() if c}


def is_transaction(record: Record, mapping: Mapping) -> bool:
    return transaction_values(record, mapping) is not None


def transaction_values(record: Record, mapping: Mapping) -> dict[str, Any] | None:
    """What ``mapping`` reads from the row (see ``read_row``), or None when the row is
    no transaction."""
    cells = record.cells or {}
    filled = {name: v for name, v in cells.items() if not is_empty(v)}
    if not filled:
        return None
    if all(isinstance(v, str) and v.strip() == name for name, v in filled.items()):
        return None  # the header, repeated
    values = read_row(cells, mapping)
    has_date = values.get("date") not in (None, UNREADABLE)
    has_amount = values.get("amount") not in (None, UNREADABLE)
    if mapping.confident and not has_date and not has_amount:
        return None
    if not has_date and _labelled_total(filled, mapping):
        return None
    # a lone note or footer line is no transaction
    return values if mapping.confident or len(filled) != 1 or len(cells) <= 2 else None


def _labelled_total(filled: dict[str, CellValue], mapping: Mapping) -> bool:
    """A "Total"/"Summe"/"Saldo" label outside the amount columns."""
    amount_columns = {mapping.amount, mapping.debit, mapping.credit, mapping.balance}
    return any(
        isinstance(v, str) and _TOTAL_LABELS.match(normalise_header(v))
        for name, v in filled.items()
        if name not in amount_columns
    )


def read_row(cells: dict[str, CellValue], mapping: Mapping) -> dict[str, Any]:
    """Field -> value for every field the mapping has a column for.

    Values are None for an empty cell and ``UNREADABLE`` for a cell that does not read.
    """
    out: dict[str, Any] = {}
    if mapping.date:
        out["date"] = _read(cells.get(mapping.date), lambda v: read_date(v, mapping.dayfirst, mapping.date_format).isoformat())
    if mapping.amount:
        out["amount"] = _signed_amount(cells, mapping.amount, mapping)
    elif mapping.debit and mapping.credit:
        out["amount"] = _pair_amount(cells.get(mapping.debit), cells.get(mapping.credit))
    if mapping.balance:
        out["balance"] = _read(cells.get(mapping.balance), read_number)
    for field in ("payee", "memo"):
        column = getattr(mapping, field)
        if column:
            out[field] = clean_text(cells.get(column))
    return out


def _read(value: CellValue, read: Any) -> Any:
    if is_empty(value):
        return None
    try:
        return read(value)
    except (ValueError, TypeError):
        return UNREADABLE


def _signed_amount(cells: dict[str, CellValue], column: str, mapping: Mapping) -> Any:
    """The amount in ``column``, signed by the mapping's indicator column where it has one."""
    amount = _read(cells.get(column), read_number)
    if amount in (None, UNREADABLE):
        return amount
    if not mapping.indicator:
        return -amount if mapping.sign_convention == CHARGES_POSITIVE else amount
    mark = cell_mark(cells.get(mapping.indicator))
    if mark in CREDIT_MARKS:
        return abs(amount)
    if mark in DEBIT_MARKS:
        return -abs(amount)
    return mapping.unmarked_sign * abs(amount)


def _pair_amount(debit: CellValue, credit: CellValue) -> Any:
    out_value, in_value = _read(debit, read_number), _read(credit, read_number)
    if UNREADABLE in (out_value, in_value):
        return UNREADABLE
    if out_value is None and in_value is None:
        return None
    return round(abs(in_value or 0.0) - abs(out_value or 0.0), 10)


def prefill_transaction(record: Record) -> dict[str, Any]:
    """The fields this record's column mapping can read; the model is asked for the rest."""
    saved = record.context.get("mapping")
    if not saved or record.cells is None:
        return {}
    values = record.context.get("values")
    if values is None:  # a record the splitter did not read
        values = read_row(record.cells, Mapping.from_dict(saved))
    out = {field: value for field, value in values.items() if value is not UNREADABLE}
    if saved.get("confident"):  # a field without a column is absent from this export
        for field in ("payee", "memo", "balance"):
            out.setdefault(field, None)
    return out
