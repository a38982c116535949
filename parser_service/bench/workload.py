"""The records every backend figure of the benchmark is measured on.

Real documents shipped with the project: each example invoice of the ``invoices``
plugin (and of the test data, when run from a checkout) is one record, and rows of
the ``bank_transactions`` examples fill the rest, taken round-robin from each export.
Every record asks the model for every field of its schema (no prefill), through
exactly the request the pipeline builds (``extraction.build_request``). The same
``count`` gives the same records on any backend, since they share the tokenizer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from parser_service.backends.base import GenerationRequest
from parser_service.domains.domain import Domain
from parser_service.pipeline.extraction import build_request
from parser_service.pipeline.run import Pipeline
from parser_service.records import Record

#: Extra example invoices when the benchmark runs from a checkout.
CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass(frozen=True, slots=True)
class Workload:
    """Records and the requests for them; ``with_adapter`` toggles every plugin's adapter."""

    labels: list[str]
    requests: list[GenerationRequest]

    @property
    def plugins(self) -> list[str]:
        """The plugin of each record (a label is ``plugin:where``)."""
        return [label.split(":", 1)[0] for label in self.labels]

    def with_adapter(self, on: bool, domains: dict[str, Domain]) -> list[GenerationRequest]:
        return [
            replace(request, adapter=domains[plugin].adapter if on else None)
            for plugin, request in zip(self.plugins, self.requests)
        ]


def build_workload(
    pipeline: Pipeline, count: int, truncate: Callable[[str, int], str], *, extractive: bool = True
) -> Workload:
    invoices = pipeline.host.domain("invoices")
    bank = pipeline.host.domain("bank_transactions")
    chosen: list[tuple[Domain, Record, str]] = []
    for path in invoice_files(invoices):
        if len(chosen) == count:
            break
        for record in invoices.split(pipeline.parse(path)):
            chosen.append((invoices, record, f"invoices:{path.name}"))
    chosen += islice(bank_rows(pipeline, bank), max(0, count - len(chosen)))
    labels, requests = [], []
    for domain, record, label in chosen[:count]:
        names = list(domain.schema.model_fields)
        requests.append(build_request(record, domain, names, truncate=truncate,
                                      max_prompt_tokens=pipeline.settings.max_prompt_tokens,
                                      extractive_decoding=extractive))  # fmt: skip
        labels.append(label)
    return Workload(labels, requests)


def invoice_files(domain: Domain) -> list[Path]:
    """The plugin's example documents, then the checkout's, each content once."""
    paths = [example.document for example in domain.examples]
    if CHECKOUT_DATA.is_dir():
        others = labelled_other_kinds()
        paths += sorted(
            p for p in CHECKOUT_DATA.iterdir() if p.suffix.lower() in {".pdf", ".txt"} and p.name not in others
        )
    seen: set[bytes] = set()
    unique = []
    for path in paths:
        content = path.read_bytes()
        if content not in seen:
            seen.add(content)
            unique.append(path)
    return unique


def labelled_other_kinds() -> set[str]:
    """The checkout's documents that the metadata labels name as another kind than an
    invoice (CVs, receipts, lists): not invoices to extract."""
    labels = CHECKOUT_DATA / "metadata_labels.json"
    if not labels.is_file():
        return set()
    documents = json.loads(labels.read_text(encoding="utf-8"))["documents"]
    return {d["path"] for d in documents if d.get("kind") != "invoice"}


def bank_rows(pipeline: Pipeline, domain: Domain) -> Iterator[tuple[Domain, Record, str]]:
    """Rows of every bank example, one from each export in turn."""
    tables: list[Sequence[Record]] = [domain.split(pipeline.parse(e.document)) for e in domain.examples]
    names = [e.document.name for e in domain.examples]
    for i in range(max((len(t) for t in tables), default=0)):
        for name, rows in zip(names, tables):
            if i < len(rows):
                yield domain, rows[i], f"bank_transactions:{name}#{i}"
