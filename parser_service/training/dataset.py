"""Training examples for a plugin's adapter, made from documents whose contents are known.

A labelled document (a synthetic one with its ``.truth.json``, or a public example
with its expected output) is parsed by the real parsers and split by the plugin's
splitter, exactly as at inference. For each record and the fields the extractor
would ask the model for (those the plugin's ``prefill`` cannot read), the example
holds the very request ``extraction.build_request`` sends and the answer it should
decode: compact JSON of surface strings, keys in the generation schema's order
(``targets`` fits each value to the schema or drops the field). Plugins with a
``prefill`` also get examples with it disabled, where the model answers every field.

The train/validation split is by document (a bank export's rows never straddle it)
and by the hash of the document's bytes, so it is deterministic and disjoint.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.document import Document
from parser_service.domains.domain import Domain, span_rule
from parser_service.errors import ConfigError, InputError
from parser_service.parsers.base import Parser
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline.extraction import build_request
from parser_service.pipeline.generation_schema import is_list_field
from parser_service.records import Record
from parser_service.synth.document import SyntheticDoc, TruthRecord, find_truths
from parser_service.text.spans import FINDERS
from parser_service.training import targets
from parser_service.training.targets import Dropped

Truncate = Callable[[str, int], str]
#: How many distinct missed surfaces are kept per field, as examples in the report.
MISSED_EXAMPLES = 3
#: A folder of this name holds held-out evaluation sets: never training data.
HELDOUT = "heldout"


@dataclass(slots=True)
class Labelled:
    """A document and what its records hold. ``public``: the truth has normalised values
    only (surfaces are looked up) and fields it does not name are unlabelled."""

    document: Path
    source: str
    records: list[TruthRecord]
    public: bool = False


@dataclass
class Stats:
    """What a build did, and what it could not: the candidate finders' coverage."""

    documents: int = 0
    records: int = 0
    examples: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    unmatched_records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    missed_examples: dict[str, list[str]] = field(default_factory=dict)
    prefill_disagrees: Counter[str] = field(default_factory=Counter)

    def drop(self, exc: Dropped) -> None:
        self.dropped[f"{exc.field}: {exc.reason}"] += 1
        if exc.reason in (targets.NOT_A_CANDIDATE, targets.NO_CANDIDATES, targets.NOT_NEAR_LABEL):
            key = f"{exc.field} {targets.shape(exc.surface)}"
            self.missed[key] += 1
            seen = self.missed_examples.setdefault(key, [])
            if exc.surface is not None and str(exc.surface) not in seen and len(seen) < MISSED_EXAMPLES:
                seen.append(str(exc.surface))

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "records": self.records,
            "examples": dict(self.examples),
            "failed_documents": self.failed,
            "unmatched_records": self.unmatched_records,
            "dropped_fields": dict(self.dropped.most_common()),
            "missed_patterns": [
                {"field_pattern": key, "count": n, "examples": self.missed_examples.get(key, [])}
                for key, n in self.missed.most_common()
            ],
            "prefill_disagrees_with_truth": dict(self.prefill_disagrees.most_common()),
        }


# --------------------------------------------------------------------------- labelled documents


def render(domain: Domain, folder: Path, count: int, seed: int) -> list[SyntheticDoc]:
    """``count`` synthetic documents of ``domain`` rendered into ``folder``, each with its
    truth written beside it; the same seed gives the same documents."""
    if domain.synthesize is None:
        raise ConfigError(
            f"plugin {domain.name!r} has no synthetic-document generator (Domain.synthesize); "
            "build its data from public examples only (--count 0 --public PATH)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    docs = domain.synthesize(random.Random(seed), folder, count)
    for doc in docs:
        doc.write_truth()
    return docs


def synthetic(folder: Path) -> list[Labelled]:
    """The synthetic documents in ``folder`` (written by ``adapters synth``)."""
    return [Labelled(doc.path, "synthetic", doc.records) for doc in find_truths(folder)]


def refuse_heldout(path: Path) -> None:
    """A held-out set (a folder named ``heldout``, or anything in one) measures accuracy
    only while nothing learns from it: it is refused as training data (``ConfigError``)."""
    if HELDOUT in Path(path).resolve().parts:
        raise ConfigError(f"{path}: a held-out evaluation set; it is never used for training")


def public(domain: Domain, paths: Iterable[Path]) -> list[Labelled]:
    """Public examples: each path a document with its expected output beside it (by the
    plugin's naming rules), or a folder of such. Documents without one are skipped."""
    out: list[Labelled] = []
    for path in paths:
        refuse_heldout(Path(path))
        documents = sorted(p for p in Path(path).iterdir() if p.is_file()) if Path(path).is_dir() else [Path(path)]
        for document in documents:
            expected = domain.expected_for(document)
            if expected is None:
                continue
            entries = [e for e in domain.read_expected(expected) if isinstance(e, dict)]
            records = [TruthRecord(fields=_jsonable(e), surface={}) for e in entries]
            if records:
                out.append(Labelled(document, f"public:{document.name}", records, public=True))
    return out


def _jsonable(value: Any) -> Any:
    """Expected outputs as JSON would hold them: dates as ISO strings, like normalised values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- matching


def row_number(record: Record) -> int | None:
    """The spreadsheet row of a table record (from its cell range "A5:F5"), else None."""
    where = record.provenance[0].cell_range if record.provenance else None
    digits = "".join(ch for ch in (where or "").split(":")[0] if ch.isdigit())
    return int(digits) if digits else None


def match(records: list[Record], labelled: Labelled, domain: Domain) -> list[tuple[Record, TruthRecord]]:
    """Each record with its truth: by row where the truth has rows, one to one for a
    single record, else by the plugin's key fields as the prefill reads them."""
    truths = labelled.records
    if truths and all(t.row is not None for t in truths):
        by_row = {t.row: t for t in truths}
        return [(r, by_row[n]) for r in records if (n := row_number(r)) in by_row]
    if len(records) == 1 and len(truths) == 1:
        return [(records[0], truths[0])]
    return _match_by_keys(records, truths, domain)


def _match_by_keys(records: list[Record], truths: list[TruthRecord], domain: Domain) -> list[tuple[Record, TruthRecord]]:
    if not domain.key_fields or domain.prefill is None:
        return []
    left = list(truths)
    pairs = []
    for record in records:
        read = _read_prefill(record, domain)
        for i, truth in enumerate(left):
            if all(k in read and targets.same(read[k], truth.fields.get(k)) for k in domain.key_fields):
                pairs.append((record, left.pop(i)))
                break
    return pairs


def _read_prefill(record: Record, domain: Domain) -> dict[str, Any]:
    """The prefilled values, normalised as the schema reads them (unreadable ones left out)."""
    out = {}
    for name, raw in (domain.prefill(record) if domain.prefill else {}).items():
        try:
            out[name] = targets.normalised(domain.schema, name, raw)
        except ValueError:
            continue
    return out


# --------------------------------------------------------------------------- examples


@dataclass(frozen=True, slots=True)
class Builder:
    """Builds the examples of one plugin, with the extractor's own request settings."""

    domain: Domain
    parsers: Sequence[Parser]
    truncate: Truncate
    max_prompt_tokens: int
    extractive_decoding: bool = True

    def examples(self, labelled: Labelled, stats: Stats) -> Iterator[dict[str, Any]]:
        try:
            document = parse_file(labelled.document, list(self.parsers))
        except InputError as exc:
            stats.failed.append(exc.message)
            return
        stats.documents += 1
        records = self.domain.split(document)
        pairs = match(records, labelled, self.domain)
        stats.records += len(pairs)
        stats.unmatched_records += len(records) - len(pairs)
        for record, truth in pairs:
            for use_prefill in (True, False) if self.domain.prefill else (True,):
                example = self._example(document, record, truth, labelled, use_prefill, stats)
                if example is not None:
                    stats.examples["prefill" if use_prefill else "no_prefill"] += 1
                    yield example

    def _example(self, document: Document, record: Record, truth: TruthRecord, labelled: Labelled,
                 use_prefill: bool, stats: Stats) -> dict[str, Any] | None:
        prefilled = self.domain.prefill(record) if use_prefill and self.domain.prefill else {}
        if prefilled:
            self._compare_prefill(prefilled, truth, labelled, stats)
        names = [n for n in self.domain.schema.model_fields if n not in prefilled]
        if not names:
            return None
        request = self._request(record, names)
        answer: dict[str, Any] = {}
        for name in names:
            try:
                answer[name] = self._target(name, request.schema["properties"][name], record, truth, labelled)
            except Dropped as exc:
                stats.drop(exc)
        if not answer:
            return None
        if list(answer) != names:
            request = self._request(record, list(answer))
        return {
            "plugin": self.domain.name,
            "source": labelled.source,
            "document": labelled.document.name,
            "sha256": document.sha256,
            "record": record.index,
            "prefill": use_prefill,
            "messages": request.messages,
            "answer": json.dumps(answer, ensure_ascii=False, separators=(",", ":")),
            "fields": list(answer),
        }

    def _request(self, record: Record, names: list[str]) -> Any:
        return build_request(record, self.domain, names, truncate=self.truncate,
                             max_prompt_tokens=self.max_prompt_tokens, extractive_decoding=self.extractive_decoding)

    def _target(self, name: str, prop: dict[str, Any], record: Record, truth: TruthRecord, labelled: Labelled) -> Any:
        if labelled.public and name not in truth.fields:
            raise Dropped(name, targets.UNLABELLED)
        value, surface = truth.fields.get(name), truth.surface.get(name)
        info = self.domain.schema.model_fields[name]
        if is_list_field(info):
            return self._list_target(name, prop, value or [], surface or [], record)
        reads = targets.reads_as(self.domain.schema, name, value)
        try:
            return targets.scalar_target(name, prop, value, surface, reads, lambda: self._spans(info, record))
        except Dropped as exc:
            if exc.reason == targets.NOT_A_CANDIDATE and self._found_far_from_label(info, record, exc.surface):
                raise Dropped(name, targets.NOT_NEAR_LABEL, exc.surface) from None
            raise

    def _list_target(self, name: str, prop: dict[str, Any], items: list[Any], surfaces: list[Any],
                     record: Record) -> list[dict[str, Any]]:
        item_props = prop["items"]["properties"]
        items = [i for i in items if isinstance(i, dict) and any(i.get(k) is not None for k in item_props)]
        out = []
        for n, item in enumerate(items[: prop.get("maxItems", len(items))]):
            surface = surfaces[n] if n < len(surfaces) and isinstance(surfaces[n], dict) else {}
            out.append({
                key: targets.scalar_target(
                    f"{name}.{key}", sub, item.get(key), surface.get(key),
                    targets.item_reads_as(self.domain.schema, name, key, item.get(key)),
                    lambda: targets.record_spans(record, None, 10**6),
                )
                for key, sub in item_props.items()
            })
        return out

    def _found_far_from_label(self, info: Any, record: Record, surface: Any) -> bool:
        """Whether the span finder has ``surface`` and only the ``near`` filter left it out."""
        rule = span_rule(info)
        if surface is None or rule is None or not rule.near or rule.kind not in FINDERS:
            return False
        text = self.truncate(record.text, self.max_prompt_tokens)
        return str(surface) in FINDERS[rule.kind](text, rule.max_chars)

    def _spans(self, info: Any, record: Record) -> list[str]:
        rule = span_rule(info)
        return targets.record_spans(record, rule.kind if rule else None, rule.max_chars if rule else 10**6)

    def _compare_prefill(self, prefilled: dict[str, Any], truth: TruthRecord, labelled: Labelled, stats: Stats) -> None:
        for name, raw in prefilled.items():
            if labelled.public and name not in truth.fields:
                continue
            try:
                value = targets.normalised(self.domain.schema, name, raw)
            except ValueError:
                value = raw
            if not targets.same(value, truth.fields.get(name)):
                stats.prefill_disagrees[name] += 1


# --------------------------------------------------------------------------- split and files


def is_validation(sha256: str, fraction: float) -> bool:
    """Whether the document with this hash goes to the validation split."""
    return fraction > 0 and int(sha256[:12], 16) / 16**12 < fraction


def build(labelled: Iterable[Labelled], builder: Builder, stats: Stats,
          progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Every example of every labelled document, in document order."""
    rows: list[dict[str, Any]] = []
    for n, item in enumerate(labelled, start=1):
        rows += builder.examples(item, stats)
        if progress:
            progress(n)
    return rows


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` one JSON object per line, atomically; returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a dataset is shared like any output
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path.stat().st_size


def tokenizer_truncate(model: str, cache_dir: Path) -> Truncate:
    """Cuts text as the transformers backend does, with ``model``'s tokenizer alone (no weights)."""
    from parser_service.backends.model_source import load_tokenizer

    tokenizer = load_tokenizer(model, cache_dir)

    def truncate(text: str, max_tokens: int) -> str:
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        return text if len(offsets) <= max_tokens else text[: offsets[max_tokens - 1][1]]

    return truncate
