"""Record outcomes that do not need the model to show: truncation, invented values,
normalisation of prefilled values and their cell provenance."""

from __future__ import annotations

import dataclasses

from parser_service_invoices import DOMAIN as INVOICES
from parser_service_invoices.repairs import totals_from_text
from pydantic import BaseModel

from parser_service.backends.base import Generation
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.document import Block, Document, Page, Provenance, Row, Table
from parser_service.domains.domain import Domain
from parser_service.pipeline import extraction
from parser_service.records import Record, table_rows, whole_document

TEXT = "ACME GmbH\nInvoice No: INV-7\nDate: 03.04.2024\nTotal: 1.234,50 EUR"


def _record() -> Record:
    where = Provenance(page=1)
    return Record(index=0, text=TEXT, provenance=[where], spans=[(0, len(TEXT), where)])


def test_an_answer_cut_off_at_the_token_limit_is_a_failed_truncated_record():
    state = extraction._start(_record(), INVOICES)
    extraction._merge(state, ["issuer"], Generation.from_text('{"issuer":"ACME Gm', 7))
    result = extraction._result(state, INVOICES)
    assert result.status == "failed" and result.truncated and result.data is None
    assert "cut off at the token limit after 7 tokens" in result.errors[0].message


def test_values_are_normalised_and_invented_ones_flagged():
    state = extraction._start(_record(), INVOICES)
    answer = (
        '{"issuer":"ACME GmbH","invoice_number":"INV-9","date":"03.04.2024",'
        '"amount":"1.234,50","amount_untaxed":null,"currency":"EUR","lines":[]}'
    )
    names = list(INVOICES.schema.model_fields)
    extraction._merge(state, names, Generation.from_text(answer, 40))
    extraction._validate(state, INVOICES)
    result = extraction._result(state, INVOICES)
    assert result.data["date"] == "2024-04-03" and result.data["amount"] == 1234.5
    assert result.data["currency"] == "EUR"
    assert result.status == "invalid"
    assert [issue.field for issue in result.errors] == ["invoice_number"]  # "INV-9" is not in the text
    assert extraction._retry_fields(state) == ["invoice_number"]  # only that field is asked again
    assert result.provenance["fields"]["issuer"] == {
        "source": "model",
        "verbatim": True,
        "start": 0,
        "end": 9,
        "page": 1,
    }


def _state_with(text: str, answer: str) -> extraction._State:
    where = Provenance(page=1)
    record = Record(index=0, text=text, provenance=[where], spans=[(0, len(text), where)])
    state = extraction._start(record, INVOICES)
    extraction._merge(state, list(INVOICES.schema.model_fields), Generation.from_text(answer, 40))
    extraction._validate(state, INVOICES)
    return state


def test_totals_that_do_not_add_up_are_mended_from_the_page_before_any_re_ask():
    text = "Bei Spiel GmbH\nNetto 496.00 €\nUmsatzsteuer 19% 75.04\nPosition 160.00\nBrutto 571.04 €"
    state = _state_with(
        text,
        '{"issuer":"Bei Spiel GmbH","invoice_number":null,"date":null,"amount":"496.00",'
        '"amount_untaxed":"496.00","amount_tax":"160.00","currency":"€","lines":[]}',
    )
    assert {issue.field for issue in state.issues} >= {"amount", "amount_tax"}
    extraction._repair(state, INVOICES)
    result = extraction._result(state, INVOICES)
    assert result.status == "ok" and extraction._retry_fields(state) == []
    assert (result.data["amount"], result.data["amount_untaxed"], result.data["amount_tax"]) == (571.04, 496.0, 75.04)
    assert result.provenance["fields"]["amount"]["source"] == "repair"
    assert result.provenance["fields"]["amount"]["verbatim"]


def test_a_record_whose_dates_show_month_first_reads_its_date_month_first():
    text = "ACME GmbH\nInvoice Date 11/03/2017\nPaid 11/17/2017\nTotal 10.00 EUR"
    answer = (
        '{"issuer":"ACME GmbH","invoice_number":null,"date":"11/03/2017","amount":"10.00",'
        '"amount_untaxed":null,"amount_tax":null,"currency":"EUR","lines":[]}'
    )
    assert extraction._result(_state_with(text, answer), INVOICES).data["date"] == "2017-11-03"
    day_first = text.replace("11/17/2017", "17/11/2017")
    assert extraction._result(_state_with(day_first, answer), INVOICES).data["date"] == "2017-03-11"


def test_a_value_cleaned_of_its_line_break_is_still_located_verbatim() -> None:
    from parser_service.document import Provenance
    from parser_service.pipeline.answers import place
    from parser_service.records import Record

    first, second = Provenance(page=1, line_start=1), Provenance(page=1, line_start=2)
    text = "MVM Musterhafter\nVersicherungsverein Musterstadt a.G.\nHerrn"
    record = Record(index=0, text=text, provenance=[first], spans=[(0, 17, first), (17, len(text), second)])
    both = place(record, "MVM Musterhafter Versicherungsverein Musterstadt a.G.")
    assert both is not None and (both.start, both.end) == (0, text.index("\nHerrn"))
    assert both.where == Provenance(page=1, line_start=1, line_end=2)
    alone = place(record, "Versicherungsverein Musterstadt a.G.")
    assert alone is not None and alone.where == second and alone.start == 17
    assert place(record, "MVM Versicherungsverein") is None


def test_a_span_over_lines_of_a_pdf_is_placed_in_the_box_around_them() -> None:
    """Offsets into the record's text, the page, and the box around the lines it covers."""
    from parser_service.document import Provenance
    from parser_service.pipeline.answers import place

    lines = [("ACME SDN BHD", (10.0, 10.0, 90.0, 20.0)), ("NO. 12, JALAN BESAR,", (12.0, 22.0, 120.0, 32.0)),
             ("81100 JOHOR.", (11.0, 34.0, 70.0, 44.0)), ("TOTAL 9.00", (10.0, 50.0, 60.0, 60.0))]  # fmt: skip
    page = Page(1, blocks=[Block(text, Provenance(page=1, bbox=box)) for text, box in lines])
    (record,) = whole_document(Document("0" * 64, "r.pdf", "application/pdf", [page]))
    address = "NO. 12, JALAN BESAR,\n81100 JOHOR."
    placed = place(record, address)
    assert placed is not None and record.text[placed.start : placed.end] == address
    assert placed.to_dict() == {"start": 13, "end": 13 + len(address), "page": 1, "bbox": [11.0, 22.0, 120.0, 44.0]}


def test_a_value_written_twice_is_placed_after_its_label() -> None:
    from parser_service.pipeline.answers import place
    from parser_service.records import Record

    text = "Subtotal 9.00\nRounding 0.00\nTotal: 9.00\nCash 10.00"
    record = Record(index=0, text=text, provenance=[])
    assert place(record, "9.00").start == text.index("9.00")  # no label: the first
    assert place(record, "9.00", ["total"]).start == text.rindex("9.00")  # "total" starts no word in "Subtotal"


def test_a_value_over_cells_names_the_cells_from_first_to_last() -> None:
    from parser_service.document import Provenance
    from parser_service.pipeline.answers import span_provenance
    from parser_service.records import Record

    cells = [Provenance(sheet="S", cell_range=f"{c}2") for c in "ABC"]
    record = Record(
        index=0, text="a: x\nb: y\nc: z", provenance=[], spans=[(0, 4, cells[0]), (5, 9, cells[1]), (10, 14, cells[2])]
    )
    assert span_provenance(record, 3, 9) == Provenance(sheet="S", cell_range="A2:B2")
    assert span_provenance(record, 11, 13) == cells[2]


def test_the_repairs_of_a_huge_document_read_a_bounded_start_of_it():
    """A 12 MB text (one line, cut in lines of 4,096 characters by the text parser) is one
    invoice record; its repairs read ``REPAIR_TEXT_CHARS`` of it, not the whole."""
    line = ("Netto 496.00 € Umsatzsteuer 19% 94.24 Brutto 590.24 € " * 80)[:4096]
    blocks = [Block(line, Provenance(line_start=1)) for _ in range(3000)]
    (record,) = whole_document(Document("0" * 64, "huge.txt", "text/plain", [Page(1, blocks=blocks)]))
    read: list[int] = []

    def repair(raw, text, issues):  # type: ignore[no-untyped-def]
        read.append(len(text))
        return totals_from_text(raw, text, issues)

    domain = dataclasses.replace(INVOICES, repairs=(repair,))
    (result,) = extraction.extract_records([record], domain, DeterministicBackend(), max_prompt_tokens=256)
    assert len(record.text) > 10 * extraction.REPAIR_TEXT_CHARS and read == [extraction.REPAIR_TEXT_CHARS]
    assert result.status in {"ok", "invalid"}


class _Payment(BaseModel):
    payee: str | None = None
    amount: float | None = None


def _payments(document: Document, *, declared: bool) -> list[Record]:
    """A splitter of another plugin than the bank one: the column of ``amount`` declared in
    ``Record.field_columns``, or (``declared`` False) only in the old private context key."""
    records = table_rows(document)
    for record in records:
        if declared:
            record.field_columns = {"amount": "Betrag"}
        else:
            record.context["columns"] = {"amount": "Betrag"}
    return records


def _payment_provenance(declared: bool) -> dict[str, object]:
    row = Row(["Bakery", "1.234,50"], Provenance(sheet="Konto", cell_range="A2:B2"))
    table = Table(["Empfänger", "Betrag"], [row], Provenance(sheet="Konto"))
    document = Document("0" * 64, "konto.xlsx", "text/csv", [Page(1, tables=[table], name="Konto")])
    domain = Domain(
        name="payments",
        version="1",
        schema=_Payment,
        document_type="payments",
        description="payments",
        splitter=lambda d: _payments(d, declared=declared),
        prefill=lambda r: {"payee": (r.cells or {})["Empfänger"], "amount": 1234.5},  # read, not the cell's text
    )
    (result,) = extraction.extract_records(
        domain.split(document), domain, DeterministicBackend(), max_prompt_tokens=256
    )
    assert result.status == "ok" and result.data == {"payee": "Bakery", "amount": 1234.5}
    fields: dict[str, object] = result.provenance["fields"]
    return fields


def test_any_splitter_that_declares_a_fields_column_gives_it_that_cells_provenance():
    """``Record.field_columns`` is the record API, not a convention of the bank plugin: a
    value read from a cell (1234.5, not the cell's text) points at its cell, verbatim."""
    assert _payment_provenance(declared=True)["amount"] == {
        "source": "prefill",
        "verbatim": True,
        "sheet": "Konto",
        "cell_range": "B2",
    }
    # the core reads no plugin-private context: there the value is searched for in the text, and not found
    assert _payment_provenance(declared=False)["amount"] == {"source": "prefill", "verbatim": False}


def test_a_list_of_strings_keeps_each_value_once_and_is_flagged_when_full() -> None:
    from parser_service.pipeline import extraction
    from parser_service.pipeline.generation_schema import MAX_SCALAR_ITEMS

    assert extraction._distinct(["Python", "SQL", "Python"]) == ["Python", "SQL"]
    rows = [{"a": 1}, {"a": 1}]
    assert extraction._distinct(rows) == rows  # rows of a list of objects stay as they are
    from parser_service.records import Record

    state = extraction._State(
        Record(index=0, text="cv", provenance=[]), {"skills": [str(i) for i in range(MAX_SCALAR_ITEMS)], "tags": ["x"]}
    )
    extraction._flag_full_lists(state)
    assert set(state.incomplete) == {"skills"} and str(MAX_SCALAR_ITEMS) in state.incomplete["skills"]
