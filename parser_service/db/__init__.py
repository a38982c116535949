"""Persistence: SQLAlchemy models and sessions. Migrations live in ``migrations/``."""

from parser_service.db.models import (
    Annotation,
    ApiKey,
    Base,
    IngestedFile,
    IngestionSource,
    Job,
    JobStatus,
    ServiceInfo,
    StoredDocument,
    StoredRecord,
    StoredSchema,
)
from parser_service.db.session import Database

__all__ = [
    "Annotation",
    "ApiKey",
    "Base",
    "Database",
    "StoredDocument",
    "IngestedFile",
    "IngestionSource",
    "Job",
    "JobStatus",
    "StoredRecord",
    "StoredSchema",
    "ServiceInfo",
]
