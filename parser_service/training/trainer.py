"""Train a plugin's LoRA adapter with PEFT on the CPU: ``parser-service adapters train``.

The training examples are the very requests the extractor sends (chat messages
built by ``extraction.build_request``) with the answer it should decode. Loss is
taken on the answer tokens only. A fixed seed, a validation split with early
stopping, and a progress bar. The adapter is saved as fp16 safetensors with a
card (``adapter_card.json``) saying what it was trained from and how it scored.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parser_service.backends.model_source import EMBEDDED, EMBEDDED_ID, quiet_transformers, resolve_model
from parser_service.errors import ConfigError
from parser_service.settings import Settings, auto_dtype

log = logging.getLogger(__name__)
CARD = "adapter_card.json"
#: Every linear layer of the decoder blocks: at rank 8 this stays under 5 MB in fp16 for 135M.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class TrainConfig:
    plugin: str
    data: Path
    out: Path
    val: Path | None = None
    base: str = EMBEDDED
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    lr: float = 5e-4
    epochs: int = 2
    batch_size: int = 4
    max_tokens: int = 2048
    max_steps: int | None = None
    val_fraction: float = 0.1
    eval_every: int = 25
    patience: int = 3
    seed: int = 0
    #: bfloat16 autocast where the CPU computes it natively (emulated, it is several times slower).
    bf16: bool = field(default_factory=lambda: auto_dtype("cpu") == "bfloat16")
    target_modules: tuple[str, ...] = TARGET_MODULES


@dataclass
class TrainResult:
    out: Path
    steps: int
    seconds: float
    train_loss: float
    val_loss: float
    best_step: int
    examples: dict[str, int]
    size_bytes: int
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class _Example:
    input_ids: list[int]
    labels: list[int]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path.name}: line {n} is not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "messages" not in row or "answer" not in row:
                raise ConfigError(f"{path.name}: line {n} needs 'messages' and 'answer'")
            rows.append(row)
    if not rows:
        raise ConfigError(f"{path.name}: no training examples")
    return rows


def split(rows: list[dict[str, Any]], fraction: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A deterministic train/validation split."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = max(1, int(len(rows) * fraction)) if len(rows) > 1 else 0
    val = {order[i] for i in range(n_val)}
    return [r for i, r in enumerate(rows) if i not in val], [r for i, r in enumerate(rows) if i in val]


def encode(tokenizer: Any, row: dict[str, Any], max_tokens: int) -> _Example | None:
    """Prompt tokens (no loss) + answer tokens and the end-of-turn token (loss)."""
    prompt = tokenizer.apply_chat_template(row["messages"], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(row["answer"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if len(prompt_ids) + len(answer_ids) > max_tokens:
        return None
    return _Example(prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids)


def train(config: TrainConfig, settings: Settings, progress: Callable[[int, int, float], None] | None = None) -> TrainResult:
    import torch

    _seed(config.seed)
    tokenizer, model = _load(config, settings)
    rows = read_jsonl(config.data)
    train_rows, val_rows = (rows, read_jsonl(config.val)) if config.val else split(rows, config.val_fraction, config.seed)
    train_set = _encode_all(tokenizer, train_rows, config.max_tokens)
    val_set = _encode_all(tokenizer, val_rows, config.max_tokens)
    if not train_set:
        raise ConfigError("no training example fits in max_tokens")
    total = config.max_steps or config.epochs * -(-len(train_set) // config.batch_size)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 10) * max(0.05, 1 - s / total))
    started = time.monotonic()
    state = _Loop(model, optimizer, scheduler, config, on_best=lambda: save_adapter(model, config.out))
    state.run(train_set, val_set, total, progress)
    state.restore_best()
    seconds = time.monotonic() - started
    size = save_adapter(model, config.out)
    result = TrainResult(
        out=config.out,
        steps=state.step,
        seconds=round(seconds, 1),
        train_loss=round(state.train_loss, 4),
        val_loss=round(state.best_val, 4),
        best_step=state.best_step,
        examples={
            "train": len(train_set),
            "val": len(val_set),
            "skipped_too_long": len(train_rows) + len(val_rows) - len(train_set) - len(val_set),
        },
        size_bytes=size,
        history=state.history,
    )
    write_card(config, result, train_rows)
    return result


class _Loop:
    """Gradient steps with periodic validation; keeps the best adapter weights seen."""

    def __init__(
        self, model: Any, optimizer: Any, scheduler: Any, config: TrainConfig, on_best: Callable[[], object] | None = None
    ) -> None:
        self.model, self.optimizer, self.scheduler, self.config = model, optimizer, scheduler, config
        self.on_best = on_best  # saves each new best at once, so an interrupted run leaves a usable adapter
        self.step, self.best_step, self.bad_evals = 0, 0, 0
        self.best_val, self.train_loss = float("inf"), float("nan")
        self.best_weights: dict[str, Any] | None = None
        self.history: list[dict[str, float]] = []

    def run(self, train_set: list[_Example], val_set: list[_Example], total: int, progress: Callable[[int, int, float], None] | None) -> None:
        rng = random.Random(self.config.seed)
        recent: list[float] = []
        while self.step < total:
            order = list(range(len(train_set)))
            rng.shuffle(order)
            for start in range(0, len(order), self.config.batch_size):
                batch = [train_set[i] for i in order[start : start + self.config.batch_size]]
                recent = (recent + [self._train_step(batch)])[-20:]
                self.train_loss = sum(recent) / len(recent)
                self.step += 1
                if progress:
                    progress(self.step, total, self.train_loss)
                stop_early = self._evaluate_now(total) and self._validate(val_set)
                if stop_early or self.step >= total:
                    return

    def _train_step(self, batch: list[_Example]) -> float:
        """One optimiser step; examples go through one at a time (gradient accumulation),
        weighted by their answer tokens, so memory holds one example's activations."""
        import torch

        self.model.train()
        tokens = [sum(1 for label in e.labels if label != -100) for e in batch]
        total = 0.0
        for example, n in zip(batch, tokens):
            loss = _loss(self.model, [example], self.config.bf16) * (n / sum(tokens))
            loss.backward()
            total += float(loss.detach())
        torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total

    def _evaluate_now(self, total: int) -> bool:
        return self.step % self.config.eval_every == 0 or self.step == total

    def _validate(self, val_set: list[_Example]) -> bool:
        """Validation loss now; True when it has not improved ``patience`` times running."""
        if not val_set:
            return False
        val = validation_loss(self.model, val_set, self.config.bf16)
        self.history.append({"step": self.step, "train_loss": round(self.train_loss, 4), "val_loss": round(val, 4)})
        log.info("step %d: train loss %.4f, validation loss %.4f", self.step, self.train_loss, val)
        if val < self.best_val:
            self.best_val, self.best_step, self.bad_evals = val, self.step, 0
            self.best_weights = {k: v.detach().clone() for k, v in self.model.named_parameters() if v.requires_grad}
            if self.on_best:
                self.on_best()
            return False
        self.bad_evals += 1
        return self.bad_evals >= self.config.patience

    def restore_best(self) -> None:
        if self.best_weights is None:
            return
        params = dict(self.model.named_parameters())
        for name, value in self.best_weights.items():
            params[name].data.copy_(value)


def _loss(model: Any, batch: list[_Example], bf16: bool) -> Any:
    """Mean token loss over a right-padded batch (pads carry no loss)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        return model(input_ids=ids, attention_mask=mask, labels=labels).loss


def validation_loss(model: Any, examples: Sequence[_Example], bf16: bool) -> float:
    import torch

    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for example in examples:
            n = sum(1 for label in example.labels if label != -100)
            total += float(_loss(model, [example], bf16)) * n
            tokens += n
    return total / max(tokens, 1)


def save_adapter(model: Any, out: Path) -> int:
    """Save the adapter as fp16 safetensors; returns the weights' size in bytes."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().to(torch.float16).contiguous() for k, v in get_peft_model_state_dict(model).items()}
    target = out / "adapter_model.safetensors"
    save_file(weights, str(target), metadata={"format": "pt"})
    model.peft_config["default"].save_pretrained(str(out))
    return target.stat().st_size


def write_card(config: TrainConfig, result: TrainResult, train_rows: list[dict[str, Any]]) -> None:
    sources: dict[str, int] = {}
    for row in train_rows:
        kind = str(row.get("source", "unknown")).split(":")[0]
        sources[kind] = sources.get(kind, 0) + 1
    card = {
        "plugin": config.plugin,
        "base_model": EMBEDDED_ID if config.base == EMBEDDED else config.base,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "file": config.data.name,
            "validation": config.val.name if config.val else f"{config.val_fraction:.0%} split",
            "sources": sources,
            "public_documents": sorted({str(r["source"]).split(":", 1)[1] for r in train_rows if str(r.get("source", "")).startswith("public:")}),
            **result.examples,
        },
        "hyperparameters": {k: v for k, v in asdict(config).items() if k not in {"plugin", "data", "out", "val", "base"}},
        "metrics": {"train_loss": result.train_loss, "val_loss": result.val_loss, "best_step": result.best_step, "steps": result.steps, "history": result.history},
        "training_seconds": result.seconds,
        "size_bytes": result.size_bytes,
    }
    (config.out / CARD).write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")


def _encode_all(tokenizer: Any, rows: list[dict[str, Any]], max_tokens: int) -> list[_Example]:
    encoded = (encode(tokenizer, row, max_tokens) for row in rows)
    return [e for e in encoded if e is not None]


def _load(config: TrainConfig, settings: Settings) -> tuple[Any, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    path = resolve_model(config.base, settings.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )
    return tokenizer, get_peft_model(model, lora)


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)
