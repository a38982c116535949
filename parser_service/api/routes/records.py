"""One record, and reviewers' corrections of its fields."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from parser_service.api.auth import KeyDep, require_key
from parser_service.api.corrections import (
    MAX_BODY_BYTES,
    MAX_VALUE_BYTES,
    CorrectionError,
    check_size,
    normalise,
    set_field,
)
from parser_service.api.routes.common import body_limited, errors, get_or_404, job_schema, not_found
from parser_service.api.schemas import AnnotationIn, AnnotationOut, RecordDetail
from parser_service.api.state import SessionDep, StateDep
from parser_service.db import Annotation, Job, StoredRecord

_LIMITED = body_limited(MAX_BODY_BYTES, f"a corrected value, new_value, may take {MAX_VALUE_BYTES >> 10} KiB as JSON")
router = APIRouter(tags=["records"], dependencies=[Depends(require_key)], route_class=_LIMITED)


@router.get("/records/{record_id}", summary="A record with its corrections", response_model=RecordDetail,
            responses=errors(404))  # fmt: skip
def get_record(record_id: str, session: SessionDep) -> RecordDetail:
    return RecordDetail.model_validate(get_or_404(session, StoredRecord, record_id, "record"))


@router.post(
    "/records/{record_id}/annotations",
    status_code=status.HTTP_201_CREATED,
    summary="Correct one field of a record",
    response_model=AnnotationOut,
    responses=errors(404, 413, 422),
)
def annotate(record_id: str, correction: AnnotationIn, key: KeyDep, state: StateDep, session: SessionDep) -> Annotation:
    """Sets the field in the record's data and keeps the old value, who changed it (the API
    key's name) and when, so every correction can be traced and used as training data. The
    field is taken off the record's ``review_fields``: a person has checked it. A value takes
    at most 64 KiB written as JSON (422 past it), the request 68 KiB (413, refused as it is read)."""
    locked = select(StoredRecord).where(StoredRecord.id == record_id).with_for_update()
    record = session.scalar(locked)  # a row lock: two corrections at once never lose one
    if record is None:
        raise not_found("record", record_id)
    job = session.get(Job, record.job_id)
    schema = job_schema(state, job) if job is not None else None
    try:
        check_size(correction.new_value)
        data, old = set_field(record.data or {}, correction.field, correction.new_value, schema)
        new = normalise(schema, data, correction.field) if schema else correction.new_value
        data, _ = set_field(data, correction.field, new, schema)
    except CorrectionError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    record.data = data
    record.review_fields = reviewed(record.review_fields or [], correction.field)
    record.review = record.status != "ok" or bool(record.review_fields)
    annotation = Annotation(record=record, field=correction.field, old_value=old, new_value=new, author=key.name)
    session.add(annotation)
    session.commit()
    return annotation


def reviewed(fields: list[str], corrected: str) -> list[str]:
    """The fields still to review once a person has corrected ``corrected``: its own flag
    goes, and so do flags under it (correcting ``lines`` settles ``lines.0.name``)."""
    return [name for name in fields if name != corrected and not name.startswith(f"{corrected}.")]
