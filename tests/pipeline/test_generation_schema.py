"""The generation schema: raw strings with bounds, and a token budget that follows them."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from parser_service.backends.span_grammar import span_node
from parser_service.domains.domain import extractive
from parser_service.pipeline.generation_schema import generation_schema, max_json_chars
from parser_service.text.normalize import Amount, ISODate


class Line(BaseModel):
    name: str | None = Field(None, json_schema_extra={"max_chars": 10})
    total: Amount | None = None


class Target(BaseModel):
    who: str | None = Field(None, description="the issuer", json_schema_extra={"max_chars": 12})
    when: ISODate | None = None
    kind: Literal["a", "b"] | None = None
    lines: list[Line] = Field(default_factory=list, max_length=2)


def test_scalars_become_bounded_nullable_strings():
    schema = generation_schema(Target).json_schema
    who = schema["properties"]["who"]["anyOf"]
    assert {"type": "string", "minLength": 1, "maxLength": 12} in who
    assert {"type": "null"} in who
    when = schema["properties"]["when"]["anyOf"][0]
    assert when["type"] == "string" and when["maxLength"] == 32  # a date is copied as text


def test_lists_literals_and_subset():
    schema = generation_schema(Target).json_schema
    lines = schema["properties"]["lines"]
    assert lines["type"] == "array" and lines["maxItems"] == 2
    assert lines["items"]["properties"]["name"]["anyOf"][0]["maxLength"] == 10
    assert schema["properties"]["kind"]["anyOf"][0] == {"enum": ["a", "b"]}
    subset = generation_schema(Target, ["when"])
    assert list(subset.json_schema["properties"]) == ["when"]
    assert subset.fields == ("when",)
    assert "- who: the issuer" in generation_schema(Target).field_lines


def _longest(schema: dict) -> object:
    """Build the longest value the schema admits (for the bound check)."""
    if "anyOf" in schema:
        return max((_longest(s) for s in schema["anyOf"]), key=lambda v: len(json.dumps(v)))
    if "enum" in schema:
        return max(schema["enum"], key=lambda v: len(json.dumps(v)))
    if schema["type"] == "object":
        return {k: _longest(v) for k, v in schema["properties"].items()}
    if schema["type"] == "array":
        return [_longest(schema["items"])] * schema["maxItems"]
    if schema["type"] == "string":
        return "x" * schema["maxLength"]
    return None


@pytest.mark.parametrize("fields", [None, ["who"], ["lines"]])
def test_budget_covers_the_longest_compact_answer(fields):
    gen = generation_schema(Target, fields)
    longest = json.dumps(_longest(gen.json_schema), separators=(", ", ": "))
    assert len(longest) <= max_json_chars(gen.json_schema)
    assert gen.max_new_tokens > max_json_chars(gen.json_schema)


class Addressed(BaseModel):
    address: str | None = Field(None, json_schema_extra=extractive("any", 90))
    street: str | None = Field(None, json_schema_extra=extractive("any", 30, nullable=False))


def test_an_any_span_field_is_a_substring_node_of_the_text():
    """``extractive("any")``: a string node marked with the record's text and bounded by
    its characters (``span_grammar.py`` turns it into a substring grammar), or null."""
    text = "ACME\nNO. 12, JALAN BESAR,\n81100 JOHOR"
    schema = generation_schema(Addressed, text=text)
    props = schema.json_schema["properties"]
    assert props["address"] == {"anyOf": [span_node(text, 90), {"type": "null"}]}
    assert props["street"] == span_node(text, 30)  # not nullable: the model must copy something
    assert schema.max_new_tokens >= max_json_chars(schema.json_schema) > 90 + 30
    assert generation_schema(Addressed, text=" \n ").json_schema["properties"]["address"] == {"type": "null"}
    free = generation_schema(Addressed, text=text, extractive_decoding=False).json_schema["properties"]["address"]
    assert free == {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 90}, {"type": "null"}]}


def test_an_unknown_span_kind_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="unknown span kind 'anywhere'.*any"):
        extractive("anywhere", 10)
