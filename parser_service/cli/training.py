"""``parser-service adapters train`` and ``adapters calibrate``: the adapter itself.

``train`` fits a plugin's LoRA adapter on the JSONL that ``adapters dataset`` wrote
and saves it into the plugin (or ``--out``). ``calibrate`` runs the pipeline on
documents with known answers (a validation split, never the evaluation set) and
fits the confidence calibration stored beside the adapter. Both print a JSON
summary on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from parser_service.cli.options import add_domain_option
from parser_service.errors import ConfigError


def add_train(sub: Any) -> None:
    train = sub.add_parser(
        "train",
        help="train a plugin's LoRA adapter on the CPU",
        description="Fine-tune a LoRA adapter (PEFT) on TRAIN.jsonl with a fixed seed, early stopping on a "
        "validation split, and save it as fp16 safetensors with a card (adapter_card.json).",
    )
    add_domain_option(train, "the domain the adapter is for", required=True)
    train.add_argument("--data", required=True, type=Path, help="training JSONL from 'adapters dataset'")
    train.add_argument("--val", type=Path, help="validation JSONL (default: a split of --data)")
    train.add_argument("--base", default="embedded", help="base model: 'embedded' or a local model folder")
    train.add_argument("--out", type=Path, help="adapter folder (default: the plugin's own 'adapter' folder)")
    train.add_argument("--epochs", type=int, default=2, help="passes over the data (default 2)")
    train.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    train.add_argument("--lr", type=float, default=5e-4, help="learning rate (default 5e-4)")
    train.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    train.add_argument("--batch-size", type=int, default=4, help="examples per step (default 4)")
    train.add_argument("--eval-every", type=int, default=25, help="validate every N steps (default 25)")
    train.add_argument("--patience", type=int, default=3, help="stop after N validations without progress")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--fp32", action="store_true", help="train in fp32 (default: bf16 autocast where the CPU computes bf16 natively, else fp32)")
    train.set_defaults(handler=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from parser_service.settings import Settings
    from parser_service.training.trainer import TrainConfig, train

    domain = args.plugin_host().domain(args.domain)
    out = args.out or _plugin_adapter_folder(domain)
    for path in (args.data, args.val):
        if path is not None and not path.is_file():
            raise ConfigError(f"{path}: no such file")
    config = TrainConfig(
        plugin=domain.name, data=args.data, val=args.val, out=out, base=args.base, rank=args.rank,
        alpha=2 * args.rank, lr=args.lr, epochs=args.epochs, batch_size=args.batch_size,
        max_steps=args.max_steps, eval_every=args.eval_every, patience=args.patience, seed=args.seed,
    )
    if args.fp32:  # else TrainConfig's default: bf16 where the CPU computes it natively
        config.bf16 = False
    result = train(config, Settings(), _bar())
    print(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in result.__dict__.items()}, indent=2))
    return 0


def _bar() -> Any:
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def progress(step: int, total: int, loss: float) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="training", unit="step")
        bar["bar"].update(1)
        bar["bar"].set_postfix(loss=f"{loss:.3f}")
        if step >= total:
            bar["bar"].close()

    return progress


def _plugin_adapter_folder(domain: Any) -> Path:
    """``<plugin package>/adapter``, beside the module that registered the domain."""
    import sys

    module = sys.modules.get(domain.schema.__module__)
    if module is None or not getattr(module, "__file__", None):
        raise ConfigError(f"cannot tell where plugin {domain.name!r} is installed; pass --out")
    return Path(str(module.__file__)).parent / "adapter"


def add_calibrate(sub: Any) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="fit a plugin's confidence calibration on documents with known answers",
        description="Extract every document in DATA_DIR that has an expected output, pair each field's "
        "confidence evidence with whether it was right, fit the calibration and save it beside the "
        "adapter. Use a validation split, never the documents the plugin is evaluated on.",
    )
    calibrate.add_argument("data_dir", type=Path, help="folder of documents with expected outputs, or of "
                           "synthetic documents with their truth (from 'adapters synth')")
    add_domain_option(calibrate, "the domain to calibrate", required=True)
    calibrate.add_argument("--out", type=Path, help="folder to write calibration.json (default: the adapter's)")
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from parser_service.cli.progress import StderrProgress
    from parser_service.pipeline.run import Pipeline
    from parser_service.training.calibrate import calibrate, collect, labelled_documents

    if not args.data_dir.is_dir():
        raise ConfigError(f"{args.data_dir}: no such folder")
    pipeline = Pipeline(host=args.plugin_host())
    domain = pipeline.host.domain(args.domain)
    out = args.out or domain.adapter or _plugin_adapter_folder(domain)
    progress = StderrProgress()
    found = labelled_documents(domain, args.data_dir)
    samples = collect(lambda p: pipeline.extract(p, domain=domain.name).records, domain, found, progress)
    progress.close()
    if not samples.evidence:
        raise ConfigError(f"{args.data_dir}: no field with a known answer to calibrate on")
    fitted = calibrate(samples, out)
    print(json.dumps({"domain": domain.name, "folder": str(out), **asdict(fitted)}, indent=2))
    return 0
