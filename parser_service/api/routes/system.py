"""Installed plugins, and the service's health."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from parser_service.api.auth import require_key
from parser_service.api.health import health
from parser_service.api.schemas import Health, PluginOut
from parser_service.api.state import StateDep

router = APIRouter(tags=["system"], dependencies=[Depends(require_key)])
public = APIRouter(tags=["system"])


@router.get("/plugins", summary="Installed plugins", response_model=list[PluginOut])
def list_plugins(state: StateDep) -> list[PluginOut]:
    return [
        PluginOut(
            name=name,
            version=registered.item.version,
            document_type=registered.item.document_type,
            description=registered.item.description,
            fields=list(registered.item.schema.model_fields),
            media_types=sorted(registered.item.media_types) if registered.item.media_types else None,
            distribution=registered.distribution,
        )
        for name, registered in sorted(state.host.domains.items())
    ]


@public.get(
    "/health",
    summary="Database, Redis, workers, model backend, plugins and blob store: each ok or error",
    response_model=Health,
    responses={503: {"model": Health, "description": "at least one part is down"}},
)
async def get_health(state: StateDep) -> JSONResponse:
    """Open to anyone (load balancers, compose health checks); 503 when any part is down."""
    result = await health(state.settings, state.service.db, state.service)
    code = status.HTTP_200_OK if result.status == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(result.model_dump(mode="json"), status_code=code)
