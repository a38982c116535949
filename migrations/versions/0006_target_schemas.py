"""Target schemas stored by name, one row per version (its content hash), and the schema
a job extracts into (``jobs.schema_name``, ``jobs.schema_hash``), so that a result can be
extracted again when the schema changes. Jobs from before keep both NULL (a domain's).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schemas",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemas")),
        sa.UniqueConstraint("name", "hash", name="uq_schemas_name_hash"),
    )
    op.create_index(op.f("ix_schemas_name"), "schemas", ["name"])
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("schema_name", sa.String(128), nullable=True))
        batch.add_column(sa.Column("schema_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("schema_hash")
        batch.drop_column("schema_name")
    op.drop_index(op.f("ix_schemas_name"), table_name="schemas")
    op.drop_table("schemas")
