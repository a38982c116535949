"""The transformers backend with the real embedded model: grammar, batching,
truncation, log probabilities, generator reuse and LoRA adapters."""

from __future__ import annotations

import json
import warnings

import pytest

from parser_service.backends.base import GenerationRequest
from tests.conftest import INVOICE_EXAMPLES

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


def test_a_long_forced_run_rides_along_beside_other_rows_with_its_log_probabilities(float32_backend):
    """A value that only one candidate starts with is forced whole: beside another row it
    runs RUN_TOKENS a pass instead of widening every row's pass to its length, and its
    tokens still get their log probabilities and give the answer it gives alone."""
    import math

    from parser_service.backends.guided import RUN_TOKENS

    backend = float32_backend
    value = "ACME GmbH, Industriestrasse 12, 80331 Muenchen, Germany"
    forced = {"type": "object", "properties": {"issuer": {"enum": [value]}}, "required": ["issuer"]}
    requests = [GenerationRequest(MESSAGES, forced, 60), GenerationRequest(MESSAGES, SCHEMA, 60)]
    decoder, widths = backend.decoder, []
    run = decoder._run

    def spy(ids, kv, mask, keep):
        widths.append(keep)  # a decoding pass keeps the logits of every position it runs
        return run(ids, kv, mask, keep)

    decoder._run = spy
    try:
        together = backend.generate(requests, logprobs=True)
    finally:
        decoder._run = run
    alone = [backend.generate([r], logprobs=True)[0] for r in requests]
    assert together[0].data == {"issuer": value} and together[0].n_tokens > 2 * RUN_TOKENS
    assert max(widths) < together[0].n_tokens - 1  # the run was not fed in one pass
    assert [a.text for a in together] == [a.text for a in alone]
    for a, b in zip(together, alone):
        mine = [t.logprob for t in a.logprobs]
        assert all(math.isfinite(lp) and lp <= 0.0 for lp in mine)
        assert mine == pytest.approx([t.logprob for t in b.logprobs], abs=2e-3)


def test_the_shared_prompt_prefix_is_computed_once(backend):
    first = GenerationRequest(MESSAGES, SCHEMA, 60)
    backend.generate([first])
    second = GenerationRequest([{"role": "user", "content": MESSAGES[0]["content"] + " Be brief."}], SCHEMA, 60)
    decoder = backend.decoder
    before, refused_before = decoder.tokens_run, decoder.drafted - decoder.accepted
    (answer,) = backend.generate([second])
    prompt = backend.tokenizer(backend.prompt_text(second), add_special_tokens=False)["input_ids"]
    shared = backend.tokenizer(backend.prompt_text(first), add_special_tokens=False)["input_ids"]
    run = decoder.tokens_run - before - (decoder.drafted - decoder.accepted - refused_before)  # less refused drafts
    assert run <= len(prompt) - len(shared) + answer.n_tokens + 5  # the shared part ran once, in the first call


def test_drafts_from_the_record_give_the_same_answers_in_fewer_passes(pipeline):
    """Real example records (bank rows and invoices), decoded with and without drafting,
    in float32: in bfloat16 a pass split differently rounds differently, and a row on a
    knife edge can then tip (as it can between batch sizes)."""
    from parser_service.backends.transformers_backend import TransformersBackend
    from parser_service.bench.workload import build_workload
    from parser_service.settings import Settings

    backend = TransformersBackend(Settings(dtype="float32"))
    workload = build_workload(pipeline, 12, backend.truncate)
    kinds = [label.split(":")[0] for label in workload.labels]
    requests = [r for r, kind in zip(workload.requests, kinds) if kind == "bank_transactions"][:4]
    requests += [r for r, kind in zip(workload.requests, kinds) if kind == "invoices"][:2]
    decoder, answers, passes = backend.decoder, {}, {}
    for draft_tokens in (0, 6):
        decoder.draft_tokens = draft_tokens
        decoder.prefix.clear()
        before = decoder.forward_passes
        answers[draft_tokens] = [a.text for a in backend.generate(requests, logprobs=True)]
        passes[draft_tokens] = decoder.forward_passes - before
    assert decoder.accepted > 0  # drafts were taken
    assert passes[6] < passes[0]
    assert answers[6] == answers[0]


def test_short_prompt_tails_are_prefilled_together_and_answer_as_alone(pipeline, float32_backend):
    """Bank rows share their prompt up to the row: the tails run in one prefill pass per
    group of similar length, pads in the middle, with each row's answer unchanged."""
    from parser_service.backends.guided import PREFILL_PADDING, PREFILL_TOKENS, prefill_groups
    from parser_service.backends.kv_cache import common_length
    from parser_service.bench.workload import build_workload

    backend = float32_backend
    workload = build_workload(pipeline, 16, backend.truncate)
    requests = [r for r, label in zip(workload.requests, workload.labels) if label.startswith("bank")][:6]
    prompts = [backend.tokenizer(backend.prompt_text(r), add_special_tokens=False)["input_ids"] for r in requests]
    shared = common_length(prompts)
    groups = prefill_groups([len(p) - shared for p in prompts], PREFILL_TOKENS, PREFILL_PADDING)
    assert any(len(group) > 1 for group in groups)  # the case under test happens
    backend.decoder.prefix.clear()
    together = backend.generate(requests)
    alone = [backend.generate([r])[0] for r in requests]
    assert [a.text for a in together] == [a.text for a in alone]


def test_the_time_spent_reading_prompts_is_counted(backend):
    """The benchmark's share of prefill and its ceiling of batching rest on this counter."""
    import time

    before, started = backend.decoder.prefill_s, time.perf_counter()
    backend.generate([GenerationRequest([{"role": "user", "content": MESSAGES[0]["content"] + " Quick."}], SCHEMA, 20)])
    spent = backend.decoder.prefill_s - before
    assert 0 < spent < time.perf_counter() - started


def test_an_extraction_uses_no_deprecated_transformers_api(pipeline):
    """stderr carries progress and errors only. transformers 5.24 renamed the model's
    ``past_key_values`` argument to ``cache`` and warns (FutureWarning) on every run that
    passes the old name: here any FutureWarning or DeprecationWarning while extracting
    (prompt prefix computed afresh, prefill, batched steps, the invoices adapter) fails."""
    import llguidance.torch  # noqa: F401  (imported first: torch's compiler warns of its own torch.jit use then)

    pipeline.backend.decoder.prefix.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        result = pipeline.extract(INVOICE_EXAMPLES / "oyo.pdf", domain="invoices")
    (record,) = result.records
    assert record.status == "ok" and record.data["invoice_number"]
