"""The service layer: documents, jobs and their records. The API, the CLI, the
workers and scheduled ingestion call this module; it is the one place that
writes documents, jobs and records.

CONTRACT (being implemented; signatures are fixed, bodies to come).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

from parser_service.blobs import BlobStore
from parser_service.db import Database, Document, Job
from parser_service.pipeline import Pipeline
from parser_service.settings import Settings


class Service:
    """Database + blob store + (lazily) the pipeline, built from settings."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        db: Database | None = None,
        store: BlobStore | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        raise NotImplementedError

    def add_document(self, stream: BinaryIO, filename: str) -> tuple[Document, bool]:
        """Store the bytes (size limit enforced while streaming, ``FileTooLargeError``), sniff the
        format (``UnsupportedFormatError`` for anything no parser claims) and return the document
        and whether it is new. The same bytes twice give the same document."""
        raise NotImplementedError

    def submit(
        self, stream: BinaryIO, filename: str, plugin: str | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Document, Job, bool]:
        """``add_document`` then a pending job for it. An unknown plugin raises ``UnknownPluginError``
        before anything is stored. A duplicate upload (same bytes, same plugin) returns the
        existing document and its latest job, and ``False``; it creates no new job."""
        raise NotImplementedError

    def new_job(self, document_id: str, plugin: str | None = None, options: dict[str, Any] | None = None) -> Job:
        """An explicit new job for a stored document (processing again after a version change)."""
        raise NotImplementedError

    def run_job(self, job_id: str, progress: Callable[[int, int], None] | None = None) -> Job:
        """Process a job to the end. Idempotent: records already stored for the job are kept and
        skipped, never duplicated (unique on job and index); a finished job is returned as it is.
        Writes ``records_done``/``records_total`` as batches complete. Bad input (``InputError``,
        unknown plugin) ends the job ``failed`` with its reason and does not raise; retryable
        errors (``BackendError`` with ``retryable``, lost DB connection) raise for the caller to
        retry."""
        raise NotImplementedError

    def open_jobs(self, older_than_s: float = 0) -> list[Job]:
        """Jobs still pending or running whose ``updated_at`` is older than ``older_than_s``
        (the reconciler re-enqueues those with no live task)."""
        raise NotImplementedError
