"""Column mapping on real sheets whose headers nobody here chose: each field finds the
column(s) the labels name, or none; rows are read in code with each cell's place."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from parser_service.bench.columns import evaluate, sheets, truth_columns
from parser_service.document import column_letter
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.schemas.json_schema import compile_schema
from parser_service.tables import map_columns, prefill_row, split_rows, table_records, targets_of
from parser_service.tables.names import likeness
from tests.conftest import ROOT

SHEETS = ROOT / "tests" / "data" / "spreadsheets"
CONTACTS = "shopware5_addresses_profile_create"


def _targets(kind: str) -> list:
    schema = json.loads((SHEETS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return targets_of(compile_schema(schema, kind))


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_a_development_sheet_maps_every_field_as_labelled() -> None:
    ((sheet, truth),) = [(s, t) for s, t in sheets(SHEETS) if s.stem == CONTACTS]
    pairs = evaluate(sheet, truth, SHEETS)
    assert [p.field for p in pairs if not p.right] == []
    assert all(0.0 < p.confidence <= 1.0 for p in pairs)


@pytest.mark.parametrize("sheet_truth", sheets(SHEETS), ids=lambda st: st[0].stem)
def test_no_column_serves_two_fields(sheet_truth: tuple[Path, dict]) -> None:
    sheet, truth = sheet_truth
    pairs = evaluate(sheet, truth, SHEETS)
    columns = [c for p in pairs for c in p.found]
    assert len(columns) == len(set(columns))


def test_cells_decide_where_the_header_says_nothing() -> None:
    rows = _csv_rows(SHEETS / f"{CONTACTS}.csv")
    truth = json.loads((SHEETS / f"{CONTACTS}.mapping.json").read_text(encoding="utf-8"))
    email = rows[0].index(truth["email"])
    anonymous = {f"column {i + 1}": [r[i] for r in rows[1:]] for i in range(len(rows[0]))}
    mapping = map_columns(_targets("contacts"), anonymous)
    assert mapping.fields["email"].columns == [f"column {email + 1}"]


def test_headers_match_across_languages_and_compounds() -> None:
    assert likeness("productnaam", "product name") == 1.0
    assert likeness("Prijs", "price") == 1.0
    assert likeness("Postleitzahl", "zip code") == 1.0
    assert likeness("purchaseprice", "email") == 0.0


def test_every_row_is_a_record_read_from_its_labelled_cells() -> None:
    path = SHEETS / f"{CONTACTS}.csv"
    rows = _csv_rows(path)
    truth = json.loads((SHEETS / f"{CONTACTS}.mapping.json").read_text(encoding="utf-8"))
    records = list(split_rows(_targets("contacts"), parse_file(path, builtin_parsers())))
    assert len(records) == len(rows) - 1
    header = rows[0]
    for record, row in zip(records, rows[1:]):
        values = record.context["values"]
        for field in ("email", "organisation"):
            cell = row[header.index(truth[field])] or None
            assert values[field] == cell
        first, last = (row[header.index(h)] for h in truth["name"])
        assert values["name"] == f"{first} {last}"
        column = record.field_columns["email"]
        assert (
            record.cell_provenance[column].cell_range == f"{column_letter(header.index(column) + 1)}{record.index + 2}"
        )


def test_labels_name_real_headers() -> None:
    for sheet, truth in sheets(SHEETS):
        header = {h.strip() for h in _csv_rows(sheet)[0]}
        named = {c for f, label in truth.items() if not f.startswith("_") for c in truth_columns(label)}
        assert named <= header, sheet.name


def test_a_field_no_column_can_hold_is_null_in_every_row_not_asked_of_the_model() -> None:
    schema = json.loads((SHEETS / "contacts.schema.json").read_text(encoding="utf-8"))
    nested = {"type": "object", "properties": {"note": {"type": "string"}}}
    model = compile_schema({**schema, "properties": {**schema["properties"], "extra": nested}}, "contacts")
    path = SHEETS / f"{CONTACTS}.csv"
    records = list(table_records(model)(parse_file(path, builtin_parsers())))
    assert records and all(set(prefill_row(r)) == set(model.model_fields) for r in records)
    assert all(prefill_row(r)["extra"] is None for r in records)
