"""``extract`` with a plugin that cannot read the document, or that finds no record in
its table rows: exit 1, one line naming the file and the reason, nothing on stdout, and
the model never loaded. The deterministic test backend: no model."""

from __future__ import annotations

import json

import pytest

import parser_service.pipeline as pipeline_module
from parser_service.cli import EXIT_INPUT, main
from tests.test_pipeline_refusals import OCBC, RECEIPT, finds_nothing, no_records_as_they_come, pipeline_with


def test_a_receipt_is_refused_by_the_bank_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", str(RECEIPT), "--plugin", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.strip().splitlines() == [
        f"parser-service: error: {RECEIPT.name}: plugin 'bank_transactions' does not read text/plain documents "
        "(it reads application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, text/csv)"
    ]


def test_rows_without_a_record_exit_non_zero(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    host = pipeline_with(finds_nothing(no_records_as_they_come)).host
    monkeypatch.setattr(pipeline_module, "build_host", lambda: host)
    code = main(["extract", str(OCBC), "--plugin", "nothing", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.startswith(f"parser-service: error: {OCBC.name}: plugin 'nothing' found no records in the 8 table rows")


def test_the_ocbc_export_exits_zero_with_its_eight_records(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", str(OCBC), "--plugin", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = json.loads(out)["records"]
    assert len(records) == 8 and {record["status"] for record in records} == {"ok"}
    assert records[2]["data"]["payee"] == "CASH WITHDRAWAL ATM 66-6666 OCBC-666 BRANCH S"
