"""``extract`` with a plugin that cannot read the document, or that finds no record in
its table rows: exit 1, one line naming the file and the reason, nothing on stdout, and
the model never loaded. The deterministic test backend: no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import parser_service.domains.host as plugin_host
from parser_service.cli.entry import EXIT_INPUT, main
from parser_service.parsers.limits import MAX_CSV_RECORD_CHARS
from tests.pipeline.test_pipeline_refusals import OCBC, RECEIPT, finds_nothing, no_records_as_they_come, pipeline_with


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
    monkeypatch.setattr(plugin_host, "build_host", lambda: host)  # the one the command builds
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


def test_a_csv_row_past_the_limit_is_refused_for_the_row_not_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its second line longer than sniffing reads: the file was taken for text/plain and
    the bank plugin said it "does not read text/plain documents"."""
    path = tmp_path / "export.csv"
    path.write_text("date,amount,description\n2024-01-01,12.50," + "x" * (3 * MAX_CSV_RECORD_CHARS) + "\n"
                    + "".join(f"2024-01-{day:02d},{day}.00,coffee\n" for day in range(2, 8)))
    code = main(["extract", str(path), "--plugin", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.strip().splitlines() == [
        f"parser-service: error: export.csv: line 2 is longer than {MAX_CSV_RECORD_CHARS:,} characters, "
        "the most a CSV row may hold: the document is refused"
    ]
