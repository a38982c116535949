"""Records keep the fields a reviewer should check (``review_fields``); ``service_info``
holds what every process must agree on (the blob store's identity).

Records stored before this migration get an empty list: which of their fields were
flagged was not kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: JSON on SQLite, JSONB on PostgreSQL (as ``models.JSONType``).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("review_fields", JSON, nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "service_info",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_service_info")),
    )


def downgrade() -> None:
    op.drop_table("service_info")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("review_fields")
