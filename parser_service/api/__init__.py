"""The HTTP API (FastAPI): uploads, jobs, records, exports, plugins, health."""

from parser_service.api.app import create_app

__all__ = ["create_app"]
