"""Applying a reviewer's correction to one field of a record's data.

A field is a top-level name (``amount``) or a dotted path into nested data
(``lines.0.name``). When the job's plugin is known, the corrected data is checked
against the plugin's schema: a value the schema refuses is a 422 with pydantic's
reason, and an accepted value is stored as the schema normalises it (a date
written ``13.11.2017`` is stored ``2017-11-13``), like the model's own answers.

A corrected value is at most ``MAX_VALUE_BYTES`` written as JSON, and the request that
carries it at most ``MAX_BODY_BYTES``: FastAPI reads a JSON body whole (before the API
key is checked), so the bound is enforced as the body is read (413, see
``routes.common.body_limited``), and a value past its own is refused (422).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from parser_service.api.export import lookup

#: Bytes of one corrected value written as JSON (UTF-8, no spaces): a field's text, or a
#: list of a few hundred invoice lines; a record's data is far smaller.
MAX_VALUE_BYTES = 64 << 10
#: Bytes of an annotation's request body: the value, its field (256 characters at most) and
#: the JSON around them.
MAX_BODY_BYTES = MAX_VALUE_BYTES + (4 << 10)


class CorrectionError(ValueError):
    """The field does not exist in the record, the schema refuses the value, or it is too large."""


def check_size(value: Any) -> None:
    """``CorrectionError`` when ``value`` takes more than ``MAX_VALUE_BYTES`` written as JSON."""
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_VALUE_BYTES:
        raise CorrectionError(
            f"new_value takes {size:,} bytes written as JSON, over the limit of {MAX_VALUE_BYTES >> 10} KiB "
            f"({MAX_VALUE_BYTES:,} bytes) for a corrected value; nothing was changed"
        )


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
