"""Lists read row by row and checked for completeness: count against the rows found,
sum against a linked total; an incomplete list is named, with the reason, in the output."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from parser_service_invoices import DOMAIN as INVOICES
from parser_service_invoices.schema import Invoice, InvoiceLine
from pydantic import Field

from parser_service.backends.deterministic import DeterministicBackend
from parser_service.document import Document, Provenance
from parser_service.domains.domain import sum_of
from parser_service.parsers.pdf import PdfParser
from parser_service.pipeline import lists
from parser_service.pipeline.extraction import extract_records
from parser_service.pipeline.rows import ListRow, RowGroup
from parser_service.records import whole_document
from parser_service.schemas.json_schema import SchemaError, compile_schema

DATA = Path(__file__).parent.parent / "data"
LINK = lists.SumLink("price_subtotal", ("amount_untaxed", "amount"))


def _group(n: int) -> RowGroup:
    return RowGroup(tuple(ListRow(f"row {i}   1.00", Provenance(page=1)) for i in range(n)), "", "lines", n)


def test_a_list_whose_sum_misses_the_stated_total_is_incomplete():
    items = [{"price_subtotal": 160.0}, {"price_subtotal": 316.0}]
    reason = lists.incompleteness(_group(3), items, LINK, {"amount_untaxed": 496.0, "amount": 571.04})
    assert reason == "the items' price_subtotal add up to 476.0, not to the stated amount_untaxed 496.0, amount 571.04"


def test_a_sum_that_matches_a_total_shows_the_list_complete_though_a_row_gave_no_item():
    items = [{"price_subtotal": 160.0}, {"price_subtotal": 336.0}]
    assert lists.incompleteness(_group(3), items, LINK, {"amount_untaxed": None, "amount": 496.0}) is None


def test_rows_found_but_not_read_make_a_list_incomplete_where_no_total_shows_it():
    assert lists.incompleteness(_group(3), [{"price_subtotal": 1.0}], None, {}) == "3 rows found, 1 read as items"
    assert lists.incompleteness(_group(2), [{"price_subtotal": 1.0}] * 2, None, {}) is None


def test_no_rows_found_under_a_stated_total_is_incomplete():
    reason = lists.incompleteness(None, [], LINK, {"amount_untaxed": 10.0})
    assert reason == "no rows found, though the document states amount_untaxed 10.0"
    assert lists.incompleteness(None, [], None, {}) is None  # nothing says a row is missing


def test_a_row_that_gives_no_value_is_no_item_and_a_bad_value_is_dropped():
    item = INVOICES.schema.model_fields["lines"].annotation.__args__[0]
    assert lists.row_values(item, {"name": None, "qty": None, "price_unit": None, "price_subtotal": None}, {}) is None
    values = lists.row_values(
        item, {"name": "Ballons", "qty": "many", "price_unit": None, "price_subtotal": "316.00"}, {}
    )
    assert values == {"name": "Ballons", "qty": None, "price_unit": None, "price_subtotal": "316.00"}


def test_invoice_lines_have_no_cap_and_are_linked_to_the_totals():
    info = INVOICES.schema.model_fields["lines"]
    assert not any(getattr(m, "max_length", None) for m in info.metadata)
    assert lists.sum_link(info) == LINK


def _mustang(domain=INVOICES) -> dict:
    name = "MustangGnuaccountingBeispielRE-20201121_508.pdf"
    document = Document("0" * 64, name, "application/pdf", PdfParser().parse(DATA / name, name))
    (result,) = extract_records(whole_document(document), domain, DeterministicBackend(), max_prompt_tokens=1536)
    return result.to_dict()


def test_a_column_that_adds_up_to_the_linked_total_is_read_in_code_and_shows_the_list_complete():
    """The test backend (no model) copies the first span it is offered for every field;
    the line totals still come right: their column adds up to the net total."""
    out = _mustang()
    assert [line["price_subtotal"] for line in out["data"]["lines"]] == [160.0, 316.0, 20.0]
    assert out["incomplete"] == {} and out["status"] == "ok"
    assert len(out["provenance"]["fields"]["lines"]["rows"]) == 3


class _TaxLinked(Invoice):
    lines: list[InvoiceLine] = Field(default_factory=list, json_schema_extra=sum_of("price_subtotal", "amount_tax"))


def test_the_json_names_a_list_whose_sum_misses_its_total():
    out = _mustang(dataclasses.replace(INVOICES, schema=_TaxLinked))
    assert len(out["data"]["lines"]) == 3  # every row read, none capped
    assert out["incomplete"]["lines"].startswith("the items' price_subtotal add up to")
    assert out["incomplete"]["lines"].endswith("not to the stated amount_tax 75.04")
    assert "lines" in out["review_fields"] and out["review"]
    assert out["provenance"]["fields"]["lines"]["incomplete"] == out["incomplete"]["lines"]


def test_a_json_schema_links_an_array_to_a_total_and_a_wrong_link_is_refused():
    schema = {
        "type": "object",
        "properties": {
            "total": {"type": "number"},
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "price": {"type": "number"}}},
                "x-sum-of": {"of": "price", "totals": ["total"]},
            },
        },
    }
    model = compile_schema(schema)
    assert lists.sum_link(model.model_fields["items"]) == lists.SumLink("price", ("total",))
    assert list(lists.list_fields(model)) == ["items"]
    schema["properties"]["items"]["x-sum-of"] = {"of": "cost", "totals": ["total"]}
    with pytest.raises(SchemaError, match=r"\$\.items\.x-sum-of\.of"):
        compile_schema(schema)


def test_the_factor_columns_whose_product_is_each_rows_total_are_read_in_code():
    texts = [
        "1.00   Design (hours)   7%   160.00 €   160.00 €",
        "400.00   Ballons: various colors,   19%   0.79 €   316.00 €",
        "800.00   Hot air (litres):   19%   0.025 €   20.00 €",
    ]
    answers = [("1.00", "1.00", "160.00"), ("316.00", "316.00", "316.00"), ("800.00", "20.00", "20.00")]
    items = [
        ({"qty": q, "price_unit": u, "price_subtotal": t}, ListRow(text, Provenance(page=1)))
        for (q, u, t), text in zip(answers, texts)
    ]
    lists.product_factors(items, lists.product_link(INVOICES.schema.model_fields["lines"]))
    assert [(v["qty"], v["price_unit"]) for v, _ in items] == [
        ("1.00", "160.00"),
        ("400.00", "0.79"),
        ("800.00", "0.025"),
    ]


def test_factors_are_left_as_the_model_gave_them_where_no_product_holds():
    items = [
        (
            {"qty": "5", "price_unit": "4,55", "price_subtotal": "-20,48"},
            ListRow("Nougat   5Unit(s)   4,55 €   10%   -20,48 €", Provenance()),
        )
    ]
    lists.product_factors(items, lists.ProductLink("price_subtotal", ("qty", "price_unit")))
    assert items[0][0] == {"qty": "5", "price_unit": "4,55", "price_subtotal": "-20,48"}


def test_a_rows_request_offers_its_plain_numbers_and_no_description_that_runs_into_its_amounts():
    info = INVOICES.schema.model_fields["lines"]
    row = ListRow("Nougat de l'Abbaye 250g   5Unit(s)   4,55 €   10%   -20,48 €", Provenance(page=1))
    group = RowGroup((row,), "Description | Quantité | Prix HT", "table", 1)
    request = lists.row_request(
        "lines", info, InvoiceLine, group, row,
        system_prompt="s", adapter=None, truncate=lambda text, _: text, max_prompt_tokens=512,
    )  # fmt: skip
    props = request.schema["properties"]
    assert props["qty"]["anyOf"][0]["enum"][:3] == ["5", "4,55", "-20,48"]
    assert "Nougat de l'Abbaye 250g" in props["name"]["enum"]  # never null: a row says what it is
    assert not any(value.endswith("€") for value in props["name"]["enum"])
    assert "columns: Description | Quantité | Prix HT" in request.messages[1]["content"]
