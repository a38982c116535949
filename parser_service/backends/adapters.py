"""The plugins' LoRA adapters as the vLLM backends see them: by name.

A plugin's adapter is a PEFT folder (``adapter_config.json`` + safetensors). The
in-process backends take its path; a vLLM server knows adapters by the name it was
started with (``--lora-modules NAME=PATH``) and takes that name as a request's
``model``. The name is the plugin the adapter card says it was trained for, else the
name of the folder holding the adapter, so every process derives the same name from
the same folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CARD = "adapter_card.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class Adapter:
    name: str
    path: Path
    rank: int

    @property
    def lora_module(self) -> str:
        """The ``--lora-modules`` argument that serves this adapter."""
        return f"{self.name}={self.path}"


def adapter_name(path: Path) -> str:
    """The name a vLLM server serves the adapter in ``path`` under."""
    path = Path(path).resolve()
    try:
        plugin = json.loads((path / CARD).read_text(encoding="utf-8")).get("plugin")
    except (OSError, ValueError, AttributeError):
        plugin = None
    name = plugin if isinstance(plugin, str) and plugin else path.parent.name.removeprefix("parser_service_")
    return _UNSAFE.sub("-", name)


def adapter_rank(path: Path) -> int:
    """The LoRA rank ``r`` of the adapter in ``path`` (8 when its config does not say)."""
    try:
        config = json.loads((Path(path) / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 8
    rank = config.get("r", 8) if isinstance(config, dict) else 8
    return int(rank) if isinstance(rank, int) else 8


def describe_adapters(paths: Iterable[Path | None]) -> list[Adapter]:
    """One ``Adapter`` per distinct folder in ``paths`` (None skipped), in first-seen order."""
    seen: dict[Path, Adapter] = {}
    for path in paths:
        if path is None:
            continue
        resolved = Path(path).resolve()
        if resolved not in seen:
            seen[resolved] = Adapter(adapter_name(resolved), resolved, adapter_rank(resolved))
    return list(seen.values())
