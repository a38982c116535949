"""Scoring extraction against expected outputs: ``parser-service eval``.

For each document with an expected output beside it, extract with the plugin and
compare field by field (``scoring`` picks the rule per type). A document whose
expected output is one object is scored per field; a document with many expected
records (a bank export) is also scored on how many expected records have a
match with the same key fields (date and amount, say). Prints a table; ``--json``
writes the full report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.domain import Domain
from parser_service.errors import ParserServiceError
from parser_service.scoring import field_matches, score_fields


@dataclass
class DocumentScore:
    name: str
    seconds: float
    fields: dict[str, bool] = field(default_factory=dict)
    records_expected: int = 0
    records_matched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def pairs(domain: Domain, folder: Path) -> list[tuple[Path, Path]]:
    """(document, expected) pairs in ``folder``, found by the plugin's naming rules."""
    out = []
    for document in sorted(folder.iterdir()):
        expected = domain.expected_for(document)
        if expected is not None:
            out.append((document, expected))
    return out


def evaluate(
    extract: Callable[[Path], Any],
    domain: Domain,
    found: list[tuple[Path, Path]],
    fields: list[str],
    progress: Callable[[str, int, int], None] | None = None,
) -> list[DocumentScore]:
    scores: list[DocumentScore] = []
    for document, expected_path in found:
        if progress:
            progress(f"documents ({document.name})", len(scores), len(found))
        started = time.monotonic()
        try:
            result = extract(document)
        except Exception as exc:  # one document's failure is scored, never the end of the run
            message = exc.message if isinstance(exc, ParserServiceError) else f"{type(exc).__name__}: {exc}"
            scores.append(DocumentScore(document.name, time.monotonic() - started, error=message))
            continue
        score = DocumentScore(document.name, time.monotonic() - started)
        _score(score, domain.read_expected(expected_path), [r.data for r in result.records], fields, domain)
        score.statuses = dict(Counter(r.status for r in result.records))
        scores.append(score)
    if progress:
        progress("documents", len(scores), len(found))
    return scores


def _score(score: DocumentScore, expected: list[dict[str, Any]], got: list[Any], fields: list[str], domain: Domain) -> None:
    if len(expected) == 1:
        score.fields = score_fields(expected[0], got[0] if got else None, fields)
    score.records_expected = len(expected) if domain.key_fields else 0
    score.records_matched = _matched(expected, [g for g in got if g], domain.key_fields)


def _matched(expected: list[dict[str, Any]], got: list[dict[str, Any]], keys: tuple[str, ...]) -> int:
    """Expected records that some extracted record matches on every key field (each used once)."""
    if not keys:
        return 0
    left = list(got)
    hits = 0
    for want in expected:
        for i, candidate in enumerate(left):
            if all(field_matches(k, want.get(k), candidate.get(k)) for k in keys):
                hits += 1
                del left[i]
                break
    return hits


def summary(scores: list[DocumentScore], fields: list[str]) -> dict[str, Any]:
    per_field = {}
    for name in fields:
        marks = [s.fields[name] for s in scores if name in s.fields]
        per_field[name] = {"correct": sum(marks), "labelled": len(marks)}
    expected = sum(s.records_expected for s in scores)
    return {
        "documents": len(scores),
        "seconds_per_document": round(sum(s.seconds for s in scores) / max(len(scores), 1), 2),
        "fields": per_field,
        "records_matched": sum(s.records_matched for s in scores),
        "records_expected": expected,
        "per_document": [s.__dict__ for s in scores],
    }


def format_table(report: dict[str, Any]) -> str:
    lines = [f"{'field':<16} correct/labelled"]
    for name, counts in report["fields"].items():
        if counts["labelled"]:
            pct = 100 * counts["correct"] / counts["labelled"]
            lines.append(f"{name:<16} {counts['correct']}/{counts['labelled']} ({pct:.0f}%)")
    lines.append(f"records matched on key fields: {report['records_matched']}/{report['records_expected']}")
    lines.append(f"documents: {report['documents']}, seconds per document: {report['seconds_per_document']}")
    for doc in report["per_document"]:
        marks = " ".join(f"{k}={'Y' if v else 'n'}" for k, v in doc["fields"].items())
        lines.append(f"  {doc['name']:<48} {doc['seconds']:6.1f}s {doc['records_matched']}/{doc['records_expected']} {marks} {doc['error'] or ''}")
    return "\n".join(lines)
