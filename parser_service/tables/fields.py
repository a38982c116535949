"""The fields of a target schema as the column mapping sees them: name, the phrases that
describe them, and the kind of value they hold.

A field's kind comes from its type (a date, a number, an integer, a boolean), its
format or span rule (``date``, ``amount``, ``currency``, ``email``, ``uri``...), and for
a plain string from what its name means (a field named "email" or "telefoon" holds
emails or phone numbers). Objects and arrays are no column's value and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from parser_service.domains.domain import span_rule
from parser_service.tables.names import concepts

#: A format or span kind -> the cell kind it holds.
_FORMAT_KINDS = {
    "date": "date", "date-time": "date", "amount": "amount", "currency": "currency", "email": "email",
    "uri": "url", "url": "url", "iban": "iban", "phone": "phone",
}  # fmt: skip
#: What a plain string field's name means -> the cell kind it holds.
_CONCEPT_KINDS = {"email": "email", "phone": "phone", "fax": "phone", "website": "url", "iban": "iban", "date": "date"}
#: Cuts a description into the phrases that may each name a column.
_PHRASE_CUTS = re.compile(r"[,;:()/\[\]]|\s+(?:or|and|of|e\.g\.|i\.e\.|such as)\s+|\.\s")


@dataclass(frozen=True, slots=True)
class Target:
    """One field of the target schema."""

    name: str
    #: The field's name, then the phrases of its description and title.
    phrases: tuple[str, ...]
    #: The cell kind its value is: a ``cells.KINDS`` entry, or "text" for any string.
    kind: str

    @property
    def composable(self) -> bool:
        """Free text may be spread over several columns (first and last name; street,
        postcode and city); a date or a number is one cell."""
        return self.kind == "text"


def targets_of(model: type[BaseModel]) -> list[Target]:
    """The mappable fields of ``model``, in its order."""
    properties = model.model_json_schema().get("properties", {})
    out = []
    for name, info in model.model_fields.items():
        node = _plain(properties.get(name, {}))
        kind = _kind(name, node, span_rule(info))
        if kind is not None:
            text = " ".join(filter(None, [info.description, info.title]))
            out.append(Target(name, (name, *_phrases(text)), kind))
    return out


def _plain(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, null]`` -> X."""
    options = [n for n in node.get("anyOf", []) if n.get("type") != "null"]
    return options[0] if len(options) == 1 else node


def _kind(name: str, node: dict[str, Any], rule: Any) -> str | None:
    declared = node.get("type")
    if declared in ("object", "array") or "$ref" in node:
        return None
    fmt = node.get("format") or (rule.kind if rule is not None else None)
    if fmt in _FORMAT_KINDS:
        return _FORMAT_KINDS[fmt]
    if declared in ("number", "integer", "boolean"):
        return {"number": "amount", "integer": "integer", "boolean": "boolean"}[declared]
    meant = [_CONCEPT_KINDS[c] for c in concepts(name) if c in _CONCEPT_KINDS]
    return meant[0] if len(meant) == 1 else "text"


def _phrases(text: str) -> list[str]:
    """The description's phrases; examples ("e.g. kg, piece") are values, not names."""
    text = re.sub(r"\b(?:e\.g\.|for example)[^)]*", " ", text)
    pieces = (p.strip() for p in _PHRASE_CUTS.split(text))
    return [p for p in dict.fromkeys(pieces) if p]
