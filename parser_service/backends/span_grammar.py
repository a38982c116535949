"""Any-span grounding: a string value decoded as any substring of the record's text.

A field grounded this way is not one of a few candidate spans found in advance (the
text's lines, its dates): it may be any stretch of the text, an address over three
lines included. The generation schema marks such a node with ``SPAN_KEY`` (the text
it is copied from) and a ``maxLength``; a schema holding such nodes is turned into a
lark grammar for llguidance, where each marked string is llguidance's substring
lexeme (``%regex {"substring_chunks": [...]}``) and every other part of the schema
stays an inline JSON schema (``%json {...}``), so both engines (the in-process
decoder and vLLM's guidance backend) read the same grammar.

The model writes a JSON string, so the substrings are those of the text *as JSON
writes it*: the text is JSON-escaped first and cut into chunks that never split an
escape (``\\n``, ``\\"``, ``\\u0007``). Chunks are runs of letters, runs of digits and
single other characters: a value starts and ends at such a boundary ("9.00" out of
"RM9.00", never "ompany" out of "Company"). The escaped value is at most ``maxLength``
characters long (an escape counts two) and never empty: null stands for no value.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The key marking an any-span string node; its value is the text the span is copied from.
SPAN_KEY = "x-any-span"

#: JSON's escapes, runs of letters, runs of digits, any other single character.
_CHUNK = re.compile(r'\\u[0-9a-fA-F]{4}|\\["\\/bfnrt]|[^\W\d_]+|\d+|.', re.DOTALL)

#: How ``%json`` parts are written: compact, as the adapters were trained to write them.
_COMPACT = {"x-guidance": {"whitespace_flexible": False}}


def span_node(text: str, max_chars: int) -> dict[str, Any]:
    """A string node decoded as a substring of ``text``, at most ``max_chars`` characters
    as JSON writes it."""
    return {"type": "string", "minLength": 1, "maxLength": max_chars, SPAN_KEY: text}


def has_spans(schema: Any) -> bool:
    """Whether ``schema`` holds an any-span node anywhere."""
    if isinstance(schema, dict):
        return SPAN_KEY in schema or any(has_spans(value) for value in schema.values())
    if isinstance(schema, list):
        return any(has_spans(item) for item in schema)
    return False


def json_chunks(text: str) -> list[str]:
    """``text`` as a JSON string's body (no quotes), cut where a span may start or end."""
    return _CHUNK.findall(json.dumps(text, ensure_ascii=False)[1:-1])


def first_span(text: str, max_chars: int) -> str | None:
    """The first chunk of ``text`` that is a word or a number, as the text writes it
    (what a test backend answers for an any-span node); None when there is none."""
    for chunk in json_chunks(text):
        if chunk[0].isalnum() and len(chunk) <= max_chars:
            return str(json.loads(f'"{chunk}"'))
    return None


def closed(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that leaves it unset."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items()}
    if (schema.get("type") == "object" or "properties" in schema) and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def lark_grammar(schema: dict[str, Any]) -> str:
    """A lark grammar (llguidance's dialect) accepting the compact JSON texts ``schema``
    admits, its any-span nodes as substrings of their text. Objects are closed and
    written with every property, in the schema's order (generation schemas require them
    all)."""
    return _LarkWriter().grammar(schema)


class _LarkWriter:
    """Builds a grammar's rules; one terminal per distinct (text, length bound)."""

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.terminals: dict[tuple[str, int], str] = {}

    def grammar(self, schema: dict[str, Any]) -> str:
        start = self.expansion(schema)
        return "\n".join([f"start: {start}", *self.rules]) + "\n"

    def expansion(self, node: Any) -> str:
        if not has_spans(node):
            return "%json " + json.dumps(closed(node) | _COMPACT, ensure_ascii=False)
        if SPAN_KEY in node:
            return f'"\\"" {self.terminal(node[SPAN_KEY], int(node["maxLength"]))} "\\""'
        if "anyOf" in node:
            return "(" + " | ".join(self.expansion(option) for option in node["anyOf"]) + ")"
        if node.get("type") == "object":
            return self.object(node["properties"])
        if node.get("type") == "array":
            return self.array(node)
        raise ValueError(f"an any-span node sits where the grammar cannot place it: {node!r}")

    def object(self, properties: dict[str, Any]) -> str:
        parts = []
        for index, (name, sub) in enumerate(properties.items()):
            key = ("{" if index == 0 else ",") + json.dumps(name, ensure_ascii=False) + ":"
            parts += [_literal(key), self.expansion(sub)]
        return " ".join([*parts, _literal("}")]) if parts else _literal("{}")

    def array(self, node: dict[str, Any]) -> str:
        item = self.rule(self.expansion(node["items"]))
        low, high = int(node.get("minItems", 0)), node.get("maxItems")
        if high is not None and int(high) == 0:
            return _literal("[]")
        rest = f'("," {item}){{{max(low - 1, 0)},{"" if high is None else int(high) - 1}}}'
        items = f"{item} {rest}" if low else f"({item} {rest})?"
        return f'"[" {items} "]"'

    def rule(self, expansion: str) -> str:
        name = f"r{len(self.rules)}"
        self.rules.append(f"{name}: {expansion}")
        return name

    def terminal(self, text: str, max_chars: int) -> str:
        key = (text, max_chars)
        if key not in self.terminals:
            name = f"SPAN{len(self.terminals)}"
            chunks = json.dumps({"substring_chunks": json_chunks(text)}, ensure_ascii=False)
            self.rules.append(f"{name}: %regex {chunks} & /.{{1,{max_chars}}}/")
            self.terminals[key] = name
        return self.terminals[key]


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
