"""A JSON Schema compiled into a pydantic model whose fields are grounded in the source.

What a schema may use: objects (nested too), arrays of objects and of scalars, strings,
numbers, integers, booleans, enums and nullables (``"type": ["string", "null"]``), with
``description``, ``examples`` and ``title`` on any of them. Strings may carry the formats
``date``, ``date-time``, ``email``, ``uri`` and the project's ``amount``, ``currency``,
``iban``, ``phone`` and ``country``, each normalised as it is read (``FORMATS``: ISO 8601,
lower-cased, absolute, a float, ISO 4217, spaces removed and check digits verified, "+"
and digits, ISO 3166 alpha-2). An array of objects may link its items to a total beside
it (``x-sum-of``), which its completeness check reads. Every other keyword, type or format is refused with
``SchemaError`` naming it and its JSON path: nothing is silently ignored.

How a value is grounded follows its type: a formatted string is decoded as one of the
spans of that kind in the record's text (as the invoices plugin declares its fields),
a plain string as any stretch of the text (over several lines too, at most its
``maxLength`` characters, else ``SPAN_CHARS``), a number as an amount. Booleans, enums and
any scalar the schema marks ``"x-inferred": true`` are not copied: they are chosen among
their options (a free value for an inferred string or number), need not occur in the
text, and are marked ``inferred`` in the result with a confidence of their own
(``domains.domain.inferred``). ``x-inferred`` is refused on objects and arrays (mark their
fields). Every field may be missing from a document, so each is nullable in the
compiled model; ``required`` must name properties that exist (the result is checked
against the whole schema afterwards: ``schemas.validation``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from parser_service.domains.domain import SUM_KEY, SpanRule, extractive, sum_of
from parser_service.errors import ConfigError
from parser_service.text.normalize import (
    IBAN,
    URI,
    Amount,
    CountryCode,
    CurrencyCode,
    Email,
    ISODate,
    ISODateTime,
    Phone,
)
from parser_service.text.spans import ANY_SPAN

#: The keyword that marks a scalar as chosen, not copied from the text.
INFERRED = "x-inferred"
#: The keyword giving the labels a document writes before a field's value.
LABELS = "x-labels"
#: Keywords every node may carry; the prompt reads description and examples.
ANNOTATIONS = frozenset({"description", "examples", "title", "$schema", "$id", "$comment", INFERRED, LABELS})
#: Keywords each type adds to those.
BY_TYPE = {
    "object": frozenset({"type", "properties", "required", "additionalProperties"}),
    "array": frozenset({"type", "items", "x-sum-of"}),
    "string": frozenset({"type", "format", "enum", "maxLength"}),
    "number": frozenset({"type", "enum"}),
    "integer": frozenset({"type", "enum"}),
    "boolean": frozenset({"type"}),
}
#: A string's format: the type it is read as and the kind of span it is copied from.
FORMATS: dict[str, tuple[Any, str, int]] = {
    "date": (ISODate, "date", 40),
    "amount": (Amount, "amount", 24),
    "currency": (CurrencyCode, "currency", 8),
    "date-time": (ISODateTime, "datetime", 40),
    "email": (Email, "email", 120),
    "uri": (URI, "uri", 300),
    "iban": (IBAN, "iban", 42),
    "phone": (Phone, "phone", 32),
    "country": (CountryCode, "country", 40),
}
#: The most characters of a plain string without ``maxLength`` (an address over four lines).
SPAN_CHARS = 160


class SchemaError(ConfigError):
    """A target schema the extraction cannot honour, with the JSON path of the problem."""


def schema_hash(schema: dict[str, Any]) -> str:
    """The schema's version: SHA-256 of its canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def compile_schema(schema: dict[str, Any], name: str = "Target") -> type[BaseModel]:
    """The pydantic model of a JSON Schema whose root is an object."""
    if not isinstance(schema, dict) or _type(schema, "$") != "object":
        raise SchemaError("$: a target schema is an object with properties")
    _check_keywords(schema, "$", "object")
    return _object(schema, "$", _model_name(name))


def _object(node: dict[str, Any], path: str, name: str) -> type[BaseModel]:
    properties = node.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise SchemaError(f"{path}: an object needs 'properties', a non-empty mapping")
    if node.get("additionalProperties", False) is not False:
        raise SchemaError(f"{path}.additionalProperties: only false is supported (no field beyond the properties)")
    missing = sorted(set(node.get("required", [])) - set(properties))
    if missing:
        raise SchemaError(f"{path}.required: names properties that do not exist: {', '.join(missing)}")
    fields = {key: _field(value, f"{path}.{key}", f"{name}_{key}") for key, value in properties.items()}
    for key, value in properties.items():
        if isinstance(value, dict) and SUM_KEY in value:
            link = _sum_link(value, properties, f"{path}.{key}")
            fields[key] = (fields[key][0], Field(None, description=_description(value), json_schema_extra=link))
    return create_model(name, **fields)  # type: ignore[call-overload]


def _sum_link(node: dict[str, Any], siblings: dict[str, Any], path: str) -> dict[str, Any]:
    """``"x-sum-of": {"of": ITEM_FIELD, "totals": [FIELD, ...]}`` on an array of objects:
    its items' ``of`` add up to one of the stated ``totals`` (fields beside the array);
    a list whose sum misses every stated total is flagged incomplete."""
    link, where = node[SUM_KEY], f"{path}.{SUM_KEY}"
    items = node.get("items", {}).get("properties", {})
    if not isinstance(link, dict) or set(link) != {"of", "totals"} or not isinstance(link["totals"], list):
        raise SchemaError(f'{where}: write {{"of": ITEM_FIELD, "totals": [FIELD, ...]}}')
    if link["of"] not in items:
        raise SchemaError(f"{where}.of: {link['of']!r} is not a property of the array's items")
    unknown = [t for t in link["totals"] if t not in siblings] or ([] if link["totals"] else ["(none)"])
    if unknown:
        raise SchemaError(f"{where}.totals: not properties beside the array: {', '.join(map(str, unknown))}")
    return sum_of(str(link["of"]), *map(str, link["totals"]))


def _field(node: Any, path: str, name: str) -> tuple[Any, Any]:
    """``(annotation, FieldInfo)`` of one property: optional, grounded by its type."""
    if not isinstance(node, dict):
        raise SchemaError(f"{path}: a property's schema is an object")
    annotation, rule = _annotation(node, path, name)
    if isinstance(rule, SpanRule) and rule.kind != ANY_SPAN:
        rule = rule.model_copy(update={"near": _labels(node, path)})
    marked = _marked_inferred(node, path)
    chosen = marked or "enum" in node or _type(node, path) == "boolean"
    extra = {"inferred": True} if chosen else rule
    info = Field(None, description=_description(node), json_schema_extra=extra)
    return annotation | None, info


def _labels(node: dict[str, Any], path: str) -> tuple[str, ...]:
    """What a document writes before the field's value: the schema's own ``x-labels``, else
    the property's name in words and its last word ("invoice_date": "invoice date",
    "date"). Of a date's, an amount's... spans, those after such a label are offered
    first-hand (``text.spans.near``; all of them where none is)."""
    given = node.get(LABELS)
    if given is not None:
        if not isinstance(given, list) or not all(isinstance(g, str) and g.strip() for g in given):
            raise SchemaError(f"{path}.{LABELS}: a list of non-empty strings")
        return tuple(given)
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", path.rsplit(".", 1)[-1].removesuffix("[]")).replace("_", " ").lower().split()
    return tuple(dict.fromkeys([" ".join(words), words[-1]])) if words else ()


def _marked_inferred(node: dict[str, Any], path: str) -> bool:
    marked = node.get(INFERRED, False)
    if not isinstance(marked, bool):
        raise SchemaError(f"{path}.{INFERRED}: true or false, not {marked!r}")
    if marked and _type(node, path) in ("object", "array"):
        raise SchemaError(f"{path}.{INFERRED}: only a scalar is inferred; mark the fields of an object or an array")
    return marked


def _annotation(node: dict[str, Any], path: str, name: str) -> tuple[Any, Any]:
    """The node's type, and its span rule where its value is copied from the text; its
    keywords checked."""
    kind = _type(node, path)
    _check_keywords(node, path, kind)
    if "enum" in node:
        return _enum(node["enum"], path), None
    if kind == "object":
        return _object(node, path, name), None
    if kind == "array":
        return _array(node, path, name)
    if kind == "string":
        fmt = node.get("format")
        if fmt is None:
            return str, extractive(ANY_SPAN, _max_length(node, path))
        if fmt not in FORMATS:
            raise SchemaError(f"{path}.format: {fmt!r} is not supported; use one of: {', '.join(FORMATS)}")
        annotation, span_kind, max_chars = FORMATS[fmt]
        return annotation, extractive(span_kind, max_chars)
    if kind == "number":
        return Amount, extractive("amount", 24)
    if kind == "integer":
        return int, extractive("amount", 24)
    return Literal[True, False], None  # chosen between the two, never a free string


def _max_length(node: dict[str, Any], path: str) -> int:
    bound = node.get("maxLength", SPAN_CHARS)
    if not isinstance(bound, int) or isinstance(bound, bool) or bound < 1:
        raise SchemaError(f"{path}.maxLength: a positive integer")
    return bound


def _array(node: dict[str, Any], path: str, name: str) -> tuple[Any, Any]:
    """A list of the items' type; an item copied from the text keeps its span rule on the
    list field, so each item is grounded as a scalar field of its kind would be."""
    items = node.get("items")
    if not isinstance(items, dict):
        raise SchemaError(f"{path}.items: an array needs one schema for its items")
    item_path = f"{path}[]"
    if _type(items, item_path) == "array":
        raise SchemaError(f"{item_path}: arrays of arrays are not supported")
    annotation, rule = _annotation(items, item_path, f"{name}_item")
    return list[annotation], rule  # type: ignore[valid-type]


def _enum(values: Any, path: str) -> Any:
    if not isinstance(values, list) or not values or not all(isinstance(v, str | int | float | bool) for v in values):
        raise SchemaError(f"{path}.enum: a non-empty list of strings, numbers or booleans")
    return Literal[tuple(values)]


def _type(node: dict[str, Any], path: str) -> str:
    """The node's one type; ``"null"`` beside it (``["string", "null"]``) changes nothing,
    as every compiled field may be null."""
    declared = node.get("type")
    named = declared if isinstance(declared, list) else [declared]
    kinds = [t for t in named if t != "null"]
    if len(kinds) != 1 or kinds[0] not in BY_TYPE:
        raise SchemaError(f"{path}.type: {declared!r} is not supported; use one of: {', '.join(BY_TYPE)} (or with 'null')")
    return str(kinds[0])


def _check_keywords(node: dict[str, Any], path: str, kind: str) -> None:
    unknown = sorted(set(node) - ANNOTATIONS - BY_TYPE[kind])
    if unknown:
        raise SchemaError(f"{path}.{unknown[0]}: the keyword is not supported for a {kind}; "
                          f"supported: {', '.join(sorted(BY_TYPE[kind] | ANNOTATIONS))}")  # fmt: skip


def _description(node: dict[str, Any]) -> str | None:
    """The description and examples, as the prompt's line for the field shows them."""
    parts = [str(node["description"])] if node.get("description") else []
    if node.get("examples"):
        parts.append("e.g. " + ", ".join(str(e) for e in node["examples"][:3]))
    return "; ".join(parts) or node.get("title")


def _model_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "Target"
    return cleaned if cleaned[0].isalpha() else f"Schema_{cleaned}"
