"""API-key authentication: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Both schemes are declared with FastAPI's security classes, so the OpenAPI schema
and the /docs page show them; neither fails on its own (``auto_error=False``), so
a request with no key gets one clear 401 that names both ways to send it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from parser_service.db import ApiKey
from parser_service.service import apikeys

bearer_scheme = HTTPBearer(auto_error=False, description="an API key from `parser-service keys create NAME`")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same API key, in its own header")

MISSING = "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
REJECTED = "invalid or revoked API key"


def unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


async def require_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header: Annotated[str | None, Depends(header_scheme)],
) -> ApiKey:
    """The caller's live API key, or 401."""
    plaintext = header or (bearer.credentials if bearer else None)
    if not plaintext:
        raise unauthorized(MISSING)
    key = await run_in_threadpool(apikeys.verify, request.app.state.api.service.db, plaintext.strip())
    if key is None:
        raise unauthorized(REJECTED)
    return key


KeyDep = Annotated[ApiKey, Depends(require_key)]
