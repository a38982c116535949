"""``parser-service eval``: pairs documents with expected outputs and scores them."""

from __future__ import annotations

import json
import shutil

import pytest

from parser_service import evaluation
from parser_service.cli import main
from parser_service.plugin_host import build_host
from tests.conftest import BANK_EXAMPLES, INVOICE_EXAMPLES


def test_pairs_follow_each_plugins_naming_rules():
    host = build_host()
    invoices = {d.name: e.name for d, e in evaluation.pairs(host.domain("invoices"), INVOICE_EXAMPLES)}
    assert invoices["oyo.pdf"] == "oyo.json"
    assert invoices["Facture_FR_BASICWL.pdf"] == "Facture_FR_BASICWL.expected.json"
    assert "oyo.json" not in invoices  # an expected output is never a document
    bank = {d.name: e.name for d, e in evaluation.pairs(host.domain("bank_transactions"), BANK_EXAMPLES)}
    assert bank["gls.csv"] == "gls.expected.ofx" and bank["xero.csv"] == "xero.expected.qif"
    assert "CSV_A_20180414_112204.csv" not in bank  # a mapping file is no expected output


def test_matching_uses_each_extracted_record_once():
    expected = [{"date": "2020-01-01", "amount": 5.0}, {"date": "2020-01-01", "amount": 5.0}]
    assert evaluation._matched(expected, [{"date": "2020-01-01", "amount": 5.0}], ("date", "amount")) == 1
    assert evaluation._matched(expected, [{"date": "2020-01-02", "amount": 5.0}], ("date", "amount")) == 0


@pytest.mark.model
def test_eval_command_reports_a_table_and_json(tmp_path, capsys):
    for name in ("gls.csv", "gls.expected.ofx", "creditunion.csv", "creditunion.expected.qif"):
        shutil.copy(BANK_EXAMPLES / name, tmp_path / name)
    report_path = tmp_path / "report.json"
    assert main(["eval", "--plugin", "bank_transactions", str(tmp_path), "--json", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert "records matched on key fields: 9/9" in out
    report = json.loads(report_path.read_text())
    assert report["documents"] == 2 and report["records_expected"] == 9
    assert {d["name"] for d in report["per_document"]} == {"gls.csv", "creditunion.csv"}
