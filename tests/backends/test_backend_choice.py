"""Choosing a backend: vLLM is imported only when a vLLM backend is chosen, adapters
get the names a vLLM server serves them under, and a vLLM server that is not there
is a clear, retryable error after the configured retries."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from parser_service.backends import load_backend
from parser_service.backends.adapters import adapter_name, installed_adapters
from parser_service.backends.base import GenerationRequest
from parser_service.backends.vllm_launch import free_port, server_command
from parser_service.errors import ConfigError, GenerationError
from parser_service.settings import Settings


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


def test_plugin_adapters_are_named_after_their_plugin(tmp_path):
    names = {adapter.name: adapter for adapter in installed_adapters()}
    assert {"invoices", "bank_transactions"} <= set(names)
    assert names["invoices"].rank == 8
    assert names["invoices"].lora_module == f"invoices={names['invoices'].path}"
    bare = tmp_path / "parser_service_receipts" / "adapter"
    bare.mkdir(parents=True)
    (bare / "adapter_config.json").write_text(json.dumps({"r": 4}))
    assert adapter_name(bare) == "receipts"  # no card: the package folder names it


def test_server_command_serves_every_adapter_with_compact_json(tmp_path):
    adapters = installed_adapters()
    command = server_command(Settings(dtype="bfloat16"), tmp_path, adapters, port=8123)
    assert command[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    assert command[command.index("--lora-modules") + 1 :] == [a.lora_module for a in adapters]
    assert "--enable-lora" in command and command[command.index("--dtype") + 1] == "bfloat16"
    config = json.loads(command[command.index("--structured-outputs-config") + 1])
    assert config == {"backend": "xgrammar", "disable_any_whitespace": True}


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


def test_the_engine_takes_the_largest_rank_of_the_installed_adapters():
    from parser_service.backends.vllm_backend import max_lora_rank

    ranks = [adapter.rank for adapter in installed_adapters()]
    assert max_lora_rank(Settings()) == max(ranks) == 8  # 16 would pad every LoRA product to twice the work
    assert max_lora_rank(Settings(vllm_max_lora_rank=32)) == 32
