"""Scoring extraction against expected outputs: ``parser-service eval``.

For each document with an expected output beside it, extract with the plugin and
score every field of every record (``scoring``: correct, wrong, missing, spurious,
invented; precision, recall and F1). One run can compare *variants* of the
pipeline on the same documents — with or without the plugin's adapter, with or
without extractive decoding — so each document is parsed once and the model is
loaded once. Documents are scored on their records only: metadata inference is
not part of an evaluation, so it is not run.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parser_service.document import Document
from parser_service.domains.domain import Domain
from parser_service.errors import InputError, ParserServiceError
from parser_service.evaluation.scoring import (
    Extracted,
    FieldCounts,
    RowCounts,
    invented_fields,
    score_list,
    score_records,
    total,
)
from parser_service.records import RecordResult

if TYPE_CHECKING:
    from parser_service.pipeline.run import Pipeline

Progress = Callable[[str, int, int], None]
NO_ADAPTER = "no adapter installed"


@dataclass(frozen=True, slots=True)
class Variant:
    """One configuration of the pipeline to score."""

    name: str
    adapter: bool
    extractive_decoding: bool

    def describe(self) -> str:
        model = "plugin adapter" if self.adapter else "no adapter"
        decoding = "extractive decoding" if self.extractive_decoding else "free strings"
        return f"{model}, {decoding}"


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("base", adapter=False, extractive_decoding=False),
        Variant("adapter", adapter=True, extractive_decoding=False),
        Variant("base+extractive", adapter=False, extractive_decoding=True),
        Variant("adapter+extractive", adapter=True, extractive_decoding=True),
    )
}


def parse_variants(text: str) -> list[Variant]:
    """``"base,adapter+extractive"`` -> variants, in the order given, each once."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise ValueError(f"unknown variant {', '.join(unknown) or repr(text)}; choose from: {', '.join(VARIANTS)}")
    return [VARIANTS[n] for n in dict.fromkeys(names)]


def default_variant(domain: Domain, extractive_decoding: bool) -> Variant:
    """The variant ``extract`` runs: the plugin's adapter when it has one, decoding as configured."""
    adapter = "adapter" if domain.adapter is not None else "base"
    return VARIANTS[f"{adapter}+extractive" if extractive_decoding else adapter]


def pairs(domain: Domain, folder: Path) -> list[tuple[Path, Path]]:
    """(document, expected) pairs in ``folder``, found by the plugin's naming rules."""
    if not Path(folder).is_dir():
        raise InputError(str(folder), "not a folder; pass the folder that holds the documents and expected outputs")
    out = []
    for document in sorted(Path(folder).iterdir()):
        expected = domain.expected_for(document)
        if expected is not None:
            out.append((document, expected))
    if not out:
        raise InputError(
            str(folder), f"no document has an expected output beside it ({', '.join(domain.expected_suffixes)})"
        )
    return out


@dataclass
class DocumentScore:
    """One document under one variant."""

    name: str
    seconds: float
    fields: dict[str, FieldCounts] = field(default_factory=dict)
    records_expected: int = 0
    records_extracted: int = 0
    records_matched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    #: (expected, extracted) record pairs, for the values behind the counts.
    pairs: list[tuple[Mapping[str, Any] | None, Extracted | None]] = field(default_factory=list)
    #: List field -> its rows' counts and its items' fields' counts (``score_list``).
    lists: dict[str, ListScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 2),
            "error": self.error,
            "records_expected": self.records_expected,
            "records_extracted": self.records_extracted,
            "records_matched": self.records_matched,
            "statuses": self.statuses,
            "overall": total(self.fields).to_dict(),
            "fields": {name: counts.to_dict() for name, counts in self.fields.items()},
            "records": [_pair_values(want, got, list(self.fields)) for want, got in self.pairs],
            "lists": {name: score.to_dict() for name, score in self.lists.items()},
        }


@dataclass
class ListScore:
    """One list field scored by row: its rows, and each of its items' fields."""

    rows: RowCounts = field(default_factory=RowCounts)
    fields: dict[str, FieldCounts] = field(default_factory=dict)

    def add(self, rows: RowCounts, counts: Mapping[str, FieldCounts]) -> None:
        self.rows.add(rows)
        for name, one in counts.items():
            self.fields.setdefault(name, FieldCounts()).add(one)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows.to_dict(),
            "overall": total(self.fields).to_dict(),
            "fields": {name: counts.to_dict() for name, counts in self.fields.items()},
        }


def _pair_values(want: Mapping[str, Any] | None, got: Extracted | None, names: list[str]) -> dict[str, Any]:
    """The scored values of one record pair, as JSON: expected, extracted, invented."""
    return {
        "expected": None if want is None else {n: _plain(want[n]) for n in names if n in want},
        "got": None if got is None else {n: _plain(got.data.get(n)) for n in names},
        "invented": sorted(got.invented) if got is not None else [],
    }


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


@dataclass
class VariantRun:
    variant: Variant
    skipped: str | None = None
    documents: list[DocumentScore] = field(default_factory=list)


#: Extracts the records of a parsed document under one variant.
Runner = Callable[[Document, Variant], list[RecordResult]]


def evaluate(
    parse: Callable[[Path], Document],
    run: Runner,
    domain: Domain,
    found: Sequence[tuple[Path, Path]],
    variants: Sequence[Variant],
    fields: Sequence[str],
    progress: Progress | None = None,
) -> list[VariantRun]:
    """Score every variant on every document; a document's failure is scored, never the end of the run."""
    runs = [VariantRun(v, skipped=skip_reason(v, domain)) for v in variants]
    active = [r for r in runs if r.skipped is None]
    for i, (path, expected_path) in enumerate(found):
        if progress:
            progress(f"documents ({path.name})", i, len(found))
        try:
            expected = _read_expected(domain, expected_path)
            document = parse(path)
        except Exception as exc:  # an unreadable pair is reported, and the run goes on
            for r in active:
                r.documents.append(DocumentScore(path.name, 0.0, error=_message(exc)))
            continue
        for r in active:
            r.documents.append(_score_document(document, path.name, expected, run, r.variant, domain, fields))
    if progress:
        progress("documents", len(found), len(found))
    return runs


def skip_reason(variant: Variant, domain: Domain) -> str | None:
    return NO_ADAPTER if variant.adapter and domain.adapter is None else None


def _read_expected(domain: Domain, path: Path) -> Sequence[Mapping[str, Any]]:
    expected = domain.read_expected(path)
    if not isinstance(expected, list) or not all(isinstance(e, Mapping) for e in expected):
        raise InputError(path.name, "the expected output is not a list of records")
    return expected


def _score_document(
    document: Document,
    name: str,
    expected: Sequence[Mapping[str, Any]],
    run: Runner,
    variant: Variant,
    domain: Domain,
    fields: Sequence[str],
) -> DocumentScore:
    started = time.monotonic()
    try:
        results = run(document, variant)
    except Exception as exc:  # one document's failure is scored, never the end of the run
        return DocumentScore(name, time.monotonic() - started, error=_message(exc))
    seconds = time.monotonic() - started
    text = document.text
    got = [Extracted(r.data or {}, invented_fields(r.data, r.provenance, text)) for r in results]
    scores = score_records(expected, got, fields, domain.key_fields)
    return DocumentScore(
        name,
        seconds,
        scores.fields,
        scores.records_expected,
        scores.records_extracted,
        scores.records_matched if domain.key_fields else 0,
        dict(Counter(r.status for r in results)),
        pairs=scores.pairs,
        lists=_list_scores(scores.pairs, scored_lists(domain)),
    )


def _list_scores(
    pairs: Sequence[tuple[Mapping[str, Any] | None, Extracted | None]], lists: Mapping[str, list[str]]
) -> dict[str, ListScore]:
    """Each list field over the record pairs whose expected record labels it."""
    out: dict[str, ListScore] = {}
    for want, got in pairs:
        for name, items in lists.items():
            if want is not None and isinstance(want.get(name), list):
                counts, rows = score_list(want[name], got.data.get(name) if got else None, items)
                out.setdefault(name, ListScore()).add(rows, counts)
    return out


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, ParserServiceError) else f"{type(exc).__name__}: {exc}"


def pipeline_runner(pipeline: Pipeline, domain: Domain) -> Runner:
    """Runs variants on one pipeline, so the model loads once: the variant's domain
    has the adapter or not, and extractive decoding is switched per call."""
    without_adapter = dataclasses.replace(domain, adapter=None)

    def run(document: Document, variant: Variant) -> list[RecordResult]:
        chosen = domain if variant.adapter else without_adapter
        return pipeline.run_domain(document, chosen, None, extractive_decoding=variant.extractive_decoding)

    return run


def scored_lists(domain: Domain) -> dict[str, list[str]]:
    """The schema's lists of objects, with their items' fields: scored by row."""
    from parser_service.pipeline.lists import list_fields

    return {name: list(item.model_fields) for name, item in list_fields(domain.schema).items()}


def scored_fields(domain: Domain) -> list[str]:
    """The schema's scalar fields (lists of sub-records, such as invoice lines, are scored by row: ``scored_lists``)."""
    from parser_service.pipeline.generation_schema import is_list_field

    return [name for name, info in domain.schema.model_fields.items() if not is_list_field(info)]


def evaluate_folder(
    pipeline: Pipeline,
    domain: Domain,
    folder: Path,
    variants: Sequence[Variant],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``parser-service eval``: every variant on every document of ``folder``, as a report."""
    found = pairs(domain, folder)
    fields = scored_fields(domain)
    if progress:
        progress("loading model", 0, 1)
    backend = pipeline.backend.describe()  # loads the model once, before any document is timed
    runs = evaluate(pipeline.parse, pipeline_runner(pipeline, domain), domain, found, variants, fields, progress)
    return summary(runs, fields, domain, folder, backend)


def summary(
    runs: Sequence[VariantRun],
    fields: Sequence[str],
    domain: Domain,
    folder: Path,
    backend: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report: one entry per variant, each with per-field and per-document scores."""
    documents = max((len(r.documents) for r in runs), default=0)
    return {
        "plugin": domain.name,
        "plugin_version": domain.version,
        "backend": dict(backend or {}),
        "data_dir": str(folder),
        "documents": documents,
        "fields": list(fields),
        "key_fields": list(domain.key_fields),
        "variants": [variant_summary(r, fields) for r in runs],
    }


def variant_summary(run: VariantRun, fields: Sequence[str]) -> dict[str, Any]:
    per_field = {name: FieldCounts() for name in fields}
    for doc in run.documents:
        for name, counts in doc.fields.items():
            per_field[name].add(counts)
    overall = total(per_field)
    docs = run.documents
    lists: dict[str, ListScore] = {}
    for doc in docs:
        for name, score in doc.lists.items():
            lists.setdefault(name, ListScore()).add(score.rows, score.fields)
    return {
        "name": run.variant.name,
        "adapter": run.variant.adapter,
        "extractive_decoding": run.variant.extractive_decoding,
        "description": run.variant.describe(),
        "skipped": run.skipped,
        "documents": len(docs),
        "errors": sum(1 for d in docs if d.error),
        "seconds_per_document": round(sum(d.seconds for d in docs) / len(docs), 2) if docs else None,
        "invented_rate": overall.to_dict()["invented_rate"],
        "records": {
            "expected": sum(d.records_expected for d in docs),
            "extracted": sum(d.records_extracted for d in docs),
            "matched": sum(d.records_matched for d in docs),
        },
        "statuses": dict(sum((Counter(d.statuses) for d in docs), Counter())),
        "overall": overall.to_dict(),
        "fields": {name: counts.to_dict() for name, counts in per_field.items()},
        "lists": {name: score.to_dict() for name, score in lists.items()},
        "per_document": [d.to_dict() for d in docs],
    }
