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
        assert set(data) == {"issuer", "total"}  # objects are closed: no key the schema does not name
        assert len(data["issuer"]) <= 20 and len(data["total"]) <= 12
        assert answer.logprobs and all(lp.logprob <= 0.0 for lp in answer.logprobs)
        assert "".join(lp.text for lp in answer.logprobs) == answer.text
    assert answers[0].text == answers[1].text  # greedy: the same prompt gives the same answer


def test_hitting_the_token_limit_is_reported_as_truncated(backend):
    (answer,) = backend.generate([GenerationRequest(MESSAGES, SCHEMA, 5)])
    assert answer.truncated and answer.data is None
    assert answer.n_tokens <= 6


def test_one_grammar_per_schema_is_reused(backend):
    backend.generate([GenerationRequest(MESSAGES, SCHEMA, 60)])
    grammar = backend.grammars.grammar(SCHEMA)
    backend.generate([GenerationRequest(MESSAGES, SCHEMA, 60)])
    assert backend.grammars.grammar(SCHEMA) is grammar


def _enum_schema(options):
    return {"type": "object", "properties": {"issuer": {"enum": options}, "total": SCHEMA["properties"]["total"]},
            "required": ["issuer", "total"]}


@pytest.fixture(scope="module")
def float32_backend():
    """float32 whatever the machine: in bfloat16 (the default where the CPU has it), a
    padded batch and a lone row round differently, enough to flip a near tie, as in any
    engine; the exact equality below is a float32 property."""
    from parser_service.backends import load_backend
    from parser_service.settings import Settings

    return load_backend(Settings(backend="transformers", dtype="float32"))


def test_rows_with_different_grammars_share_a_batch_and_match_their_answers_alone(float32_backend):
    """Extractive schemas differ per record: they decode in one batch, and padding
    (prompts of unequal length) changes no row's answer."""
    backend = float32_backend
    requests = [
        GenerationRequest(MESSAGES, _enum_schema(["ACME GmbH", "Total due"]), 60),
        GenerationRequest([{"role": "user", "content": "Bill from Globex Corp, Springfield. Amount 99.50 USD. "
                            "Payable within 30 days. Give issuer and total."}],
                          _enum_schema(["Globex Corp", "Springfield"]), 60),
        GenerationRequest(MESSAGES, SCHEMA, 60),
    ]
    before = backend.decoder.forward_passes
    together = backend.generate(requests, logprobs=True)
    passes_together = backend.decoder.forward_passes - before
    alone = [backend.generate([r], logprobs=True)[0] for r in requests]
    assert [a.text for a in together] == [a.text for a in alone]
    assert together[0].data["issuer"] in {"ACME GmbH", "Total due"}
    assert together[1].data["issuer"] in {"Globex Corp", "Springfield"}
    for a, b in zip(together, alone):
        assert [t.logprob for t in a.logprobs] == pytest.approx([t.logprob for t in b.logprobs], abs=2e-3)
    assert passes_together < backend.decoder.forward_passes - before - passes_together


def test_forced_tokens_are_fast_forwarded_in_one_pass(backend):
    """Keys and punctuation the grammar forces take no pass of their own."""
    before = backend.decoder.forward_passes
    schema = {"type": "object", "properties": {"issuer": {"enum": ["ACME GmbH"]}, "total": {"enum": ["120,00 EUR"]}},
              "required": ["issuer", "total"]}
    (answer,) = backend.generate([GenerationRequest(MESSAGES, schema, 60)], logprobs=True)
    passes = backend.decoder.forward_passes - before
    assert answer.data == {"issuer": "ACME GmbH", "total": "120,00 EUR"}
    assert answer.n_tokens > 10 and passes <= 3  # the prompt, then the whole forced answer at once
    assert all(t.logprob <= 0.0 for t in answer.logprobs)  # forced tokens got theirs from the pass


def test_the_shared_prompt_prefix_is_computed_once(backend):
    first = GenerationRequest(MESSAGES, SCHEMA, 60)
    backend.generate([first])
    second = GenerationRequest([{"role": "user", "content": MESSAGES[0]["content"] + " Be brief."}], SCHEMA, 60)
    before = backend.decoder.tokens_run
    (answer,) = backend.generate([second])
    prompt = backend.tokenizer(backend.prompt_text(second), add_special_tokens=False)["input_ids"]
    shared = backend.tokenizer(backend.prompt_text(first), add_special_tokens=False)["input_ids"]
    run = backend.decoder.tokens_run - before
    assert run <= len(prompt) - len(shared) + answer.n_tokens + 5  # the shared part ran once, in the first call


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
    backend.decoder.prefix.clear()  # each run below starts with no prompt prefix cached, so the passes
    # split alike: in bfloat16 a prompt run in two passes differs from one pass by rounding
    before = backend.generate([plain], logprobs=True)[0]
    with_adapter = backend.generate([adapted], logprobs=True)[0]
    after = backend.generate([plain], logprobs=True)[0]
    assert not with_adapter.truncated or with_adapter.text  # still grammar-constrained output
    assert [t.logprob for t in with_adapter.logprobs] != [t.logprob for t in before.logprobs]
    assert after.text == before.text  # the base model again once no adapter is asked for
    backend.decoder.prefix.clear()
    fresh = backend.generate([adapted], logprobs=True)[0]  # no prompt prefix cached from the base model
    assert [t.logprob for t in fresh.logprobs] == pytest.approx([t.logprob for t in with_adapter.logprobs], abs=2e-3)
    # the base weights restored exactly: the same passes give the same numbers
    assert [t.logprob for t in after.logprobs] == [t.logprob for t in before.logprobs]


def test_fields_are_written_in_schema_order(backend):
    schema = {"type": "object", "properties": {"total": SCHEMA["properties"]["total"],
                                               "issuer": SCHEMA["properties"]["issuer"]},
              "required": ["total", "issuer"]}
    (answer,) = backend.generate([GenerationRequest(MESSAGES, schema, 60)])
    assert answer.text.index('"total"') < answer.text.index('"issuer"')


def test_a_fixed_value_the_vocabulary_cannot_spell_still_decodes(backend):
    """'✉' is spelled byte by byte: the grammar works on bytes, not on whole tokens."""
    options = ["Votre référence PO445 ✉ tony.dubois@aubonmoulin.fr", "France"]  # from a real invoice
    schema = {"type": "object", "properties": {"contact": {"enum": options}}, "required": ["contact"]}
    messages = [{"role": "user", "content": f"Lines: {options[0]}; France. Which line names a contact?"}]
    (answer,) = backend.generate([GenerationRequest(messages, schema, 80)])
    assert not answer.truncated
    assert answer.data["contact"] in options
