"""Extraction into a schema given with the request, measured on held-out real documents.

``python -m parser_service.bench.schemas [--kinds receipts,cvs] [--limit N]`` reads each
kind's folder of the held-out sets (``tests/data/heldout/<kind>/``: ``schema.json`` and
documents ``NAME.txt`` or ``NAME.pdf`` beside ``NAME.expected.json``), extracts every
document with the real model into that schema alone (no plugin, no adapter of its own:
``schema_domain``), and prints per field the F1, the invented rate and, where the truth
gives locations, the location-match share (``evaluation.schema_scoring`` defines them).

Truth locations are read from an ``expected.json``'s ``spans`` (``type``, ``start``,
``end``: character offsets into the document's text, as the Dotin CV set gives them);
a span's type names the field whose truth values equal that type's ``labels``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.evaluation import schema_scoring as scoring
from parser_service.evaluation.schema_scoring import FieldTally

HELDOUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "heldout"
DOCUMENT_SUFFIXES = (".txt", ".pdf")


@dataclass
class KindReport:
    """One kind's figures: per field, and what happened to each document."""

    kind: str
    fields: dict[str, FieldTally]
    documents: int = 0
    #: Documents whose record is not ``ok`` (invalid or failed), with the status.
    not_ok: list[str] = field(default_factory=list)
    seconds: float = 0.0
    details: list[dict[str, Any]] = field(default_factory=list)

    def total(self) -> FieldTally:
        out = FieldTally()
        for tally in self.fields.values():
            out.add(tally)
        return out


def documents(folder: Path, limit: int | None) -> list[tuple[Path, Path]]:
    """(document, expected.json) pairs of ``folder``, sorted by name, the first ``limit``."""
    pairs = []
    for path in sorted(folder.iterdir()):
        expected = path.with_name(path.stem + ".expected.json")
        if path.suffix.lower() in DOCUMENT_SUFFIXES and expected.exists():
            pairs.append((path, expected))
    return pairs[:limit]


def field_places(
    expected: Mapping[str, Any], properties: Mapping[str, Any], text: str
) -> dict[str, dict[str, list[tuple[int, int]]]]:
    """Per field: the truth's places of its values (empty where the truth gives none)."""
    by_label = _label_fields(expected, properties)
    places: dict[str, list[tuple[str, int, int]]] = {}
    for span in expected.get("spans") or []:
        name = by_label.get(span.get("type"))
        if name is not None:
            places.setdefault(name, []).append((name, int(span["start"]), int(span["end"])))
    return {name: scoring.truth_places(found, text) for name, found in places.items()}


def _label_fields(expected: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, str]:
    """Label type -> the field whose truth values are that label's values."""
    out = {}
    for label, values in (expected.get("labels") or {}).items():
        wanted = _normalised(values)
        for name in properties:
            if wanted and _normalised(expected.get(name)) == wanted:
                out[label] = name
    return out


def _normalised(values: Any) -> frozenset[str]:
    items = values if isinstance(values, list) else [values]
    return frozenset(scoring.normalise_text(v) for v in items if scoring.present(v))


def score_document(
    properties: Mapping[str, Any], expected: Mapping[str, Any], result: Any, text: str, source: str
) -> dict[str, FieldTally]:
    """Each field's tally for one document. ``result``: its record (None: failed);
    ``text``: what the model read (for the invented rate); ``source``: the file's text
    (the truth's offsets point into it)."""
    data = (result.data if result is not None else None) or {}
    provenance = ((result.provenance if result is not None else None) or {}).get("fields") or {}
    places = field_places(expected, properties, source)
    out = {}
    for name, node in properties.items():
        tally = scoring.score_field(node, expected.get(name), data.get(name))
        tally.add(scoring.count_invented(node, data.get(name), text))
        if places.get(name):
            tally.add(scoring.count_located(node, data.get(name), provenance.get(name), places[name], source))
        out[name] = tally
    return out


def run_kind(pipeline: Any, folder: Path, limit: int | None) -> KindReport:
    """Extract and score every document of one kind's folder."""
    from parser_service.records import whole_document
    from parser_service.schemas.request import load_schema, schema_domain

    schema = load_schema(folder / "schema.json")
    domain = schema_domain(schema, folder.name)
    properties = schema["properties"]
    report = KindReport(folder.name, {name: FieldTally() for name in properties})
    for path, expected_path in documents(folder, limit):
        started = time.perf_counter()
        extraction = pipeline.extract(path, domain=domain)
        report.seconds += time.perf_counter() - started
        result = extraction.records[0] if extraction.records else None
        if result is None or result.status != "ok":
            report.not_ok.append(f"{path.name} ({result.status if result else 'failed'})")
        text = whole_document(extraction.document)[0].text
        source = path.read_text(encoding="utf-8") if path.suffix.lower() == ".txt" else text
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        for name, tally in score_document(properties, expected, result, text, source).items():
            report.fields[name].add(tally)
        report.documents += 1
        report.details.append(_detail(path, result, expected, properties))
        print(f"  {folder.name}: {path.name} done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return report


def _detail(path: Path, result: Any, expected: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """What one document gave, beside its truth, for reading the figures' causes."""
    return {
        "document": path.name,
        "status": result.status if result else "failed",
        "errors": [issue.to_dict() for issue in result.errors] if result else [],
        "data": result.data if result else None,
        "provenance": result.provenance if result else None,
        "expected": {name: expected.get(name) for name in properties},
    }


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(report: KindReport) -> str:
    """The kind's figures as a Markdown table, one row per field and one for all."""
    lines = [
        f"### {report.kind}: {report.documents} documents, schema only "
        f"({len(report.not_ok)} not ok, {report.seconds / max(report.documents, 1):.1f} s per document)",
        "",
        "| field | precision | recall | F1 | invented | location match | located by |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = list(report.fields.items()) + [("all fields", report.total())]
    for name, tally in rows:
        invented = f"{tally.invented}/{tally.copied}" if tally.copied else "-"
        located = f"{tally.located_right}/{tally.located}" if tally.located else "-"
        by = ", ".join(f"{how} {tally.located_by[how]}" for how in scoring.LOCATED_BY if tally.located_by[how])
        lines.append(f"| {name} | {_figure(tally.precision)} | {_figure(tally.recall)} | {_figure(tally.f1)} "
                     f"| {invented} | {located} | {by or '-'} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m parser_service.bench.schemas", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--kinds", default=None, help="comma-separated kinds (folders of the held-out sets); default all"
    )
    parser.add_argument("--limit", type=int, default=None, help="the first N documents of each kind")
    parser.add_argument("--root", type=Path, default=HELDOUT, help="the held-out sets' folder")
    parser.add_argument("--json", type=Path, default=None, help="also write every document's values and figures here")
    return parser.parse_args(argv)


def kinds(root: Path, chosen: str | None) -> list[Path]:
    """The kinds' folders: those named, else every folder of ``root`` with a schema."""
    if chosen:
        folders = [root / name.strip() for name in chosen.split(",") if name.strip()]
        missing = [f.name for f in folders if not (f / "schema.json").exists()]
        if missing:
            raise SystemExit(f"no held-out set with a schema.json for: {', '.join(missing)} (under {root})")
        return folders
    return sorted(f for f in root.iterdir() if (f / "schema.json").exists())


def main(argv: Sequence[str] | None = None) -> int:
    from parser_service.pipeline.run import Pipeline

    args = parse_args(argv)
    pipeline = Pipeline()
    reports = [run_kind(pipeline, folder, args.limit) for folder in kinds(args.root, args.kinds)]
    print(f"backend: {json.dumps(pipeline.backend.describe())}")
    for report in reports:
        print(table(report))
    if args.json:
        args.json.write_text(json.dumps([to_dict(r) for r in reports], indent=2, ensure_ascii=False, default=str))
    return 0


def to_dict(report: KindReport) -> dict[str, Any]:
    fields = {name: tally_dict(t) for name, t in report.fields.items()} | {"all fields": tally_dict(report.total())}
    return {"kind": report.kind, "documents": report.documents, "not_ok": report.not_ok,
            "seconds": round(report.seconds, 1), "fields": fields, "details": report.details}  # fmt: skip


def tally_dict(tally: FieldTally) -> dict[str, Any]:
    counts = {
        name: getattr(tally, name) for name in ("tp", "fp", "fn", "copied", "invented", "located", "located_right")
    }
    figures = {name: getattr(tally, name) for name in ("precision", "recall", "f1", "invented_rate", "location_match")}
    return counts | figures | {"located_by": dict(tally.located_by)}


if __name__ == "__main__":
    sys.exit(main())
