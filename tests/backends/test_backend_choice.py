"""Choosing a backend: vLLM is imported only when a vLLM backend is chosen, adapters
get the names a vLLM server serves them under, and a vLLM server that is not there
is a clear, retryable error after the configured retries."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import parser_service.backends as backends_package
from parser_service.backends import load_backend
from parser_service.backends.adapters import Adapter, adapter_name
from parser_service.backends.base import GenerationRequest
from parser_service.backends.vllm_launch import free_port, server_command
from parser_service.domains import host as plugin_host
from parser_service.errors import ConfigError, GenerationError
from parser_service.pipeline.run import Pipeline, installed_adapters
from parser_service.settings import Settings


@pytest.fixture(scope="module")
def adapters() -> list[Adapter]:
    return installed_adapters(plugin_host.build_host())


def test_vllm_is_not_imported_unless_chosen():
    code = (
        "import sys\n"
        "from parser_service.pipeline.run import Pipeline\n"
        "from parser_service.backends import load_backend\n"
        "from parser_service.settings import Settings\n"
        "load_backend(Settings(backend='deterministic'))\n"
        "print(sorted(m for m in sys.modules if m == 'vllm' or m.startswith('vllm.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_backend_names_the_choices():
    with pytest.raises(ConfigError, match="transformers, vllm, vllm-server"):
        load_backend(Settings(backend="nope"))


def test_plugin_adapters_are_named_after_their_plugin(tmp_path, adapters):
    names = {adapter.name: adapter for adapter in adapters}
    assert {"invoices", "bank_transactions"} <= set(names)
    assert names["invoices"].rank == 8
    assert names["invoices"].lora_module == f"invoices={names['invoices'].path}"
    bare = tmp_path / "parser_service_receipts" / "adapter"
    bare.mkdir(parents=True)
    (bare / "adapter_config.json").write_text(json.dumps({"r": 4}))
    assert adapter_name(bare) == "receipts"  # no card: the package folder names it


def test_server_command_serves_every_adapter_with_compact_json(tmp_path, adapters):
    command = server_command(Settings(dtype="bfloat16"), tmp_path, adapters, port=8123)
    assert command[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    assert command[command.index("--lora-modules") + 1 :] == [a.lora_module for a in adapters]
    assert "--enable-lora" in command and command[command.index("--dtype") + 1] == "bfloat16"
    config = json.loads(command[command.index("--structured-outputs-config") + 1])
    assert config == {"backend": "guidance", "disable_any_whitespace": True}


@pytest.mark.model  # loads the embedded model's tokenizer
def test_a_server_that_is_not_there_is_a_retryable_error():
    from parser_service.backends.vllm_server import BACKOFF_S, VllmServerBackend

    port = free_port()
    backend = VllmServerBackend(Settings(vllm_url=f"http://127.0.0.1:{port}", vllm_retries=2, vllm_timeout_s=5))
    started = time.monotonic()
    with pytest.raises(GenerationError, match=f"127.0.0.1:{port}.*after 3 tries.*cannot connect") as caught:
        backend.generate([GenerationRequest([{"role": "user", "content": "hi"}], {"type": "object"}, 8)])
    assert caught.value.retryable
    assert time.monotonic() - started >= BACKOFF_S * 3  # waited 0.5 s, then 1 s, between the tries
    with pytest.raises(GenerationError, match="cannot connect"):
        backend.health()


def test_the_engine_takes_the_largest_rank_of_the_adapters_it_is_given(adapters):
    from parser_service.backends.vllm_backend import max_lora_rank

    ranks = [adapter.rank for adapter in adapters]
    assert max_lora_rank(Settings(), adapters) == max(ranks) == 8  # 16 would pad every LoRA product to twice the work
    assert max_lora_rank(Settings(vllm_max_lora_rank=32), adapters) == 32
    wide = Adapter("wide", Path("wide"), 16)
    assert max_lora_rank(Settings(), [*adapters, wide]) == 16
    assert max_lora_rank(Settings()) == 8  # none given: the default, not the installed plugins'


def test_no_backend_imports_the_plugin_host():
    """Backends are given what they need of the plugins (``load_backend(settings, adapters)``);
    none reaches up into ``parser_service.domains`` for it."""
    folder = Path(backends_package.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}: {name}" for name in names if name.startswith("parser_service.domains")]
    assert found == []


class _FakeLLM:
    """``vllm.LLM`` as far as ``VllmBackend.__init__`` goes, its options kept."""

    def __init__(self, model: str, **options: Any) -> None:
        self.options = options

    def get_tokenizer(self) -> object:
        return object()


def _without_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """``VllmBackend`` built on a fake engine, and any plugin host built meanwhile an error."""
    from parser_service.backends import vllm_backend

    monkeypatch.setattr(vllm_backend, "import_vllm", lambda: SimpleNamespace(LLM=_FakeLLM, __version__="fake"))
    monkeypatch.setattr(vllm_backend, "resolve_model", lambda model, cache_dir: Path("model"))
    monkeypatch.setattr(vllm_backend, "on_cpu", lambda: True)
    monkeypatch.setattr(vllm_backend, "engine_environment", lambda *args, **kwargs: {})
    monkeypatch.setattr(vllm_backend, "quiet_transformers", lambda: None)

    def no_host(host: object) -> None:
        raise AssertionError("the backend built a plugin host")

    monkeypatch.setattr(plugin_host, "_collect", no_host)


def test_the_vllm_engine_is_given_its_adapters_and_asks_no_plugin_host(monkeypatch):
    _without_engine(monkeypatch)
    given = [Adapter("invoices", Path("a"), 4), Adapter("receipts", Path("b"), 16)]
    backend: Any = load_backend(Settings(backend="vllm"), given)
    assert backend.lora_rank == 16 and backend.llm.options["max_lora_rank"] == 16
    assert load_backend(Settings(backend="vllm")).lora_rank == 8  # none given: none asked for


def test_the_pipeline_gives_its_backend_its_own_plugins_adapters(monkeypatch, tmp_path):
    """The pipeline's host is the one whose adapters the engine is sized for: here one of
    its plugins has a rank-16 adapter, which no installed plugin has."""
    wide = tmp_path / "parser_service_wide" / "adapter"
    wide.mkdir(parents=True)
    (wide / "adapter_config.json").write_text(json.dumps({"r": 16}))
    host = plugin_host.build_host()
    registered = host.domains["invoices"]
    host.domains["invoices"] = dataclasses.replace(registered, item=dataclasses.replace(registered.item, adapter=wide))
    _without_engine(monkeypatch)
    backend: Any = Pipeline(Settings(backend="vllm"), host=host).backend
    assert backend.lora_rank == 16
