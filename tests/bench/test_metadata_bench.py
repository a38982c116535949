"""The metadata section of the benchmark: labels read, answers judged, figures per part."""

from __future__ import annotations

import json
from pathlib import Path

from parser_service.bench.metadata import Labelled, best_thresholds, evaluate, judge, load_labels, rows, title_right
from tests.conftest import DATA

LABELS = DATA / "metadata_labels.json"


def test_the_labelled_set_names_real_files_in_both_parts():
    labels = load_labels(LABELS)
    assert all(label.path.is_file() for label in labels)
    assert {label.part for label in labels} == {"dev", "held-out"}
    for kind in {label.kind for label in labels}:  # every kind in both parts, where it has two documents
        parts = {label.part for label in labels if label.kind == kind}
        assert parts == {"dev", "held-out"}, kind
    assert {label.type for label in labels} == {"invoice", "bank_statement", "other"}


def _label(**changes) -> Labelled:
    base = {"path": Path("x.pdf"), "kind": "invoice", "part": "dev", "type": "invoice", "language": ["en"],
            "title": ["Tax Invoice"], "parties": [["ACME Ltd", "ACME Limited"], ["Jane Doe"]]}  # fmt: skip
    return Labelled(**(base | changes))


def test_an_answer_is_judged_field_by_field():
    got = {"document_type": "invoice", "language": "en", "title": "TAX INVOICE", "parties": ["ACME Limited", "Bank"]}
    outcome = judge(_label(), got)
    assert (outcome.type, outcome.language, outcome.title) == (True, True, True)
    assert (outcome.parties_given, outcome.parties_right) == (2, 1)
    assert (outcome.parties_expected, outcome.parties_found) == (2, 1)
    wrong = judge(_label(), {"document_type": "other", "language": "de", "title": None, "parties": []})
    assert (wrong.type, wrong.language, wrong.title, wrong.parties_given) == (False, False, False, 0)


def test_a_null_title_is_right_only_where_none_is_acceptable():
    assert title_right(None, [None]) and title_right(None, [None, "Jane Doe"])
    assert not title_right(None, ["Invoice"]) and not title_right("Kontonummer", [None])


def test_the_best_thresholds_are_the_range_that_types_the_most_right():
    fits = [(0.9, "invoice", "invoice"), (0.5, "invoice", "invoice"), (0.3, "invoice", "other"), (0.45, "bank", "other")]
    assert best_thresholds(fits) == (0.45, 0.5, 4)


def test_figures_come_per_part(tmp_path):
    labels = [_label(), _label(part="held-out", type="other")]
    report = evaluate(labels, lambda _: {"document_type": "invoice", "language": "en", "title": "Tax Invoice",
                                         "parties": ["Jane Doe"]})  # fmt: skip
    figures = {row.measure: row.value for row in rows(report)}
    assert figures["dev: type right"] == 1.0 and figures["held-out: type right"] == 0.0
    assert figures["dev: parties precision"] == 1.0 and figures["dev: parties recall"] == 0.5
    json.dumps(report)  # the report is written as JSON
