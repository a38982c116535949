"""Initial schema: documents, jobs, records, annotations, ingestion sources and files, API keys.

Constraint and index names follow ``parser_service.db.models.NAMING``, so they are the
same on PostgreSQL and SQLite and later migrations can refer to them.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: JSON on SQLite, JSONB on PostgreSQL (as ``models.JSONType``).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), nullable=False)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        _when("created_at"),
        _when("revoked_at", nullable=True),
        _when("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "documents",
        _id(),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob", sa.String(512), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(512), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
    )
    op.create_table(
        "ingestion_sources",
        _id(),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("pattern", sa.String(256), nullable=False),
        sa.Column("plugin", sa.String(128), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("move_to", sa.String(1024), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("last_scan_at", nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_ingestion_sources_name")),
    )
    op.create_table(
        "jobs",
        _id(),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("plugin", sa.String(128), nullable=True),
        sa.Column("options", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("records_total", sa.Integer(), nullable=True),
        sa.Column("records_done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=True),
        sa.Column("document_metadata", JSON, nullable=True),
        sa.Column("plugin_version", sa.String(64), nullable=True),
        sa.Column("model_version", sa.String(256), nullable=True),
        sa.Column("adapter_version", sa.String(256), nullable=True),
        _when("created_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_jobs_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_document_id"), "jobs", ["document_id"])
    op.create_index("ix_jobs_status_updated", "jobs", ["status", "updated_at"])
    op.create_table(
        "ingested_files",
        _id(),
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=True),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _when("first_seen_at"),
        _when("ingested_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_ingested_files_document_id_documents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_ingested_files_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["ingestion_sources.id"],
            name=op.f("fk_ingested_files_source_id_ingestion_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingested_files")),
        sa.UniqueConstraint("source_id", "path", name="uq_ingested_files_source_path"),
    )
    op.create_index(op.f("ix_ingested_files_sha256"), "ingested_files", ["sha256"])
    op.create_table(
        "records",
        _id(),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", JSON, nullable=True),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("confidence", JSON, nullable=False),
        sa.Column("review", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_records_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("job_id", "index", name="uq_records_job_index"),
    )
    op.create_index(op.f("ix_records_status"), "records", ["status"])
    op.create_table(
        "annotations",
        _id(),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(256), nullable=False),
        sa.Column("old_value", JSON, nullable=True),
        sa.Column("new_value", JSON, nullable=True),
        sa.Column("author", sa.String(256), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_annotations_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    op.create_index(op.f("ix_annotations_record_id"), "annotations", ["record_id"])


def downgrade() -> None:
    for table in ("annotations", "records", "ingested_files", "jobs", "ingestion_sources", "documents", "api_keys"):
        op.drop_table(table)  # drops the table's indexes with it
