"""Backend figures, each (backend, dtype) measured in a child process of its own.

A child loads one backend, builds the workload (``workload.py``) and prints one JSON
object: load time, the first and a repeated call on one request (grammar compile,
then cached), and a ``Timing`` for every (adapter on/off, batch size) asked for;
the transformers child adds raw greedy generation and the naive approach, the vllm
child vLLM's own offline engine on the same prompts. The ``vllm-server`` child talks
to a server the parent started for that dtype (``vllm_launch.VllmServer``).

    python -m parser_service.bench.backend_runs '{"backend": "transformers", "dtype": "float32", ...}'
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.bench import baselines
from parser_service.bench.measure import time_batches


@dataclass
class Spec:
    backend: str
    dtype: str
    records: int = 16
    batches: list[int] = field(default_factory=lambda: [16])
    adapters: list[bool] = field(default_factory=lambda: [False, True])
    raw: bool = False  # raw greedy generation at batch 1 (transformers)
    naive_records: int = 0  # the naive approach on this many records (transformers)
    offline: bool = False  # vLLM's own engine on the same prompts (vllm)
    url: str | None = None  # vllm-server
    raw_tokens: int = 128

    def key(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if k != "url"}
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.backend}-{self.dtype}-{digest}"


def run_child(spec: Spec, saved: Path | None = None, timeout_s: float = 3600) -> dict[str, Any]:
    """Run ``spec`` in a fresh process and return what it measured; with ``saved`` (a
    folder), a result saved there for the same spec is returned instead, and a new
    one is saved (so a long benchmark can be resumed or assembled section by section)."""
    path = saved / f"{spec.key()}.json" if saved else None
    if path and path.is_file():
        cached: dict[str, Any] = json.loads(path.read_text())
        return cached
    result = _run_child(spec, timeout_s)
    if path and "error" not in result:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    return result


def _run_child(spec: Spec, timeout_s: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "parser_service.bench.backend_runs", json.dumps(spec.__dict__)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        return {"error": f"{spec.backend} {spec.dtype} exited {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure(spec: Spec) -> dict[str, Any]:
    from parser_service.backends import load_backend
    from parser_service.bench.workload import build_workload
    from parser_service.domains.host import build_host
    from parser_service.pipeline.run import Pipeline, installed_adapters
    from parser_service.settings import Settings

    overrides: dict[str, Any] = {"backend": spec.backend, "dtype": spec.dtype, "batch_size": 256}
    if spec.url:
        overrides["vllm_url"] = spec.url
    settings = Settings(**overrides)
    host = build_host()  # this process's one plugin host
    started = time.perf_counter()
    backend = load_backend(settings, installed_adapters(host))
    out: dict[str, Any] = {"spec": spec.__dict__, "load_s": time.perf_counter() - started}
    pipeline = Pipeline(settings, host=host, backend=backend)
    workload = build_workload(pipeline, spec.records, backend.truncate)
    domains = {d.name: d for d in pipeline.host.domain_list()}
    out["compile"] = compile_times(backend, workload.requests[0])
    if backend.name == "transformers":
        out["grammar"] = grammar_times(backend, workload.requests[1].schema)
    with_adapter = workload.with_adapter(True, domains)
    raw_before = baselines.raw_greedy(backend, with_adapter[::2], spec.raw_tokens) if spec.raw else None
    out["runs"] = []
    for adapter in spec.adapters:
        requests = workload.with_adapter(adapter, domains)
        warm_up(backend, requests)
        for batch in spec.batches:
            fresh_cache(backend)
            prefill_before = backend.prefill_seconds
            timing = time_batches(backend, requests, batch)
            prefill_s = backend.prefill_seconds - prefill_before  # 0 where the backend does not tell
            out["runs"].append({"adapter": adapter, "batch": batch, "prefill_s": prefill_s} | timing.to_dict())
    if raw_before is not None:
        # half the records before the pipeline's runs, half after: the reference spans
        # the same stretch of a shared machine's drifting speed as what it is compared with
        raw_after = baselines.raw_greedy(backend, with_adapter[1::2], spec.raw_tokens)
        out["raw"] = (raw_before + raw_after).to_dict() | {
            "tokens_per_s_before": raw_before.tokens_per_s, "tokens_per_s_after": raw_after.tokens_per_s,
        }
    if spec.naive_records:
        out |= naive_versus_pipeline(pipeline, backend, spec.naive_records, domains)
    if spec.offline:
        fresh_cache(backend)
        out["offline"] = baselines.vllm_offline(backend, with_adapter).to_dict()
        fresh_cache(backend)
        out["offline_pipeline"] = time_batches(backend, with_adapter, len(with_adapter)).to_dict()
    return out


def naive_versus_pipeline(pipeline: Any, backend: Any, count: int, domains: dict[str, Any]) -> dict[str, Any]:
    """The naive approach (free-string prompts, judged by the plugin's target model) and
    the pipeline (extractive grammar) on the same records."""
    from parser_service.bench.workload import build_workload

    workload = build_workload(pipeline, count, backend.truncate, extractive=False)
    free = workload.with_adapter(True, domains)
    targets = [domains[plugin].schema for plugin in workload.plugins]
    constrained = build_workload(pipeline, count, backend.truncate).with_adapter(True, domains)
    return {
        "naive": baselines.naive(backend, free, targets).to_dict(),
        "naive_pipeline": time_batches(backend, constrained, count).to_dict(),
    }


def fresh_cache(backend: Any) -> None:
    """Empty the backend's prefix cache, so a run does not reuse the prompts of the run before
    (the pipeline never sends a record twice); sharing within a run stays."""
    if backend.name == "transformers":
        backend.decoder.prefix.clear()
    elif backend.name == "vllm":
        backend.llm.reset_prefix_cache()
    elif backend.name == "vllm-server":
        import httpx

        httpx.post(f"{backend.url}/reset_prefix_cache", timeout=30).raise_for_status()


def warm_up(backend: Any, requests: list[Any]) -> None:
    """One short call per adapter in ``requests``, so that loading an adapter is not
    timed (its prompt shares nothing with the workload's, so nothing of it is cached)."""
    from dataclasses import replace

    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    adapters = {str(r.adapter): r.adapter for r in requests}
    messages = [{"role": "user", "content": "Warm-up: answer ok."}]
    backend.generate([replace(requests[0], messages=messages, schema=schema, max_new_tokens=8, adapter=a)
                      for a in adapters.values()])  # fmt: skip


def compile_times(backend: Any, request: Any) -> dict[str, float]:
    """Seconds of the first call on a new schema, then of the same call again."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        backend.generate([request])
        times.append(time.perf_counter() - started)
    return {"first_s": times[0], "cached_s": times[1]}


def grammar_times(backend: Any, schema: dict[str, Any]) -> dict[str, float | None]:
    """Milliseconds to build the llguidance grammar of ``schema``, first and cached, and
    seconds outlines-core takes to compile the same schema into a vocabulary index."""
    from outlines.backends.outlines_core import OutlinesCoreBackend
    from outlines.models.transformers import TransformerTokenizer
    from outlines_core import Index
    from outlines_core.json_schema import build_regex_from_schema

    times = []
    for _ in range(2):
        started = time.perf_counter()
        backend.grammars.grammar(schema)
        times.append((time.perf_counter() - started) * 1000)
    tokenizer = backend.tokenizer
    vocabulary = OutlinesCoreBackend.create_outlines_core_vocabulary(
        tokenizer.get_vocab(), tokenizer.eos_token_id, tokenizer.eos_token,
        TransformerTokenizer(tokenizer).convert_token_to_string,
    )  # fmt: skip
    started = time.perf_counter()
    try:
        Index(build_regex_from_schema(json.dumps(schema, ensure_ascii=False), ""), vocabulary)
        outlines_core_s: float | None = time.perf_counter() - started
    except ValueError:  # a character this vocabulary cannot spell as whole tokens
        outlines_core_s = None
    return {"first_ms": times[0], "cached_ms": times[1], "outlines_core_s": outlines_core_s}


def server_runs(spec: Spec, log_dir: Path | None = None, saved: Path | None = None) -> dict[str, Any]:
    """A vLLM server for ``spec.dtype`` (with every plugin adapter), then the child."""
    if saved and (saved / f"{spec.key()}.json").is_file():
        return run_child(spec, saved)
    from parser_service.backends.model_source import resolve_model
    from parser_service.backends.vllm_launch import VllmServer
    from parser_service.domains.host import build_host
    from parser_service.pipeline.run import installed_adapters
    from parser_service.settings import Settings

    settings = Settings(dtype=spec.dtype)
    log = (log_dir or Path(tempfile.mkdtemp())) / f"vllm-server-{spec.dtype}.log"
    model = resolve_model(settings.model, settings.cache_dir)
    dev = {"VLLM_SERVER_DEV_MODE": "1"}  # its /reset_prefix_cache route (see fresh_cache)
    with VllmServer(settings, model, installed_adapters(build_host()), log=log, env=dev) as server:
        spec.url = server.url
        return run_child(spec, saved)


if __name__ == "__main__":
    print(json.dumps(measure(Spec(**json.loads(sys.argv[1])))))
