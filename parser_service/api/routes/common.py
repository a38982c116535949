"""Small helpers the route modules share: 404s, the error answers in OpenAPI, a job's
schema, a bound on a JSON request body."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any, TypeVar

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session

from parser_service.api.schemas import Error
from parser_service.api.state import ApiState
from parser_service.db import Job
from parser_service.errors import ParserServiceError, PluginError
from parser_service.service import schemas
from parser_service.service.schemas import SchemaRef

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
    """The schema of the job's domain: the one it names, or the one its document type chose
    (None: no such domain installed, or none chosen yet), or of its stored schema's version."""
    if job.schema_name and job.schema_hash:
        with suppress(LookupError, ParserServiceError):  # the version removed since: no order
            return schemas.domain(state.service.db, SchemaRef(job.schema_name, job.schema_hash)).schema
        return None
    try:
        if job.domain:
            return state.host.domain(job.domain).schema
    except PluginError:
        return None  # uninstalled since
    document_type = (job.document_metadata or {}).get("document_type")
    domain = state.host.domain_for_type(str(document_type)) if document_type else None
    return domain.schema if domain else None


def body_too_large(max_bytes: int, what: str) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the request body is larger than the limit of {max_bytes >> 10} KiB ({max_bytes:,} bytes; {what}); "
        "nothing was changed",
        headers={"Connection": "close"},  # the rest of the body is not wanted: the server hangs up
    )


class _BoundedRequest(Request):
    """A request whose body is read up to ``max_bytes`` (the declared length first), then refused."""

    def __init__(self, request: Request, max_bytes: int, what: str) -> None:
        super().__init__(request.scope, request.receive)
        self.max_bytes, self.what = max_bytes, what

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise body_too_large(self.max_bytes, self.what)
            body = bytearray()
            async for chunk in self.stream():
                body += chunk
                if len(body) > self.max_bytes:
                    raise body_too_large(self.max_bytes, self.what)
            self._body = bytes(body)
        return self._body


def body_limited(max_bytes: int, what: str) -> type[APIRoute]:
    """A route class whose request body is refused (413, naming ``what`` the limit is for) past
    ``max_bytes``, as it is read: FastAPI reads a JSON body whole before the route, or the
    API key check, runs."""

    class BodyLimitedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def bounded(request: Request) -> Response:
                return await handler(_BoundedRequest(request, max_bytes, what))

            return bounded

    return BodyLimitedRoute
