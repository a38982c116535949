"""The evaluation report as text, and the JSON schema its ``--json`` form follows.

``format_table`` prints, per variant, one row per field (precision, recall, F1 and
the outcome counts) and the invented-value rate; with several variants, F1 side
by side; then one line per document and variant.
"""

from __future__ import annotations

from typing import Any

_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}

FIELD_SCORE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "correct", "wrong", "missing", "spurious", "invented", "unscored", "given", "expected",
        "precision", "recall", "f1", "invented_rate",
    ],
    "properties": {
        **{k: _COUNT for k in ("correct", "wrong", "missing", "spurious", "invented", "unscored", "given", "expected")},
        **{k: _RATE for k in ("precision", "recall", "f1", "invented_rate")},
    },
    "additionalProperties": False,
}

_FIELDS = {"type": "object", "additionalProperties": FIELD_SCORE_SCHEMA}
_RATES = {k: _RATE for k in ("precision", "recall", "f1")}
ROW_SCORE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["expected", "extracted", "matched", "exact", "precision", "recall", "f1"],
    "properties": {**{k: _COUNT for k in ("expected", "extracted", "matched", "exact")}, **_RATES},
    "additionalProperties": False,
}
#: Per list field: its rows (precision, recall, F1 of rows with every field right) and its items' fields.
_LISTS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["rows", "overall", "fields"],
        "properties": {"rows": ROW_SCORE_SCHEMA, "overall": FIELD_SCORE_SCHEMA, "fields": _FIELDS},
        "additionalProperties": False,
    },
}

_VALUES = {"type": ["object", "null"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
_PAIR = {
    "type": "object",
    "required": ["expected", "got", "invented"],
    "properties": {"expected": _VALUES, "got": _VALUES, "invented": {"type": "array", "items": {"type": "string"}}},
    "additionalProperties": False,
}

DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "seconds", "error", "records_expected", "records_extracted", "records_matched",
                 "statuses", "overall", "fields", "records", "lists"],
    "properties": {
        "name": {"type": "string"},
        "seconds": {"type": "number", "minimum": 0},
        "error": {"type": ["string", "null"]},
        "records_expected": _COUNT,
        "records_extracted": _COUNT,
        "records_matched": _COUNT,
        "statuses": {"type": "object", "additionalProperties": _COUNT},
        "overall": FIELD_SCORE_SCHEMA,
        "fields": _FIELDS,
        "records": {"type": "array", "items": _PAIR},
        "lists": _LISTS,
    },
    "additionalProperties": False,
}

VARIANT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "adapter", "extractive_decoding", "description", "skipped", "documents", "errors",
                 "seconds_per_document", "invented_rate", "records", "statuses", "overall", "fields", "lists", "per_document"],
    "properties": {
        "name": {"enum": ["base", "adapter", "base+extractive", "adapter+extractive"]},
        "adapter": {"type": "boolean"},
        "extractive_decoding": {"type": "boolean"},
        "description": {"type": "string"},
        "skipped": {"type": ["string", "null"]},
        "documents": _COUNT,
        "errors": _COUNT,
        "seconds_per_document": {"type": ["number", "null"], "minimum": 0},
        "invented_rate": _RATE,
        "records": {
            "type": "object",
            "required": ["expected", "extracted", "matched"],
            "properties": {"expected": _COUNT, "extracted": _COUNT, "matched": _COUNT},
            "additionalProperties": False,
        },
        "statuses": {"type": "object", "additionalProperties": _COUNT},
        "overall": FIELD_SCORE_SCHEMA,
        "fields": _FIELDS,
        "lists": _LISTS,
        "per_document": {"type": "array", "items": DOCUMENT_SCHEMA},
    },
    "additionalProperties": False,
}

#: What ``parser-service eval --json FILE`` writes.
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "parser-service evaluation report",
    "type": "object",
    "required": ["plugin", "plugin_version", "backend", "data_dir", "documents", "fields", "key_fields", "variants"],
    "properties": {
        "plugin": {"type": "string"},
        "plugin_version": {"type": "string"},
        "backend": {"type": "object"},
        "data_dir": {"type": "string"},
        "documents": _COUNT,
        "fields": {"type": "array", "items": {"type": "string"}},
        "key_fields": {"type": "array", "items": {"type": "string"}},
        "variants": {"type": "array", "items": VARIANT_SCHEMA, "minItems": 1},
    },
    "additionalProperties": False,
}

_HEADER = f"{'field':<16} {'P':>5} {'R':>5} {'F1':>5} {'correct':>7} {'wrong':>5} {'missing':>7} {'spurious':>8} {'invented':>8}"


def format_table(report: dict[str, Any]) -> str:
    lines = [f"{report['plugin']} {report['plugin_version']}: {report['documents']} documents in {report['data_dir']}"]
    for variant in report["variants"]:
        lines += ["", *_variant_table(variant, report)]
    ran = [v for v in report["variants"] if not v["skipped"]]
    if len(ran) > 1:
        lines += ["", *_comparison(ran, report["fields"])]
    if ran:
        lines += ["", "per document:", *_document_lines(ran)]
    return "\n".join(lines)


def _variant_table(variant: dict[str, Any], report: dict[str, Any]) -> list[str]:
    title = f"variant {variant['name']} ({variant['description']})"
    if variant["skipped"]:
        return [f"{title}: skipped ({variant['skipped']})"]
    overall = variant["overall"]
    lines = [
        f"{title}: {variant['documents']} documents, {variant['errors']} failed, "
        f"{_num(variant['seconds_per_document'])} s per document, invented rate "
        f"{_pct(variant['invented_rate'])} ({overall['invented']} of {overall['given'] + overall['unscored']} values)",
        _HEADER,
    ]
    lines += [_row(name, variant["fields"][name]) for name in report["fields"]]
    lines.append(_row("all fields", overall))
    for name, scores in variant.get("lists", {}).items():
        lines += _list_table(name, scores)
    if report["key_fields"]:
        records = variant["records"]
        lines.append(
            f"records matched on key fields ({', '.join(report['key_fields'])}): "
            f"{records['matched']}/{records['expected']} ({records['extracted']} extracted)"
        )
    return lines


def _list_table(name: str, scores: dict[str, Any]) -> list[str]:
    """A list field scored by row: its rows, then each of its items' fields."""
    rows = scores["rows"]
    lines = [
        f"list {name}, by row: P {_num(rows['precision'])} R {_num(rows['recall'])} F1 {_num(rows['f1'])} "
        f"({rows['exact']} rows right of {rows['expected']} expected, {rows['extracted']} extracted, {rows['matched']} matched)"
    ]
    lines += [_row(f"{name}.{field}", counts) for field, counts in scores["fields"].items()]
    lines.append(_row(f"{name} fields", scores["overall"]))
    return lines


def _row(name: str, c: dict[str, Any]) -> str:
    return (
        f"{name:<16} {_num(c['precision']):>5} {_num(c['recall']):>5} {_num(c['f1']):>5} {c['correct']:>7} "
        f"{c['wrong']:>5} {c['missing']:>7} {c['spurious']:>8} {c['invented']:>8}"
    )


def _comparison(variants: list[dict[str, Any]], fields: list[str]) -> list[str]:
    width = max(len(v["name"]) for v in variants) + 2
    lines = ["F1 by variant:", f"{'field':<16}" + "".join(f"{v['name']:>{width}}" for v in variants)]
    for name in fields:
        lines.append(f"{name:<16}" + "".join(f"{_num(v['fields'][name]['f1']):>{width}}" for v in variants))
    lines.append(f"{'all fields':<16}" + "".join(f"{_num(v['overall']['f1']):>{width}}" for v in variants))
    lines.append(f"{'invented rate':<16}" + "".join(f"{_pct(v['invented_rate']):>{width}}" for v in variants))
    return lines


def _document_lines(variants: list[dict[str, Any]]) -> list[str]:
    lines = []
    for i, doc in enumerate(variants[0]["per_document"]):
        for variant in variants:
            d = variant["per_document"][i]
            o = d["overall"]
            records = f" records {d['records_matched']}/{d['records_expected']}" if d["records_expected"] > 1 else ""
            tail = f" error: {d['error']}" if d["error"] else ""
            lines.append(
                f"  {doc['name'][:44]:<44} {variant['name']:<18} {d['seconds']:6.1f}s "
                f"correct {o['correct']}/{o['expected']} invented {o['invented']}{records}{tail}"
            )
    return lines


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"
