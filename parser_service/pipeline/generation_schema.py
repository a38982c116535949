"""From a plugin's target schema to the schema the model decodes against.

The model never writes dates, amounts or currency codes in their final form: it
copies the text as it appears in the document (a bounded string, or null), and code
normalises it through the target schema's types. So the *generation* schema has a
nullable, length-bounded string for every scalar field, an array with ``maxItems``
for lists of sub-models, and an enum for ``Literal`` fields. Bounded lengths give
an upper bound on output tokens, which is how ``max_new_tokens`` is derived and
how truncation is told apart from a complete answer.
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from parser_service.backends.span_grammar import span_node
from parser_service.domains.domain import SpanRule, span_rule
from parser_service.text.spans import (
    ANY_SPAN,
    FINDERS,
    MAX_CANDIDATES,
    far_from,
    in_blocks,
    near,
    outside_blocks,
    preferred,
    tightly_labelled,
)

DEFAULT_MAX_CHARS = {str: 80, datetime.date: 32, float: 24, int: 16}
DEFAULT_MAX_ITEMS = 5
#: Items one answer holds for a list of scalars (skills, e-mail addresses); an answer
#: that fills them all is flagged ``incomplete`` (``extraction``).
MAX_SCALAR_ITEMS = 16
#: Output tokens allowed on top of the schema's character bound (whitespace).
TOKEN_SLACK = 8
#: The most output tokens one answer may take, however long the schema's bound (lists of
#: spans of up to 160 characters add up fast): an answer this long is cut, and flagged.
MAX_ANSWER_TOKENS = 2048


@dataclass(frozen=True, slots=True)
class GenerationSchema:
    json_schema: dict[str, Any]
    fields: tuple[str, ...]
    max_new_tokens: int
    field_lines: str


def generation_schema(
    model: type[BaseModel],
    fields: Sequence[str] | None = None,
    text: str | None = None,
    *,
    extractive_decoding: bool = True,
) -> GenerationSchema:
    """The raw-text schema for ``fields`` of ``model`` (all fields by default).

    With ``text``, fields marked ``extractive(kind)`` become an enum of the spans of
    that kind found in ``text`` (or null), and those marked ``extractive("any")`` a
    string that is any substring of ``text`` (or null; ``span_grammar.py``): the model
    can only copy, never invent.
    ``extractive_decoding=False`` turns that off (free bounded strings instead), so
    an evaluation can measure what it is worth.
    """
    names = tuple(fields) if fields is not None else tuple(model.model_fields)
    source = text if extractive_decoding else None
    props = {name: _field_schema(model.model_fields[name], source) for name in names}
    schema = {"type": "object", "properties": props, "required": list(names), "additionalProperties": False}
    budget = min(max_json_chars(schema) + TOKEN_SLACK, MAX_ANSWER_TOKENS)
    return GenerationSchema(schema, names, budget, describe_fields(model, names))


def describe_fields(model: type[BaseModel], names: Sequence[str]) -> str:
    lines = []
    for name in names:
        info = model.model_fields[name]
        lines.append(f"- {name}: {info.description or name.replace('_', ' ')}")
    return "\n".join(lines)


def is_list_field(info: FieldInfo) -> bool:
    """Whether the field is a list of sub-models (invoice lines), not a scalar value."""
    return _list_item_model(_strip_optional(info.annotation)) is not None


def _field_schema(info: FieldInfo, text: str | None) -> dict[str, Any]:
    annotation = _strip_optional(info.annotation)
    item_model = _list_item_model(annotation)
    if item_model is not None:
        return {
            "type": "array",
            "items": _object_schema(item_model, text),
            "maxItems": _max_items(info),
        }
    if _scalar_list(annotation):
        item = _not_null(_scalar_schema(info, _base_type(get_args(_base_type(annotation))[0]), text))
        if item is None:  # nothing in the text an item could be
            return {"type": "null"}
        # An empty list is allowed: with "minItems": 1 the embedded model, unadapted, filled
        # every list of a CV with one line repeated to the limit.
        return {"anyOf": [{"type": "array", "items": item, "maxItems": MAX_SCALAR_ITEMS}, {"type": "null"}]}
    return _scalar_schema(info, annotation, text)


def _not_null(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``schema`` without its null option (a list's items are values); None if it had no other."""
    options = [o for o in schema.get("anyOf", [schema]) if o != {"type": "null"}]
    return None if not options else options[0] if len(options) == 1 else {"anyOf": options}


def _scalar_schema(info: FieldInfo, annotation: Any, text: str | None) -> dict[str, Any]:
    """One value: an option, a span of the text (any, or of its rule's kind), else a
    bounded string."""
    if get_origin(annotation) is Literal:
        return {"anyOf": [{"enum": list(get_args(annotation))}, {"type": "null"}]}
    rule = span_rule(info)
    if rule is not None and text is not None and rule.kind == ANY_SPAN:
        if not text.strip():
            return {"type": "null"}
        span = span_node(text, rule.max_chars)
        return {"anyOf": [span, {"type": "null"}]} if rule.nullable else span
    if rule is not None and text is not None:
        return _candidates_schema(offered_spans(rule, text), rule.nullable)
    return _nullable_string(_max_chars(info, annotation))


def offered_spans(rule: SpanRule, text: str) -> list[str]:
    """The spans of ``text`` a field marked ``rule`` may take, its options applied in the
    order ``SpanRule`` states (the order is part of what each option means)."""
    found = FINDERS[rule.kind](text, rule.max_chars)
    if rule.not_near:
        found = far_from(text, found, rule.not_near)
    if rule.not_under:
        found = outside_blocks(text, found, rule.not_under, rule.under)
    outright = tightly_labelled(text, found, rule.first_near, in_words=True) if rule.first_near else []
    if outright:
        found = outright
    elif rule.near:
        found = near(text, found, rule.near, right_after=rule.right_after, only=rule.only_near)
    if rule.under:
        found = in_blocks(text, found, rule.under, rule.not_under) or found
    if rule.prefer:
        found = preferred(found, rule.prefer)
    return found[: 1 if rule.first else MAX_CANDIDATES]


def _candidates_schema(found: list[str], nullable: bool) -> dict[str, Any]:
    if not found:
        return {"type": "null"}
    return {"anyOf": [{"enum": found}, {"type": "null"}]} if nullable else {"enum": found}


def _object_schema(model: type[BaseModel], text: str | None) -> dict[str, Any]:
    props = {name: _field_schema(info, text) for name, info in model.model_fields.items()}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _nullable_string(max_chars: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", "minLength": 1, "maxLength": max_chars}, {"type": "null"}]}


def _max_chars(info: FieldInfo, annotation: Any) -> int:
    rule = span_rule(info)
    if rule is not None:
        return rule.max_chars
    extra: Any = info.json_schema_extra  # ``max_chars(n)`` writes {"max_chars": n}
    if isinstance(extra, dict) and "max_chars" in extra:
        return int(extra["max_chars"])
    base = _base_type(annotation)
    return DEFAULT_MAX_CHARS.get(base, DEFAULT_MAX_CHARS[str])


def _max_items(info: FieldInfo) -> int:
    for meta in info.metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    return DEFAULT_MAX_ITEMS


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _base_type(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _scalar_list(annotation: Any) -> bool:
    """Whether ``annotation`` is a list of scalars (strings, dates, amounts, options)."""
    base = _base_type(annotation)
    return get_origin(base) is list and _list_item_model(base) is None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    annotation = _base_type(annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        item = _base_type(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def max_json_chars(schema: dict[str, Any]) -> int:
    """Characters of the longest compact JSON text ``schema`` admits."""
    if "anyOf" in schema:
        return max(max_json_chars(option) for option in schema["anyOf"])
    if "enum" in schema:
        return max(len(_json_literal(value)) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema["properties"]
        keys = sum(len(name) + 4 + max_json_chars(sub) for name, sub in props.items())
        return 2 + keys + 2 * max(len(props) - 1, 0)
    if kind == "array":
        items = schema.get("maxItems", DEFAULT_MAX_ITEMS)
        if items == 0:
            return 2
        return 2 + items * max_json_chars(schema["items"]) + 2 * max(items - 1, 0)
    if kind == "string":
        return 2 + int(schema.get("maxLength", DEFAULT_MAX_CHARS[str]))
    if kind == "null":
        return 4
    raise ValueError(f"no length bound for schema {schema!r}")


def _json_literal(value: Any) -> str:
    import json

    return json.dumps(value)
