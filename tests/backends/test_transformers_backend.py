"""The transformers backend with the real embedded model: grammar, batching,
truncation, log probabilities, generator reuse and LoRA adapters."""

from __future__ import annotations

import json

import pytest

from parser_service.backends.base import GenerationRequest

pytestmark = pytest.mark.model

SCHEMA = {
    "type": "object",
    "properties": {"issuer": {"type": "string", "maxLength": 20}, "total": {"type": "string", "maxLength": 12}},
    "required": ["issuer", "total"],
}
MESSAGES = [{"role": "user", "content": "Invoice from ACME GmbH. Total due: 120,00 EUR. Give issuer and total."}]


@pytest.fixture(scope="module")
def backend(pipeline):
    return pipeline.backend


def test_answers_follow_the_schema_in_a_batch(backend):
    requests = [GenerationRequest(MESSAGES, SCHEMA, 60)] * 3
    answers = backend.generate(requests, logprobs=True)
    assert len(answers) == 3
    for answer in answers:
        assert not answer.truncated
        data = json.loads(answer.text)
        assert set(data) == {"issuer", "total"}
        assert len(data["issuer"]) <= 20 and len(data["total"]) <= 12
        assert answer.logprobs and all(lp.logprob <= 0.0 for lp in answer.logprobs)
        assert "".join(lp.text for lp in answer.logprobs) == answer.text
    assert answers[0].text == answers[1].text  # greedy: the same prompt gives the same answer


def test_hitting_the_token_limit_is_reported_as_truncated(backend):
    (answer,) = backend.generate([GenerationRequest(MESSAGES, SCHEMA, 5)])
    assert answer.truncated and answer.data is None
    assert answer.n_tokens <= 6


def test_one_generator_per_schema_is_reused(backend):
    backend.generate([GenerationRequest(MESSAGES, SCHEMA, 60)])
    generator = backend._generators[json.dumps(SCHEMA)]
    backend.generate([GenerationRequest(MESSAGES, SCHEMA, 60)])
    assert backend._generators[json.dumps(SCHEMA)] is generator


def test_truncate_cuts_at_a_token_boundary(backend):
    text = "word " * 300
    cut = backend.truncate(text, 50)
    assert backend.count_tokens(cut) <= 50 and text.startswith(cut)
    assert backend.truncate("short", 50) == "short"


def test_a_lora_adapter_changes_the_model_and_can_be_switched_off(backend, tmp_path):
    """A real PEFT adapter folder (random weights, so its effect is visible)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(backend.model_path)
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()

    plain = GenerationRequest(MESSAGES, SCHEMA, 60)
    adapted = GenerationRequest(MESSAGES, SCHEMA, 60, adapter=tmp_path / "adapter")
    before = backend.generate([plain], logprobs=True)[0]
    with_adapter = backend.generate([adapted], logprobs=True)[0]
    after = backend.generate([plain], logprobs=True)[0]
    assert not with_adapter.truncated or with_adapter.text  # still grammar-constrained output
    assert [t.logprob for t in with_adapter.logprobs] != [t.logprob for t in before.logprobs]
    assert after.text == before.text  # the base model again once no adapter is asked for
    assert [round(t.logprob, 4) for t in after.logprobs] == [round(t.logprob, 4) for t in before.logprobs]


def test_fields_are_written_in_schema_order(backend):
    schema = {"type": "object", "properties": {"total": SCHEMA["properties"]["total"],
                                               "issuer": SCHEMA["properties"]["issuer"]},
              "required": ["total", "issuer"]}
    (answer,) = backend.generate([GenerationRequest(MESSAGES, schema, 60)])
    assert answer.text.index('"total"') < answer.text.index('"issuer"')


def test_a_fixed_value_the_vocabulary_cannot_spell_still_decodes(backend):
    """'✉' has no token path in this vocabulary as raw UTF-8; \\u escapes are used instead."""
    options = ["Votre référence PO445 ✉ tony.dubois@aubonmoulin.fr", "France"]  # from a real invoice
    schema = {"type": "object", "properties": {"contact": {"enum": options}}, "required": ["contact"]}
    messages = [{"role": "user", "content": f"Lines: {options[0]}; France. Which line names a contact?"}]
    (answer,) = backend.generate([GenerationRequest(messages, schema, 80)])
    assert not answer.truncated
    assert answer.data["contact"] in options


def test_prune_enums_drops_only_unspellable_values():
    from parser_service.backends.transformers_backend import prune_enums

    schema = {"anyOf": [{"enum": ["a ✉ b", "plain", "é"]}, {"type": "null"}],
              "items": {"enum": ["✉"]}}
    pruned = prune_enums(schema, lambda c: c != "✉")
    assert pruned["anyOf"][0] == {"enum": ["plain", "é"]}
    assert pruned["items"] == {"type": "null"}
