"""``Pipeline.records``: a document of a kind the chosen domain does not read, or tables
with rows of which the plugin makes no record, end with the reason, never as an empty
success. With a plugin chosen by name, both are told before the model loads. No model:
the deterministic test backend."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path

import pytest
from pydantic import BaseModel

from parser_service.document import Document
from parser_service.domains.domain import Domain
from parser_service.domains.host import Registered, build_host
from parser_service.errors import NoRecordsError, UnsuitableDocumentError
from parser_service.pipeline.run import Pipeline
from parser_service.records import Record
from parser_service.settings import Settings
from tests.conftest import BANK_EXAMPLES, DATA

RECEIPT = DATA / "rewe_receipt_ocr.txt"
OCBC = BANK_EXAMPLES / "TransactionHistory_20180418043121.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Line(BaseModel):
    text: str | None = None


def finds_nothing(splitter: object) -> Domain:
    """A plugin for spreadsheets whose splitter makes no record of any row."""
    return Domain(name="nothing", version="1", schema=Line, document_type="nothing",
                  description="rows it never finds", splitter=splitter,  # type: ignore[arg-type]
                  media_types=frozenset({"text/csv", XLSX}))


def pipeline_with(*domains: Domain) -> Pipeline:
    host = build_host()
    for domain in domains:
        host.domains[domain.name] = Registered(domain, "tests", None, None)
    return Pipeline(Settings(backend="deterministic"), host=host)


def no_records_as_a_list(document: Document) -> list[Record]:
    return []


def no_records_as_they_come(document: Document) -> Iterable[Record]:
    yield from ()


@pytest.mark.parametrize(
    ("path", "plugin", "kind"),
    [(RECEIPT, "bank_transactions", "text/plain"), (OCBC, "invoices", "text/csv")],
)
def test_a_plugin_chosen_by_name_refuses_a_kind_it_does_not_read(path: Path, plugin: str, kind: str) -> None:
    pipeline = pipeline_with()
    with pytest.raises(UnsuitableDocumentError) as info:
        pipeline.extract(path, domain=plugin)
    assert str(info.value).startswith(f"{path.name}: domain {plugin!r} does not read {kind} documents (it reads ")
    assert pipeline._backend is None  # refused before the model loaded


@pytest.mark.parametrize("splitter", [no_records_as_a_list, no_records_as_they_come])
def test_table_rows_of_which_the_plugin_makes_no_record_fail(splitter: object) -> None:
    pipeline = pipeline_with(finds_nothing(splitter))
    with pytest.raises(NoRecordsError) as info:
        pipeline.extract(OCBC, domain="nothing")
    assert str(info.value).startswith(f"{OCBC.name}: domain 'nothing' found no records in the 8 table rows")
    assert pipeline._backend is None


def test_a_table_without_rows_may_hold_no_record(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Date", "Description", "Amount"])  # a month without transactions
    path = tmp_path / "empty-month.xlsx"
    book.save(path)
    extraction = pipeline_with(finds_nothing(no_records_as_a_list)).extract(path, domain="nothing")
    assert extraction.domain == "nothing" and extraction.all_records() == []


def test_a_csv_of_one_header_line_reads_as_text_and_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty-month.csv"
    path.write_text("Date,Description,Amount\n", encoding="utf-8")  # one line: no table to sniff
    with pytest.raises(UnsuitableDocumentError, match="does not read text/plain documents"):
        pipeline_with().extract(path, domain="bank_transactions")


def test_a_splitter_drawn_for_the_check_loses_no_record() -> None:
    pipeline = pipeline_with()
    records = list(pipeline.records(pipeline.parse(OCBC), pipeline.host.domain("bank_transactions")))
    assert [record.index for record in records] == list(range(8))


def test_the_ocbc_export_gives_its_eight_transactions() -> None:
    extraction = pipeline_with().extract(OCBC, domain="bank_transactions")
    results = extraction.all_records()
    assert extraction.document.media_type == "text/csv"
    assert [result.status for result in results] == ["ok"] * 8
    assert [result.data["date"] for result in results if result.data] == [
        datetime.date(2018, 4, day).isoformat() for day in (18, 18, 17, 16, 16, 16, 13, 13)
    ]
    assert [result.data["amount"] for result in results if result.data] == [
        -6.66, -6.66, -66.66, -6.66, -6.66, -66.66, -6.66, -6.66,
    ]
