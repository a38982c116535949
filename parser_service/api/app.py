"""The FastAPI application: ``create_app(settings)``.

At start-up the database is migrated to the newest schema (Alembic), so a fresh
deployment needs no separate step, and the blob folder is checked against the one the
database's documents are in; errors the service raises on purpose become JSON
``{"detail": ...}`` answers with the status that fits them. The documentation pages
(``/docs``, ``/redoc``, ``/openapi.json``) are served with local assets and need no key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool

from parser_service import __version__
from parser_service.api.docs import OPENAPI_URL, add_docs
from parser_service.api.routes import PROTECTED, PUBLIC
from parser_service.api.state import ApiState, Enqueue, queue_enqueue
from parser_service.errors import (
    FileTooLargeError,
    InputError,
    ParserServiceError,
    UnknownDomainError,
    UnsupportedFormatError,
)
from parser_service.schemas.json_schema import SchemaError
from parser_service.service.jobs import Service
from parser_service.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Upload documents (PDF, XLSX, CSV, text); workers extract schema-valid records with a small "
    "local language model. Every route needs an API key (`Authorization: Bearer <key>` or "
    "`X-API-Key: <key>`), made with `parser-service keys create NAME`, except /health and these "
    "documentation pages (/docs, /redoc, /openapi.json), which hold no data."
)

#: Errors raised on purpose, most specific first, and the status each answers with.
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (SchemaError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (UnknownDomainError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (FileTooLargeError, status.HTTP_413_CONTENT_TOO_LARGE),
    (UnsupportedFormatError, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (InputError, status.HTTP_400_BAD_REQUEST),
    (ParserServiceError, status.HTTP_500_INTERNAL_SERVER_ERROR),
)


def create_app(
    settings: Settings | None = None,
    *,
    service: Service | None = None,
    enqueue: Enqueue | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The API on ``settings`` (default: from the environment). ``enqueue`` replaces the Celery
    queue; ``migrate=False`` leaves the database schema to someone else."""
    settings = settings or get_settings()
    if enqueue is None and _queue_of(settings) != _queue_of(get_settings()):
        log.warning("the Celery queue is configured from the environment (REDIS_URL, PARSER_SERVICE_QUEUE, "
                    "DATABASE_URL), which differs from these settings: pass enqueue= to create_app")  # fmt: skip
    state = ApiState(settings, service or Service(settings), enqueue or queue_enqueue)
    app = FastAPI(
        title="parser-service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(state, migrate),
        docs_url=None,  # served by add_docs, from local files
        redoc_url=None,
        openapi_url=OPENAPI_URL if settings.api_docs else None,
    )
    if settings.api_docs:
        add_docs(app)
    app.state.api = state
    for router in (*PUBLIC, *PROTECTED):
        app.include_router(router)
    _add_error_handlers(app)
    return app


def _lifespan(state: ApiState, migrate: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            from parser_service.db.migrate import upgrade

            await run_in_threadpool(upgrade, state.settings.database())
        await run_in_threadpool(state.service.check_blob_store)  # the same blob folder as every other process
        await run_in_threadpool(lambda: state.host)  # load the plugins now, not in the first upload
        yield
        state.service.db.dispose()

    return lifespan


def _queue_of(settings: Settings) -> tuple[str, str, str]:
    """What decides where ``service.queue.enqueue`` sends a job (it reads the environment)."""
    return settings.redis_url, settings.queue, settings.database()


def _add_error_handlers(app: FastAPI) -> None:
    async def service_error(_request: Request, exc: Exception) -> JSONResponse:
        code = next(code for kind, code in ERROR_STATUS if isinstance(exc, kind))
        message = exc.message if isinstance(exc, ParserServiceError) else str(exc)
        return JSONResponse({"detail": message}, status_code=code)

    async def database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database error: %s", exc)
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )

    app.add_exception_handler(ParserServiceError, service_error)
    app.add_exception_handler(OperationalError, database_down)
    app.add_exception_handler(InterfaceError, database_down)
