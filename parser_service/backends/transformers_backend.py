"""In-process backend: transformers + outlines grammar-constrained decoding.

One outlines ``Generator`` is built per (adapter, schema) and reused, so each
schema's index compiles once. Requests are grouped by adapter and schema and sent
in batches. Token log probabilities come from one teacher-forced forward pass over
prompt + answer, which also works for text produced by any other backend.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from parser_service.backends.base import Generation, GenerationRequest, TokenLogprob
from parser_service.backends.model_source import EMBEDDED, EMBEDDED_ID, quiet_transformers, resolve_model
from parser_service.backends.tokens import TokenizedBackend, Tokens
from parser_service.errors import GenerationError, ModelLoadError
from parser_service.settings import Settings

log = logging.getLogger(__name__)
#: Compiled generators kept (least recently used dropped first).
GENERATOR_CACHE = 32


class TransformersBackend(TokenizedBackend):
    name = "transformers"
    supports_lora = True
    supports_logprobs = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._generators: OrderedDict[str, Any] = OrderedDict()
        self._adapters: dict[Path, str] = {}
        self._spelling: dict[str, bool] = {}
        self.model_path = resolve_model(settings.model, settings.cache_dir)
        self._load()

    def _load(self) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            quiet_transformers()
            if self.settings.threads:
                torch.set_num_threads(self.settings.threads)
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            self.tokens = Tokens(self.tokenizer)
            dtype = getattr(torch, self.settings.dtype)
            self.model = AutoModelForCausalLM.from_pretrained(str(self.model_path), dtype=dtype)
            self.model.to(self.settings.device).eval()  # type: ignore[arg-type]
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"could not load model from {self.model_path}: {exc}") from exc
        self._outlines_model = self._wrap(self.model)

    def _wrap(self, model: Any) -> Any:
        import outlines

        return outlines.from_transformers(model, self.tokenizer)  # type: ignore[arg-type]

    # -- Backend interface -------------------------------------------------

    def generate(
        self, requests: Sequence[GenerationRequest], *, logprobs: bool = False
    ) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: _group_key(requests[i]))
        for _, members in groupby(order, key=lambda i: _group_key(requests[i])):
            indices = list(members)
            for start in range(0, len(indices), self.settings.batch_size):
                chunk = indices[start : start + self.settings.batch_size]
                answers = self._generate_batch([requests[i] for i in chunk], logprobs)
                for i, answer in zip(chunk, answers):
                    results[i] = answer
        return [r for r in results if r is not None]

    def describe(self) -> dict[str, Any]:
        import outlines
        import transformers

        model_id = EMBEDDED_ID if self.settings.model == EMBEDDED else str(self.model_path)
        return {
            "backend": self.name,
            "model": model_id,
            "dtype": self.settings.dtype,
            "transformers": transformers.__version__,
            "outlines": getattr(outlines, "__version__", "unknown"),
        }

    # -- internals ----------------------------------------------------------

    def prompt_text(self, request: GenerationRequest) -> str:
        return self.tokens.prompt(request.messages)

    def _generate_batch(self, batch: list[GenerationRequest], logprobs: bool) -> list[Generation]:
        first = batch[0]
        prompts = [self.prompt_text(r) for r in batch]
        limit = max(r.max_new_tokens for r in batch)
        with self._lock:
            try:
                texts = self._run_with_fallback(first, prompts, limit)
            except (RuntimeError, ValueError) as exc:
                raise GenerationError(f"generation failed: {_short(exc)}") from exc
            answers = [Generation.from_text(t, self.count_tokens(t)) for t in texts]
            if logprobs:
                for prompt, answer in zip(prompts, answers):
                    answer.logprobs = self.score(prompt, answer.text)
        return answers

    def _run(self, generator: Any, prompts: list[str], limit: int) -> list[str]:
        import torch._dynamo

        # outlines-core masks logits with a torch.compile'd kernel; compiling it costs
        # ~40 s in each fresh process on a CPU and runs no faster than eager after.
        with torch._dynamo.config.patch(disable=not self.settings.compile_kernels):
            if len(prompts) == 1:
                return [str(generator(prompts[0], max_new_tokens=limit, do_sample=False))]
            return [str(t) for t in generator.batch(prompts, max_new_tokens=limit, do_sample=False)]

    def _generator(self, request: GenerationRequest) -> Any:
        key = request.schema_key
        if key in self._generators:
            self._generators.move_to_end(key)
        else:
            self._generators[key] = self._compile(key)
            if len(self._generators) > GENERATOR_CACHE:  # extractive schemas differ per record
                self._generators.popitem(last=False)
        self._activate_adapter(request.adapter)
        return self._generators[key]

    def _run_with_fallback(self, request: GenerationRequest, prompts: list[str], limit: int) -> list[str]:
        """Where the vocabulary cannot spell a character of a fixed value (some symbols
        and letters have no token path as raw bytes), drop the values that hold one."""
        try:
            return self._run(self._generator(request), prompts, limit)
        except ValueError as exc:
            if "incompatible with the regex" not in str(exc):
                raise
            log.info("dropping fixed values this vocabulary cannot spell: %s", _short(exc))
            spellable = prune_enums(request.schema, self._spellable)
            self._generators[request.schema_key] = self._compile(json.dumps(spellable))
            return self._run(self._generators[request.schema_key], prompts, limit)

    def _spellable(self, char: str) -> bool:
        if char not in self._spelling:
            try:
                self._compile(json.dumps({"enum": [char]}))
                self._spelling[char] = True
            except ValueError:
                self._spelling[char] = False
        return self._spelling[char]

    def _compile(self, schema: str) -> Any:
        import outlines
        from outlines.types import JsonSchema

        output_type = JsonSchema(schema, whitespace_pattern="", ensure_ascii=False)  # compact, UTF-8
        return outlines.Generator(self._outlines_model, output_type)

    def _activate_adapter(self, adapter: Path | None) -> None:
        """Switch the PEFT adapter in use (None: the base model alone)."""
        if adapter is None:
            if self._adapters:
                self.model.disable_adapters()
            return
        adapter = Path(adapter).resolve()
        if adapter not in self._adapters:
            name = f"adapter{len(self._adapters)}"
            try:
                self.model.load_adapter(str(adapter), adapter_name=name)
            except (OSError, ValueError) as exc:
                raise ModelLoadError(f"could not load adapter {adapter}: {exc}") from exc
            self._adapters[adapter] = name
        self.model.enable_adapters()
        self.model.set_adapter(self._adapters[adapter])

    def score(self, prompt: str, completion: str) -> list[TokenLogprob]:
        """Log probability of each token of ``completion`` after ``prompt`` (one forward pass)."""
        import torch

        prompt_ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        encoded = self.tokenizer(completion, add_special_tokens=False, return_offsets_mapping=True)
        answer_ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
        if not answer_ids:
            return []
        ids = torch.tensor([prompt_ids + answer_ids], device=self.model.device)
        with torch.no_grad():
            logits = self.model(ids).logits[0, len(prompt_ids) - 1 : -1].float()
        chosen = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(answer_ids).unsqueeze(1))
        return [
            TokenLogprob(completion[start:end], float(lp), start)
            for (start, end), lp in zip(offsets, chosen.squeeze(1).tolist())
        ]


def prune_enums(schema: Any, spellable: Callable[[str], bool]) -> Any:
    """``schema`` without the enum values that hold a character ``spellable`` refuses;
    an enum left empty becomes null."""
    if isinstance(schema, list):
        return [prune_enums(item, spellable) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: prune_enums(value, spellable) for key, value in schema.items() if key != "enum"}
    if "enum" in schema:
        kept = [v for v in schema["enum"] if not isinstance(v, str) or all(c.isascii() or spellable(c) for c in v)]
        if kept:
            out["enum"] = kept
        else:
            out["type"] = "null"
    return out


def _short(exc: BaseException, limit: int = 300) -> str:
    """An exception's message cut to one readable line (grammar errors quote whole regexes)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _group_key(request: GenerationRequest) -> tuple[str, str]:
    return (str(request.adapter or ""), request.schema_key)
