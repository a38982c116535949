"""Rows of a list found in real PDFs: detected tables and repeated blocks of lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from parser_service_invoices.schema import InvoiceLine

from parser_service.parsers.pdf import PdfParser
from parser_service.pipeline import rows
from parser_service.records import whole_document

DATA = Path(__file__).parent.parent / "data"


def _record(name: str):
    pages = PdfParser().parse(DATA / name, name)
    from parser_service.document import Document

    return whole_document(Document("0" * 64, name, "application/pdf", pages))[0]


def test_shapes_fold_runs_of_numbers_and_tell_money_from_other_numbers():
    assert rows.shape("1.00   Design (hours): Of a sample   7%   160.00 €   160.00 €") == "MTM"
    assert rows.shape("Nintendo AC-adapter   1   € 14,99   21%   € 14,99") == "TM"
    assert rows.shape("Apple iPad Air Wifi 16 GB Zilver 1 € 399,00 21% € 399,00") == "TM"
    assert rows.shape("Ordernummer: 12572103") == "TN"
    assert rows.shape("Amount   Product   VAT   Price   Total") == "TTTTT"


def test_a_ruled_table_and_its_lines_give_the_three_item_rows_of_a_zugferd_invoice():
    record = _record("MustangGnuaccountingBeispielRE-20201121_508.pdf")
    best = rows.rank(rows.groups(record), InvoiceLine, [496.0])[0]
    assert len(best.rows) == 3
    assert [r.text.split("   ")[1] for r in best.rows][:2] == [
        "Design (hours): Of a sample",
        "Ballons: various colors,",
    ]
    assert all(r.provenance.page == 1 and r.provenance.bbox for r in best.rows)
    assert rows.sums_to(best, [496.0]) == 2  # the rows' last amounts add up to the net total
    assert any(g.kind == "table" and len(g.rows) == 3 for g in rows.groups(record))


def test_blocks_of_three_lines_that_repeat_are_one_row_each():
    record = _record("AmazonWebServices.pdf")
    best = rows.rank(rows.groups(record), InvoiceLine, [4.11])[0]
    assert [r.text.split("   ")[0] for r in best.rows] == [
        "AWS Data Transfer",
        "Amazon Elastic Compute Cloud",
        "Amazon Glacier",
        "Amazon Simple Storage Service",
    ]
    assert all(r.text.count("\n") == 2 for r in best.rows)  # description, charges, VAT


@pytest.mark.parametrize("total", [593.36, None])
def test_rows_with_and_without_column_gaps_are_one_list(total):
    record = _record("coolblue1.pdf")
    best = rows.rank(rows.groups(record), InvoiceLine, [total] if total else [])[0]
    names = [r.text.split("   ")[0] for r in best.rows]
    assert len(best.rows) == 6 and names[-1] == "Mario Kart 7 3DS"
    # a row set without column gaps has one put between its description and its numbers
    assert names[0] == "Apple iPad Air Wifi 16 GB Zilver"
    assert best.rows[0].text.startswith("Apple iPad Air Wifi 16 GB Zilver   1 € 399,00")


def test_a_column_that_adds_up_to_a_stated_total_weighs_a_group_up():
    record = _record("MustangGnuaccountingBeispielRE-20201121_508.pdf")
    vat_rows = next(g for g in rows.groups(record) if g.kind == "table" and g.header.startswith("VAT"))
    assert rows.sum_column(vat_rows, [75.04]) is None
    assert rows.sum_column(vat_rows, [160.0 + 336.0 + 75.04]) == 0  # the first column: net amounts and the total
    plain = rows.score(vat_rows, InvoiceLine, [])
    assert rows.score(vat_rows, InvoiceLine, [571.04]) == pytest.approx(1.5 * plain)


def test_a_totals_row_in_the_items_shape_is_left_out_where_the_items_then_add_up():
    from parser_service.document import Provenance

    texts = ["Coffee beans   2   12.50", "Filter papers   1   3.20", "Total due   15.70"]
    group = rows.RowGroup(tuple(rows.ListRow(t, Provenance()) for t in texts), "", "lines", 3)
    (best,) = rows.rank([group], InvoiceLine, [15.70])
    assert [r.text for r in best.rows] == texts[:2]
    (kept,) = rows.rank([group], InvoiceLine, [])  # no total: nothing shows the last row is none
    assert len(kept.rows) == 3


def test_rows_that_hold_no_value_of_the_items_kinds_are_no_list():
    """A hotel invoice with no item table: its repeated name and address lines are not
    invoice lines (no amount in them), so no group is offered at all."""
    from parser_service.pipeline import lists

    record = _record("oyo.pdf")
    assert any(not rows.holds_values(group, InvoiceLine) for group in rows.groups(record))
    assert lists.best_group(record, InvoiceLine, [1939.0]) is None


def test_the_items_of_a_schema_with_plain_strings_are_ranked_too():
    """A request-time schema's item copies its strings as any span (a kind with no finder):
    its rows are found and ranked as the invoice plugin's are."""
    from parser_service.pipeline import lists
    from parser_service.schemas.json_schema import compile_schema

    schema = compile_schema({"type": "object", "properties": {"positions": {"type": "array", "items": {
        "type": "object", "properties": {"description": {"type": "string"}, "total": {"type": "number"}}}}}})  # fmt: skip
    item = lists.item_model(schema.model_fields["positions"].annotation)
    best = lists.best_group(_record("MustangGnuaccountingBeispielRE-20201121_508.pdf"), item, [496.0])
    assert best is not None and len(best.rows) == 3
