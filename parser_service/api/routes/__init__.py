"""The API's routes, one module per resource. Every router here requires an API key;
``system.public`` holds the one route that does not (/health). The documentation pages,
also open, are added by ``parser_service.api.docs``."""

from parser_service.api.routes import documents, jobs, records, schemas, system

#: Routers whose every route needs an API key.
PROTECTED = (documents.router, jobs.router, records.router, schemas.router, system.router)
#: Routers open to anyone (health probes).
PUBLIC = (system.public,)

__all__ = ["PROTECTED", "PUBLIC"]
