"""The vLLM backends for real, on the CPU build of vLLM: the in-process engine and a
vLLM OpenAI-compatible server started here on 127.0.0.1, with the plugins' adapters,
on real example documents; and the three backends (transformers, vllm, vllm-server)
agreeing on the same documents under greedy decoding.

The server starts loading when this module starts, so it comes up while the
in-process engine runs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from parser_service.backends.adapters import Adapter, adapter_name
from parser_service.backends.base import GenerationRequest
from parser_service.backends.model_source import resolve_model
from parser_service.domains.host import build_host
from parser_service.errors import ConfigError
from parser_service.pipeline.run import Pipeline, installed_adapters
from parser_service.settings import Settings
from tests.conftest import DATA, INVOICE_EXAMPLES

pytest.importorskip("vllm", reason="the vLLM backends need vLLM (make setup-vllm installs the CPU build)")
pytestmark = [pytest.mark.model, pytest.mark.vllm]

SCHEMA = {
    "type": "object",
    "properties": {"issuer": {"type": "string", "maxLength": 20}, "total": {"type": "string", "maxLength": 12}},
    "required": ["issuer", "total"],
}
MESSAGES = [{"role": "user", "content": "Invoice from ACME GmbH. Total due: 120,00 EUR. Give issuer and total."}]
#: Real documents every backend extracts: (file, plugin).
DOCUMENTS = [(INVOICE_EXAMPLES / "oyo.pdf", "invoices"), (DATA / "AmazonWebServices.pdf", "invoices")]


#: The plugins' adapters, from the one plugin host of this module: given to the backends.
HOST = build_host()
ADAPTERS: list[Adapter] = installed_adapters(HOST)


def settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="module", autouse=True)
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from parser_service.backends.vllm_launch import VllmServer

    base = settings()
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    process = VllmServer(
        base,
        resolve_model(base.model, base.cache_dir),
        ADAPTERS,
        log=log,
        env={"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"},
    ).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def server_url(server) -> str:
    return str(server.wait().url)


@pytest.fixture(scope="module")
def engine():
    from parser_service.backends.vllm_backend import VllmBackend

    backend = VllmBackend(settings(backend="vllm"), ADAPTERS)
    yield backend
    del backend


@pytest.fixture(scope="module")
def client(server_url):
    from parser_service.backends.vllm_server import VllmServerBackend

    return VllmServerBackend(settings(backend="vllm-server", vllm_url=server_url))


@pytest.fixture(scope="module")
def extractions(pipeline, engine, client) -> dict[str, dict[str, object]]:
    """Every document through each backend: {backend: {file name: Extraction}}."""
    out: dict[str, dict[str, object]] = {}
    for name, backend in [("transformers", pipeline.backend), ("vllm", engine), ("vllm-server", client)]:
        runner = Pipeline(pipeline.settings, host=pipeline.host, backend=backend)
        out[name] = {path.name: runner.extract(path, domain=plugin) for path, plugin in DOCUMENTS}
    return out


def check_answers(backend, adapter: Path | None) -> None:
    requests = [GenerationRequest(MESSAGES, SCHEMA, 60, adapter)] * 2
    answers = backend.generate(requests, logprobs=True)
    assert len(answers) == 2
    for answer in answers:
        data = json.loads(answer.text)
        assert set(data) == {"issuer", "total"} and len(data["issuer"]) <= 20
        assert answer.text == json.dumps(data, separators=(",", ":"), ensure_ascii=False)  # compact
        assert answer.logprobs and all(lp.logprob <= 0.0 for lp in answer.logprobs)
        assert "".join(lp.text for lp in answer.logprobs) == answer.text
        assert [lp.offset for lp in answer.logprobs] == sorted(lp.offset for lp in answer.logprobs)
    assert answers[0].text == answers[1].text  # greedy


@pytest.mark.parametrize("with_adapter", [False, True], ids=["base", "adapter"])
def test_engine_answers_follow_the_schema(engine, with_adapter):
    adapter = next(a.path for a in ADAPTERS if a.name == "invoices") if with_adapter else None
    check_answers(engine, adapter)


def test_an_adapter_of_a_higher_rank_than_the_engine_holds_is_a_clear_error(engine, tmp_path):
    wide = copy_adapter(tmp_path, "wide")
    config = json.loads((wide / "adapter_config.json").read_text())
    (wide / "adapter_config.json").write_text(json.dumps(config | {"r": 32}))
    with pytest.raises(ConfigError, match="rank 32, above the engine's 8.*PARSER_SERVICE_VLLM_MAX_LORA_RANK=32"):
        engine.generate([GenerationRequest(MESSAGES, SCHEMA, 20, wide)])


def test_engine_honours_the_token_limit(engine):
    [answer] = engine.generate([GenerationRequest(MESSAGES, SCHEMA, 5)])
    assert answer.truncated and answer.n_tokens == 5


def test_engine_and_server_copy_any_span_as_the_in_process_decoder_does(pipeline, engine, client):
    """A schema with any-span strings goes to vLLM as the substring grammar (its guidance
    backend, beside the JSON schemas the other tests send): every answer is a stretch of
    the text, and greedy decoding gives the in-process backend's answer."""
    from parser_service.backends.span_grammar import span_node

    text = "FUYI MINI MARKET\n(0195932-X)\nNO 2, JALAN INDAH 1,\nTAMAN INDAH, 81100 JOHOR"
    schema = {"type": "object", "properties": {"company": span_node(text, 40), "address": span_node(text, 80)},
              "required": ["company", "address"], "additionalProperties": False}  # fmt: skip
    messages = [{"role": "user", "content": f"{text}\n\nGive the shop's company name and its address."}]
    request = GenerationRequest(messages, schema, 60)
    answers = {name: backend.generate([request])[0] for name, backend in
               [("transformers", pipeline.backend), ("vllm", engine), ("vllm-server", client)]}  # fmt: skip
    for answer in answers.values():
        assert not answer.truncated and all(value in text for value in json.loads(answer.text).values())
    assert answers["vllm"].text == answers["vllm-server"].text == answers["transformers"].text


@pytest.mark.parametrize("with_adapter", [False, True], ids=["base", "adapter"])
def test_server_answers_follow_the_schema(client, with_adapter):
    adapter = next(a.path for a in ADAPTERS if a.name == "invoices") if with_adapter else None
    check_answers(client, adapter)


def test_server_health_lists_the_plugin_adapters(client):
    health = client.health()
    assert {"invoices", "bank_transactions"} <= set(health["models"])


def test_an_adapter_the_server_does_not_know_is_a_clear_error(client, tmp_path):
    stranger = copy_adapter(tmp_path, "stranger")
    with pytest.raises(ConfigError, match="does not serve adapter 'stranger'.*--lora-modules stranger="):
        client.generate([GenerationRequest(MESSAGES, SCHEMA, 40, stranger)])


def test_server_loads_an_unknown_adapter_at_run_time_when_allowed(server_url, tmp_path):
    from parser_service.backends.vllm_server import VllmServerBackend

    late = copy_adapter(tmp_path, "late_comer")
    loader = VllmServerBackend(settings(vllm_url=server_url, vllm_load_adapters=True))
    [answer] = loader.generate([GenerationRequest(MESSAGES, SCHEMA, 60, late)])
    assert set(json.loads(answer.text)) == {"issuer", "total"}
    assert "late_comer" in loader.health()["models"]


def test_backends_agree_on_real_documents(extractions):
    """Greedy decoding on the same documents: the same record statuses, every record
    valid against the plugin's schema, from all three backends."""
    schema = HOST.domain("invoices").schema
    statuses = {
        backend: {name: [r.status for r in extraction.records] for name, extraction in per_file.items()}
        for backend, per_file in extractions.items()
    }
    assert statuses["vllm"] == statuses["transformers"] == statuses["vllm-server"], statuses
    for per_file in extractions.values():
        for extraction in per_file.values():
            assert extraction.records
            for record in extraction.records:
                if record.status == "ok":
                    schema.model_validate(record.data)


def test_vllm_records_carry_provenance_and_confidence(extractions):
    for backend in ("vllm", "vllm-server"):
        record = extractions[backend]["oyo.pdf"].records[0]
        assert record.status == "ok"
        assert record.data["currency"] == "INR"
        assert record.confidence and all(0.0 <= value <= 1.0 for value in record.confidence.values())
        assert extractions[backend]["oyo.pdf"].backend["backend"] == backend


def copy_adapter(tmp_path: Path, plugin: str) -> Path:
    source = next(a.path for a in ADAPTERS if a.name == "invoices")
    target = tmp_path / plugin / "adapter"
    shutil.copytree(source, target)
    card = json.loads((target / "adapter_card.json").read_text())
    (target / "adapter_card.json").write_text(json.dumps(card | {"plugin": plugin}))
    assert adapter_name(target) == plugin
    return target
