"""What grounding any span costs, against the candidate-kind path, on the same records.

For each document given, the request-time schema is extracted twice with the real
model, side by side in one process: once with its plain strings grounded as any
substring of the text (``any``, what ``schemas/json_schema.py`` compiles them to) and
once as one of the text's lines (``kind``: candidate spans of the kind ``line``, what
it compiled them to before). The order alternates record by record, so neither mode
always finds the prefix cache warm. It prints seconds per record (the whole
extraction, and the model's generation within it) and output tokens per record; where
a document has ``NAME.expected.json`` beside it, also each field's share of values
equal to the expected one after normalising (``same``), and the mean F1 of the words
they share (``word_f1``: a part of an address scores a part).

    python -m parser_service.bench.span_cost [--schema FILE] DOC...

Measured (embedded 135M model, transformers backend, bfloat16 on a shared 2-core CPU,
one thread; the receipts schema with no descriptions): on the 6 SROIE receipts of
tests/data, 4.0 s/record with line candidates against 6.3 s with any span (120 and 118
output tokens, 23.0 and 26.3 forward passes a record); on 20 held-out SROIE receipts,
15.8 against 18.7 s/record. Any span lets no candidate force the rest of a value once
it starts, so a copied value costs a pass per token or draft; the grammar's own mask
costs about 40 µs a token (20 µs for an enum), nothing beside a forward pass.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, create_model

from parser_service.backends.base import Backend
from parser_service.domains.domain import Domain, extractive, span_rule
from parser_service.schemas.request import schema_domain
from parser_service.text.normalize import to_date, to_number
from parser_service.text.spans import ANY_SPAN

MODES = ("kind", "any")
#: The schema of the receipts figure: the fields SROIE's truth names.
RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "company": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "address": {"type": "string"},
        "total": {"type": "string", "format": "amount"},
    },
}
#: The line grounding plain strings had before any span: whole lines of at most 120 characters.
LINE_CHARS = 120


#: Fields compared as read (a date, an amount), not by their words.
READ_FIELDS = ("date", "total")


@dataclass
class Tally:
    """One mode's totals over the records."""

    seconds: float = 0.0
    generate_s: float = 0.0
    tokens: int = 0
    passes: int = 0
    records: int = 0
    right: dict[str, int] = field(default_factory=dict)
    overlap: dict[str, float] = field(default_factory=dict)
    scored: int = 0


class Counting:
    """Wraps a backend's ``generate`` to count its seconds and output tokens (and the
    in-process decoder's forward passes, where it has one)."""

    def __init__(self, backend: Backend) -> None:
        self.backend, self.seconds, self.tokens = backend, 0.0, 0
        self._generate = backend.generate
        backend.generate = self.generate  # type: ignore[method-assign]

    def generate(self, requests: Any, *, logprobs: bool = False) -> Any:
        started = time.perf_counter()
        answers = self._generate(requests, logprobs=logprobs)
        self.seconds += time.perf_counter() - started
        self.tokens += sum(answer.n_tokens for answer in answers)
        return answers

    @property
    def passes(self) -> int:
        decoder = getattr(self.backend, "decoder", None)
        return int(getattr(decoder, "forward_passes", 0))


def line_grounded(domain: Domain) -> Domain:
    """``domain`` with its any-span strings grounded as one of the text's lines instead."""
    fields: dict[str, Any] = {}
    for name, info in domain.schema.model_fields.items():
        rule = span_rule(info)
        extra = extractive("line", LINE_CHARS) if rule is not None and rule.kind == ANY_SPAN else rule
        fields[name] = (info.annotation, Field(None, description=info.description, json_schema_extra=extra))
    model: type[BaseModel] = create_model(domain.schema.__name__, **fields)
    return Domain(name=domain.name, version=domain.version, schema=model, document_type=domain.document_type,
                  description=domain.description)  # fmt: skip


def same(name: str, got: Any, expected: Any) -> bool:
    """Whether ``got`` is ``expected``: dates and amounts as read, text by its letters and
    digits alone (case, spaces, line breaks and punctuation aside)."""
    if got is None or expected in (None, ""):
        return got is None and expected in (None, "")
    try:
        if name == READ_FIELDS[0]:
            return to_date(got) == to_date(expected, dayfirst=True)
        if name == READ_FIELDS[1]:
            return abs(to_number(got) - to_number(expected)) < 0.005
    except ValueError:
        return False
    return _letters(got) == _letters(expected)


def word_f1(got: Any, expected: Any) -> float:
    """F1 of the words ``got`` and ``expected`` share (a part of an address scores a part)."""
    have, want = _words(got), _words(expected)
    common = sum(min(have.count(w), want.count(w)) for w in set(have))
    if not have or not want or not common:
        return float(have == want)
    precision, recall = common / len(have), common / len(want)
    return 2 * precision * recall / (precision + recall)


def _words(value: Any) -> list[str]:
    return [] if value is None else [w for w in (_letters(w) for w in str(value).split()) if w]


def _letters(value: Any) -> str:
    return re.sub(r"[\W_]+", "", str(value).casefold())


def run(paths: Sequence[Path], schema: dict[str, Any]) -> dict[str, Tally]:
    from parser_service.pipeline.run import Pipeline

    pipeline = Pipeline()
    counting = Counting(pipeline.backend)
    domains = {"any": schema_domain(schema, "receipt")}
    domains["kind"] = line_grounded(domains["any"])
    pipeline.extract(paths[0], domain=domains["any"])  # warm: the model, the prefix cache
    tallies = {mode: Tally() for mode in MODES}
    for index, path in enumerate(paths):
        for mode in MODES if index % 2 else reversed(MODES):
            _measure(pipeline, counting, domains[mode], path, tallies[mode])
    return tallies


def _measure(pipeline: Any, counting: Counting, domain: Domain, path: Path, tally: Tally) -> None:
    seconds, tokens, passes = counting.seconds, counting.tokens, counting.passes
    started = time.perf_counter()
    (record,) = pipeline.extract(path, domain=domain).all_records()
    tally.seconds += time.perf_counter() - started
    tally.generate_s += counting.seconds - seconds
    tally.tokens += counting.tokens - tokens
    tally.passes += counting.passes - passes
    tally.records += 1
    truth = path.with_name(path.stem + ".expected.json")
    if truth.is_file():
        expected = json.loads(truth.read_text(encoding="utf-8"))
        tally.scored += 1
        for name in expected:
            got = (record.data or {}).get(name)
            tally.right[name] = tally.right.get(name, 0) + same(name, got, expected[name])
            tally.overlap[name] = tally.overlap.get(name, 0.0) + word_f1(got, expected[name])


def report(tallies: dict[str, Tally]) -> str:
    kind, any_ = tallies["kind"], tallies["any"]
    rows = [
        "| measure | kind (line candidates) | any span |",
        "|---|---|---|",
        f"| records | {kind.records} | {any_.records} |",
        f"| s/record, extraction | {_per(kind.seconds, kind)} | {_per(any_.seconds, any_)} |",
        f"| s/record, generation | {_per(kind.generate_s, kind)} | {_per(any_.generate_s, any_)} |",
        f"| output tokens/record | {_per(kind.tokens, kind, 1)} | {_per(any_.tokens, any_, 1)} |",
        f"| forward passes/record | {_per(kind.passes, kind, 1)} | {_per(any_.passes, any_, 1)} |",
    ]
    for name in dict.fromkeys([*kind.right, *any_.right]):
        rows.append(f"| {name}, share right | {_share(kind, name)} | {_share(any_, name)} |")
        if name not in READ_FIELDS:
            rows.append(f"| {name}, word F1 | {_per(kind.overlap[name], kind)} | {_per(any_.overlap[name], any_)} |")
    if kind.scored:
        rows.append(f"| mean over fields | {_mean(kind)} | {_mean(any_)} |")
    return "\n".join(rows)


def _per(total: float, tally: Tally, digits: int = 2) -> str:
    return f"{total / max(tally.records, 1):.{digits}f}"


def _share(tally: Tally, name: str) -> str:
    return f"{tally.right.get(name, 0)}/{tally.scored} = {tally.right.get(name, 0) / max(tally.scored, 1):.2f}"


def _mean(tally: Tally) -> str:
    return f"{sum(tally.right.values()) / max(tally.scored * len(tally.right), 1):.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("documents", nargs="+", type=Path)
    parser.add_argument("--schema", type=Path, help="a JSON Schema file (default: the receipts schema)")
    args = parser.parse_args(argv)
    schema = json.loads(args.schema.read_text(encoding="utf-8")) if args.schema else RECEIPT_SCHEMA
    print(report(run(args.documents, schema)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
