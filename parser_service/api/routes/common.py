"""Small helpers the route modules share: 404s, the error answers in OpenAPI, a job's schema."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from parser_service.api.schemas import Error
from parser_service.api.state import ApiState
from parser_service.db import Job
from parser_service.errors import PluginError

T = TypeVar("T")


def not_found(what: str, item_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} with id {item_id!r}")


def get_or_404(session: Session, model: type[T], item_id: str, what: str) -> T:
    """The row with ``item_id``, or a 404 naming what was looked for."""
    found = session.get(model, item_id)
    if found is None:
        raise not_found(what, item_id)
    return found


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes, each with the ``{"detail": ...}`` body."""
    return {code: {"model": Error} for code in codes}


def job_schema(state: ApiState, job: Job) -> type[BaseModel] | None:
    """The schema of the job's plugin: the one it names, or the one its document type chose
    (None: no such plugin installed, or none chosen yet)."""
    try:
        if job.plugin:
            return state.host.domain(job.plugin).schema
    except PluginError:
        return None  # uninstalled since
    document_type = (job.document_metadata or {}).get("document_type")
    domain = state.host.domain_for_type(str(document_type)) if document_type else None
    return domain.schema if domain else None
