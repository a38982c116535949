"""``parser-service adapters``: training data for the plugins' LoRA adapters.

* ``adapters synth``: render a plugin's synthetic documents with their ground truth.
* ``adapters dataset``: turn synthetic documents and declared public examples into
  the JSONL the trainer reads, with a deterministic validation split by document.

Each subcommand is one ``add_*`` function (registered through ``SUBCOMMANDS``) and
one ``cmd_*`` function. Both print a JSON summary on stdout; progress goes to stderr.
Public examples are used only where the caller names them (``--public``): what a
plugin is evaluated on must stay out of its training data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parser_service.cli.options import add_domain_option
from parser_service.cli.training import add_calibrate, add_train
from parser_service.errors import ConfigError

#: Progress is reported every this many documents.
PROGRESS_EVERY = 25


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError("must be at least 0 and below 1")
    return value


def add_adapters(commands: Any) -> None:
    adapters = commands.add_parser(
        "adapters",
        help="make training data for the plugins' LoRA adapters",
        description="Render synthetic documents and build the training data of a plugin's adapter.",
    )
    sub = adapters.add_subparsers(dest="adapters_command", metavar="SUBCOMMAND", required=True)
    for add in SUBCOMMANDS:
        add(sub)


def add_synth(sub: Any) -> None:
    synth = sub.add_parser(
        "synth",
        help="render synthetic documents with their ground truth",
        description="Render COUNT synthetic documents of the domain into OUT, each with its ground truth "
        "beside it (NAME.truth.json). The same seed gives the same documents.",
    )
    add_domain_option(synth, "the domain whose documents to render", required=True)
    synth.add_argument("--out", required=True, type=Path, help="folder to write the documents into")
    synth.add_argument("--count", type=_count, default=100, help="how many documents (default 100)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.set_defaults(handler=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from parser_service.training.dataset import render

    domain = args.plugin_host().domain(args.domain)
    started = time.monotonic()
    docs = render(domain, _folder(args.out), args.count, args.seed)
    coverage: dict[str, Counter[str]] = {}
    for doc in docs:
        for key, value in doc.meta.items():
            if isinstance(value, str | bool | int):
                coverage.setdefault(key, Counter())[str(value)] += 1
    summary = {"domain": domain.name, "folder": str(args.out), "documents": len(docs), "seed": args.seed,
               "seconds": round(time.monotonic() - started, 2),
               "coverage": {key: dict(counts.most_common()) for key, counts in coverage.items()}}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def add_dataset(sub: Any) -> None:
    dataset = sub.add_parser(
        "dataset",
        help="build the training JSONL from synthetic documents and declared public examples",
        description="Parse each labelled document with the real parsers, split it with the plugin's "
        "splitter, and write one example per record (and per prefill mode): the exact request the "
        "extractor sends, and the answer it should decode. Without --synthetic, COUNT documents are "
        "rendered into a temporary folder.",
    )
    add_domain_option(dataset, "the domain to build data for", required=True)
    dataset.add_argument("--out", required=True, type=Path, help="the training JSONL to write")
    dataset.add_argument("--synthetic", type=Path, help="folder of synthetic documents (from 'adapters synth')")
    dataset.add_argument("--public", type=Path, action="append", default=[], metavar="PATH",
                         help="a public example (document with its expected output beside it) or a folder "
                         "of them; repeat for more. Never pass what the plugin is evaluated on.")
    dataset.add_argument("--count", type=_count, help="render this many synthetic documents (default 200 "
                         "without --synthetic, none with it)")
    dataset.add_argument("--seed", type=int, default=0, help="random seed for rendering (default 0)")
    dataset.add_argument("--val", type=Path, help="also write a validation JSONL here")
    dataset.add_argument("--val-fraction", type=_fraction, default=0.1,
                         help="share of documents (by hash of their bytes) that go to --val (default 0.1)")
    dataset.add_argument("--report", type=Path, help="also write the build report (counts, dropped fields) here")
    dataset.set_defaults(handler=cmd_dataset)


def cmd_dataset(args: argparse.Namespace) -> int:
    host = args.plugin_host()
    domain = host.domain(args.domain)
    for path in args.public:
        if not path.exists():
            raise ConfigError(f"--public {path}: no such file or folder")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parser-service-synth-") as scratch:
        folder = args.synthetic or Path(scratch)
        count = args.count if args.count is not None else (0 if args.synthetic else 200)
        summary = _build_dataset(host, domain, args, folder, count)
    summary["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def _build_dataset(host: Any, domain: Any, args: argparse.Namespace, folder: Path, count: int) -> dict[str, Any]:
    from parser_service.cli.progress import StderrProgress
    from parser_service.settings import Settings
    from parser_service.training import dataset

    if count:
        dataset.render(domain, _folder(folder), count, args.seed)
    elif args.synthetic and not args.synthetic.is_dir():
        raise ConfigError(f"--synthetic {args.synthetic}: no such folder (render one with 'adapters synth')")
    labelled = (dataset.synthetic(folder) if folder.is_dir() else []) + dataset.public(domain, args.public)
    for item in labelled:
        if item.public:
            print(f"parser-service: training on public example {item.document}", file=sys.stderr)
    settings = Settings()
    builder = dataset.Builder(domain, host.parser_list(), dataset.tokenizer_truncate(settings.model, settings.cache_dir),
                              settings.max_prompt_tokens, settings.extractive_decoding)
    stats = dataset.Stats()
    progress = StderrProgress()
    rows = dataset.build(labelled, builder, stats, _every(progress, len(labelled)))
    progress.close()
    if not rows:
        raise ConfigError(f"no training examples: {len(labelled)} labelled documents gave none")
    fraction = args.val_fraction if args.val else 0.0
    val = [r for r in rows if dataset.is_validation(r["sha256"], fraction)]
    train = [r for r in rows if not dataset.is_validation(r["sha256"], fraction)]
    summary: dict[str, Any] = {"domain": domain.name, "train": _written(args.out, train, dataset.write_jsonl)}
    if args.val:
        summary["val"] = _written(args.val, val, dataset.write_jsonl)
    summary.update(stats.to_dict())
    if args.report:
        args.report.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _written(path: Path, rows: list[dict[str, Any]], write: Callable[[Path, list[dict[str, Any]]], int]) -> dict[str, Any]:
    documents = {row["sha256"] for row in rows}
    return {"path": str(path), "examples": len(rows), "documents": len(documents), "bytes": write(path, rows)}


def _every(progress: Callable[[str, int, int], None], total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            progress("documents", done, total)

    return report


def _folder(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file; give a folder to write the documents into")
    return path


#: Registration functions of the ``adapters`` subcommands, in the order ``--help`` lists them.
SUBCOMMANDS: list[Callable[[Any], None]] = [add_synth, add_dataset, add_train, add_calibrate]
