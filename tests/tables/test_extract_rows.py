"""``extract SHEET.xlsx --schema contacts.schema.json``: one record per row, every field
read in code from its cell (no model writes a value), each pointing at its cell."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from parser_service.cli.entry import main
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.schemas.json_schema import compile_schema
from parser_service.tables import targets_of
from parser_service.tables.rows import table_mapping
from tests.conftest import ROOT

SHEETS = ROOT / "tests" / "data" / "spreadsheets"


def _xlsx_of(csv_path: Path, target: Path) -> list[list[str]]:
    """The real sheet's rows written into a workbook (its one sheet: "addresses")."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "addresses"
    for row in rows:
        sheet.append([value or None for value in row])
    workbook.save(target)
    return rows


def test_extract_an_xlsx_into_a_json_schema_row_by_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "addresses.xlsx"
    rows = _xlsx_of(SHEETS / "shopware5_addresses_profile_create.csv", book)
    schema = SHEETS / "contacts.schema.json"
    assert main(["extract", str(book), "--schema", str(schema), "--backend", "deterministic", "-q"]) == 0
    records = json.loads(capsys.readouterr().out)["records"]
    targets = targets_of(compile_schema(json.loads(schema.read_text(encoding="utf-8"))))
    (table,) = parse_file(book, builtin_parsers()).pages[0].tables
    mapping = table_mapping(targets, table)
    header = rows[0]
    assert len(records) == len(rows) - 1
    for record, row in zip(records, rows[1:]):
        assert record["status"] == "ok"
        assert record["data"]["email"] == row[header.index("email")]
        fields = record["provenance"]["fields"]
        assert {f["source"] for f in fields.values()} == {"prefill"}
        assert fields["email"]["sheet"] == "addresses"
        assert fields["email"]["cell_range"] == f"B{record['index'] + 2}"
        for name, found in mapping.fields.items():  # each field as sure as its column mapping
            assert record["confidence"][name] == pytest.approx(found.confidence, abs=1e-3)
