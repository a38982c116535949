"""Persistence: SQLAlchemy models and sessions. Migrations live in ``migrations/``."""

from parser_service.db.models import (
    Annotation,
    ApiKey,
    Base,
    Document,
    IngestedFile,
    IngestionSource,
    Job,
    JobStatus,
    Record,
    ServiceInfo,
)
from parser_service.db.session import Database

__all__ = [
    "Annotation",
    "ApiKey",
    "Base",
    "Database",
    "Document",
    "IngestedFile",
    "IngestionSource",
    "Job",
    "JobStatus",
    "Record",
    "ServiceInfo",
]
