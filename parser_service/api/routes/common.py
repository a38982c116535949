"""Small helpers the route modules share: 404s and the error answers in OpenAPI."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from parser_service.api.schemas import Error

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
