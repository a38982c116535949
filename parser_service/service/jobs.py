"""The service layer: documents, jobs and their records. The API, the CLI, the
workers and scheduled ingestion call this module; it is the one place that
writes documents, jobs and records.

A job runs in batches of ``batch_size`` records (one model call each), and what the
batches give is committed as soon as ``STORE_EVERY_S`` has passed since the last commit
(or ``STORE_ROWS`` results wait), so a worker that dies loses at most the last half
second of work (a slow model's batch is committed on its own), and a job run again
(by a retry, the reconciler or a second worker) skips every record already stored.
The job row counts its records as they are stored (``records_done``, raised in the
same transaction as the insert): no batch counts the job's records again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from parser_service.db import Database, Job, JobStatus, ServiceInfo, StoredDocument, StoredRecord
from parser_service.db.models import new_id, utcnow
from parser_service.document import Document as ParsedDocument
from parser_service.domains.domain import Domain
from parser_service.domains.host import PluginHost
from parser_service.errors import (
    ConfigError,
    FileTooLargeError,
    InputError,
    ParserServiceError,
    PluginError,
    PluginUnavailableError,
)
from parser_service.parsers.sniff import detect
from parser_service.pipeline.run import Pipeline
from parser_service.records import RecordResult, chunks, expected_count
from parser_service.schemas.json_schema import SchemaError
from parser_service.service import schemas
from parser_service.service.blobs import MARKER, BlobStore, LocalBlobStore
from parser_service.service.schemas import SchemaRef
from parser_service.settings import Settings, get_settings

#: ``progress(records_done, records_total)`` after each stored batch.
JobProgress = Callable[[int, int], None]
#: The ``service_info`` row holding the blob store's id and where it was first set up.
BLOB_STORE_KEY = "blob_store"
#: Seconds of results held before they are committed: a fast job (rows prefilled from a
#: column mapping) commits hundreds of records at once instead of one commit per 8.
STORE_EVERY_S = 0.5
#: Results held at most before they are committed, whatever the time.
STORE_ROWS = 500


class Service:
    """Database + blob store + (lazily) the pipeline, built from settings.

    Its pipeline holds the plugin host every part of a process asks (the API's routes, the
    jobs, the ingestion): ``host``, or one the pipeline builds on first use.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        db: Database | None = None,
        store: BlobStore | None = None,
        pipeline: Pipeline | None = None,
        host: PluginHost | None = None,
    ) -> None:
        self.settings = settings or (pipeline.settings if pipeline else get_settings())
        self._host = host
        self.db = db or Database(self.settings.database())
        self.store: BlobStore = store or LocalBlobStore(self.settings.blobs())
        self._pipeline = pipeline
        self._store_checked = False
        self.store_every_s, self.store_rows = STORE_EVERY_S, STORE_ROWS

    @property
    def pipeline(self) -> Pipeline:
        """Built on first use: the model backend itself loads only when a job needs it."""
        if self._pipeline is None:
            self._pipeline = Pipeline(self.settings, host=self._host)
        return self._pipeline

    # --- the blob store ------------------------------------------------------------------

    def check_blob_store(self, *, claim: bool = True, again: bool = False) -> None:
        """Refuse (``ConfigError``) a blob folder that is not the one this database's documents
        are stored in: every process must see the same store, and a relative
        PARSER_SERVICE_DATA_DIR resolved in another working directory would otherwise fail
        every job with "stored file is missing". The first process that stores a document
        (``claim``) records the store's id (a marker file in its folder) in the database; the
        folder may be mounted at another path on another machine, the id is what must match."""
        if self._store_checked and not again:  # ``again``: look even if it was right before (/health)
            return
        with self.db.session() as session:
            row = session.get(ServiceInfo, BLOB_STORE_KEY)
            known = dict(row.value) if row is not None else None
        if known is None:
            if not claim:
                return
            self._check_holds_documents()
            marker = self.store.marker() or self.store.claim_marker(new_id())
            try:
                with self.db.session() as session:
                    session.add(ServiceInfo(key=BLOB_STORE_KEY, value={"id": marker, "path": self.store.where}))
            except IntegrityError:  # another process set the store up at the same moment: check against it
                self.check_blob_store(claim=False)
                return
        elif self.store.marker() != known.get("id"):
            raise ConfigError(
                f"the blob folder here is {self.store.where}, but this database's documents are stored in "
                f"{known.get('path')} (its marker file {MARKER} differs or is missing); start the API, every "
                "worker and the CLI with the same absolute PARSER_SERVICE_DATA_DIR (or PARSER_SERVICE_BLOB_DIR)",
                retryable=True,  # for a job: another worker, rightly configured, can run it
            )
        self._store_checked = True

    def _check_holds_documents(self) -> None:
        """Before the first claim (a database from before the check): its newest document must
        be in this store, or the store is the wrong one."""
        with self.db.session() as session:
            newest = session.scalar(select(StoredDocument).order_by(StoredDocument.created_at.desc()).limit(1))
        if newest is not None and not self.store.exists(newest.blob):
            raise ConfigError(
                f"the blob folder here is {self.store.where}, but it does not hold this database's documents "
                f"({newest.filename} is not in it); start every process with the absolute PARSER_SERVICE_DATA_DIR "
                "(or PARSER_SERVICE_BLOB_DIR) that holds them",
                retryable=True,
            )

    # --- documents and jobs -------------------------------------------------------------

    def add_document(self, stream: BinaryIO, filename: str) -> tuple[StoredDocument, bool]:
        """Store the bytes (size limit enforced while streaming, ``FileTooLargeError``), sniff the
        format (``UnsupportedFormatError`` for anything no parser claims) and return the document
        and whether it is new. The same bytes twice give the same document."""
        self.check_blob_store()
        try:
            blob = self.store.put(stream, max_bytes=int(self.settings.max_upload_mb * 1024 * 1024))
        except FileTooLargeError as exc:
            raise FileTooLargeError(filename, f"larger than the {self.settings.max_upload_mb:g} MB limit") from exc
        existing = self._document_by_sha(blob.sha256)
        if existing is not None:
            return existing, False
        try:
            parser = detect(self.store.local_path(blob.location), self.pipeline.host.parser_list(), filename)
        except BaseException:  # refused (415): its bytes are not kept, unless a document has them by now
            if self._document_by_sha(blob.sha256) is None:
                self.store.remove(blob.location)
            raise
        document = StoredDocument(
            sha256=blob.sha256, blob=blob.location, media_type=parser.media_type, size=blob.size, filename=filename
        )
        try:
            with self.db.session() as session:
                session.add(document)
        except IntegrityError:  # the same bytes, uploaded at the same moment by someone else
            raced = self._document_by_sha(blob.sha256)
            if raced is None:
                raise
            return raced, False
        if not self.store.exists(blob.location):  # an upload of the same bytes refused meanwhile took them
            stream.seek(0)
            self.store.put(stream)
        return document, True

    def submit(
        self,
        stream: BinaryIO,
        filename: str,
        domain: str | None = None,
        options: dict[str, Any] | None = None,
        *,
        schema: SchemaRef | None = None,
    ) -> tuple[StoredDocument, Job, bool]:
        """``add_document`` then a pending job for it, extracting ``domain`` or a stored
        ``schema`` (one version of it). An unknown domain raises ``UnknownDomainError``
        before anything is stored. A duplicate upload (same bytes, same domain or schema
        version) returns the existing document and its latest job, and ``False``; it
        creates no new job."""
        if domain:
            self.pipeline.host.require(domain)
        document, _ = self.add_document(stream, filename)
        latest = self._latest_job(document.id, domain, schema)  # a new document too: a racing upload's job
        if latest is not None:
            return document, latest, False
        key = _submit_key(document.id, domain, schema)
        try:  # the first job of an upload carries a unique key: of identical uploads at once, one makes it
            return document, self.new_job(document.id, domain, options, submit_key=key, schema=schema), True
        except IntegrityError:
            raced = self._latest_job(document.id, domain, schema)
            if raced is None:
                raise
            return document, raced, False

    def new_job(
        self,
        document_id: str,
        domain: str | None = None,
        options: dict[str, Any] | None = None,
        *,
        submit_key: str | None = None,
        schema: SchemaRef | None = None,
    ) -> Job:
        """An explicit new job for a stored document (processing again after a version change),
        extracting ``domain`` or that version of a stored ``schema``. ``UnknownDomainError``
        for a domain not installed, ``LookupError`` for no such document or schema version;
        ``IntegrityError`` when ``submit_key`` (``submit``'s) is taken."""
        if schema is not None:
            schemas.resolve(self.db, schema.name, schema.hash)
        if domain:
            self.pipeline.host.require(domain)
        with self.db.session() as session:
            if session.get(StoredDocument, document_id) is None:
                raise LookupError(f"no document {document_id}")
            job = Job(
                document_id=document_id,
                domain=domain,
                options=options or {},
                status=JobStatus.pending,
                submit_key=submit_key,
                schema_name=schema.name if schema else None,
                schema_hash=schema.hash if schema else None,
            )
            session.add(job)
        return job

    def job(self, job_id: str) -> Job:
        """The job as stored now; ``LookupError`` when there is none."""
        with self.db.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise LookupError(f"no job {job_id}")
            return job

    def set_task(self, job_id: str, task_id: str) -> None:
        """Remember the queue task last sent for the job (the workers' ``enqueue``)."""
        self._update(job_id, task_id=task_id)

    def fail(self, job_id: str, reason: str, *, ending_run: bool = False) -> Job:
        """End an open job ``failed`` with ``reason`` (a finished job is left as it is);
        ``ending_run``: and end the run ``begin_run`` counted, in the same transaction, so
        no reader sees the job failed with its run still counted."""
        with self.db.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(JobStatus.open()))
                .values(status=JobStatus.failed, error=reason, finished_at=utcnow())
            )
            if ending_run:
                self._end_run(session, job_id)
        return self.job(job_id)

    # --- running a job ------------------------------------------------------------------

    def begin_run(self, job_id: str) -> int | None:
        """Count a worker's run of an open job before it starts (``unfinished_runs``, ended by
        ``end_run``); returns how many runs before this one began and never ended, each a
        worker that died on the job (killed for memory, a crash in a parser): ``None`` for a
        job that is not open, or not there."""
        with self.db.session() as session:
            runs = session.scalar(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(JobStatus.open()))
                .values(unfinished_runs=Job.unfinished_runs + 1)
                .returning(Job.unfinished_runs)
            )
        return None if runs is None else int(runs) - 1

    def end_run(self, job_id: str) -> None:
        """The run ``begin_run`` counted ended (well or not) in a worker that is still alive."""
        with self.db.session() as session:
            self._end_run(session, job_id)

    @staticmethod
    def _end_run(session: Session, job_id: str) -> None:
        session.execute(
            update(Job).where(Job.id == job_id, Job.unfinished_runs > 0).values(unfinished_runs=Job.unfinished_runs - 1)
        )

    def run_job(self, job_id: str, progress: Callable[[int, int], None] | None = None) -> Job:
        """Process a job to the end. Idempotent: records already stored for the job are kept and
        skipped, never duplicated (unique on job and index); a finished job is returned as it is.
        Writes ``records_done``/``records_total`` as batches complete. Bad input (``InputError``,
        unknown domain) ends the job ``failed`` with its reason and does not raise; retryable
        errors (``BackendError`` with ``retryable``, lost DB connection) raise for the caller to
        retry."""
        job = self.job(job_id)
        if job.status not in JobStatus.open():
            return job
        job = self._start(job_id)
        try:
            self._process(job, progress)
        except (InputError, PluginError) as exc:
            return self.fail(job_id, exc.message)
        except ParserServiceError as exc:
            if exc.retryable:
                self._note_retry(job_id, exc)
                raise
            return self.fail(job_id, exc.message)
        return self._finish(job_id)

    def open_jobs(self, older_than_s: float = 0) -> list[Job]:
        """Jobs still pending or running whose ``updated_at`` is older than ``older_than_s``
        (the reconciler re-enqueues those with no live task)."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with self.db.session() as session:
            query = select(Job).where(Job.status.in_(JobStatus.open()), Job.updated_at <= cutoff)
            return list(session.scalars(query.order_by(Job.updated_at)))

    def _process(self, job: Job, progress: JobProgress | None) -> None:
        self.check_blob_store(claim=False)
        document = self.job_document(job)
        parsed = self.pipeline.parse(self._blob_path(document), document.filename)
        chosen = self._chosen_domain(job)
        metadata = job.document_metadata or self.pipeline.metadata(parsed)
        domain = chosen or self.pipeline.host.domain_for_type(str(metadata.get("document_type")))
        if domain is None and self.pipeline.host.broken:  # the plugin for it may be the broken one: wait
            names = ", ".join(sorted(self.pipeline.host.broken))
            raise PluginUnavailableError(  # the metadata is not kept: a broken plugin's types are missing from it
                f"no loaded plugin reads {metadata.get('document_type')!r} documents, and installed plugins failed "
                f"to load ({names}): the job waits until they are fixed"
            )
        if not job.document_metadata:
            self._update(job.id, document_metadata=metadata, model_version=_describe(self.pipeline.backend.describe()))
        if domain is None:  # no installed plugin for this kind of document: metadata only
            self._update(job.id, records_total=0)
            return
        self._store_versions(job.id, domain)
        self._run_records(job.id, parsed, domain, progress)

    def _chosen_domain(self, job: Job) -> Domain | None:
        """The domain the job names: its stored schema's version, or an installed domain;
        None: the document type chooses."""
        if job.schema_name and job.schema_hash:
            try:
                return schemas.domain(self.db, SchemaRef(job.schema_name, job.schema_hash))
            except LookupError as exc:  # the version was removed from the database since
                raise SchemaError(str(exc)) from exc
        return self.pipeline.host.domain(job.domain) if job.domain else None

    def _run_records(self, job_id: str, parsed: ParsedDocument, domain: Domain, progress: JobProgress | None) -> None:
        """Extract and store, batch by batch, the records not stored yet, drawing them from
        the splitter as they come (a large export is never held whole). ``records_total``
        starts as the splitter's count, or the table rows for a streaming splitter, and is
        set to the exact count at the end."""
        records = self.pipeline.records(parsed, domain)  # an unsuitable document, or no record: failed
        total = expected_count(records, parsed)
        stored = self._stored_indices(job_id)
        self._update(job_id, records_total=total, records_done=len(stored))  # the counter starts true
        seen = 0
        pending: list[RecordResult] = []
        last_store = time.monotonic()

        def store() -> None:
            nonlocal pending, last_store
            done = self._store_records(job_id, pending)
            pending, last_store = [], time.monotonic()
            if progress is not None:
                progress(done, max(total, seen))

        try:
            for batch in chunks(records, self.pipeline.settings.batch_size):
                seen += len(batch)
                todo = [record for record in batch if record.index not in stored]
                if todo:
                    pending.extend(self.pipeline.extract_batch(todo, domain))
                if pending and (len(pending) >= self.store_rows or time.monotonic() - last_store >= self.store_every_s):
                    store()
        except BaseException:
            if pending:  # keep the work done before the error; the error itself is what the caller sees
                with suppress(Exception):
                    store()
            raise
        if pending:
            store()
        if seen != total:
            self._update(job_id, records_total=seen)

    def _store_versions(self, job_id: str, domain: Domain) -> None:
        self._update(
            job_id,
            plugin_version=self._plugin_version(domain),
            model_version=_describe(self.pipeline.backend.describe()),
            adapter_version=adapter_version(domain.adapter),
        )

    def _plugin_version(self, domain: Domain) -> str:
        if domain.extra.get(schemas.SCHEMA_KEY):  # a stored schema: its own version, whatever a plugin is called
            return domain.version
        registered = self.pipeline.host.domains.get(domain.name)
        return (registered.version if registered else None) or domain.version

    # --- rows ---------------------------------------------------------------------------

    def _store_records(self, job_id: str, results: Sequence[RecordResult]) -> int:
        """Insert the results whose index is not stored yet; the unique (job, index) key makes
        a second worker's identical insert a no-op instead of an error. The job's
        ``records_done`` is raised by the rows this insert added, in the same transaction
        (never a count of the job's records: that made storing quadratic). Returns the
        job's ``records_done`` after it."""
        rows = [_record_row(job_id, result) for result in results]
        with self.db.session() as session:
            inserted = len(session.execute(_insert_ignoring_duplicates(session), rows).all()) if rows else 0
            done = session.scalar(
                update(Job)
                .where(Job.id == job_id)
                .values(records_done=Job.records_done + inserted, updated_at=utcnow())
                .returning(Job.records_done)
            )
        return int(done or 0)

    def _start(self, job_id: str) -> Job:
        with self.db.session() as session:
            job = session.get(Job, job_id, with_for_update=_locks(session))
            assert job is not None
            job.status = JobStatus.running
            job.attempts += 1
            job.started_at = job.started_at or utcnow()
            job.updated_at = utcnow()
        return job

    def _finish(self, job_id: str) -> Job:
        done = self._count_records(job_id)
        self._update(job_id, status=JobStatus.succeeded, records_done=done, error=None, finished_at=utcnow())
        return self.job(job_id)

    def _note_retry(self, job_id: str, exc: ParserServiceError) -> None:
        """Leave a trace of the transient error; the job stays open for the retry."""
        with suppress(OperationalError):  # when the database is what failed, the caller retries anyway
            self._update(job_id, status=JobStatus.pending, error=f"will retry: {exc.message}")

    def _update(self, job_id: str, **values: Any) -> None:
        with self.db.session() as session:
            session.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))

    def _stored_indices(self, job_id: str) -> set[int]:
        with self.db.session() as session:
            return set(session.scalars(select(StoredRecord.index).where(StoredRecord.job_id == job_id)))

    def _count_records(self, job_id: str) -> int:
        with self.db.session() as session:
            counted = select(func.count()).select_from(StoredRecord).where(StoredRecord.job_id == job_id)
            return int(session.scalar(counted) or 0)

    def job_document(self, job: Job) -> StoredDocument:
        with self.db.session() as session:
            document = session.get(StoredDocument, job.document_id)
            if document is None:
                raise LookupError(f"job {job.id}: no document {job.document_id}")
            return document

    def _blob_path(self, document: StoredDocument) -> Path:
        if not self.store.exists(document.blob):  # the deployment's fault (a wrong or emptied folder): the job waits
            raise ConfigError(
                f"{document.filename}: the stored file is missing from the blob store at {self.store.where} "
                "(a wrong PARSER_SERVICE_DATA_DIR or PARSER_SERVICE_BLOB_DIR, or the file was removed); "
                "the job waits until it is there",
                retryable=True,
            )
        return self.store.local_path(document.blob)

    def _document_by_sha(self, sha256: str) -> StoredDocument | None:
        with self.db.session() as session:
            return session.scalar(select(StoredDocument).where(StoredDocument.sha256 == sha256))

    def _latest_job(self, document_id: str, domain: str | None, schema: SchemaRef | None = None) -> Job | None:
        same_domain = Job.domain.is_(None) if domain is None else Job.domain == domain
        same_schema = (Job.schema_hash.is_(None) if schema is None
                       else (Job.schema_name == schema.name) & (Job.schema_hash == schema.hash))  # fmt: skip
        query = select(Job).where(Job.document_id == document_id, same_domain, same_schema)
        with self.db.session() as session:
            return session.scalar(query.order_by(Job.created_at.desc()).limit(1))


def _submit_key(document_id: str, domain: str | None, schema: SchemaRef | None = None) -> str:
    """What makes two uploads the same: the document and the domain asked for ("*": by type),
    or the schema version (its hash cut to 40: the key's column holds 200 characters)."""
    if schema is not None:
        return f"{document_id}/schema:{schema.hash[:40]}:{schema.name}"
    return f"{document_id}/{domain or '*'}"


def _record_row(job_id: str, result: RecordResult) -> dict[str, Any]:
    return {
        "id": new_id(),
        "job_id": job_id,
        "index": result.index,
        "status": result.status,
        "data": result.data,
        "errors": [issue.to_dict() for issue in result.errors],
        "provenance": result.provenance,
        "confidence": result.confidence,
        "review": result.review,
        "review_fields": list(result.review_fields),
        "created_at": utcnow(),
    }


def _insert_ignoring_duplicates(session: Session) -> Any:
    """``INSERT ... ON CONFLICT (job_id, index) DO NOTHING RETURNING index`` in the session's
    dialect, a Core statement for many rows (the ORM's bulk path costs more than the insert)."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, StoredRecord.__table__)
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise ConfigError(f"DATABASE_URL: the service runs on PostgreSQL or SQLite, not {dialect}")
    return statement.on_conflict_do_nothing(index_elements=["job_id", "index"]).returning(table.c.index)


def _locks(session: Session) -> bool:
    """Row locks where the database has them (SQLite locks the whole file anyway)."""
    return session.get_bind().dialect.name == "postgresql"


def _describe(facts: dict[str, Any]) -> str:
    """``backend.describe()`` as one short line for the job row."""
    return " ".join(f"{key}={value}" for key, value in facts.items())[:256]


def adapter_version(folder: Path | None) -> str | None:
    """``<folder name>@<sha256 prefix of its files>``: changes whenever the adapter's files do."""
    if folder is None:
        return None
    files = sorted(p for p in Path(folder).iterdir() if p.is_file())
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return f"{Path(folder).name}@{_hash_files(tuple(files), stamp)}"


@lru_cache(maxsize=32)
def _hash_files(files: tuple[Path, ...], stamp: tuple[tuple[str, int, int], ...]) -> str:
    """Cached on the files' names, sizes and times, so an unchanged adapter is hashed once."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()[:16]
