"""The service's tables. The database is the source of truth for every job.

Ids are UUID strings so they are the same on PostgreSQL and SQLite and safe to
show in URLs. JSON columns hold what the pipeline returns (record data, errors,
provenance, confidence) as it is.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

#: Constraint names fixed by convention, so migrations name them the same everywhere.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"

    @classmethod
    def open(cls) -> tuple[JobStatus, ...]:
        """Statuses of jobs that still need a worker."""
        return (cls.pending, cls.running)


class StoredDocument(Base):
    """An uploaded file as stored (the parsed one is ``parser_service.document.Document``)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    blob: Mapped[str] = mapped_column(String(512), doc="location in the blob store")
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    jobs: Mapped[list[Job]] = relationship(back_populates="document", order_by="Job.created_at")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_updated", "status", "updated_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str | None] = mapped_column(String(128), doc="None: chosen from the document type")
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.pending)
    records_total: Mapped[int | None] = mapped_column(Integer)
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    unfinished_runs: Mapped[int] = mapped_column(
        Integer, default=0, server_default=text("0"), doc="runs a worker began and never ended: its deaths"
    )
    task_id: Mapped[str | None] = mapped_column(String(64), doc="the queue task last sent for this job")
    submit_key: Mapped[str | None] = mapped_column(
        String(200), unique=True, doc="document and domain of the upload that made the job: one job per upload"
    )
    document_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    schema_name: Mapped[str | None] = mapped_column(String(128), doc="a stored target schema the job extracts into")
    schema_hash: Mapped[str | None] = mapped_column(String(64), doc="the version of schema_name it extracts into")
    plugin_version: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(256))
    adapter_version: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    document: Mapped[StoredDocument] = relationship(back_populates="jobs")
    records: Mapped[list[StoredRecord]] = relationship(
        back_populates="job", order_by="StoredRecord.index", cascade="all, delete-orphan"
    )


class StoredRecord(Base):
    """One extracted record as stored (the parsed one is ``parser_service.records.Record``)."""

    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("job_id", "index", name="uq_records_job_index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True, doc="ok, invalid or failed")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    confidence: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    review: Mapped[bool] = mapped_column(Boolean, default=False, doc="a field is below the plugin's threshold")
    review_fields: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'"), doc="the fields a reviewer should check"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    job: Mapped[Job] = relationship(back_populates="records")
    annotations: Mapped[list[Annotation]] = relationship(
        back_populates="record", order_by="Annotation.created_at", cascade="all, delete-orphan"
    )


class Annotation(Base):
    """A reviewer's correction of one field of one record."""

    __tablename__ = "annotations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(256))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    author: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    record: Mapped[StoredRecord] = relationship(back_populates="annotations")


class IngestionSource(Base):
    """A watched folder: new files matching ``pattern`` become documents and jobs."""

    __tablename__ = "ingestion_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    path: Mapped[str] = mapped_column(String(1024))
    pattern: Mapped[str] = mapped_column(String(256), default="*")
    domain: Mapped[str | None] = mapped_column(String(128))
    interval_s: Mapped[int] = mapped_column(Integer, default=60)
    move_to: Mapped[str | None] = mapped_column(String(1024), doc="folder processed files are moved to")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    files: Mapped[list[IngestedFile]] = relationship(back_populates="source", cascade="all, delete-orphan")


class IngestedFile(Base):
    """A file a source has seen: first its size (to wait for it to settle), then its document."""

    __tablename__ = "ingested_files"
    __table_args__ = (UniqueConstraint("source_id", "path", name="uq_ingested_files_source_path"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("ingestion_sources.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="seen", doc="seen, ingested, duplicate or error")
    error: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ingested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    source: Mapped[IngestionSource] = relationship(back_populates="files")


class ApiKey(Base):
    """An API key, stored only as its SHA-256; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), doc="first characters, to tell keys apart")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StoredSchema(Base):
    """A named target schema (JSON Schema), one row per version: its content hash
    (``schemas.json_schema.schema_hash``). The newest row of a name is its latest version."""

    __tablename__ = "schemas"
    __table_args__ = (UniqueConstraint("name", "hash", name="uq_schemas_name_hash"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, doc="the schema's JSON as given: its properties' order is the fields'")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceInfo(Base):
    """Facts about the deployment every process must agree on, one value per key (the blob
    store's identity: ``parser_service.service.jobs.BLOB_STORE_KEY``)."""

    __tablename__ = "service_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
