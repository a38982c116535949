"""What the API answers with: pydantic models, separate from the tables, so the
OpenAPI schema says exactly what each route returns and a new column never leaks
out by accident."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RecordStatus = Literal["ok", "invalid", "failed"]
JobStatusName = Literal["pending", "running", "succeeded", "failed"]


class Error(BaseModel):
    """Every error answer: one readable sentence (or pydantic's list for malformed requests)."""

    detail: str | list[Any]


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DocumentOut(Orm):
    id: str
    sha256: str
    filename: str = Field(description="the name it was first uploaded under")
    media_type: str = Field(description="the format found by reading the bytes, not the name")
    size: int = Field(description="bytes")
    created_at: datetime


class JobOut(Orm):
    id: str
    document_id: str
    domain: str | None = Field(description="None: chosen from the inferred document type")
    options: dict[str, Any]
    status: JobStatusName
    records_done: int = Field(description="records finished so far")
    records_total: int | None = Field(description="records in the document, once it is parsed")
    error: str | None = Field(description="why the job failed")
    attempts: int
    document_metadata: dict[str, Any] | None = Field(description="type, language, title, dates, parties")
    schema_name: str | None = Field(None, description="the stored schema the job extracts into (None: a domain)")
    schema_hash: str | None = Field(None, description="the version of that schema: its content hash")
    plugin_version: str | None
    model_version: str | None
    adapter_version: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class DocumentDetail(DocumentOut):
    jobs: list[JobOut] = Field(description="every job run on this document, oldest first")


class UploadOut(BaseModel):
    document_id: str
    job_id: str
    duplicate: bool = Field(description="these bytes were uploaded before: the existing document and job")
    queued: bool = Field(
        description="the job was put on the queue now; when False (a duplicate, or the queue was "
        "unreachable) the job is still stored and the reconciler enqueues it if it is open"
    )
    document: DocumentOut
    job: JobOut


class RecordOut(Orm):
    id: str
    job_id: str
    index: int
    status: RecordStatus
    data: dict[str, Any] | None
    errors: list[Any]
    provenance: dict[str, Any]
    confidence: dict[str, float]
    review: bool = Field(description="a person should check it: not ok, or a field below the plugin's threshold")
    review_fields: list[str] = Field(description="the fields to check: below the threshold or failing validation")
    created_at: datetime


class RecordPage(BaseModel):
    total: int = Field(description="records matching the filter, over all pages")
    offset: int
    limit: int
    items: list[RecordOut]


class AnnotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1, max_length=256, description="the field to correct: 'amount', or a path such as 'lines.0.name'"
    )
    new_value: Any = Field(description="the corrected value (null clears the field)")


class AnnotationOut(Orm):
    id: str
    record_id: str
    field: str
    old_value: Any
    new_value: Any
    author: str = Field(description="the name of the API key that made the correction")
    created_at: datetime


class RecordDetail(RecordOut):
    annotations: list[AnnotationOut]


class PluginOut(BaseModel):
    name: str
    version: str
    document_type: str
    description: str
    fields: list[str] = Field(description="the fields of the plugin's schema")
    media_types: list[str] | None = Field(description="parsed formats it accepts (None: all)")
    distribution: str | None = Field(description="the package that installed it")


class Check(BaseModel):
    status: Literal["ok", "error"]
    detail: str | None = Field(None, description="why it failed (the first line)")
    count: int | None = Field(None, description="workers: how many answered")


class Health(BaseModel):
    status: Literal["ok", "error"] = Field(description="ok only when every check is ok")
    workers: int | None = Field(
        description="workers of the queue that answered (0: none; null: Redis could not be asked)"
    )
    checks: dict[str, Check] = Field(description="database, redis, workers, backend, plugins, blob_store")


class SchemaIn(BaseModel):
    """A target schema to store under a name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(description="letters, digits, '_', '.' or '-' (up to 128)", examples=["receipt"])
    body: dict[str, Any] = Field(alias="schema", description="a JSON Schema whose root is an object")


class SchemaOut(BaseModel):
    """One version of a stored schema."""

    model_config = ConfigDict(populate_by_name=True)

    name: str
    hash: str = Field(description="SHA-256 of the schema's canonical JSON: its version")
    created_at: datetime
    created: bool = Field(False, description="stored by this request (False: that version was there)")
    body: dict[str, Any] | None = Field(None, alias="schema", description="the JSON Schema (left out in lists)")


class SchemaSummaryOut(Orm):
    name: str
    hash: str = Field(description="the latest version")
    versions: int
    updated_at: datetime
