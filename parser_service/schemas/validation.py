"""A result checked against the user's own JSON Schema, after normalisation, with ``jsonschema``.

The compiled model (``json_schema.compile_schema``) reads and normalises each value; this
check then holds the whole record to the schema as the user wrote it: ``required``, enums,
types, formats. A violation is a ``FieldIssue`` on the record (it ends ``invalid``, and the
model is asked again for a field it wrote), never an exception.

Two things are adapted, both from how a value is read: a field the document does not
hold is left out before the check (null is "absent", so ``required`` speaks, not ``type``),
and a string of format ``amount`` is checked as the number it is normalised to.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from pydantic import BaseModel

from parser_service.domains.domain import CrossValidator
from parser_service.records import FieldIssue
from parser_service.text.normalize import to_country, to_currency, to_email, to_iban, to_phone, to_uri


def schema_check(schema: dict[str, Any]) -> CrossValidator:
    """A domain's cross-field check: the record against ``schema`` (the user's)."""
    validator = Draft202012Validator(checked_schema(schema), format_checker=format_checker())

    def matches_schema(record: BaseModel) -> list[FieldIssue]:
        instance = present(record.model_dump(mode="json"))
        return [_issue(error) for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))]

    return matches_schema


def checked_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``"format": "amount"`` string read as a number."""
    out = copy.deepcopy(schema)
    _numbers_for_amounts(out)
    return out


def present(value: Any) -> Any:
    """``value`` without the object keys whose value is null (a field the document lacks)."""
    if isinstance(value, dict):
        return {key: present(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [present(item) for item in value]
    return value


def format_checker() -> FormatChecker:
    """The formats the compiler accepts, each checked by its normaliser: a value is well
    formed when reading it gives it back unchanged."""
    checker = FormatChecker(formats=())
    readers: dict[str, Callable[[str], object]] = {
        "date": datetime.date.fromisoformat,
        "date-time": _iso_datetime,
        "email": to_email,
        "uri": to_uri,
        "currency": to_currency,
        "iban": to_iban,
        "phone": to_phone,
        "country": to_country,
    }
    for name, read in readers.items():
        checker.checks(name, raises=ValueError)(_unchanged(read))
    return checker


def _unchanged(read: Callable[[str], object]) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True  # the type is the "type" keyword's to judge
        result = read(value)
        return not isinstance(result, str) or result == value

    return check


def _iso_datetime(value: str) -> datetime.datetime:
    stamp = datetime.datetime.fromisoformat(value)
    if "T" not in value:
        raise ValueError(f"{value!r} is no ISO 8601 date-time")
    return stamp


def _numbers_for_amounts(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _numbers_for_amounts(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("format") == "amount":
        declared = node.get("type")
        node["type"] = ["number", "null"] if isinstance(declared, list) and "null" in declared else "number"
        node.pop("format")
    for child in (node.get("properties") or {}).values():
        _numbers_for_amounts(child)
    _numbers_for_amounts(node.get("items"))


def _issue(error: ValidationError) -> FieldIssue:
    """The violation as a field issue: the top-level field it is in (for ``required``, the
    one missing), and its JSON path."""
    path = list(error.absolute_path)
    field = str(path[0]) if path else _missing(error)
    where = "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    return FieldIssue(field, f"{where}: {error.message} (schema: {error.validator})")


def _missing(error: ValidationError) -> str | None:
    if error.validator == "required" and isinstance(error.instance, dict):
        return next((str(name) for name in error.validator_value if name not in error.instance), None)
    return None
