"""Fit a plugin's confidence calibration on a validation split: ``adapters calibrate``.

Every field the pipeline gives on documents with a known answer becomes one
sample: its evidence (token probability, verbatim, valid) and whether it was
right. Documents with many records (bank exports) pair each expected record with
the extracted record that matches it on the plugin's key fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parser_service.domains.domain import Domain
from parser_service.errors import InputError
from parser_service.evaluation.scoring import field_matches
from parser_service.pipeline.confidence import Calibration, Evidence, ece, fit
from parser_service.records import RecordResult


@dataclass
class Samples:
    evidence: list[Evidence]
    correct: list[bool]
    confidence: list[float]

    def ece(self) -> float:
        return ece(self.confidence, self.correct)


def collect(
    extract: Callable[[Path], list[RecordResult]],
    domain: Domain,
    found: Iterable[tuple[Path, list[dict[str, Any]]]],
    progress: Callable[[str, int, int], None] | None = None,
) -> Samples:
    """``found``: documents with their expected records (normalised values)."""
    samples = Samples([], [], [])
    found = list(found)
    for n, (document, expected) in enumerate(found):
        if progress:
            progress(f"documents ({document.name})", n, len(found))
        results = extract(document)
        for want, got in _paired(expected, results, domain.key_fields):
            _add(samples, want, got)
    return samples


def labelled_documents(domain: Domain, folder: Path) -> list[tuple[Path, list[dict[str, Any]]]]:
    """Documents of ``folder`` with expected outputs by the plugin's naming rules, and
    synthetic documents with their ``*.truth.json`` (from ``adapters synth``)."""
    from parser_service.evaluation.evaluate import pairs
    from parser_service.training.dataset import synthetic

    try:
        found = [(document, domain.read_expected(expected)) for document, expected in pairs(domain, folder)]
    except InputError:  # a folder of synthetic documents only
        found = []
    for item in synthetic(folder):
        found.append((item.document, [dict(record.fields) for record in item.records]))
    return found


def _paired(
    expected: list[dict[str, Any]], results: list[RecordResult], keys: tuple[str, ...]
) -> list[tuple[Mapping[str, Any], RecordResult]]:
    if len(expected) == 1 and len(results) == 1:
        return [(expected[0], results[0])]
    left = [r for r in results if r.data]
    pairs: list[tuple[Mapping[str, Any], RecordResult]] = []
    for want in expected:
        for i, got in enumerate(left):
            if keys and all(field_matches(k, want.get(k), (got.data or {}).get(k)) for k in keys):
                pairs.append((want, left.pop(i)))
                break
    return pairs


def _add(samples: Samples, want: Mapping[str, Any], got: RecordResult) -> None:
    data = got.data or {}
    for name, evidence in got.evidence.items():
        if name not in want or isinstance(want[name], list) or not isinstance(evidence, Evidence):
            continue
        samples.evidence.append(evidence)
        samples.correct.append(_right(name, want[name], data.get(name)))
        samples.confidence.append(got.confidence.get(name, 0.0))


def _right(name: str, expected: Any, got: Any) -> bool:
    if expected is None:
        return got is None
    return field_matches(name, expected, got)


def calibrate(samples: Samples, folder: Path) -> Calibration:
    """Fit on the samples and save beside the adapter."""
    calibration = fit(samples.evidence, samples.correct)
    folder.mkdir(parents=True, exist_ok=True)
    calibration.save(folder)
    return calibration
