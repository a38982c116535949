"""The unseen-banks bench: its truth is the journals' (derived, not written by hand),
its split is the one its docs state, and a record counts once."""

from __future__ import annotations

import hashlib
import json

from parser_service.bench.bank_unseen import beancount_truth, load_exports, matched, read_truth, record_values

JOURNAL = """option "title" "t"

2024-01-02 * "Shop" "card"
\tmeta: "x"
\tExpenses:Food 12.50 EUR
\tAssets:Bank -12.50 EUR

2024-01-03 * "Salary"
  Assets:Bank  2000.00 EUR
  Income:Job  -2000.00 EUR
"""


def test_the_truth_is_each_transactions_date_and_the_accounts_posting() -> None:
    assert beancount_truth(JOURNAL, "Assets:Bank") == [
        {"date": "2024-01-02", "amount": -12.5},
        {"date": "2024-01-03", "amount": 2000.0},
    ]


def test_the_stored_truth_is_what_the_journals_give() -> None:
    for export in (e for e in load_exports() if e.expected is not None):
        derived = beancount_truth(export.expected.read_text(encoding="utf-8"), export.account)
        assert derived, export.name
        assert json.loads(export.truth_path.read_text(encoding="utf-8")) == derived, export.name
        assert export.document.exists()


def test_the_split_is_the_first_half_by_the_hash_of_the_names() -> None:
    exports = [e for e in load_exports() if e.split in ("dev", "held-out")]
    order = sorted(exports, key=lambda e: hashlib.sha256(e.name.encode()).hexdigest())
    assert [e.split for e in order] == ["dev"] * (len(order) // 2) + ["held-out"] * (len(order) - len(order) // 2)
    assert len(exports) >= 10


def test_a_record_is_matched_once_and_only_on_date_and_amount() -> None:
    truth = [("2024-01-02", -12.5), ("2024-01-02", -12.5), ("2024-01-03", 5.0)]
    found = [("2024-01-02", -12.5), ("2024-01-03", -5.0), None, ("2024-01-04", 5.0)]
    assert matched(truth, found) == 1


def test_a_records_values_are_its_iso_date_and_amount() -> None:
    assert record_values({"date": "2024-01-02", "amount": "-3.5", "payee": "x"}) == ("2024-01-02", -3.5)
    assert record_values({"date": None, "amount": 1}) is None
    assert record_values(None) is None


def test_every_export_has_its_truth() -> None:
    assert all(read_truth(export) for export in load_exports())


def test_a_truth_without_a_journal_names_the_test_each_value_comes_from() -> None:
    asserted = [e for e in load_exports() if e.expected is None]
    assert asserted and all(e.split == "fresh" for e in asserted)
    for export in asserted:
        rows = json.loads(export.truth_path.read_text(encoding="utf-8"))
        assert all("::test_" in row["from"] for row in rows), export.name


def test_the_fresh_part_holds_six_exports_at_least() -> None:
    assert len([e for e in load_exports() if e.split == "fresh"]) >= 6
