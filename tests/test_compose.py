"""docker-compose.yml's vLLM server is wired to what the workers send it: every installed
plugin's adapter served under the name the vllm-server backend asks for, from the
folder the plugin ships, with the structured-output settings the backends use."""

from __future__ import annotations

import json

import yaml

from parser_service.backends.vllm_backend import structured_outputs_config
from parser_service.domains.host import build_host
from parser_service.pipeline.run import installed_adapters
from parser_service.settings import Settings
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
VLLM = COMPOSE["services"]["vllm"]


def _after(command: list[str], flag: str) -> list[str]:
    """The values after ``flag`` up to the next ``--flag``."""
    rest = command[command.index(flag) + 1 :]
    stop = next((i for i, value in enumerate(rest) if value.startswith("--")), len(rest))
    return rest[:stop]


def test_every_plugin_adapter_is_served_from_the_folder_it_ships_in():
    modules = dict(m.split("=", 1) for m in _after(VLLM["command"], "--lora-modules"))
    mounts = {target.removesuffix(":ro"): source for source, target in (v.split(":", 1) for v in VLLM["volumes"])}
    adapters = installed_adapters(build_host())
    assert adapters and {a.name for a in adapters} == set(modules)
    for adapter in adapters:
        source = mounts[modules[adapter.name]]
        assert (ROOT / source).resolve() == adapter.path
    assert "--enable-lora" in VLLM["command"]
    assert int(_after(VLLM["command"], "--max-lora-rank")[0]) >= max(a.rank for a in adapters)


def test_the_server_decodes_compact_json_like_the_in_process_backends():
    config = json.loads(_after(VLLM["command"], "--structured-outputs-config")[0])
    assert config == structured_outputs_config(Settings())


def test_workers_reach_the_server_and_its_model_is_exported_first():
    worker = COMPOSE["services"]["worker"]
    assert worker["environment"]["VLLM_URL"] == "http://vllm:8000"
    assert VLLM["depends_on"]["model-export"]["condition"] == "service_completed_successfully"
    assert COMPOSE["services"]["model-export"]["command"][-1] == _after(VLLM["command"], "--model")[0]
