"""Uploading documents, and looking them up."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from parser_service.api.auth import require_key
from parser_service.api.routes.common import errors, get_or_404
from parser_service.api.routes.schemas import found_schema
from parser_service.api.schemas import DocumentDetail, DocumentOut, JobOut, UploadOut
from parser_service.api.state import ApiState, SessionDep, StateDep
from parser_service.api.upload import Upload, read_upload
from parser_service.db import Job, StoredDocument
from parser_service.service import schemas
from parser_service.service.schemas import SchemaRef

log = logging.getLogger(__name__)
router = APIRouter(tags=["documents"], dependencies=[Depends(require_key)])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "PDF, XLSX, CSV/TSV or text"},
                        "domain": {"type": "string", "description": "domain to extract (default: by document type)"},
                        "plugin": {"type": "string", "description": "the old name of domain, still accepted"},
                        "reprocess": {"type": "boolean", "description": "a new job even if these bytes were seen"},
                        "schema": {
                            "type": "string",
                            "description": "a stored schema to extract into (POST /schemas), "
                            "instead of a domain; with schema_json, the name to store that schema under",
                        },
                        "schema_hash": {
                            "type": "string",
                            "description": "a version of the stored schema (its hash, "
                            "8 or more characters of it); default: the latest",
                        },
                        "schema_json": {
                            "type": "string",
                            "description": "a JSON Schema sent with the upload: stored as "
                            "a version of 'schema' (default: its title, else 'inline') and extracted into",
                        },
                    },
                }
            }
        },
    }
}
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}
#: The form fields an upload takes beside ``file``.
FORM_FIELDS = frozenset(UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]) - {"file"}


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str | None = Field(None, description="domain to extract (default: by document type)")
    plugin: str | None = Field(None, description="the old name of domain, still accepted")
    schema_name: str | None = Field(None, description="a stored schema to extract into, instead of a domain")
    schema_hash: str | None = Field(None, description="its version (default: the latest)")


@router.post(
    "/documents",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload a document and queue a job for it",
    response_model=UploadOut,
    responses={
        200: {"model": UploadOut, "description": "a duplicate: these bytes were uploaded before"},
        **errors(400, 413, 415, 422),
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_document(
    request: Request,
    response: Response,
    state: StateDep,
    reprocess: Annotated[bool, Query(description="a new job even if these bytes were seen")] = False,
) -> UploadOut:
    """Streams the file to the blob store (413 past the size limit, before the rest is read),
    sniffs its format (415 for anything no parser reads), and queues a job. The same bytes
    again give the same document and its existing job (200), unless ``reprocess``."""
    upload = await read_upload(request, max_upload_bytes(state))
    try:
        unknown = sorted(set(upload.fields) - FORM_FIELDS)
        if unknown:  # a misspelt "domain" must not be ignored quietly
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"unknown form field {', '.join(map(repr, unknown))}; an upload takes file, "
                + ", ".join(sorted(FORM_FIELDS)),
            )
        domain = chosen_domain(upload.fields.get("domain"), upload.fields.get("plugin"))
        reprocess = reprocess or _flag(upload.fields.get("reprocess", ""), "reprocess")
        if domain:
            state.host.require(domain)  # unknown: 422 listing the installed ones, before storing anything
        fields = upload.fields
        schema = await run_in_threadpool(
            chosen_schema, state, domain, fields.get("schema"), fields.get("schema_hash"), fields.get("schema_json")
        )
        document, job, created = await run_in_threadpool(_store, state, upload, domain, reprocess, schema)
    finally:
        upload.close()
    if not created:
        response.status_code = status.HTTP_200_OK
    queued = created and await enqueue(state, job.id)
    return _answer(document, job, duplicate=not created, queued=queued)


@router.get(
    "/documents/{document_id}", summary="A document and its jobs", response_model=DocumentDetail,
    responses=errors(404),
)  # fmt: skip
def get_document(document_id: str, session: SessionDep) -> DocumentDetail:
    return DocumentDetail.model_validate(get_or_404(session, StoredDocument, document_id, "document"))


@router.post(
    "/documents/{document_id}/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Process a stored document again (a new job)",
    response_model=UploadOut,
    responses=errors(404, 422),
)
async def reprocess_document(document_id: str, state: StateDep, body: JobIn | None = None) -> UploadOut:
    domain = chosen_domain(body.domain, body.plugin) if body else None
    if domain:
        state.host.require(domain)
    schema = None
    if body is not None:
        schema = await run_in_threadpool(chosen_schema, state, domain, body.schema_name, body.schema_hash, None)
    document, job = await run_in_threadpool(_new_job, state, document_id, domain, schema)
    return _answer(document, job, duplicate=False, queued=await enqueue(state, job.id))


@router.post(
    "/jobs/{job_id}/again",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Extract a job's document again, with its schema's latest version",
    response_model=UploadOut,
    responses=errors(404),
    tags=["jobs"],
)
async def run_again(job_id: str, state: StateDep) -> UploadOut:
    """A new job for the job's document and the same domain; for a job that extracted into a
    stored schema, into that schema's latest version (the one ``GET /schemas/{name}`` shows)."""
    old = await run_in_threadpool(_job, state, job_id)
    schema = None
    if old.schema_name:
        latest = await run_in_threadpool(found_schema, state, old.schema_name, None)
        schema = SchemaRef(latest.name, latest.hash)
    document, job = await run_in_threadpool(_new_job, state, old.document_id, old.domain, schema)
    return _answer(document, job, duplicate=False, queued=await enqueue(state, job.id))


def chosen_schema(
    state: ApiState, domain: str | None, name: str | None, digest: str | None, inline: str | None
) -> SchemaRef | None:
    """The schema version an upload extracts into: ``inline`` (a JSON Schema, stored first
    under ``name``, or its title, or "inline"), or the stored ``name`` at ``digest`` (the
    latest without one); None: a domain. 422 for a schema beside a domain, an unknown name
    or version, or one the extraction cannot honour."""
    name, digest, inline = (name or "").strip() or None, (digest or "").strip() or None, (inline or "").strip() or None
    if (name or inline) and domain:
        raise _unprocessable(f"a schema and the domain {domain!r} both given: send one")
    if digest and (inline or not name):
        raise _unprocessable("schema_hash names a version of a stored schema: send it with schema, not schema_json")
    if inline:
        row, _ = schemas.store(state.service.db, name or _inline_name(_json(inline)), _json(inline))
        return SchemaRef(row.name, row.hash)
    if name is None:
        return None
    try:
        row = schemas.resolve(state.service.db, name, digest)
    except LookupError as exc:
        raise _unprocessable(str(exc)) from exc
    return SchemaRef(row.name, row.hash)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unprocessable(f"schema_json is not JSON: {exc}") from exc


def _inline_name(schema: Any) -> str:
    """An inline schema's name: its title where that is a schema name, else "inline"."""
    title = str(schema.get("title") or "") if isinstance(schema, dict) else ""
    return title if schemas.NAME.fullmatch(title) else "inline"


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def chosen_domain(domain: str | None, plugin: str | None) -> str | None:
    """The domain asked for: ``domain``, or ``plugin``, its old name, which clients written
    before the rename still send. Both, naming different domains, is a 422: neither wins quietly."""
    domain, plugin = (domain or "").strip() or None, (plugin or "").strip() or None
    if domain and plugin and domain != plugin:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"domain {domain!r} and plugin {plugin!r} disagree; plugin is the old name of domain: send one",
        )
    return domain or plugin


def max_upload_bytes(state: ApiState) -> int:
    return int(state.settings.max_upload_mb * (1 << 20))


def _flag(value: str, name: str) -> bool:
    if value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} must be true or false, not {value!r}")


def _store(
    state: ApiState, upload: Upload, domain: str | None, reprocess: bool, schema: SchemaRef | None
) -> tuple[StoredDocument, Job, bool]:
    assert upload.file is not None
    service = state.service
    if not reprocess:
        return service.submit(upload.file, upload.filename, domain, schema=schema)
    document, _ = service.add_document(upload.file, upload.filename)
    return document, service.new_job(document.id, domain, schema=schema), True


def _job(state: ApiState, job_id: str) -> Job:
    with state.service.db.sessions() as session:
        return get_or_404(session, Job, job_id, "job")


def _new_job(
    state: ApiState, document_id: str, domain: str | None, schema: SchemaRef | None = None
) -> tuple[StoredDocument, Job]:
    with state.service.db.sessions() as session:
        document = get_or_404(session, StoredDocument, document_id, "document")
    return document, state.service.new_job(document_id, domain, schema=schema)


async def enqueue(state: ApiState, job_id: str) -> bool:
    """Put the job on the queue. If the queue is down the job is still stored, pending, and the
    reconciler enqueues it later: the upload is not lost, so it is not an error for the client."""
    try:
        await run_in_threadpool(state.enqueue, job_id)
    except Exception:  # the broker being down must not fail a stored upload
        log.warning("job %s stored but not queued; the reconciler will enqueue it", job_id, exc_info=True)
        return False
    return True


def _answer(document: StoredDocument, job: Job, *, duplicate: bool, queued: bool) -> UploadOut:
    return UploadOut(
        document_id=document.id,
        job_id=job.id,
        duplicate=duplicate,
        queued=queued,
        document=DocumentOut.model_validate(document),
        job=JobOut.model_validate(job),
    )
