"""The columns that hold the name of the domain a job extracts (``jobs.plugin``) and the
domain of a watched folder's files (``ingestion_sources.plugin``) are named ``domain``:
a plugin is the installed package, a domain the kind of document it provides. The values
are kept as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("jobs", "ingestion_sources")


def upgrade() -> None:
    for table in TABLES:
        _rename(table, "plugin", "domain")


def downgrade() -> None:
    for table in TABLES:
        _rename(table, "domain", "plugin")


def _rename(table: str, old: str, new: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.alter_column(old, new_column_name=new, existing_type=sa.String(128), existing_nullable=True)
