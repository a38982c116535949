"""The extraction pipeline: file -> document -> metadata -> records -> results.

``Pipeline`` is what the CLI, the API and the workers call. It parses first and
checks the domain name before loading the model, so bad input fails fast, and it
loads the model backend once, lazily, and keeps it.

Records come from ``Pipeline.records``, which refuses, with the reason, a document the
domain does not read (``UnsuitableDocumentError``: its ``media_types``, whether the
domain was chosen by name or by the inferred type) and a document whose tables have
rows of which the splitter made no record (``NoRecordsError``): neither ends as an
empty success. With ``--domain``, both are checked before the model loads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

from parser_service.backends import Backend, load_backend
from parser_service.backends.adapters import Adapter, describe_adapters
from parser_service.document import Document
from parser_service.domains.domain import Domain, Splitter
from parser_service.domains.host import PluginHost, build_host
from parser_service.errors import NoRecordsError, UnsuitableDocumentError
from parser_service.parsers.sniff import parse_file
from parser_service.pipeline.extraction import extract_records
from parser_service.pipeline.metadata import infer_metadata
from parser_service.records import Record, RecordResult, chunks, expected_count
from parser_service.settings import Settings, get_settings
from parser_service.tables.choice import ModelChooser
from parser_service.tables.rows import TableSplitter

Progress = Callable[[str, int, int], None]
#: Records drawn from a splitter and extracted together: the most held at once...
CHUNK_RECORDS = 1024
#: ... fewer where their text passes this many characters (1,024 bank rows hold about
#: 100,000; rows of 10,000 columns, 90,000 each, held about 3 MB each, 3 GB a chunk).
CHUNK_CHARS = 1 << 20


@dataclass
class Extraction:
    document: Document
    metadata: dict[str, Any]
    records: list[RecordResult]
    domain: str | None
    backend: dict[str, Any]
    #: Results not drawn yet, a chunk at a time (``Pipeline.extract(..., stream=True)``);
    #: ``records`` then stays empty and ``write_json`` writes them as they come.
    pending: Iterator[list[RecordResult]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self._head(), "records": [record.to_dict() for record in self.all_records()]}

    def all_records(self) -> list[RecordResult]:
        """``records``, after drawing what is pending."""
        if self.pending is not None:
            self.records = [result for chunk in self._chunks() for result in chunk]
        return self.records

    def write_json(self, handle: TextIO) -> None:
        """What ``json.dumps(self.to_dict(), indent=2)`` gives, written record by record, so
        a large export's results are never all held."""
        head = json.dumps({**self._head(), "records": []}, indent=2, ensure_ascii=False)
        first = True
        handle.write(head[: -len("[]\n}")] + "[")
        for chunk in self._chunks():
            for record in chunk:
                text = json.dumps(record.to_dict(), indent=2, ensure_ascii=False)
                # indented at "\n" only: text may hold U+2028 and the like, which splitlines cuts at
                handle.write(("\n    " if first else ",\n    ") + text.replace("\n", "\n    "))
                first = False
        handle.write("]\n}" if first else "\n  ]\n}")

    def _head(self) -> dict[str, Any]:
        return {"document": self.document.summary(), "metadata": self.metadata}

    def _chunks(self) -> Iterator[list[RecordResult]]:
        yield self.records
        if self.pending is not None:
            yield from self.pending
            self.pending = None


def installed_adapters(host: PluginHost) -> list[Adapter]:
    """The adapters of ``host``'s plugins, as a backend is given them (it asks no plugin host)."""
    return describe_adapters(domain.adapter for domain in host.domain_list())


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
        """Loaded on first use, given the adapters of this pipeline's plugins."""
        if self._backend is None:
            self._backend = load_backend(self.settings, installed_adapters(self.host))
        return self._backend

    def parse(self, path: Path, filename: str | None = None) -> Document:
        return parse_file(Path(path), self.host.parser_list(), filename)

    def extract(
        self,
        path: Path,
        *,
        domain: str | Domain | None = None,
        filename: str | None = None,
        progress: Progress | None = None,
        stream: bool = False,
    ) -> Extraction:
        """Parse ``path``, infer its metadata and extract its records into ``domain`` (an
        installed one by name, or one given whole, such as a request's schema's); None:
        the one the inferred type picks. ``stream``: the records are left pending,
        extracted as ``Extraction.write_json`` draws them."""
        chosen = self.host.domain(domain) if isinstance(domain, str) else domain
        _report(progress, "parsing", 0, 1)
        document = self.parse(path, filename)
        _report(progress, "parsing", 1, 1)
        return self.extract_document(document, chosen, progress=progress, stream=stream)

    def extract_document(
        self, document: Document, domain: Domain | None, *, progress: Progress | None = None, stream: bool = False
    ) -> Extraction:
        # a domain chosen by name is checked against the document before the model loads
        pending = self.stream_domain(document, domain, progress) if domain else None
        _report(progress, "loading model", 0, 1)
        backend = self.backend
        _report(progress, "metadata", 0, 1)
        metadata = self.metadata(document)
        _report(progress, "metadata", 1, 1)
        if domain is None:
            domain = self.host.domain_for_type(str(metadata.get("document_type")))
            pending = self.stream_domain(document, domain, progress) if domain else None
        extraction = Extraction(document, metadata, [], domain.name if domain else None, backend.describe(), pending)
        if not stream:
            extraction.all_records()
        return extraction

    def run_domain(
        self,
        document: Document,
        domain: Domain,
        progress: Progress | None,
        *,
        extractive_decoding: bool | None = None,
    ) -> list[RecordResult]:
        """Extract ``domain``'s records; ``extractive_decoding`` overrides the setting (evaluations)."""
        chunks = self.stream_domain(document, domain, progress, extractive_decoding=extractive_decoding)
        return [result for chunk in chunks for result in chunk]

    def stream_domain(
        self,
        document: Document,
        domain: Domain,
        progress: Progress | None = None,
        *,
        extractive_decoding: bool | None = None,
    ) -> Iterator[list[RecordResult]]:
        """``domain``'s results, ``CHUNK_RECORDS`` records (fewer past ``CHUNK_CHARS`` of their
        text) at a time, as the splitter yields them: a caller that writes each chunk out
        holds one chunk, whatever the file's size.
        The records are checked here, when called (``records``); they are extracted as the
        chunks are drawn."""
        records = self.records(document, domain)
        return self._extracted(records, document, domain, progress, extractive_decoding)

    def records(self, document: Document, domain: Domain) -> Iterable[Record]:
        """``domain``'s records of ``document``: ``UnsuitableDocumentError`` for a kind of
        document the domain does not read, ``NoRecordsError`` when the document's tables
        have rows and the splitter makes no record of any. A splitter that yields is drawn
        up to its first record only."""
        if not domain.accepts(document.media_type):
            kinds = ", ".join(sorted(domain.media_types or ()))
            raise UnsuitableDocumentError(
                document.filename,
                f"domain {domain.name!r} does not read {document.media_type} documents (it reads {kinds})",
            )
        records = self._splitter(domain)(document)
        if isinstance(records, Sized):
            if not len(records):
                _no_records(document, domain)
            return records
        drawn = iter(records)
        first = next(drawn, None)
        if first is None:
            _no_records(document, domain)
            return []
        return chain([first], drawn)

    def _splitter(self, domain: Domain) -> Splitter:
        """The domain's splitter; a schema's table splitter asks the model to match its
        columns where ``column_mapping`` says so."""
        method = self.settings.column_mapping
        if isinstance(domain.splitter, TableSplitter) and method != "names":
            return domain.splitter.using(ModelChooser(self.backend), method)
        return domain.splitter

    def _extracted(
        self,
        records: Iterable[Record],
        document: Document,
        domain: Domain,
        progress: Progress | None,
        extractive_decoding: bool | None,
    ) -> Iterator[list[RecordResult]]:
        total = expected_count(records, document)
        done = 0
        _report(progress, "records", 0, total)
        for chunk in chunks(records, CHUNK_RECORDS, CHUNK_CHARS):
            inner = _offset(progress, done, total)
            yield self.extract_batch(chunk, domain, progress=inner, extractive_decoding=extractive_decoding)
            done += len(chunk)
        _report(progress, "records", done, done)

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


def _no_records(document: Document, domain: Domain) -> None:
    """Raise ``NoRecordsError`` when ``document``'s tables have rows (an empty table, or
    a document without one, may rightly hold no record)."""
    rows = sum(len(table.rows) for page in document.pages for table in page.tables)
    if rows:
        raise NoRecordsError(
            document.filename,
            f"domain {domain.name!r} found no records in the {rows} table row{'s' if rows != 1 else ''} "
            "of this document (none reads as one; is it the right domain?)",
        )


def _offset(progress: Progress | None, before: int, total: int) -> Progress | None:
    """``progress`` for one chunk: its counts shifted by the records ``before`` it."""
    if progress is None:
        return None
    return lambda stage, done, _: progress(stage, before + done, max(total, before + done))


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
