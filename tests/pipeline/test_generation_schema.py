"""The generation schema: raw strings with bounds, and a token budget that follows them."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

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
