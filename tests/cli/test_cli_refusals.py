"""``extract`` with a domain that cannot read the document, or that finds no record in
its table rows: exit 1, one line naming the file and the reason, nothing on stdout, and
the model never loaded. The deterministic test backend: no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import parser_service.domains.host as plugin_host
from parser_service.cli.entry import EXIT_INPUT, build_parser, main
from parser_service.parsers.limits import MAX_CSV_RECORD_CHARS
from tests.pipeline.test_pipeline_refusals import OCBC, RECEIPT, finds_nothing, no_records_as_they_come, pipeline_with


def test_a_receipt_is_refused_by_the_bank_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", str(RECEIPT), "--domain", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.strip().splitlines() == [
        f"parser-service: error: {RECEIPT.name}: domain 'bank_transactions' does not read text/plain documents "
        "(it reads application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, text/csv)"
    ]


def test_rows_without_a_record_exit_non_zero(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    host = pipeline_with(finds_nothing(no_records_as_they_come)).host
    monkeypatch.setattr(plugin_host, "build_host", lambda: host)  # the one the command builds
    code = main(["extract", str(OCBC), "--domain", "nothing", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.startswith(f"parser-service: error: {OCBC.name}: domain 'nothing' found no records in the 8 table rows")


def test_the_ocbc_export_exits_zero_with_its_eight_records(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["extract", str(OCBC), "--domain", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = json.loads(out)["records"]
    assert len(records) == 8 and {record["status"] for record in records} == {"ok"}
    assert records[2]["data"]["payee"] == "CASH WITHDRAWAL ATM 66-6666 OCBC-666 BRANCH S"



def test_plugin_is_still_accepted_as_the_old_name_of_domain(capsys: pytest.CaptureFixture[str]) -> None:
    """Scripts written before the rename pass ``--plugin``: the same output as ``--domain``."""
    outputs = []
    for flag in ("--domain", "--plugin"):
        code = main(["extract", str(OCBC), flag, "bank_transactions", "--backend", "deterministic", "-q"])
        out, err = capsys.readouterr()
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1]
    assert {record["domain"] for record in outputs[1]["records"]} == {"bank_transactions"}


@pytest.mark.parametrize(
    "command",
    [["extract", "x.pdf"], ["eval", "."], ["submit", "x.pdf"], ["sources", "add", "in", "."],
     ["adapters", "synth", "--out", "."], ["adapters", "dataset", "--out", "x.jsonl"],
     ["adapters", "train", "--data", "x.jsonl"], ["adapters", "calibrate", "."]],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_that_takes_a_domain_takes_plugin_too(command: list[str]) -> None:
    parser = build_parser()
    for flag in ("--domain", "--plugin"):
        args = parser.parse_args([*command, flag, "invoices"])
        assert args.domain == "invoices" and not hasattr(args, "plugin")


def test_a_csv_row_past_the_limit_is_refused_for_the_row_not_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its second line longer than sniffing reads: the file was taken for text/plain and
    the bank plugin said it "does not read text/plain documents"."""
    path = tmp_path / "export.csv"
    path.write_text("date,amount,description\n2024-01-01,12.50," + "x" * (3 * MAX_CSV_RECORD_CHARS) + "\n"
                    + "".join(f"2024-01-{day:02d},{day}.00,coffee\n" for day in range(2, 8)))
    code = main(["extract", str(path), "--domain", "bank_transactions", "--backend", "deterministic", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_INPUT and out == ""
    assert err.strip().splitlines() == [
        f"parser-service: error: export.csv: line 2 is longer than {MAX_CSV_RECORD_CHARS:,} characters, "
        "the most a CSV row may hold: the document is refused"
    ]
