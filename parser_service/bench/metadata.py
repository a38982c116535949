"""Metadata accuracy: type, language, title and parties against a labelled set.

The labels (``tests/data/metadata_labels.json``) give, for each document, the expected
type (an installed plugin's ``document_type`` or "other"), the acceptable languages and
titles (null: no title is right) and the parties the document names (each a list of
acceptable spellings), and the part it belongs to: ``dev``, which thresholds and rules
may be set by looking at, or ``held-out``, whose figures alone are read. Every figure
is given per part. Paths are relative to the labels file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parser_service.bench.table import Row
from parser_service.evaluation.scoring import normalise_name, same_name

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost

SECTION = "metadata (labelled documents, transformers)"
DEFAULT_LABELS = Path("tests/data/metadata_labels.json")
PARTS = ("dev", "held-out")


@dataclass(frozen=True, slots=True)
class Labelled:
    path: Path
    kind: str
    part: str
    type: str
    language: list[str]
    title: list[str | None]
    parties: list[list[str]]


def load_labels(path: Path) -> list[Labelled]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    folder = Path(path).parent
    return [
        Labelled(folder / d["path"], d["kind"], d["part"], d["type"], list(d["language"]), list(d["title"]),
                 [list(p) for p in d["parties"]])  # fmt: skip
        for d in data["documents"]
    ]


@dataclass
class Outcome:
    """One document's metadata against its labels."""

    type: bool
    language: bool
    title: bool
    parties_given: int  # parties the metadata names
    parties_right: int  # of those, the ones that are a labelled party
    parties_expected: int  # labelled parties
    parties_found: int  # of those, the ones the metadata names

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def judge(label: Labelled, got: dict[str, Any]) -> Outcome:
    given = [str(p) for p in got.get("parties") or []]
    names = [name for party in label.parties for name in party]
    return Outcome(
        type=got.get("document_type") == label.type,
        language=got.get("language") in label.language,
        title=title_right(got.get("title"), label.title),
        parties_given=len(given),
        parties_right=sum(any(same_name(name, p) for name in names) for p in given),
        parties_expected=len(label.parties),
        parties_found=sum(any(same_name(name, p) for name in party for p in given) for party in label.parties),
    )


def title_right(got: Any, acceptable: Sequence[str | None]) -> bool:
    if got is None:
        return None in acceptable
    return normalise_name(got) in {normalise_name(title) for title in acceptable if title is not None}


@dataclass
class Tally:
    documents: int = 0
    type: int = 0
    language: int = 0
    title: int = 0
    parties_given: int = 0
    parties_right: int = 0
    parties_expected: int = 0
    parties_found: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome, kind: str, seconds: float) -> None:
        self.documents += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.seconds += seconds
        for name in ("type", "language", "title"):
            setattr(self, name, getattr(self, name) + int(getattr(outcome, name)))
        for name in ("parties_given", "parties_right", "parties_expected", "parties_found"):
            setattr(self, name, getattr(self, name) + getattr(outcome, name))


Infer = Callable[[Path], dict[str, Any]]


def evaluate(labels: Iterable[Labelled], infer: Infer, say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Each labelled document's metadata (``infer``), judged; the tallies per part."""
    tallies = {part: Tally() for part in PARTS}
    documents = []
    for label in labels:
        started = time.monotonic()
        got = infer(label.path)
        seconds = time.monotonic() - started
        outcome = judge(label, got)
        tallies.setdefault(label.part, Tally()).add(outcome, label.kind, seconds)
        documents.append({"path": str(label.path), "part": label.part, "kind": label.kind, "expected_type": label.type, "got": got,
                          "outcome": outcome.to_dict(), "seconds": round(seconds, 2)})  # fmt: skip
        say(f"bench: metadata {label.part} {label.path.name}: {seconds:.1f} s")
    return {"tallies": {part: tally.__dict__ for part, tally in tallies.items()}, "documents": documents}


def rows(report: dict[str, Any], section: str = SECTION) -> list[Row]:
    out = []
    for part, tally in report["tallies"].items():
        n = tally["documents"]
        if not n:
            continue
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(tally["kinds"].items()))
        out.append(Row(section, f"{part}: type right", tally["type"] / n, "", f"{tally['type']} of {n} ({kinds})"))
        for name in ("language", "title"):
            out.append(Row(section, f"{part}: {name} right", tally[name] / n, "", f"{tally[name]} of {n}"))
        given, expected = tally["parties_given"], tally["parties_expected"]
        precision = tally["parties_right"] / given if given else 0.0
        recall = tally["parties_found"] / expected if expected else 0.0
        out.append(Row(section, f"{part}: parties precision", precision, "", f"{tally['parties_right']} of {given} named"))
        out.append(Row(section, f"{part}: parties recall", recall, "", f"{tally['parties_found']} of {expected} labelled"))
        out.append(Row(section, f"{part}: seconds per document", tally["seconds"] / n, "s", "parse + metadata"))
    return out


def run(
    work_dir: Path, labels_path: Path, dtype: str, say: Callable[[str], None], host: PluginHost | None = None
) -> list[Row]:
    """The metadata of every labelled document, the model loaded once in this process (and
    ``host``, the running bench's plugin host); the per-document answers go to
    ``WORK_DIR/metadata-eval.json``."""
    from parser_service.pipeline.metadata import infer_metadata_scored
    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    pipeline = Pipeline(Settings(backend="transformers", dtype=dtype), host=host)
    backend, domains = pipeline.backend, pipeline.host.domain_list()  # loaded before the clock starts

    def infer(path: Path) -> dict[str, Any]:
        metadata, scores = infer_metadata_scored(pipeline.parse(path), domains, backend)
        return {**metadata, "type_scores": [score.to_dict() for score in scores]}

    report = evaluate(load_labels(labels_path), infer, say)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "metadata-eval.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return rows(report, f"{SECTION}, {dtype}") + threshold_rows(report, f"{SECTION}, {dtype}")


def best_thresholds(fits: Sequence[tuple[float, str, str]]) -> tuple[float, float, int]:
    """Of (best fit, its type, the expected type) per document, the range of thresholds
    (low, high] that types the most of them right (``metadata.decide_type``: a fit at or
    above the threshold gives its type), and how many that is."""
    edges = sorted({0.0, 1.0, *(fit for fit, _, _ in fits)})
    best: tuple[float, float, int] = (0.0, 0.0, -1)
    for low, high in zip(edges, edges[1:]):
        right = sum((kind if fit >= high else "other") == expected for fit, kind, expected in fits)
        if right > best[2]:
            best = (low, high, right)
        elif right == best[2] and best[1] == low:
            best = (best[0], high, right)  # the same count over the next range too: one range
    return best


def threshold_rows(report: dict[str, Any], section: str) -> list[Row]:
    """The thresholds of ``metadata.decide_type`` that type the dev part best: how
    ``TYPE_THRESHOLD`` was chosen (the middle of that range)."""
    fits = []
    for document in report["documents"]:
        scores = document["got"].get("type_scores") or []
        if document["part"] != "dev" or not scores:
            continue
        best = max(scores, key=lambda s: s["fit"])
        fits.append((best["fit"], best["document_type"], document["expected_type"]))
    if not fits:
        return []
    low, high, right = best_thresholds(fits)
    return [Row(section, "dev: type thresholds that type the most right", f"above {low:.3f}, up to {high:.3f}", "",
                f"{right} of {len(fits)} right; the threshold in use is metadata.TYPE_THRESHOLD")]  # fmt: skip
