"""``parser-service eval``: pairs documents with expected outputs, scores every
field of every record per variant, and reports it as a table, JSON and a PNG.

The harness is tested here with real parsed documents and a scripted runner in
place of the model (what the "model" answers is the point of each test); the
last test runs the real command with the real model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel

from parser_service.cli.entry import main
from parser_service.document import Document
from parser_service.domains.domain import Domain
from parser_service.domains.host import build_host
from parser_service.errors import InputError
from parser_service.evaluation import chart, evaluate
from parser_service.evaluation import report as eval_report
from parser_service.evaluation.scoring import Extracted, FieldCounts, invented_fields, pair_records, score_records
from parser_service.pipeline.run import Pipeline
from parser_service.records import RecordResult
from tests.conftest import BANK_EXAMPLES, INVOICE_EXAMPLES

KEYS = ("date", "amount")


class Bill(BaseModel):
    issuer: str | None = None
    number: str | None = None
    date: str | None = None
    amount: float | None = None


BILL = Domain(name="bills", version="1.0", schema=Bill, document_type="bill", description="a bill")


def _result(data: dict | None, sources: dict[str, tuple[str, bool]], status: str = "ok") -> RecordResult:
    fields = {name: {"source": source, "verbatim": verbatim} for name, (source, verbatim) in sources.items()}
    return RecordResult(0, "bills", "Bill", status, data, [], {"record": [], "fields": fields}, {})  # type: ignore[arg-type]


def _write(folder: Path, name: str, text: str, expected: dict) -> None:
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / f"{name}.json").write_text(json.dumps(expected), encoding="utf-8")


@pytest.fixture
def bills(tmp_path):
    """Two real text bills with expected outputs, as a folder the harness reads."""
    _write(tmp_path, "acme", "ACME Corp\nBill no. A-17\nDate: 2024-03-01\nTotal 120.50 EUR\n",
           {"issuer": "ACME Corp", "number": "A-17", "date": "2024-03-01", "amount": 120.5})
    _write(tmp_path, "zeta", "Zeta Ltd\nInvoice Z9\nTotal 80.00\n",
           {"issuer": "Zeta Ltd", "number": "Z9", "date": None, "amount": 80.0})
    return tmp_path


def scripted_runner(answers):
    """A runner answering from ``answers[(document text's first line, variant name)]``; raises for a string."""

    def run(document: Document, variant: evaluate.Variant) -> list[RecordResult]:
        answer = answers[(document.text.splitlines()[0], variant.name)]
        if isinstance(answer, str):
            raise RuntimeError(answer)
        return answer

    return run


ANSWERS = {
    # base: issuer right, number and amount invented (not in the text) and wrong, date missing
    ("ACME Corp", "base"): [_result(
        {"issuer": "ACME Corp", "number": "INV-1", "date": None, "amount": 12.0},
        {"issuer": ("model", True), "number": ("model", False), "date": ("model", False), "amount": ("model", False)},
    )],
    # base: a date where the bill has none (spurious), copied from nowhere (invented)
    ("Zeta Ltd", "base"): [_result(
        {"issuer": "Zeta Ltd", "number": "Z9", "date": "2024-01-01", "amount": 80.0},
        {"issuer": ("model", True), "number": ("model", True), "date": ("model", False), "amount": ("prefill", True)},
    )],
    ("ACME Corp", "base+extractive"): [_result(
        {"issuer": "ACME Corp", "number": "A-17", "date": "2024-03-01", "amount": 120.5},
        {name: ("model", True) for name in ("issuer", "number", "date", "amount")},
    )],
    ("Zeta Ltd", "base+extractive"): "the model fell over",
}


def run_bills(folder: Path, variants: str = "base,adapter,base+extractive") -> dict:
    found = evaluate.pairs(BILL, folder)
    fields = evaluate.scored_fields(BILL)
    runs = evaluate.evaluate(
        Pipeline().parse, scripted_runner(ANSWERS), BILL, found, evaluate.parse_variants(variants), fields
    )
    return evaluate.summary(runs, fields, BILL, folder, {"backend": "scripted"})


def test_pairs_follow_each_plugins_naming_rules():
    host = build_host()
    invoices = {d.name: e.name for d, e in evaluate.pairs(host.domain("invoices"), INVOICE_EXAMPLES)}
    assert invoices["oyo.pdf"] == "oyo.json"
    assert invoices["Facture_FR_BASICWL.pdf"] == "Facture_FR_BASICWL.expected.json"
    assert "oyo.json" not in invoices  # an expected output is never a document
    bank = {d.name: e.name for d, e in evaluate.pairs(host.domain("bank_transactions"), BANK_EXAMPLES)}
    assert bank["gls.csv"] == "gls.expected.ofx" and bank["xero.csv"] == "xero.expected.qif"
    assert "CSV_A_20180414_112204.csv" not in bank  # a mapping file is no expected output


def test_a_folder_without_expected_outputs_is_a_clear_input_error(tmp_path):
    (tmp_path / "lonely.txt").write_text("no expected output here")
    with pytest.raises(InputError, match="no document has an expected output"):
        evaluate.pairs(BILL, tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        evaluate.pairs(BILL, tmp_path / "lonely.txt")


def test_variants_parse_in_order_once_and_reject_unknown_names():
    names = [v.name for v in evaluate.parse_variants("adapter+extractive, base,base")]
    assert names == ["adapter+extractive", "base"]
    assert not evaluate.VARIANTS["base"].extractive_decoding and not evaluate.VARIANTS["base"].adapter
    with pytest.raises(ValueError, match="choose from: base, adapter"):
        evaluate.parse_variants("base,turbo")
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--domain", "bills", ".", "--variants", "turbo"])
    assert exit_info.value.code == 2


def test_the_default_variant_is_what_extract_runs(tmp_path):
    assert evaluate.default_variant(BILL, extractive_decoding=True).name == "base+extractive"
    assert evaluate.default_variant(BILL, extractive_decoding=False).name == "base"
    (tmp_path / "adapter_config.json").write_text("{}")
    with_adapter = Domain(name="b", version="1", schema=Bill, document_type="b", description="b", adapter=tmp_path)
    assert evaluate.default_variant(with_adapter, extractive_decoding=True).name == "adapter+extractive"


def test_variants_switch_the_adapter_and_extractive_decoding_on_one_pipeline(tmp_path):
    calls = []

    class RecordingPipeline:
        def run_domain(self, document, domain, progress, *, extractive_decoding):
            calls.append((domain.adapter, extractive_decoding))
            return []

    (tmp_path / "adapter_config.json").write_text("{}")
    domain = Domain(name="b", version="1", schema=Bill, document_type="b", description="b", adapter=tmp_path)
    run = evaluate.pipeline_runner(RecordingPipeline(), domain)  # type: ignore[arg-type]
    for variant in evaluate.parse_variants("base,adapter,base+extractive,adapter+extractive"):
        run(Document("0", "x.txt", "text/plain", []), variant)
    assert calls == [(None, False), (tmp_path, False), (None, True), (tmp_path, True)]
    assert domain.adapter == tmp_path  # the plugin's own description is left alone


def test_without_extractive_decoding_span_fields_become_free_bounded_strings():
    from parser_service.pipeline.generation_schema import generation_schema

    invoice = build_host().domain("invoices").schema
    text = "Invoice no. 4711\nDate 01.02.2024\nTotal 12,50 EUR"
    spans = generation_schema(invoice, ["date"], text).json_schema["properties"]["date"]
    free = generation_schema(invoice, ["date"], text, extractive_decoding=False).json_schema["properties"]["date"]
    assert '"01.02.2024"' in json.dumps(spans) and '"string"' not in json.dumps(spans)  # one of the text's spans
    assert {"type": "string", "minLength": 1, "maxLength": 24} in free["anyOf"]  # anything, within the bound


def test_counts_give_precision_recall_f1_and_invented_rate():
    counts = FieldCounts(correct=3, wrong=1, missing=2, spurious=1, invented=2, unscored=3)
    assert (counts.given, counts.expected) == (5, 6)
    assert counts.precision == pytest.approx(0.6) and counts.recall == pytest.approx(0.5)
    assert counts.f1 == pytest.approx(2 * 0.6 * 0.5 / 1.1)
    assert counts.invented_rate == pytest.approx(2 / 8)
    nothing = FieldCounts(missing=2)
    assert nothing.precision is None and nothing.recall == 0 and nothing.f1 is None


def test_a_value_is_invented_only_when_the_document_does_not_hold_it():
    text = "Rechnung Nr. 4711\nDatum 01.02.2024\nSumme 1.234,50 EUR"
    data = {"number": "4711", "date": "2024-02-01", "amount": 1234.5, "issuer": "Acme", "currency": "EUR"}
    provenance = {"fields": {
        "number": {"source": "model", "verbatim": True},
        "date": {"source": "model", "verbatim": True},  # "01.02.2024" copied, then normalised
        "amount": {"source": "prefill", "verbatim": False},  # read in code from a cell
        "issuer": {"source": "model", "verbatim": False},  # written by the model, nowhere in the text
        "currency": {"source": "model", "verbatim": False},  # not verbatim, but the text holds it
    }}
    assert invented_fields(data, provenance, text) == {"issuer"}
    assert invented_fields({**data, "issuer": None}, provenance, text) == frozenset()  # no value, nothing invented
    chosen = {"fields": {**provenance["fields"], "issuer": {"source": "model", "verbatim": False, "inferred": True}}}
    assert invented_fields(data, chosen, text) == frozenset()  # chosen among options, not copied: not invented


def test_records_pair_on_key_fields_then_on_any_key_then_leftovers():
    expected = [
        {"date": "2020-01-01", "amount": 5.0, "payee": "Shop"},
        {"date": "2020-01-02", "amount": 7.0, "payee": "Bakery"},
        {"date": "2020-01-01", "amount": 5.0, "payee": "Shop"},
    ]
    got = [
        Extracted({"date": "2020-01-02", "amount": 9.0, "payee": "Bakery"}),  # amount wrong
        Extracted({"date": "2020-01-01", "amount": 5.0, "payee": "Shop"}),
        Extracted({"date": "1999-12-31", "amount": 1.0, "payee": "Nobody"}),  # no expected record
    ]
    pairs, matched = pair_records(expected, got, KEYS)
    assert matched == 1  # each extracted record is used once
    assert (expected[1], got[0]) in pairs  # paired on the date, so the amount counts as wrong
    assert (expected[2], None) in pairs and (None, got[2]) in pairs
    scores = score_records(expected, got, ["date", "amount", "payee"], KEYS)
    amount = scores.fields["amount"]
    assert (amount.correct, amount.wrong, amount.missing, amount.spurious) == (1, 1, 1, 1)
    assert scores.fields["payee"].correct == 2
    assert (scores.records_expected, scores.records_extracted, scores.records_matched) == (3, 3, 1)


def test_without_key_fields_records_pair_in_order():
    pairs, matched = pair_records([{"a": 1}], [Extracted({"a": 2}), Extracted({"a": 1})], ())
    assert matched == 0
    assert pairs == [({"a": 1}, Extracted({"a": 2})), (None, Extracted({"a": 1}))]


def test_evaluate_scores_each_variant_per_field_and_per_document(bills):
    report = run_bills(bills)
    base, adapter, extractive = report["variants"]
    assert adapter["skipped"] == evaluate.NO_ADAPTER and adapter["per_document"] == []
    fields = base["fields"]
    assert fields["issuer"]["correct"] == 2 and fields["issuer"]["f1"] == 1.0
    assert (fields["number"]["correct"], fields["number"]["wrong"], fields["number"]["invented"]) == (1, 1, 1)
    assert (fields["date"]["missing"], fields["date"]["spurious"], fields["date"]["invented"]) == (1, 1, 1)
    assert fields["date"]["precision"] == 0.0 and fields["date"]["recall"] == 0.0
    assert (fields["amount"]["correct"], fields["amount"]["wrong"], fields["amount"]["invented"]) == (1, 1, 1)
    assert base["overall"]["given"] == 7 and base["invented_rate"] == pytest.approx(3 / 7, abs=1e-4)
    acme = base["per_document"][0]
    assert acme["name"] == "acme.txt" and acme["overall"]["correct"] == 1
    assert acme["records"][0]["got"]["number"] == "INV-1" and acme["records"][0]["invented"] == ["amount", "number"]
    assert extractive["errors"] == 1 and extractive["per_document"][1]["error"] == "RuntimeError: the model fell over"
    assert extractive["overall"]["correct"] == 4 and extractive["invented_rate"] == 0.0


def test_an_unreadable_document_is_scored_as_an_error_and_the_run_goes_on(bills):
    (bills / "broken.pdf").write_bytes(b"%PDF-1.4 this is no pdf")
    (bills / "broken.json").write_text(json.dumps({"issuer": "X"}))
    report = run_bills(bills, "base")
    docs = {d["name"]: d for d in report["variants"][0]["per_document"]}
    assert docs["broken.pdf"]["error"] and docs["broken.pdf"]["fields"] == {}
    assert docs["acme.txt"]["error"] is None and report["documents"] == 3


def test_the_json_report_follows_its_schema(bills, tmp_path):
    report = run_bills(bills)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    jsonschema.validate(json.loads(path.read_text()), eval_report.REPORT_SCHEMA)
    report["variants"][0]["fields"]["issuer"]["f1"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, eval_report.REPORT_SCHEMA)


def test_the_table_shows_fields_variants_and_documents(bills):
    table = eval_report.format_table(run_bills(bills))
    assert "variant adapter (plugin adapter, free strings): skipped (no adapter installed)" in table
    assert "invented rate 43% (3 of 7 values)" in table
    number_row = next(line for line in table.splitlines() if line.startswith("number "))
    assert number_row.split() == ["number", "0.50", "0.50", "0.50", "1", "1", "0", "0", "1"]
    assert "F1 by variant:" in table and "error: RuntimeError: the model fell over" in table


def test_the_chart_is_a_real_png(bills, tmp_path):
    from matplotlib.image import imread

    path = chart.write_chart(run_bills(bills), tmp_path / "charts" / "f1.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)
    assert pixels.shape[:2] == (540, 1320)
    assert pixels.std() > 0.05  # bars drawn, not a blank canvas
    assert [p.name for p in path.parent.iterdir()] == ["f1.png"]  # no temporary file left behind


@pytest.mark.model
def test_eval_command_writes_table_json_and_chart(pipeline, tmp_path, capsys, monkeypatch):
    for name in ("gls.csv", "gls.expected.ofx", "creditunion.csv", "creditunion.expected.qif"):
        shutil.copy(BANK_EXAMPLES / name, tmp_path / name)
    monkeypatch.setattr("parser_service.pipeline.run.Pipeline", lambda settings, host=None: pipeline)  # share the loaded model
    report_path, chart_path = tmp_path / "out" / "report.json", tmp_path / "out" / "chart.png"
    argv = ["eval", "--domain", "bank_transactions", str(tmp_path), "--variants", "base,base+extractive",
            "--json", str(report_path), "--chart", str(chart_path), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "records matched on key fields (date, amount): 9/9" in out and "F1 by variant:" in out
    report = json.loads(report_path.read_text())
    jsonschema.validate(report, eval_report.REPORT_SCHEMA)
    assert [v["name"] for v in report["variants"]] == ["base", "base+extractive"]
    for variant in report["variants"]:
        assert {d["name"] for d in variant["per_document"]} == {"gls.csv", "creditunion.csv"}
        assert variant["fields"]["date"]["correct"] == 9 and variant["fields"]["amount"]["correct"] == 9
    assert chart_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class Item(BaseModel):
    name: str | None = None
    amount: float | None = None


class Order(BaseModel):
    number: str | None = None
    items: list[Item] = []


ORDER = Domain(name="orders", version="1.0", schema=Order, document_type="order", description="an order")


def test_lists_are_scored_by_row_in_the_report_its_json_and_its_table(tmp_path):
    truth = {"number": "O-1", "items": [{"name": "Tea", "amount": 4.5}, {"name": "Cake", "amount": 3.0},
                                        {"name": "Milk", "amount": 1.2}]}  # fmt: skip
    _write(tmp_path, "order", "Order O-1\nTea   4.50\nCake   3.00\nMilk   1.20\n", truth)
    got = {"number": "O-1", "items": [{"name": "Cake", "amount": 3.0}, {"name": "Tea", "amount": 4.0}]}
    answers = {("Order O-1", "base"): [_result(got, {"number": ("model", True), "items": ("rows", True)})]}
    found = evaluate.pairs(ORDER, tmp_path)
    fields = evaluate.scored_fields(ORDER)
    runs = evaluate.evaluate(Pipeline().parse, scripted_runner(answers), ORDER, found, [evaluate.VARIANTS["base"]], fields)
    report = evaluate.summary(runs, fields, ORDER, tmp_path)
    jsonschema.validate(report, eval_report.REPORT_SCHEMA)
    items = report["variants"][0]["lists"]["items"]
    assert fields == ["number"]
    assert items["rows"] == {"expected": 3, "extracted": 2, "matched": 2, "exact": 1,
                             "precision": 0.5, "recall": 0.3333, "f1": 0.4}  # fmt: skip
    assert items["fields"]["amount"]["correct"] == 1 and items["fields"]["amount"]["wrong"] == 1
    assert "list items, by row: P 0.50 R 0.33 F1 0.40" in eval_report.format_table(report)
