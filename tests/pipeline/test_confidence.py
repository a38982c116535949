"""Calibrated confidence: the evidence, the fit, the calibration error, the review flag."""

from __future__ import annotations

import random

import pytest
from parser_service_invoices import DOMAIN as INVOICES

from parser_service.backends.base import Generation, TokenLogprob
from parser_service.document import Provenance
from parser_service.pipeline import extraction
from parser_service.pipeline.confidence import Calibration, Evidence, ece, fit, score
from parser_service.records import Record

TEXT = "ACME GmbH\nInvoice No: INV-7\nDate: 03.04.2024\nTotal: 1.234,50 EUR"


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    assert ece([0.75] * 4, [True, True, True, False]) == pytest.approx(0.0)
    assert ece([0.95] * 10, [False] * 10) == pytest.approx(0.95)
    assert ece([], []) == 0.0


def test_raw_score_discounts_values_not_in_the_source_or_rejected_by_validators():
    sure = Evidence(token_prob=0.9, verbatim=True, valid=True)
    assert sure.raw_score() > Evidence(0.9, verbatim=False, valid=True).raw_score()
    assert sure.raw_score() > Evidence(0.9, verbatim=True, valid=False).raw_score()
    assert Evidence(None, verbatim=True, valid=True, prefilled=True).raw_score() == 1.0


def _synthetic(n: int, seed: int) -> tuple[list[Evidence], list[bool]]:
    """Fields whose chance of being right depends on the evidence, but not as the raw rule says."""
    rng = random.Random(seed)
    evidence, correct = [], []
    for _ in range(n):
        e = Evidence(token_prob=rng.uniform(0.3, 0.99), verbatim=rng.random() < 0.7, valid=rng.random() < 0.8)
        p_true = 0.15 + 0.5 * e.verbatim + 0.3 * e.valid * (e.token_prob or 0)
        evidence.append(e)
        correct.append(rng.random() < p_true)
    return evidence, correct


def test_fit_lowers_the_calibration_error_on_held_out_fields():
    train_e, train_c = _synthetic(2000, seed=1)
    test_e, test_c = _synthetic(2000, seed=2)
    calibration = fit(train_e, train_c)
    assert calibration.samples == 2000 and calibration.ece_after < calibration.ece_before
    before = ece([e.raw_score() for e in test_e], test_c)
    after = ece([calibration.probability(e) for e in test_e], test_c)
    assert after < 0.05 < before
    assert calibration.weights[2] > 0  # a verbatim value is more likely right


def test_a_calibration_survives_saving_and_loading(tmp_path):
    calibration = fit(*_synthetic(300, seed=3))
    calibration.save(tmp_path)
    loaded = Calibration.load(tmp_path)
    assert loaded == calibration
    e = Evidence(0.8, verbatim=True, valid=True)
    assert score(e, loaded) == calibration.probability(e)
    assert Calibration.load(tmp_path / "missing") is None and Calibration.load(None) is None


def test_a_record_with_a_doubtful_field_is_flagged_for_review():
    where = Provenance(page=1)
    record = Record(index=0, text=TEXT, provenance=[where], spans=[(0, len(TEXT), where)])
    state = extraction._start(record, INVOICES)
    answer = '{"issuer":"ACME GmbH","invoice_number":"INV-7"}'
    # the issuer's tokens were sure, the number's were a guess
    logprobs = [TokenLogprob(text=c, logprob=-0.01, offset=i) for i, c in enumerate(answer[:22])]
    logprobs += [TokenLogprob(text=c, logprob=-2.5, offset=22 + i) for i, c in enumerate(answer[22:])]
    generation = Generation.from_text(answer, 12)
    generation.logprobs = logprobs
    extraction._merge(state, ["issuer", "invoice_number"], generation)
    extraction._validate(state, INVOICES)
    result = extraction._result(state, INVOICES)
    assert result.confidence["issuer"] > INVOICES.review_threshold > result.confidence["invoice_number"]
    assert result.review and "invoice_number" in result.review_fields and "issuer" not in result.review_fields
    assert result.to_dict()["review_fields"] == result.review_fields


def test_a_chosen_value_is_scored_on_its_own_token_probability_never_on_the_fit_of_copied_ones():
    """An inferred value (an enum, a boolean) is in no place of the text: not being found
    there costs it nothing, and a calibration fitted on copied values does not apply."""
    chosen = Evidence(token_prob=0.9, verbatim=False, valid=True, inferred=True)
    copied = Evidence(token_prob=0.9, verbatim=False, valid=True)
    assert chosen.raw_score() == 0.9 and copied.raw_score() == 0.45
    assert Evidence(token_prob=0.9, verbatim=False, valid=False, inferred=True).raw_score() == pytest.approx(0.27)
    harsh = Calibration((-5.0, 0.0, 0.0, 0.0))
    assert score(chosen, harsh) == 0.9 and score(copied, harsh) < 0.01
