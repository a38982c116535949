"""The backend section of the benchmark, run for real on the test backend (no model):
the workload is real example records, every answer is checked against its schema,
and the ratios of the table come from the figures measured."""

from __future__ import annotations

import pytest

from parser_service.bench.backend_runs import Spec, measure, run_child
from parser_service.bench.suite import BenchConfig, backend_rows, batching_rows


@pytest.fixture(scope="module")
def measured():
    return measure(Spec("deterministic", "float32", records=10, batches=[1, 4]))


def test_every_record_is_timed_at_every_batch_size_with_and_without_adapter(measured):
    runs = measured["runs"]
    assert [(r["adapter"], r["batch"]) for r in runs] == [(False, 1), (False, 4), (True, 1), (True, 4)]
    for run in runs:
        assert run["records"] == 10 and run["valid"] == 10  # the test backend answers within each schema
        assert run["out_tokens"] > 0 and run["seconds"] > 0
        assert run["tokens_per_s"] == pytest.approx(run["out_tokens"] / run["seconds"])
    assert measured["compile"]["first_s"] > 0 and measured["load_s"] >= 0


def test_the_table_reports_each_run_and_the_ceiling_ratio(measured):
    result = measured | {"offline": {"tokens_per_s": 90.0, "valid": 10, "records": 10},
                         "offline_pipeline": {"tokens_per_s": 60.0}}  # fmt: skip
    rows = backend_rows({("vllm", "float32"): result}, 10)
    ratio = next(r for r in rows if r.measure.startswith("vLLM offline / vllm backend"))
    assert ratio.value == pytest.approx(1.5)
    assert sum("output tokens/s" in r.measure for r in rows) == 4 + 2


def test_batching_rows_relate_each_batch_to_raw_batch_one(measured):
    transformers = measured | {"raw": {"tokens_per_s": measured["runs"][0]["tokens_per_s"] / 2}}
    rows = batching_rows({"transformers": transformers}, BenchConfig(dtypes=("float32",)))
    batch_one = next(r for r in rows if r.measure == "transformers pipeline, batch 1: output tokens/s")
    assert "2.00× raw batch 1" in batch_one.note
    overhead = next(r for r in rows if r.measure.startswith("constrained overhead"))
    assert overhead.value == pytest.approx(0.5)


def test_a_child_result_is_saved_and_taken_again(tmp_path):
    spec = Spec("deterministic", "float32", records=2, batches=[2], adapters=[True])
    first = run_child(spec, tmp_path)
    assert "error" not in first and (tmp_path / f"{spec.key()}.json").is_file()
    assert run_child(spec, tmp_path) == first
    assert "error" in run_child(Spec("no-such-backend", "float32", records=1))


def test_the_raw_reference_measured_before_and_after_the_runs_is_one_figure_with_both_halves(measured):
    from parser_service.bench.measure import Timing

    before, after = Timing(5, 0, 640, 40.0), Timing(5, 0, 640, 60.0)
    both = before + after
    assert (both.records, both.out_tokens, both.seconds) == (10, 1280, 100.0)
    assert both.tokens_per_s == pytest.approx(12.8)  # all tokens over all seconds, not a mean of rates
    raw = both.to_dict() | {"tokens_per_s_before": before.tokens_per_s, "tokens_per_s_after": after.tokens_per_s}
    rows = batching_rows({"transformers": measured | {"raw": raw}}, BenchConfig(dtypes=("float32",)))
    reference = next(r for r in rows if r.measure.startswith("raw greedy generation"))
    assert reference.value == pytest.approx(12.8) and "16.0 tok/s, half after, 10.7" in reference.note


def test_the_ceiling_of_batching_is_the_output_over_the_time_spent_reading_prompts(measured):
    runs = [run | {"prefill_s": run["seconds"] / 2} for run in measured["runs"]]
    raw = {"tokens_per_s": 1.0}
    rows = batching_rows({"transformers": measured | {"runs": runs, "raw": raw}}, BenchConfig(dtypes=("float32",)))
    batch_one = next(r for r in rows if r.measure == "transformers pipeline, batch 1: output tokens/s")
    assert "reading the prompts took 50% of the time" in batch_one.note
    ceiling = next(r for r in rows if r.measure.startswith("ceiling of batching"))
    largest = next(r for r in runs if r["batch"] == 4)
    assert ceiling.value == pytest.approx(largest["out_tokens"] / largest["prefill_s"])
    assert f"{ceiling.value:.2f}× raw batch 1" in ceiling.note
    assert not any(r.measure.startswith("ceiling") for r in batching_rows({"transformers": measured}, BenchConfig()))


def test_a_vllm_backend_measures_batching_in_the_first_dtype_it_takes():
    from parser_service.bench.suite import batching_spec

    config = BenchConfig(dtypes=("int8", "bfloat16"), say=lambda line: None)
    assert batching_spec("transformers", config).dtype == "int8"
    assert batching_spec("vllm", config).dtype == "bfloat16"  # int8 is the transformers backend's own
    assert batching_spec("vllm", BenchConfig(dtypes=("int8",), say=lambda line: None)).dtype == "float32"
