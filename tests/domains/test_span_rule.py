"""``extractive()`` builds a typed, frozen ``SpanRule``; the pipeline reads its attributes."""

import pytest
from pydantic import BaseModel, Field, ValidationError

from parser_service.domains.domain import SpanRule, extractive, span_rule
from parser_service.pipeline.generation_schema import offered_spans
from parser_service.plugin_api import SpanRule as ExportedSpanRule


def test_the_rule_defaults_offer_every_span_of_its_kind():
    rule = extractive("date", 24)
    assert rule == SpanRule(kind="date", max_chars=24)
    assert (rule.kind, rule.max_chars, rule.nullable, rule.prefer) == ("date", 24, True, None)
    assert rule.near == rule.not_near == rule.first_near == rule.under == rule.not_under == ()
    assert (rule.right_after, rule.only_near, rule.first) == (False, False, False)
    assert ExportedSpanRule is SpanRule


def test_label_lists_become_tuples_and_the_rule_is_frozen():
    rule = extractive("code", 24, near=["invoice no"], not_under=("buyer",))
    assert rule.near == ("invoice no",) and rule.not_under == ("buyer",)
    assert hash(rule) == hash(extractive("code", 24, near=("invoice no",), not_under=["buyer"]))
    with pytest.raises(ValidationError, match="frozen"):
        rule.near = ("total",)  # type: ignore[misc]


def test_an_unknown_option_is_refused():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SpanRule(kind="date", max_chars=24, nearby=["date"])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="nearby"):
        extractive("date", 24, nearby=["date"])  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"near": "total"}, "valid tuple"),  # one label where a list is asked: never its letters
        ({"near": ["total", 3]}, "valid string"),
        ({"nullable": "no"}, "valid boolean"),
        ({"first": 1}, "valid boolean"),
        ({"prefer": "(GmbH"}, "no regular expression"),
    ],
)
def test_an_option_of_the_wrong_type_is_refused(options: dict, message: str):
    with pytest.raises(ValidationError, match=message):
        extractive("line", 64, **options)


@pytest.mark.parametrize(
    ("kind", "n", "message"),
    [("colour", 10, "unknown span kind"), ("date", "24", "valid integer"), ("date", 0, "greater than or equal to 1")],
)
def test_a_kind_or_length_out_of_range_is_refused(kind: str, n: int, message: str):
    with pytest.raises(ValidationError, match=message):
        extractive(kind, n)


class Bill(BaseModel):
    number: str | None = Field(None, json_schema_extra=extractive("code", 24, nullable=False, near=["no"], first=True))
    note: str | None = Field(None, json_schema_extra={"max_chars": 8})


def test_the_field_carries_the_rule_and_its_json_schema_is_the_dict_it_was():
    assert span_rule(Bill.model_fields["number"]) == extractive("code", 24, nullable=False, near=["no"], first=True)
    assert span_rule(Bill.model_fields["note"]) is None
    number = Bill.model_json_schema()["properties"]["number"]
    assert {k: number[k] for k in ("max_chars", "candidates", "nullable", "near", "first")} == {
        "max_chars": 24, "candidates": "code", "nullable": False, "near": ["no"], "first": True,
    }  # fmt: skip
    assert not {"right_after", "only_near", "first_near", "under", "not_under", "prefer", "not_near"} & set(number)


def test_the_options_apply_in_the_order_the_rule_states():
    text = "Ref: AB-1\nNummer: X-77\nRechnungsnummer: R-42\nRechnungsnummer: R-43"
    # first_near (step 4) finds, so near (step 5) is not asked; first (step 8) keeps R-42
    rule = extractive("code", 24, near=["nummer"], first_near=["rechnungsnummer"], first=True)
    assert offered_spans(rule, text) == ["R-42"]
    assert offered_spans(extractive("code", 24, near=["nummer"]), text) == ["X-77", "R-42", "R-43"]
    # not_near (step 2) drops before near (step 5) looks for labelled spans
    assert offered_spans(extractive("code", 24, near=["nummer"], not_near=["rechnungsnummer"]), text) == ["X-77"]
