"""Training examples: the extractor's own requests, answers the grammar admits, a clean split."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from parser_service.backends.base import Backend, Generation, GenerationRequest
from parser_service.cli import entry
from parser_service.domains.host import build_host
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline.extraction import build_request, extract_records
from parser_service.training import dataset
from parser_service.training.dataset import Builder, Labelled, Stats
from parser_service.training.targets import NOT_A_CANDIDATE, normalised
from tests.conftest import INVOICE_EXAMPLES

#: Prompts are cut at this many "tokens" (characters here), so cutting is exercised.
MAX_PROMPT = 900


def cut(text: str, max_tokens: int) -> str:
    """A stand-in tokenizer: one character per token (no model files needed)."""
    return text[:max_tokens]


class CapturingBackend(Backend):
    """Records the requests the extractor sends; answers null for every field."""

    name = "capture"

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        self.requests += requests
        return [Generation.from_text(json.dumps(dict.fromkeys(r.schema["properties"])), 1) for r in requests]

    def count_tokens(self, text: str) -> int:
        return len(text)

    def truncate(self, text: str, max_tokens: int) -> str:
        return cut(text, max_tokens)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}


@pytest.fixture(scope="module")
def host():
    return build_host()


@pytest.fixture(scope="module")
def built(host, tmp_path_factory):
    """Examples of both plugins from a small seeded synthetic batch."""
    out = {}
    for name, count in (("invoices", 8), ("bank_transactions", 12)):
        domain = host.domain(name)
        folder = tmp_path_factory.mktemp(name)
        dataset.render(domain, folder, count, seed=3)
        stats = Stats()
        builder = Builder(domain, builtin_parsers(), cut, MAX_PROMPT)
        out[name] = (folder, dataset.build(dataset.synthetic(folder), builder, stats), stats)
    return out


def _validate(value: Any, schema: dict[str, Any]) -> None:
    try:
        import jsonschema
    except ImportError:  # the schema's own rules: enums, types, bounds
        assert _conforms(value, schema), (value, schema)
    else:
        jsonschema.validate(value, schema)


def _conforms(value: Any, schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:
        return any(_conforms(value, option) for option in schema["anyOf"])
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str) and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9)
    if kind == "array":
        return isinstance(value, list) and len(value) <= schema.get("maxItems", 10**9) and all(
            _conforms(item, schema["items"]) for item in value)
    if kind == "object":
        props = schema["properties"]
        return isinstance(value, dict) and set(value) == set(schema.get("required", props)) and all(
            _conforms(value[k], props[k]) for k in value)
    return False


def _records(host, name: str, path: Path):
    domain = host.domain(name)
    return domain, domain.split(parse_file(path, builtin_parsers()))


def test_every_answer_is_valid_compact_json_against_its_request_schema(host, built):
    for name, (folder, rows, _) in built.items():
        assert rows, name
        domain = host.domain(name)
        for row in rows:
            answer = json.loads(row["answer"])
            assert row["answer"] == json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
            assert list(answer) == row["fields"]
            _, records = _records(host, name, folder / row["document"])
            request = build_request(records[row["record"]], domain, row["fields"], truncate=cut,
                                    max_prompt_tokens=MAX_PROMPT)
            assert list(request.schema["properties"]) == row["fields"]
            assert request.messages == row["messages"]
            _validate(answer, request.schema)


def test_the_prompt_is_the_one_the_extractor_sends(host, built):
    compared = 0
    for name, (folder, rows, _) in built.items():
        domain = host.domain(name)
        for path in sorted({folder / r["document"] for r in rows}):
            records = domain.split(parse_file(path, builtin_parsers()))
            backend = CapturingBackend()
            extract_records(records, domain, backend, max_prompt_tokens=MAX_PROMPT, retries=0)
            sent = {(tuple(r.schema["properties"]), r.messages[1]["content"]): r for r in backend.requests}
            for row in rows:
                if row["document"] != path.name or not row["prefill"]:
                    continue
                key = (tuple(row["fields"]), row["messages"][1]["content"])
                if any(k[0] == key[0] for k in sent):
                    assert key in sent, (path.name, row["fields"])
                    assert sent[key].messages == row["messages"]
                    compared += 1
    assert compared >= 3


def test_bank_rows_come_with_and_without_prefill(built):
    _, rows, stats = built["bank_transactions"]
    without = [r for r in rows if not r["prefill"]]
    assert without and all(r["fields"] == ["date", "amount", "payee", "memo", "balance"] for r in without)
    assert stats.examples["no_prefill"] == len(without)
    assert all(r["fields"] != without[0]["fields"] for r in rows if r["prefill"])


def test_a_surface_the_candidates_miss_is_dropped_and_counted(host, tmp_path):
    domain = host.domain("invoices")
    (doc,) = dataset.render(domain, tmp_path, 1, seed=8)
    truth = doc.records[0]
    truth.surface["invoice_number"] = "NOT-IN-THE-TEXT-1"
    truth.fields["invoice_number"] = "NOT-IN-THE-TEXT-1"
    truth.surface["date"] = truth.fields["date"]  # ISO: another way of writing the true date
    stats = Stats()
    builder = Builder(domain, builtin_parsers(), cut, 100_000)
    (row,) = builder.examples(Labelled(doc.path, "synthetic", [truth]), stats)
    answer = json.loads(row["answer"])
    assert "invoice_number" not in row["fields"]
    assert stats.dropped[f"invoice_number: {NOT_A_CANDIDATE}"] == 1
    assert stats.missed_examples["invoice_number A-A-A-A-9"] == ["NOT-IN-THE-TEXT-1"]
    assert answer["date"] in row["messages"][1]["content"]  # the document's own writing of it
    assert normalised(domain.schema, "date", answer["date"]) == truth.fields["date"]


def test_public_examples_get_their_surfaces_from_the_text(host):
    domain = host.domain("invoices")
    labelled = dataset.public(domain, [INVOICE_EXAMPLES / "oyo.pdf"])
    assert [item.source for item in labelled] == ["public:oyo.pdf"]
    stats = Stats()
    rows = list(Builder(domain, builtin_parsers(), cut, 100_000).examples(labelled[0], stats))
    answer = json.loads(rows[0]["answer"])
    assert normalised(domain.schema, "amount", answer["amount"]) == 1939.0
    assert normalised(domain.schema, "currency", answer["currency"]) == "INR"
    assert "amount_untaxed" not in answer  # not labelled in the expected output
    assert any(key.startswith("amount_untaxed") for key in stats.dropped)


def test_the_split_is_by_document_disjoint_and_deterministic(host, tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "tokenizer_truncate", lambda model, cache: cut)
    synth = tmp_path / "synth"
    assert entry.main(["adapters", "synth", "--domain", "bank_transactions", "--out", str(synth),
                     "--count", "10", "--seed", "2"]) == 0
    outputs = []
    for run in ("a", "b"):
        train, val = tmp_path / run / "train.jsonl", tmp_path / run / "val.jsonl"
        code = entry.main(["adapters", "dataset", "--domain", "bank_transactions", "--synthetic", str(synth),
                         "--out", str(train), "--val", str(val), "--val-fraction", "0.5"])
        assert code == 0
        outputs.append((train.read_bytes(), val.read_bytes()))
    assert outputs[0] == outputs[1]
    train_rows = [json.loads(line) for line in outputs[0][0].decode().splitlines()]
    val_rows = [json.loads(line) for line in outputs[0][1].decode().splitlines()]
    train_docs, val_docs = {r["document"] for r in train_rows}, {r["document"] for r in val_rows}
    assert train_docs and val_docs and not train_docs & val_docs
    assert len(train_docs | val_docs) == 10
    assert {"plugin", "source", "messages", "answer", "fields"} <= set(train_rows[0])


def test_a_plugin_without_a_generator_is_a_clear_error(host, tmp_path, capsys):
    domain = host.domain("invoices")
    missing = type(domain)(**{**{f: getattr(domain, f) for f in domain.__dataclass_fields__}, "synthesize": None})
    with pytest.raises(Exception, match="no synthetic-document generator"):
        dataset.render(missing, tmp_path, 1, seed=0)
    assert entry.main(["adapters", "dataset", "--domain", "invoices", "--out", str(tmp_path / "x.jsonl"),
                     "--public", str(tmp_path / "nowhere")]) == entry.EXIT_CONFIG
    assert "no such file or folder" in capsys.readouterr().err
