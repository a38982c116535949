"""The large-inputs benchmark on small inputs: each measurement runs in its own child
process, counts every record, matches the generated truth on the first and last rows
and reports positive rates and memory. No model: the bank plugin's column mapping
fills every field, and nothing reaches the (deterministic, counting) backend."""

from __future__ import annotations

import pytest

from parser_service.bench import large_inputs
from parser_service.bench.table import markdown

ROWS = 300
PAGES = 3


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("large-inputs")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_bank_export_goes_through_the_fast_path_and_matches_its_truth(work_dir, fmt):
    m = large_inputs.measure_bank(work_dir, fmt, ROWS)
    assert m.problems == []
    assert m.report["items"] == ROWS
    assert m.report["statuses"] == {"ok": ROWS}
    assert m.report["backend_requests"] == 0
    assert m.report["field_sources"] == {"prefill": ROWS * 5}
    assert m.report["balance_breaks"] == 0
    truth = large_inputs.transactions(ROWS)
    first = next(truth)
    assert m.report["first"]["data"] == first.truth()
    assert m.rate > 0 and m.seconds > 0
    assert m.peak_mib > 0 and m.baseline_mib > 0 and m.growth_mib >= 0


def test_a_wrong_record_is_reported_as_a_problem(work_dir):
    m = large_inputs.measure_bank(work_dir, "csv", ROWS)
    report = dict(m.report, items=ROWS - 1, last={"status": "ok", "data": {**m.report["last"]["data"], "amount": 0.0},
                                                 "errors": []})
    truth = {"rows": ROWS, "first": m.report["first"]["data"], "last": m.report["last"]["data"]}
    problems = large_inputs.bank_problems(report, truth)
    assert len(problems) == 2 and "records for" in problems[0] and problems[1].startswith("last record")


def test_a_generated_pdf_is_parsed_page_by_page(work_dir):
    m = large_inputs.measure_pdf(work_dir, PAGES)
    assert m.problems == []
    assert m.report["items"] == PAGES and m.report["tables"] == PAGES and m.report["words"] > 0
    assert m.rate > 0 and m.peak_mib > 0 and m.growth_mib >= 0


def test_inputs_are_generated_once_and_the_same_every_time(work_dir):
    path, _ = large_inputs.bank_export(work_dir, "csv", 50)
    made = path.stat().st_mtime_ns
    assert large_inputs.bank_export(work_dir, "csv", 50)[0].stat().st_mtime_ns == made
    again = work_dir / "again"
    again.mkdir()
    assert large_inputs.bank_export(again, "csv", 50)[0].read_bytes() == path.read_bytes()
    assert large_inputs.statement_pdf(again, 2).read_bytes() == large_inputs.statement_pdf(work_dir, 2).read_bytes()


def test_rows_come_out_as_a_table(work_dir):
    rows = large_inputs.run(work_dir, sizes=(100, 200), pages=2)
    table = markdown(rows)
    assert "rows/s, 100 rows (CSV)" in table and "memory growth 100 → 200 rows (XLSX)" in table
    assert "pages/s, 2 pages (PDF)" in table and "MISMATCH" not in table
    assert all(row.section == large_inputs.SECTION for row in rows)
