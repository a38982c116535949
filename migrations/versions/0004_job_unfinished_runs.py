"""Jobs count the runs a worker began and never ended (``unfinished_runs``): a document
that kills its worker (out of memory, a crash in a parser) ends failed after
``PARSER_SERVICE_MAX_WORKER_DEATHS`` of them instead of being delivered forever.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("unfinished_runs", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("unfinished_runs")
