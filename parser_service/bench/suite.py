"""``parser-service bench``: every section, side by side in one run, as one table.

Each backend is measured in a child process of its own (``backend_runs``); the
figures that are ratios are computed here from rows of the same run, so the noise
of a shared machine falls on both sides of a ratio alike. The table goes to stdout
and to ``BENCHMARKS.md`` with the machine's description and the command line.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parser_service.bench.backend_runs import Spec, run_child, server_runs
from parser_service.bench.table import Row, markdown

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost

SECTIONS = ("backends", "batching", "baselines", "accuracy", "metadata", "large")


@dataclass
class BenchConfig:
    sections: Sequence[str] = SECTIONS
    backends: Sequence[str] = ("transformers", "vllm", "vllm-server")
    dtypes: Sequence[str] = ("float32", "bfloat16", "int8")
    records: int = 16
    batches: Sequence[int] = (1, 8, 16, 32)
    naive_records: int = 8
    sizes: Sequence[int] = (10_000, 100_000)
    pages: int = 200
    work_dir: Path = field(default_factory=lambda: Path(".bench"))
    labels: Path = field(default_factory=lambda: Path("tests/data/metadata_labels.json"))
    reuse: bool = False  # take a backend's figures saved by an earlier run of the same spec
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)


def run(config: BenchConfig) -> list[Row]:
    rows: list[Row] = []
    host = _plugin_host(config.sections)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    if "backends" in config.sections:
        for dtype in config.dtypes:
            for backend in config.backends:
                if not runs_in(backend, dtype):
                    continue
                config.say(f"bench: {backend} {dtype}, {config.records} records, with and without adapter")
                spec = Spec(backend, dtype, records=config.records, batches=[config.records], offline=backend == "vllm")
                results[(backend, dtype)] = _measure(spec, config)
        rows += backend_rows(results, config.records)
    if "batching" in config.sections or "baselines" in config.sections:
        batching = {backend: _measure(batching_spec(backend, config), config) for backend in config.backends}
        rows += batching_rows(batching, config)
    if "accuracy" in config.sections:
        from parser_service.bench import accuracy

        config.say(f"bench: invoice accuracy per dtype {list(config.dtypes)}")
        rows += accuracy.run(config.work_dir, config.dtypes, host)
    if "metadata" in config.sections:
        from parser_service.bench import metadata

        config.say(f"bench: metadata of the documents labelled in {config.labels}")
        rows += metadata.run(config.work_dir, config.labels, config.dtypes[0], config.say, host)
    if "large" in config.sections:
        from parser_service.bench import large_inputs

        config.say(f"bench: spreadsheets of {list(config.sizes)} rows, a {config.pages}-page PDF")
        rows += large_inputs.run(config.work_dir, sizes=config.sizes, pages=config.pages, progress=config.say)
    return rows


def _plugin_host(sections: Sequence[str]) -> PluginHost | None:
    """The one plugin host of the sections run in this process (the others run in children
    of their own), or None where none of them needs one."""
    if not {"accuracy", "metadata"} & set(sections):
        return None
    from parser_service.domains.host import build_host

    return build_host()


def runs_in(backend: str, dtype: str) -> bool:
    """Whether ``backend`` takes ``dtype``: int8 is the transformers backend's own CPU quantization."""
    return dtype != "int8" or backend == "transformers"


def batching_spec(backend: str, config: BenchConfig) -> Spec:
    """Every backend on max(batches) records at each batch size; transformers beside raw
    greedy generation and the naive approach, on the same records."""
    dtype, count = config.dtypes[0], max(config.batches)
    if backend != "transformers":
        dtype = next((d for d in config.dtypes if runs_in(backend, d)), "float32")
        config.say(f"bench: {backend} {dtype}, batches {list(config.batches)} on {count} records")
        return Spec(backend, dtype, records=count, batches=list(config.batches), adapters=[True])
    config.say(f"bench: {backend} {dtype}, batches {list(config.batches)} on {count} records, raw greedy, naive approach")
    return Spec(backend, dtype, records=count, batches=list(config.batches), adapters=[True], raw=True,
                naive_records=config.naive_records)  # fmt: skip


def _measure(spec: Spec, config: BenchConfig) -> dict[str, Any]:
    saved = config.work_dir / "runs" if config.reuse else None
    if spec.backend == "vllm-server":
        return server_runs(spec, config.work_dir, saved)
    return run_child(spec, saved)


def backend_rows(results: dict[tuple[str, str], dict[str, Any]], records: int) -> list[Row]:
    rows = []
    section = f"backends: {records} example records at once, greedy"
    for (backend, dtype), result in results.items():
        if "error" in result:
            rows.append(Row(section, f"{backend} {dtype}", "failed", note=result["error"][:200]))
            continue
        for run_ in result["runs"]:
            label = f"{backend} {dtype} {'+ adapter' if run_['adapter'] else 'base'}"
            valid = f"{run_['valid']}/{run_['records']} valid"
            rows.append(Row(section, f"{label}: output tokens/s", run_["tokens_per_s"], "tok/s", valid))
            rows.append(Row(section, f"{label}: records/s", run_["records_per_s"], "rec/s"))
        rows.append(Row(section, f"{backend} {dtype}: cold start (backend load)", result["load_s"], "s"))
        compile_ = result["compile"]
        rows.append(Row(section, f"{backend} {dtype}: first call on a new schema / the same call again",
                        f"{compile_['first_s']:.2f} / {compile_['cached_s']:.2f}", "s",
                        "first includes compiling the grammar"))  # fmt: skip
        rows += grammar_rows(section, backend, dtype, result.get("grammar"))
        if "offline" in result:
            ours, theirs = result["offline_pipeline"], result["offline"]
            rows.append(Row(section, f"vLLM's own offline engine {dtype}, same prompts: output tokens/s",
                            theirs["tokens_per_s"], "tok/s", f"{theirs['valid']}/{theirs['records']} valid"))  # fmt: skip
            rows.append(Row(section, f"vllm backend {dtype} (with logprobs), same call: output tokens/s",
                            ours["tokens_per_s"], "tok/s"))  # fmt: skip
            rows.append(Row(section, f"vLLM offline / vllm backend ({dtype})",
                            _ratio(theirs["tokens_per_s"], ours["tokens_per_s"]), "×", "target ≤ 1.2"))  # fmt: skip
    return rows


def grammar_rows(section: str, backend: str, dtype: str, grammar: dict[str, Any] | None) -> list[Row]:
    """The transformers backend's grammar build, beside the index it replaced."""
    if not grammar:
        return []
    note = "an extractive schema (enums of the record's spans)"
    rows = [Row(section, f"{backend} {dtype}: grammar per schema, first / cached (llguidance)",
                f"{grammar['first_ms']:.2f} / {grammar['cached_ms']:.3f}", "ms", note)]  # fmt: skip
    if grammar.get("outlines_core_s") is not None:
        rows.append(Row(section, "the same schema as an outlines-core vocabulary index (the engine replaced)",
                        grammar["outlines_core_s"], "s", "what each new extractive schema used to cost"))  # fmt: skip
    return rows


def batching_rows(batching: dict[str, dict[str, Any]], config: BenchConfig) -> list[Row]:
    section = f"batching and baselines ({config.dtypes[0]}, with adapter)"
    rows: list[Row] = []
    raw = batching.get("transformers", {}).get("raw")
    if raw:
        drift = ""
        if "tokens_per_s_before" in raw:
            drift = f"; half the records before the runs below, {raw['tokens_per_s_before']:.1f} tok/s, half after, {raw['tokens_per_s_after']:.1f}"
        rows.append(Row(section, "raw greedy generation, batch 1 (transformers, no grammar)",
                        raw["tokens_per_s"], "tok/s", "the reference of every ratio below" + drift))  # fmt: skip
    for backend, result in batching.items():
        if "error" in result:
            rows.append(Row(section, backend, "failed", note=result["error"][:200]))
            continue
        for run_ in result["runs"]:
            note = f"{run_['valid']}/{run_['records']} valid"
            if raw:
                note += f"; {_ratio(run_['tokens_per_s'], raw['tokens_per_s']):.2f}× raw batch 1"
            if run_.get("prefill_s"):
                note += f"; reading the prompts took {run_['prefill_s'] / run_['seconds']:.0%} of the time"
            rows.append(Row(section, f"{backend} pipeline, batch {run_['batch']}: output tokens/s",
                            run_["tokens_per_s"], "tok/s", note))  # fmt: skip
            rows.append(Row(section, f"{backend} pipeline, batch {run_['batch']}: records/s",
                            run_["records_per_s"], "rec/s"))  # fmt: skip
        rows += ceiling_rows(section, result.get("runs", []), raw)
    rows += baseline_rows(batching.get("transformers", {}), section)
    return rows


def ceiling_rows(section: str, runs: Sequence[dict[str, Any]], raw: dict[str, Any] | None) -> list[Row]:
    """What batching could reach at most if decoding cost nothing: the output tokens over
    the seconds spent reading the prompts alone. Prompts are read at the speed of the
    matrix units whatever the batch, so this bounds every batch size of the run."""
    timed = [r for r in runs if r.get("prefill_s")]
    if not timed:
        return []
    largest = max(timed, key=lambda r: r["batch"])
    ceiling = largest["out_tokens"] / largest["prefill_s"]
    note = "output tokens / seconds reading the prompts, batch " + str(largest["batch"])
    if raw:
        note += f"; {_ratio(ceiling, raw['tokens_per_s']):.2f}× raw batch 1"
    return [Row(section, "ceiling of batching on these records, decoding free", ceiling, "tok/s", note)]


def baseline_rows(result: dict[str, Any], section: str) -> list[Row]:
    rows: list[Row] = []
    raw = result.get("raw")
    one = next((r for r in result.get("runs", []) if r["batch"] == 1), None)
    if raw and one:
        rows.append(Row(section, "constrained overhead at batch 1: raw tok/s / pipeline tok/s",
                        _ratio(raw["tokens_per_s"], one["tokens_per_s"]), "×", "target ≤ 1.15"))  # fmt: skip
    if "naive" in result:
        naive, ours = result["naive"], result["naive_pipeline"]
        n = naive["records"]
        rows.append(Row(section, f"naive (free generation, json.loads, ≤3 re-asks), {n} records: valid records/s",
                        naive["valid"] / naive["seconds"], "rec/s", f"{naive['valid']}/{n} valid"))  # fmt: skip
        rows.append(Row(section, f"pipeline, same {n} records at once: valid records/s",
                        ours["valid"] / ours["seconds"], "rec/s", f"{ours['valid']}/{n} valid"))  # fmt: skip
        rows.append(Row(section, "pipeline / naive, valid records/s",
                        _ratio(ours["valid"] / ours["seconds"], naive["valid"] / naive["seconds"]), "×",
                        "target ≥ 3"))  # fmt: skip
    return rows


def _ratio(a: float, b: float) -> float | str:
    return a / b if b else "∞"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}; {vector_units()}){memory}, no GPU, Python {platform.python_version()}"


def vector_units() -> str:
    """The CPU's widest vector unit and whether it computes bfloat16 natively: the two
    facts that decide which dtype runs fastest, and so what batching can gain."""
    from parser_service.settings import BF16_FLAGS, cpu_flags

    flags = cpu_flags()
    units = (("avx512f", "AVX512"), ("avx2", "AVX2"), ("avx", "AVX"))
    widest = next((name for flag, name in units if flag in flags), "no AVX")
    return f"{widest}, {'native bfloat16' if flags & BF16_FLAGS else 'bfloat16 emulated'}"


def write_markdown(rows: Sequence[Row], path: Path, argv: Sequence[str], seconds: float) -> None:
    command = "parser-service bench " + " ".join(shlex.quote(a) for a in argv)
    text = (
        "# Benchmarks\n\n"
        f"Measured on {machine()}, {time.strftime('%Y-%m-%d')}, in {seconds / 60:.0f} minutes.\n"
        "Every ratio compares figures measured in one process, side by side.\n"
        + ("With `--reuse`, a backend's figures saved by an earlier run with the same parameters "
           "were taken again; leave it out to measure everything anew.\n" if "--reuse" in argv else "")
        + "Reproduce with:\n\n"
        f"```sh\n{command.strip()}\n```\n\n" + markdown(rows)
    )
    path.write_text(text, encoding="utf-8")
