"""Applying a reviewer's correction to one field of a record's data.

A field is a top-level name (``amount``) or a dotted path into nested data
(``lines.0.name``). When the job's plugin is known, the corrected data is checked
against the plugin's schema: a value the schema refuses is a 422 with pydantic's
reason, and an accepted value is stored as the schema normalises it (a date
written ``13.11.2017`` is stored ``2017-11-13``), like the model's own answers.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ValidationError

from parser_service.api.export import lookup


class CorrectionError(ValueError):
    """The field does not exist in the record, or the schema refuses the value."""


def set_field(data: dict[str, Any], path: str, value: Any, schema: type[BaseModel] | None) -> tuple[dict, Any]:
    """A copy of ``data`` with ``path`` set to ``value``, and the value it had before."""
    keys = path.split(".")
    known = set(data) | (set(schema.model_fields) if schema else set())
    if keys[0] not in known:
        raise CorrectionError(f"no field {keys[0]!r} in this record; fields: {', '.join(sorted(known)) or 'none'}")
    updated = copy.deepcopy(data)
    parent: Any = updated
    for depth, key in enumerate(keys[:-1]):
        parent = _child(parent, key, ".".join(keys[: depth + 1]))
    old = _replace(parent, keys[-1], value, path)
    return updated, old


def _child(parent: Any, key: str, where: str) -> Any:
    if isinstance(parent, dict) and isinstance(parent.get(key), dict | list):
        return parent[key]
    if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        return parent[int(key)]
    raise CorrectionError(f"{where!r} is not an object or list in this record")


def _replace(parent: Any, key: str, value: Any, path: str) -> Any:
    if isinstance(parent, dict):
        old = parent.get(key)
        parent[key] = value
        return old
    if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        old = parent[int(key)]
        parent[int(key)] = value
        return old
    raise CorrectionError(f"{path!r} does not name a value in this record")


def normalise(schema: type[BaseModel], data: dict[str, Any], path: str) -> Any:
    """The value at ``path`` as the schema reads it; ``CorrectionError`` if the schema refuses it.

    Problems in other fields (a record that was already invalid) do not block the
    correction: the value is then stored as given."""
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        mine = [e for e in exc.errors() if _loc(e["loc"]) == path or _loc(e["loc"]).startswith(path + ".")]
        if mine:
            reasons = "; ".join(f"{_loc(e['loc'])}: {e['msg']}" for e in mine)
            raise CorrectionError(f"the schema refuses this value: {reasons}") from None
        return lookup(data, path)
    return lookup(model.model_dump(mode="json"), path)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)
