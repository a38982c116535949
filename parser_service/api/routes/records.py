"""One record, and reviewers' corrections of its fields."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from parser_service.api.auth import KeyDep, require_key
from parser_service.api.corrections import CorrectionError, normalise, set_field
from parser_service.api.routes.common import errors, get_or_404, not_found
from parser_service.api.schemas import AnnotationIn, AnnotationOut, RecordDetail
from parser_service.api.state import ApiState, SessionDep, StateDep
from parser_service.db import Annotation, Job, Record
from parser_service.errors import PluginError

router = APIRouter(tags=["records"], dependencies=[Depends(require_key)])


@router.get("/records/{record_id}", summary="A record with its corrections", response_model=RecordDetail,
            responses=errors(404))  # fmt: skip
def get_record(record_id: str, session: SessionDep) -> RecordDetail:
    return RecordDetail.model_validate(get_or_404(session, Record, record_id, "record"))


@router.post(
    "/records/{record_id}/annotations",
    status_code=status.HTTP_201_CREATED,
    summary="Correct one field of a record",
    response_model=AnnotationOut,
    responses=errors(404, 422),
)
def annotate(record_id: str, correction: AnnotationIn, key: KeyDep, state: StateDep, session: SessionDep) -> Annotation:
    """Sets the field in the record's data and keeps the old value, who changed it (the API
    key's name) and when, so every correction can be traced and used as training data."""
    locked = select(Record).where(Record.id == record_id).with_for_update()
    record = session.scalar(locked)  # a row lock: two corrections at once never lose one
    if record is None:
        raise not_found("record", record_id)
    schema = _schema(state, record.job_id, session)
    try:
        data, old = set_field(record.data or {}, correction.field, correction.new_value, schema)
        new = normalise(schema, data, correction.field) if schema else correction.new_value
        data, _ = set_field(data, correction.field, new, schema)
    except CorrectionError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    record.data = data
    annotation = Annotation(record=record, field=correction.field, old_value=old, new_value=new, author=key.name)
    session.add(annotation)
    session.commit()
    return annotation


def _schema(state: ApiState, job_id: str, session: Session) -> type[BaseModel] | None:
    """The schema of the job's plugin: the one it names, or the one its document type chose."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    try:
        if job.plugin:
            return state.host.domain(job.plugin).schema
    except PluginError:
        return None  # uninstalled since: the correction is stored as given
    document_type = (job.document_metadata or {}).get("document_type")
    domain = state.host.domain_for_type(str(document_type)) if document_type else None
    return domain.schema if domain else None
