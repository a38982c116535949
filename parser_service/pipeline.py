"""The extraction pipeline: file -> document -> metadata -> records -> results.

``Pipeline`` is what the CLI, the API and the workers call. It parses first and
checks the plugin name before loading the model, so bad input fails fast, and it
loads the model backend once, lazily, and keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parser_service.backends import Backend, load_backend
from parser_service.document import Document
from parser_service.domain import Domain
from parser_service.extraction import extract_records
from parser_service.metadata import infer_metadata
from parser_service.parsers.sniff import parse_file
from parser_service.plugin_host import PluginHost, build_host
from parser_service.records import Record, RecordResult
from parser_service.settings import Settings, get_settings

Progress = Callable[[str, int, int], None]


@dataclass
class Extraction:
    document: Document
    metadata: dict[str, Any]
    records: list[RecordResult]
    plugin: str | None
    backend: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document.summary(),
            "metadata": self.metadata,
            "records": [record.to_dict() for record in self.records],
        }


class Pipeline:
    def __init__(
        self,
        settings: Settings | None = None,
        host: PluginHost | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._host = host
        self._backend = backend

    @property
    def host(self) -> PluginHost:
        if self._host is None:
            self._host = build_host()
        return self._host

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = load_backend(self.settings)
        return self._backend

    def parse(self, path: Path, filename: str | None = None) -> Document:
        return parse_file(Path(path), self.host.parser_list(), filename)

    def extract(
        self,
        path: Path,
        *,
        plugin: str | None = None,
        filename: str | None = None,
        progress: Progress | None = None,
    ) -> Extraction:
        chosen = self.host.domain(plugin) if plugin else None
        _report(progress, "parsing", 0, 1)
        document = self.parse(path, filename)
        _report(progress, "parsing", 1, 1)
        return self.extract_document(document, chosen, progress=progress)

    def extract_document(
        self, document: Document, domain: Domain | None, *, progress: Progress | None = None
    ) -> Extraction:
        _report(progress, "loading model", 0, 1)
        backend = self.backend
        _report(progress, "metadata", 0, 1)
        metadata = self.metadata(document)
        _report(progress, "metadata", 1, 1)
        domain = domain or self.host.domain_for_type(str(metadata.get("document_type")))
        records = self.run_domain(document, domain, progress) if domain else []
        return Extraction(document, metadata, records, domain.name if domain else None, backend.describe())

    def run_domain(
        self,
        document: Document,
        domain: Domain,
        progress: Progress | None,
        *,
        extractive_decoding: bool | None = None,
    ) -> list[RecordResult]:
        """Extract ``domain``'s records; ``extractive_decoding`` overrides the setting (evaluations)."""
        records = domain.splitter(document)
        _report(progress, "records", 0, len(records))
        return self.extract_batch(records, domain, progress=progress, extractive_decoding=extractive_decoding)

    def metadata(self, document: Document) -> dict[str, Any]:
        """Document type, language, title, dates and parties (one model call)."""
        return infer_metadata(document, self.host.domain_list(), self.backend)

    def extract_batch(
        self,
        records: Sequence[Record],
        domain: Domain,
        *,
        progress: Progress | None = None,
        extractive_decoding: bool | None = None,
    ) -> list[RecordResult]:
        """Results for some of a document's records. The service calls it a batch at a
        time, so each batch is stored before the next one starts."""
        return extract_records(
            records,
            domain,
            self.backend,
            max_prompt_tokens=self.settings.max_prompt_tokens,
            retries=self.settings.retries,
            batch_size=self.settings.batch_size,
            progress=progress,
            extractive_decoding=(
                self.settings.extractive_decoding if extractive_decoding is None else extractive_decoding
            ),
        )


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
