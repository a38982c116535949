"""Target schemas: store one under a name (a new version when its content changes), list
them, fetch the latest or one version. A schema the extraction cannot honour is refused
422 with the keyword and its JSON path."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from starlette.concurrency import run_in_threadpool

from parser_service.api.auth import require_key
from parser_service.api.routes.common import body_limited, errors
from parser_service.api.schemas import SchemaIn, SchemaOut, SchemaSummaryOut
from parser_service.api.state import StateDep
from parser_service.db import StoredSchema
from parser_service.service import schemas

#: The largest schema body taken.
MAX_SCHEMA_BYTES = 256 << 10

router = APIRouter(tags=["schemas"], dependencies=[Depends(require_key)],
                   route_class=body_limited(MAX_SCHEMA_BYTES, "a target schema"))  # fmt: skip


@router.post(
    "/schemas",
    status_code=status.HTTP_201_CREATED,
    summary="Store a target schema under a name (a new version when its content is new)",
    response_model=SchemaOut,
    responses={200: {"model": SchemaOut, "description": "this version was stored before"}, **errors(413, 422)},
)
async def store_schema(body: SchemaIn, response: Response, state: StateDep) -> SchemaOut:
    """Compiles the schema first: a keyword, type or format the extraction cannot honour is
    refused (422) naming it and its JSON path. The version is the SHA-256 of the schema's
    canonical JSON; storing the same content again adds nothing (200)."""
    row, created = await run_in_threadpool(schemas.store, state.service.db, body.name, body.body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return schema_out(row, created=created)


@router.get("/schemas", summary="Every stored schema with its latest version", response_model=list[SchemaSummaryOut])
def list_schemas(state: StateDep) -> list[SchemaSummaryOut]:
    return [SchemaSummaryOut.model_validate(found) for found in schemas.summaries(state.service.db)]


@router.get("/schemas/{name}", summary="A schema: its latest version, or the one with this hash",
            response_model=SchemaOut, responses=errors(404, 422))  # fmt: skip
def get_schema(
    name: str,
    state: StateDep,
    hash: Annotated[str | None, Query(description="a version: its hash, or the first 8 or more characters")] = None,
) -> SchemaOut:
    return schema_out(found_schema(state, name, hash))


@router.get("/schemas/{name}/versions", summary="Every version of a schema, the latest first",
            response_model=list[SchemaOut], responses=errors(404))  # fmt: skip
def list_versions(name: str, state: StateDep) -> list[SchemaOut]:
    rows = schemas.versions(state.service.db, name)
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no schema {name!r}")
    return [SchemaOut(name=row.name, hash=row.hash, created_at=row.created_at) for row in rows]


def found_schema(state: StateDep, name: str, digest: str | None) -> StoredSchema:
    """The version asked for, or 404 naming it."""
    try:
        return schemas.resolve(state.service.db, name, digest)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


def schema_out(row: StoredSchema, *, created: bool = False) -> SchemaOut:
    return SchemaOut(
        name=row.name, hash=row.hash, created_at=row.created_at, created=created, body=json.loads(row.body)
    )
