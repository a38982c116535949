"""Exports of a job's records: each format parses back, nested data becomes columns,
and text a spreadsheet would run as a formula is escaped. (The routes that serve
these are tested in test_api.py; here the formats themselves, without a database.)"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import openpyxl
import pytest
from pydantic import BaseModel

from parser_service.api import export

RECORDS = [
    {
        "index": 0, "status": "ok", "review": False, "errors": [],
        "data": {"issuer": '=HYPERLINK("http://evil","click")', "amount": -12.5, "currency": "EUR",
                 "lines": [{"name": "Room", "qty": 1.0}], "tags": ["a", "b"]},
    },
    {
        "index": 1, "status": "invalid", "review": True, "review_fields": ["amount", "lines.1.qty"],
        "errors": [{"field": "amount", "message": "=1+1 is not an amount"}],
        "data": {"issuer": "@SUM(A1)", "amount": None, "currency": "-EUR",
                 "lines": [{"name": "+Breakfast"}, {"name": "\tTax", "qty": 2.0}], "tags": []},
    },
    {"index": 2, "status": "failed", "review": False, "data": None,
     "errors": [{"field": None, "message": "the answer was cut off"}]},
]  # fmt: skip


def source() -> export.RecordSource:
    return lambda: iter(RECORDS)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_an_apostrophe(start):
    assert export.escape_cell(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


@pytest.mark.parametrize("value", ["Room 12", "a=b", "", " =not first", 12, -12.5, None, True])
def test_other_cells_are_left_alone(value):
    assert export.escape_cell(value) == value


def test_columns_are_the_union_of_nested_fields_in_schema_order():
    columns = export.data_columns(record["data"] for record in RECORDS)
    assert columns == ["issuer", "amount", "currency", "lines.0.name", "lines.0.qty", "lines.1.name",
                       "lines.1.qty", "tags"]  # fmt: skip


def test_a_field_that_is_text_in_one_record_and_nested_in_another_is_one_column():
    columns = export.data_columns([{"party": "ACME"}, {"party": {"name": "ACME", "vat": "DE1"}}])
    assert columns == ["party"]
    assert export.flatten({"party": {"name": "ACME"}}, columns) == ['{"name": "ACME"}']


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_csv_parses_back_flattened_and_escaped():
    rows = parse_csv("".join(export.csv_chunks(source())))
    assert [row["record_index"] for row in rows] == ["0", "1", "2"]
    first, second, failed = rows
    assert first["issuer"] == """'=HYPERLINK("http://evil","click")"""
    assert first["amount"] == "-12.5"  # a number, not text: no apostrophe
    assert first["lines.0.name"] == "Room" and first["lines.1.name"] == ""
    assert first["tags"] == "a; b"
    assert second["issuer"] == "'@SUM(A1)" and second["currency"] == "'-EUR"
    assert second["lines.0.name"] == "'+Breakfast" and second["lines.1.name"] == "'\tTax"
    assert second["record_review"] == "true" and second["record_status"] == "invalid"
    assert second["record_review_fields"] == "amount; lines.1.qty" and first["record_review_fields"] == ""
    assert second["record_errors"] == "amount: =1+1 is not an amount"
    assert failed["issuer"] == "" and failed["record_errors"] == "the answer was cut off"


def test_xlsx_parses_back_with_no_formula_cells(tmp_path: Path):
    path = export.write_xlsx(source(), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    first = dict(zip(header, rows[1]))
    second = dict(zip(header, rows[2]))
    assert first["issuer"] == """'=HYPERLINK("http://evil","click")"""
    assert first["amount"] == -12.5 and first["lines.0.qty"] == 1.0
    assert second["lines.0.name"] == "'+Breakfast" and second["record_review"] is True
    assert second["record_review_fields"] == "amount; lines.1.qty"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_drops_characters_a_workbook_cannot_hold(tmp_path: Path):
    records = [{"index": 0, "status": "ok", "data": {"memo": "bell\x07 and form\x0cfeed"}, "errors": []}]
    path = export.write_xlsx(lambda: iter(records), tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet["E2"].value == "bell and formfeed"


def test_json_and_jsonl_keep_records_whole():
    whole = json.loads("".join(export.json_chunks({"job": {"id": "j1"}}, source())))
    assert whole["job"] == {"id": "j1"}
    assert whole["records"] == RECORDS
    lines = "".join(export.jsonl_chunks(source())).splitlines()
    assert [json.loads(line) for line in lines] == RECORDS


def test_an_empty_job_exports_a_header_only():
    assert "".join(export.json_chunks({}, lambda: iter([]))).replace("\n", "") == '{"records": []}'
    rows = list(csv.reader(io.StringIO("".join(export.csv_chunks(lambda: iter([])))[1:])))
    assert rows == [["record_index", "record_status", "record_review", "record_review_fields", "record_errors"]]


class Line(BaseModel):
    name: str | None = None
    qty: float | None = None


class Invoice(BaseModel):
    issuer: str | None = None
    amount: float | None = None
    lines: list[Line] = []
    note: Annotated[str | None, "free text"] = None


def test_columns_follow_the_schema_whatever_order_the_keys_come_in():
    """PostgreSQL's JSONB gives keys back sorted by length, then bytes; the export must not care."""
    order = export.field_order(Invoice)
    assert order == {"issuer": None, "amount": None, "lines": {"name": None, "qty": None}, "note": None}
    datas = [
        {"note": "n", "lines": [{"qty": 1.0, "name": "Room"}], "amount": 1.0, "extra": "x", "issuer": "ACME"},
        {"amount": 2.0, "lines": [{"qty": 2.0}, {"qty": 3.0, "name": "Tax"}]},
    ]
    assert export.data_columns(datas, order) == [
        "issuer", "amount", "lines.0.name", "lines.0.qty", "lines.1.name", "lines.1.qty", "note", "extra"]  # fmt: skip
    assert export.data_columns(datas)[:2] == ["note", "lines.0.qty"]  # without the schema: as the keys came
    assert list(export.in_order(datas[0], order)) == ["issuer", "amount", "lines", "note", "extra"]
    assert list(export.in_order(datas[0], order)["lines"][0]) == ["name", "qty"]
    header, _ = export.table(lambda: iter([{"index": 0, "status": "ok", "data": datas[0]}]), order)
    assert header == [*export.META_COLUMNS, "issuer", "amount", "lines.0.name", "lines.0.qty", "note", "extra",
                      export.ERRORS_COLUMN]  # fmt: skip
