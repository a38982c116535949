"""The accuracy section of the benchmark: the figures the suite measures but does not judge."""

from __future__ import annotations

from parser_service.bench.accuracy import field_rows


def test_the_accuracy_section_gives_f1_per_field():
    fields = {"date": {"f1": 0.8, "correct": 4, "expected": 5}, "amount_tax": {"f1": None, "correct": 0, "expected": 0}}
    rows = field_rows("float32", fields)
    assert [(r.measure, r.value, r.note) for r in rows] == [
        ("float32: F1, date", 0.8, "4 of 5 right"),
        ("float32: F1, amount_tax", "-", "0 of 0 right"),
    ]
