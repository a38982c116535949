"""Scoring of values extracted into a request's schema, on real held-out documents: an
SROIE receipt (sroie_065) and a Dotin CV (dotin_train_016) with their third-party truth.
The extracted values below are written here to probe each rule; no model runs."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from parser_service.bench import schemas as bench
from parser_service.errors import ConfigError
from parser_service.evaluation import schema_scoring as scoring
from parser_service.training.dataset import refuse_heldout

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "heldout"
RECEIPT = HELDOUT / "receipts" / "sroie_065"
CV = HELDOUT / "cvs" / "dotin_train_016"
TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
AMOUNT = {"type": "string", "format": "amount"}
TEXTS = {"type": "array", "items": TEXT}


def _read(stem: Path) -> tuple[dict, str]:
    truth = json.loads(stem.with_suffix(".expected.json").read_text(encoding="utf-8"))
    return truth, stem.with_suffix(".txt").read_text(encoding="utf-8")


def _schema(kind: str) -> dict:
    return json.loads((HELDOUT / kind / "schema.json").read_text(encoding="utf-8"))["properties"]


def test_values_compare_as_their_format_reads_them() -> None:
    truth, _text = _read(RECEIPT)
    assert scoring.same_value(DATE, truth["date"], "2018-03-09")  # printed 9/3/2018
    assert not scoring.same_value(DATE, truth["date"], "2018-09-03")
    assert scoring.same_value(AMOUNT, truth["total"], 65.2)
    assert not scoring.same_value(AMOUNT, truth["total"], 65.0)
    assert scoring.same_value(TEXT, truth["company"], " restaurant jiawei\n JIAWEI HOUSE.")
    assert not scoring.same_value(TEXT, truth["company"], "JIAWEI HOUSE")


def test_a_scalar_is_right_wrong_missing_or_spurious() -> None:
    truth, _text = _read(RECEIPT)
    right = scoring.score_field(AMOUNT, truth["total"], "65.20")
    wrong = scoring.score_field(AMOUNT, truth["total"], "35.00")
    missing = scoring.score_field(AMOUNT, truth["total"], None)
    spurious = scoring.score_field(AMOUNT, None, "35.00")
    assert (right.tp, right.fp, right.fn) == (1, 0, 0)
    assert (wrong.tp, wrong.fp, wrong.fn) == (0, 1, 1)
    assert (missing.tp, missing.fp, missing.fn) == (0, 0, 1)
    assert (spurious.tp, spurious.fp, spurious.fn) == (0, 1, 0)
    assert scoring.score_field(AMOUNT, None, None).f1 is None


def test_a_list_is_scored_as_a_set() -> None:
    truth, _text = _read(CV)
    got = ["ThoughtWorks", "thoughtworks", "Oracle", "Infosys"]  # a duplicate, two right, one wrong
    tally = scoring.score_field(TEXTS, truth["companies"], got)
    assert (tally.tp, tally.fp, tally.fn) == (2, 1, len(truth["companies"]) - 2)
    assert tally.precision == pytest.approx(2 / 3)
    assert tally.recall == pytest.approx(2 / 5)
    assert tally.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 3))


def test_copied_values_not_in_the_text_are_invented() -> None:
    truth, text = _read(RECEIPT)
    address = scoring.count_invented(TEXT, truth["address"], text)  # runs over three OCR lines
    assert (address.copied, address.invented) == (1, 0)
    made_up = scoring.count_invented(TEXT, "JIAWEI HOUSE SDN BHD", text)
    assert (made_up.copied, made_up.invented) == (1, 1)
    assert scoring.count_invented(DATE, "2018-03-09", text).invented == 0
    assert scoring.count_invented(DATE, "2019-03-09", text).invented == 1
    assert scoring.count_invented(AMOUNT, 65.2, text).invented == 0
    assert scoring.count_invented(AMOUNT, 99.99, text).invented == 1
    chosen = scoring.count_invented({"type": "string", "enum": ["cash", "card"]}, "card", text)
    assert chosen.copied == 0


def test_a_right_value_is_placed_where_the_truth_labels_it() -> None:
    truth, text = _read(CV)
    places = bench.field_places(truth, _schema("cvs"), text)
    name = places["name"]
    by_line = scoring.count_located(TEXT, truth["name"], {"line_start": 1, "line_end": 1}, name, text)
    assert (by_line.located, by_line.located_right, by_line.located_by["lines"]) == (1, 1, 1)
    elsewhere = scoring.count_located(TEXT, truth["name"], {"char_start": 300, "char_end": 318}, name, text)
    assert (elsewhere.located, elsewhere.located_right, elsewhere.located_by["offsets"]) == (1, 0, 1)
    searched = scoring.count_located(TEXTS, ["Bangalore, Karnataka"], None, places["location"], text)
    assert (searched.located_right, searched.located_by["search"]) == (1, 1)
    wrong_value = scoring.count_located(TEXTS, ["Chennai"], None, places["location"], text)
    assert wrong_value.located == 0


def test_truth_spans_are_read_as_the_places_of_the_fields_they_label() -> None:
    truth, text = _read(CV)
    places = bench.field_places(truth, _schema("cvs"), text)
    assert set(places) >= {"name", "email", "location", "designations", "companies"}
    assert places["email"] == {"fkessler@yahoo.com": [(125, 143)]}
    receipt, receipt_text = _read(RECEIPT)
    assert bench.field_places(receipt, _schema("receipts"), receipt_text) == {}


def test_a_whole_document_scores_each_field_of_its_schema() -> None:
    truth, text = _read(RECEIPT)
    result = SimpleNamespace(data={"company": "JIAWEI HOUSE", "date": "2018-03-09", "address": None, "total": 65.2},
                             provenance={"fields": {}})  # fmt: skip
    tallies = bench.score_document(_schema("receipts"), truth, result, text, text)
    assert [tallies[f].tp for f in ("company", "date", "address", "total")] == [0, 1, 0, 1]
    failed = bench.score_document(_schema("receipts"), truth, None, text, text)
    assert sum(t.fn for t in failed.values()) == 4


def test_the_bench_finds_each_kind_and_its_documents() -> None:
    folders = bench.kinds(HELDOUT, None)
    assert {"receipts", "cvs"} <= {f.name for f in folders}
    pairs = bench.documents(HELDOUT / "cvs", 3)
    assert len(pairs) == 3 and all(doc.stem + ".expected.json" == exp.name for doc, exp in pairs)
    with pytest.raises(SystemExit, match="nothing_here"):
        bench.kinds(HELDOUT, "receipts,nothing_here")


def test_held_out_sets_are_refused_as_training_data() -> None:
    with pytest.raises(ConfigError, match="never used for training"):
        refuse_heldout(HELDOUT / "receipts")
    refuse_heldout(HELDOUT.parent)  # the other test documents stay usable


def test_the_table_names_the_documents_not_ok_and_each_figure() -> None:
    truth, text = _read(RECEIPT)
    result = SimpleNamespace(data={"company": None, "date": "2018-03-09", "address": None, "total": 65.2},
                             provenance={"fields": {}})  # fmt: skip
    report = bench.KindReport("receipts", bench.score_document(_schema("receipts"), truth, result, text, text), 1)
    report.not_ok.append("sroie_065.txt (invalid)")
    shown = bench.table(report)
    assert "1 not ok" in shown
    assert "| date | 1.00 | 1.00 | 1.00 | 0/1 | - | - |" in shown
    assert "| all fields | 1.00 | 0.50 | 0.67 | 0/2 | - | - |" in shown


@pytest.mark.model
def test_the_bench_extracts_a_held_out_receipt_into_its_schema_with_the_real_model(pipeline) -> None:
    report = bench.run_kind(pipeline, HELDOUT / "receipts", limit=1)
    assert report.documents == 1 and report.details[0]["document"] == "sroie_065.txt"
    assert set(report.fields) == {"company", "date", "address", "total"}
    # every field of the truth is counted once: right, or missed (and wrong where a value was given)
    assert all(t.tp + t.fn == 1 for t in report.fields.values())
    assert report.total().invented == 0  # string fields are copied from the text's spans
