"""Cross-field checks written as data (a ``domain.toml``'s ``[validators]``), each built
into a normal ``CrossValidator`` of the domain.

Four kinds, each a list of tables:

- ``sum``: ``total`` equals the sum of ``parts`` (fields, or ``list[].field`` for a list's
  items), within ``tolerance`` (default 0.01);
- ``equal``: the ``fields`` named hold the same value (numbers within ``tolerance``);
- ``range``: ``field`` lies between ``min`` and ``max`` (numbers, or TOML dates for a
  date field), either bound optional;
- ``pattern``: ``field`` matches the regular expression ``regex`` in full.

A check reads the values the schema validated; one it lacks (a field the document does
not state) is not checked, so that a missing value is never reported as a wrong one. A
spec is checked when it loads: a field the schema lacks, a bound of the wrong type or a
bad regular expression is a ``SpecError`` naming its key.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from parser_service.domains.domain import CrossValidator
from parser_service.records import FieldIssue

DEFAULT_TOLERANCE = 0.01
#: Which JSON Schema leaves hold numbers, and which dates, for a range's bounds.
NUMBER_TYPES = frozenset({"number", "integer"})


class SpecError(ValueError):
    """A domain description's value that cannot be used, with its key (``validators.sum[0].total``)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def build_validators(spec: Any, schema: Mapping[str, Any], key: str = "validators") -> list[CrossValidator]:
    """The checks of ``spec`` (the ``[validators]`` table), in the order written."""
    if not isinstance(spec, Mapping):
        raise SpecError(key, "a table of lists: sum, equal, range, pattern")
    checks: list[CrossValidator] = []
    for kind, entries in spec.items():
        if kind not in BUILDERS:
            raise SpecError(f"{key}.{kind}", f"unknown kind of check; use one of: {', '.join(BUILDERS)}")
        if not isinstance(entries, list):
            raise SpecError(f"{key}.{kind}", f"a list of tables ([[{key}.{kind}]])")
        for number, entry in enumerate(entries):
            where = f"{key}.{kind}[{number}]"
            if not isinstance(entry, Mapping):
                raise SpecError(where, "a table")
            checks.append(BUILDERS[kind](Entry(entry, where, schema)))
    return checks


class Entry:
    """One check's table, read key by key against the schema, each problem named."""

    def __init__(self, table: Mapping[str, Any], where: str, schema: Mapping[str, Any]) -> None:
        self.table, self.where, self.schema = table, where, schema
        self.used: set[str] = set()

    def path(self, name: str) -> str:
        """A field path (``total``, ``items[].amount``) the schema holds."""
        value = self.get(name, str)
        if leaf(self.schema, value) is None:
            raise SpecError(f"{self.where}.{name}", f"the schema has no field {value!r}")
        return value

    def paths(self, name: str, least: int) -> list[str]:
        values = self.get(name, list)
        if len(values) < least or not all(isinstance(v, str) for v in values):
            raise SpecError(f"{self.where}.{name}", f"a list of at least {least} field names")
        for value in values:
            if leaf(self.schema, value) is None:
                raise SpecError(f"{self.where}.{name}", f"the schema has no field {value!r}")
        return values

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                raise SpecError(f"{self.where}.{name}", "missing")
            return default
        value = self.table[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise SpecError(f"{self.where}.{name}", f"{value!r} is not a {_kind_name(kind)}")
        return value

    def tolerance(self) -> float:
        value = float(self.get("tolerance", (int, float), DEFAULT_TOLERANCE))
        if value < 0:
            raise SpecError(f"{self.where}.tolerance", "must not be negative")
        return value

    def done(self) -> None:
        """Every key of the table was read: a misspelt one is an error, never ignored."""
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise SpecError(f"{self.where}.{unknown[0]}", f"unknown key; known: {', '.join(sorted(self.used))}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {"str": "string", "list": "list", "int": "number", "float": "number", "date": "date"}
    return " or ".join(dict.fromkeys(names.get(k.__name__, k.__name__) for k in kinds))


def leaf(schema: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    """The schema node of a field path (``total``, ``items[].amount``), or None."""
    node: Any = schema
    head, _, tail = path.partition("[].")
    node = node.get("properties", {}).get(head)
    if tail and isinstance(node, Mapping):
        node = node.get("items", {}).get("properties", {}).get(tail) if node.get("type") == "array" else None
    return node if isinstance(node, Mapping) else None


def values(record: BaseModel, path: str) -> list[Any]:
    """The values at ``path``: one for a field, one per item for ``list[].field``."""
    head, _, tail = path.partition("[].")
    value = getattr(record, head, None)
    if not tail:
        return [value]
    return [getattr(item, tail, None) for item in value or ()]


def field_of(path: str) -> str:
    """The record's field an issue names: the list for a list item's field."""
    return path.partition("[]")[0]


def _named(check: CrossValidator, name: str, doc: str) -> CrossValidator:
    check.__name__ = check.__qualname__ = name
    check.__doc__ = doc
    return check


def sum_check(entry: Entry) -> CrossValidator:
    total, parts, tolerance = entry.path("total"), entry.paths("parts", 1), entry.tolerance()
    entry.done()
    for key, path in [("total", total), *(("parts", part) for part in parts)]:
        if _bound_kind(entry, path, key) is datetime.date:
            raise SpecError(f"{entry.where}.{key}", f"{path!r} is a date: only numbers and amounts add up")
    written = " + ".join(parts)

    def check(record: BaseModel) -> list[FieldIssue]:
        (stated,) = values(record, total)
        found = [v for part in parts for v in values(record, part)]
        if stated is None or not found or any(v is None for v in found):
            return []
        added = round(sum(found), 6)
        if abs(added - stated) <= tolerance:
            return []
        message = f"{total} is {stated:g}, but {written} add up to {added:g}"
        return [FieldIssue(field_of(name), message) for name in dict.fromkeys([total, *parts])]

    return _named(check, f"sum_{total}", f"{total} = {written} (within {tolerance:g})")


def equal_check(entry: Entry) -> CrossValidator:
    fields, tolerance = entry.paths("fields", 2), entry.tolerance()
    entry.done()

    def check(record: BaseModel) -> list[FieldIssue]:
        present = [(name, value) for name in fields for value in values(record, name) if value is not None]
        first_name, first = present[0] if present else (None, None)
        return [
            FieldIssue(field_of(name), f"{name} is {value}, not {first} as {first_name}")
            for name, value in present[1:]
            if not _same(value, first, tolerance)
        ]

    return _named(check, "equal_" + "_".join(map(field_of, fields)), f"{' = '.join(fields)}")


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= tolerance
    return bool(a == b)


def range_check(entry: Entry) -> CrossValidator:
    path = entry.path("field")
    kind = _bound_kind(entry, path)
    least, most = entry.get("min", kind, None), entry.get("max", kind, None)
    entry.done()
    if least is None and most is None:
        raise SpecError(f"{entry.where}", "give min, max or both")

    def check(record: BaseModel) -> list[FieldIssue]:
        issues = []
        for value in values(record, path):
            if value is None:
                continue
            if least is not None and value < least:
                issues.append(FieldIssue(field_of(path), f"{path} {value} is below the least allowed, {least}"))
            if most is not None and value > most:
                issues.append(FieldIssue(field_of(path), f"{path} {value} is above the most allowed, {most}"))
        return issues

    return _named(check, f"range_{field_of(path)}", f"{least} <= {path} <= {most}")


def _bound_kind(entry: Entry, path: str, key: str = "field") -> type | tuple[type, ...]:
    """The type a range's bounds must have: numbers for numbers and amounts, dates for dates."""
    node = leaf(entry.schema, path) or {}
    declared = node.get("type")
    types = set(declared) if isinstance(declared, list) else {declared}
    if types & NUMBER_TYPES or node.get("format") == "amount":
        return (int, float)
    if node.get("format") == "date":
        return datetime.date
    raise SpecError(f"{entry.where}.{key}", f"{path!r} is neither a number, an amount nor a date")


def pattern_check(entry: Entry) -> CrossValidator:
    path, regex = entry.path("field"), entry.get("regex", str)
    entry.done()
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise SpecError(f"{entry.where}.regex", f"{regex!r} is no regular expression ({exc})") from None

    def check(record: BaseModel) -> list[FieldIssue]:
        return [
            FieldIssue(field_of(path), f"{path} {value!r} does not match {regex!r}")
            for value in values(record, path)
            if value is not None and compiled.fullmatch(str(value)) is None
        ]

    return _named(check, f"pattern_{field_of(path)}", f"{path} matches {regex}")


BUILDERS: dict[str, Callable[[Entry], CrossValidator]] = {
    "sum": sum_check,
    "equal": equal_check,
    "range": range_check,
    "pattern": pattern_check,
}
