"""In-process backend: transformers, decoding under JSON-schema grammars (``guided.py``).

Requests are grouped by adapter and sent in batches, whatever their schemas: each
row of a batch decodes under its own grammar. Log probabilities of the output tokens
come from the decoding passes themselves; ``score`` (one teacher-forced pass over
prompt + answer) is kept for text another backend produced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from parser_service.backends import attention
from parser_service.backends.base import Generation, GenerationRequest, TokenLogprob
from parser_service.backends.guided import GrammarError, Grammars, GuidedDecoder
from parser_service.backends.lora_merge import MergedAdapter
from parser_service.backends.model_source import EMBEDDED, EMBEDDED_ID, quiet_transformers, resolve_model
from parser_service.backends.output_head import make_head_input_contiguous
from parser_service.backends.quantized import QuantizedCopies
from parser_service.backends.tokens import TokenizedBackend, Tokens
from parser_service.errors import ConfigError, GenerationError, ModelLoadError
from parser_service.settings import Settings

log = logging.getLogger(__name__)


class TransformersBackend(TokenizedBackend):
    name = "transformers"
    supports_lora = True
    supports_logprobs = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._adapters: dict[Path, str] = {}
        self.model_path = resolve_model(settings.model, settings.cache_dir)
        self.int8 = settings.dtype == "int8"
        if self.int8 and settings.device != "cpu":
            raise ConfigError("dtype int8 (torch dynamic quantization) runs on the CPU only")
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
            dtype = torch.float32 if self.int8 else getattr(torch, self.settings.dtype)
            self.model = AutoModelForCausalLM.from_pretrained(
                str(self.model_path), dtype=dtype, attn_implementation=attention.implementation(self.settings.device)
            )
            self.model.to(self.settings.device).eval()  # type: ignore[arg-type]
            make_head_input_contiguous(self.model)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"could not load model from {self.model_path}: {exc}") from exc
        self._merged = MergedAdapter(self.model)
        self._quantized = QuantizedCopies(self.model, self._merged) if self.int8 else None
        self.grammars = Grammars(self.tokenizer)
        self.decoder = GuidedDecoder(
            self.model, self.tokenizer.eos_token_id, len(self.tokenizer), self.settings.draft_tokens
        )

    # -- Backend interface -------------------------------------------------

    def generate(
        self, requests: Sequence[GenerationRequest], *, logprobs: bool = False
    ) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: _batch_key(requests[i]))
        for _, members in groupby(order, key=lambda i: str(requests[i].adapter or "")):
            indices = list(members)
            for start in range(0, len(indices), self.settings.batch_size):
                chunk = indices[start : start + self.settings.batch_size]
                answers = self._generate_batch([requests[i] for i in chunk], logprobs)
                for i, answer in zip(chunk, answers):
                    results[i] = answer
        return [r for r in results if r is not None]

    @property
    def prefill_seconds(self) -> float:
        return self.decoder.prefill_s

    def describe(self) -> dict[str, Any]:
        import llguidance
        import transformers

        model_id = EMBEDDED_ID if self.settings.model == EMBEDDED else str(self.model_path)
        return {
            "backend": self.name,
            "model": model_id,
            "dtype": self.settings.dtype,
            "transformers": transformers.__version__,
            "llguidance": getattr(llguidance, "__version__", "unknown"),
        }

    # -- internals ----------------------------------------------------------

    def prompt_text(self, request: GenerationRequest) -> str:
        return self.tokens.prompt(request.messages)

    def _generate_batch(self, batch: list[GenerationRequest], logprobs: bool) -> list[Generation]:
        prompts = [self.tokenizer(self.prompt_text(r), add_special_tokens=False)["input_ids"] for r in batch]
        with self._lock:
            try:
                matchers = [self.grammars.matcher(r.schema) for r in batch]
                self._activate_adapter(batch[0].adapter)
                decoded = self.decoder.decode(prompts, matchers, [r.max_new_tokens for r in batch])
            except GrammarError as exc:
                raise GenerationError(str(exc)) from exc
            except (RuntimeError, ValueError) as exc:
                raise GenerationError(f"generation failed: {_short(exc)}") from exc
        answers = []
        for row in decoded:
            text = str(self.tokenizer.decode(row.token_ids, skip_special_tokens=True))
            answer = Generation.from_text(text, len(row.token_ids))
            answer.truncated = answer.truncated or row.truncated
            if logprobs:
                answer.logprobs = self.tokens.logprobs(row.token_ids, row.logprobs)
            answers.append(answer)
        return answers

    def _activate_adapter(self, adapter: Path | None) -> None:
        """Switch the PEFT adapter in use (None: the base model alone), merged into the
        base weights while it is in use (``lora_merge``)."""
        if adapter is None:
            self._switch(None)
            if self._adapters:
                self.model.disable_adapters()
            return
        adapter = Path(adapter).resolve()
        if adapter not in self._adapters:
            name = f"adapter{len(self._adapters)}"
            self._switch(None)  # PEFT injects new layers around unmerged weights
            try:
                self.model.load_adapter(str(adapter), adapter_name=name)
            except (OSError, ValueError) as exc:
                raise ModelLoadError(f"could not load adapter {adapter}: {exc}") from exc
            self._adapters[adapter] = name
        self.model.enable_adapters()
        self.model.set_adapter(self._adapters[adapter])
        self._switch(self._adapters[adapter])

    def _switch(self, name: str | None) -> None:
        """Merge adapter ``name``; the cached prompt prefix was computed with other
        weights, so it goes."""
        if name != self._merged.merged:
            self.decoder.prefix.clear()
        self._merged.use(name)
        if self._quantized is not None:
            self.decoder.model = self._quantized.model_for(name)

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


def _short(exc: BaseException, limit: int = 300) -> str:
    """An exception's message cut to one readable line (grammar errors quote whole regexes)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _batch_key(request: GenerationRequest) -> tuple[str, str]:
    """Same adapter together; within it, similar prompts side by side (more shared prefix)."""
    return (str(request.adapter or ""), request.messages[-1]["content"] if request.messages else "")
