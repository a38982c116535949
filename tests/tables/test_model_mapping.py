"""Columns chosen by the model, and a number fed by a pair of columns (money in and out)."""

from __future__ import annotations

import json

import pytest

from parser_service.backends.deterministic import DeterministicBackend
from parser_service.document import CellValue
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.schemas.json_schema import compile_schema
from parser_service.settings import Settings
from parser_service.tables import map_columns, split_rows, targets_of
from parser_service.tables.choice import ModelChooser, letters, table_text
from parser_service.tables.mapping import TableMapping
from parser_service.tables.pairs import complementary, direction
from parser_service.tables.rows import TableSplitter, table_mapping
from tests.conftest import ROOT

SHEETS = ROOT / "tests" / "data" / "spreadsheets"


def _targets(kind: str) -> list:
    schema = json.loads((SHEETS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return targets_of(compile_schema(schema, kind))


def _document(name: str):
    return parse_file(SHEETS / "csv2ofx" / name, builtin_parsers())


def test_a_credit_and_a_debit_column_feed_one_signed_amount() -> None:
    """payoneer's export writes each amount in 'Credit Amount' or 'Debit Amount'."""
    document = _document("payoneer.csv")
    mapping = table_mapping(_targets("transactions"), document.pages[0].tables[0])
    amount = mapping.fields["amount"]
    assert sorted(amount.columns) == ["Credit Amount", "Debit Amount"]
    assert amount.signs == {"Credit Amount": 1, "Debit Amount": -1}
    assert TableMapping.from_dict(mapping.to_dict()).fields["amount"].signs == amount.signs
    values = [r.context["values"]["amount"] for r in split_rows(_targets("transactions"), document)]
    assert values[:2] == [-100.0, 120.0]


def test_two_amount_columns_that_overlap_are_no_pair() -> None:
    both = ["1.00", "2.00", "3.00", "4.00"]
    assert complementary(["1.00", None, "0.00", ""], [None, "2.50", "3.00", "4.00"])
    assert not complementary(both, both)
    assert not complementary(both, [None] * 4)  # an empty side pairs with nothing
    assert direction("Money Out") == -1 and direction("Gutschrift") == 1 and direction("Amount") is None


def test_without_a_header_word_the_model_tells_which_side_is_out() -> None:
    columns: dict[str, list[CellValue]] = {
        "Date": ["2024-01-02", "2024-01-03"],
        "A": ["5.00", None],
        "B": [None, "7.00"],
    }
    asked: list[list[str]] = []

    class Ask(ModelChooser):
        def outgoing(self, pair):
            asked.append(list(pair))
            return "B"

    mapping = map_columns(_targets("transactions"), columns, Ask(DeterministicBackend(Settings())), "model")
    assert asked == [["A", "B"]]
    assert mapping.fields["amount"].signs == {"A": 1, "B": -1}


def test_the_prompt_shows_each_column_by_letter_with_its_first_cells() -> None:
    text, by_letter = table_text({"Date": ["2024-01-02", None, "2024-01-03"], "Payee": [None, None]})
    assert by_letter == {"Date": "Date", "Payee": "Payee"}
    assert text.splitlines() == ["- Date: 2024-01-02 | 2024-01-03", "- Payee: (empty)"]
    assert letters(28)[-2:] == ["AA", "AB"]


def test_a_backend_without_log_probabilities_picks_one_column_per_field() -> None:
    """The deterministic backend answers the first offered letter: a column whose cells fit."""
    columns = {"Name": ["Ann", "Bob"], "When": ["2024-01-02", "2024-01-03"]}
    chooser = ModelChooser(DeterministicBackend(Settings()))
    mapping = map_columns(_targets("transactions"), columns, chooser, "model")
    assert mapping.fields["date"].columns == ["When"]  # the names column is never offered for a date
    assert mapping.fields["amount"].columns == []


@pytest.mark.model
def test_the_model_chooses_a_card_exports_date_and_amount(pipeline) -> None:
    """pcmastercard: the model's choice among the columns that can hold each kind."""
    chooser = ModelChooser(pipeline.backend)
    table = _document("pcmastercard.csv").pages[0].tables[0]
    mapping = table_mapping(_targets("transactions"), table, chooser, "model")
    found = {name: m.columns for name, m in mapping.fields.items()}
    assert found["date"] == ["Date"] and found["amount"] == ["Amount"]
    assert mapping.fields["date"].confidence > 0.5


def test_the_setting_gives_a_schemas_table_splitter_the_model() -> None:
    from parser_service.pipeline.run import Pipeline
    from parser_service.schemas.request import schema_domain

    schema = json.loads((SHEETS / "transactions.schema.json").read_text(encoding="utf-8"))
    domain = schema_domain(schema, "transactions")
    backend = DeterministicBackend(Settings())
    asked = Pipeline(Settings(column_mapping="model"), backend=backend)._splitter(domain)
    plain = Pipeline(Settings(), backend=backend)._splitter(domain)
    assert isinstance(asked, TableSplitter)
    assert asked.method == "model" and asked.chooser is not None and asked.chooser.backend is backend
    assert plain is domain.splitter
    records = list(asked(_document("payoneer.csv")))
    assert records and records[0].context["mapping"]["fields"]["date"]["columns"] == ["Transaction Date"]
