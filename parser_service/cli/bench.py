"""``parser-service bench``: the benchmark (figures, not tests), written to BENCHMARKS.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from parser_service.bench.suite import SECTIONS, BenchConfig


def _names(allowed: tuple[str, ...] | None) -> Any:
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if allowed and n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose among {', '.join(allowed or ())}")
        return names

    return parse


DTYPES = ("float32", "bfloat16", "int8")


def native_first() -> list[str]:
    """Every dtype, the one ``auto`` picks on this machine first: batching is measured in
    what the service would run (emulated bfloat16 on an AVX2 CPU gains nothing from it)."""
    from parser_service.settings import auto_dtype

    native = auto_dtype("cpu")
    return [native, *(d for d in DTYPES if d != native)]


def _numbers(text: str) -> list[int]:
    try:
        values = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers ≥ 1")
    return values


def add_bench(commands: Any) -> None:
    bench = commands.add_parser(
        "bench",
        help="measure speed and memory (backends, batching, baselines, large inputs) into BENCHMARKS.md",
        description="Runs every section side by side in one run and prints one table; ratios compare "
        "figures of the same run. Each backend is measured in a process of its own; the vllm-server "
        "section starts a vLLM server on 127.0.0.1 for its run.",
    )
    bench.add_argument("--sections", type=_names(SECTIONS), default=list(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)")
    bench.add_argument("--backends", type=_names(("transformers", "vllm", "vllm-server")), default=["transformers", "vllm", "vllm-server"])
    bench.add_argument("--dtypes", type=_names(DTYPES), default=None, help="the first is the one batching is measured in (default: the dtype this CPU computes natively, as dtype 'auto' picks it); int8: transformers only")
    bench.add_argument("--records", type=int, default=16, help="example records of the backends section (default 16)")
    bench.add_argument("--batches", type=_numbers, default=[1, 8, 16, 32], help="batch sizes of the batching section")
    bench.add_argument("--naive-records", type=int, default=8, help="records the naive approach is measured on")
    bench.add_argument("--sizes", type=_numbers, default=[10_000, 100_000], help="spreadsheet rows")
    bench.add_argument("--pages", type=int, default=200, help="pages of the long PDF")
    bench.add_argument("--labels", type=Path, default=Path("tests/data/metadata_labels.json"), help="the metadata section's labelled documents")
    bench.add_argument("--work-dir", type=Path, default=Path(".bench"), help="generated inputs and server logs")
    bench.add_argument("--reuse", action="store_true", help="take a backend's figures from an earlier run with the same parameters (saved under WORK_DIR/runs)")
    bench.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="where the table is written")
    bench.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from parser_service.bench import suite
    from parser_service.bench.table import markdown

    config = BenchConfig(
        sections=args.sections, backends=args.backends, dtypes=args.dtypes or native_first(), records=args.records,
        batches=args.batches, naive_records=args.naive_records, sizes=args.sizes, pages=args.pages,
        work_dir=args.work_dir, reuse=args.reuse, labels=args.labels,
    )  # fmt: skip
    args.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    rows = suite.run(config)
    print(markdown(rows))
    suite.write_markdown(rows, args.out, sys.argv[2:], time.monotonic() - started)
    print(f"bench: written to {args.out}", file=sys.stderr)
    return 0
