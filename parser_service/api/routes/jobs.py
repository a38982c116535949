"""Jobs: status and progress, their records page by page, and exports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import func, select
from starlette.background import BackgroundTask
from starlette.responses import Response

from parser_service.api import export
from parser_service.api.auth import require_key
from parser_service.api.routes.common import errors, get_or_404, job_schema
from parser_service.api.schemas import JobOut, RecordOut, RecordPage, RecordStatus
from parser_service.api.state import SessionDep, StateDep
from parser_service.db import Database, Job, StoredRecord

#: The largest offset taken (a record's index is a 32-bit integer); past it: 422, not a database error.
MAX_OFFSET = 2**31 - 1

router = APIRouter(tags=["jobs"], dependencies=[Depends(require_key)])
#: Records read from the database at a time while exporting.
EXPORT_BATCH = 500
ExportFormat = Literal["json", "jsonl", "csv", "xlsx"]


@router.get("/jobs/{job_id}", summary="A job's status, progress and versions", response_model=JobOut,
            responses=errors(404))  # fmt: skip
def get_job(job_id: str, session: SessionDep) -> Job:
    return get_or_404(session, Job, job_id, "job")


@router.get("/jobs/{job_id}/records", summary="A job's records, a page at a time", response_model=RecordPage,
            responses=errors(404))  # fmt: skip
def list_records(
    job_id: str,
    session: SessionDep,
    status: Annotated[RecordStatus | None, Query(description="only records with this status")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="records to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RecordPage:
    get_or_404(session, Job, job_id, "job")
    query = select(StoredRecord).where(StoredRecord.job_id == job_id)
    if status is not None:
        query = query.where(StoredRecord.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(StoredRecord.index).offset(offset).limit(limit))
    items = [RecordOut.model_validate(record) for record in page]
    return RecordPage(total=total, offset=offset, limit=limit, items=items)


@router.get(
    "/jobs/{job_id}/export",
    summary="A job's records as JSON, JSON Lines, CSV or XLSX",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media, _ in export.FORMATS.values()}, "description": "the export file"},
        **errors(404),
    },
)
def export_job(
    job_id: str,
    state: StateDep,
    session: SessionDep,
    format: Annotated[ExportFormat, Query(description="json, jsonl, csv or xlsx")] = "json",
) -> Response:
    """CSV and XLSX flatten nested data into columns, in the order of the plugin's schema, and
    escape text that a spreadsheet would run as a formula. Every record carries ``review`` and
    ``review_fields`` (the columns ``record_review`` and ``record_review_fields``). A job that is
    still running exports the records it has so far (``X-Job-Status`` says which it is)."""
    row = get_or_404(session, Job, job_id, "job")
    job = JobOut.model_validate(row)
    schema = job_schema(state, row)
    order = export.field_order(schema) if schema is not None else None
    media_type, suffix = export.FORMATS[format]
    headers = {
        "Content-Disposition": f'attachment; filename="job-{job_id}.{suffix}"',
        "X-Job-Status": job.status,
    }
    source = record_source(state.service.db, job_id, order)
    if format == "xlsx":
        path = export.xlsx_file(source, title=f"job {job_id[:8]}", order=order)
        cleanup = BackgroundTask(Path(path).unlink, missing_ok=True)
        return FileResponse(path, media_type=media_type, headers=headers, background=cleanup)
    chunks = {
        "json": lambda: export.json_chunks({"job": job.model_dump(mode="json")}, source),
        "jsonl": lambda: export.jsonl_chunks(source),
        "csv": lambda: export.csv_chunks(source, order),
    }[format]()
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def record_source(db: Database, job_id: str, order: export.FieldOrder | None = None) -> export.RecordSource:
    """Reads the job's records in index order, a batch per short session, each time it is called;
    their data's keys in ``order`` (the schema's)."""

    def records() -> Iterator[dict[str, Any]]:
        last = -1
        while True:
            with db.sessions() as session:
                batch = session.scalars(
                    select(StoredRecord)
                    .where(StoredRecord.job_id == job_id, StoredRecord.index > last)
                    .order_by(StoredRecord.index)
                    .limit(EXPORT_BATCH)
                ).all()
                rows = [export.record_dict(record, order) for record in batch]
            if not rows:
                return
            yield from rows
            last = rows[-1]["index"]

    return records
