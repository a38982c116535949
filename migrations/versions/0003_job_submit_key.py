"""Jobs keep the key of the upload that made them (``submit_key``: the document and the
plugin), unique, so identical uploads at the same moment make one job, not several.

Jobs made before this migration keep no key (NULL, which the unique constraint allows
any number of times): their documents are found by their latest job, as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("submit_key", sa.String(200), nullable=True))
        batch.create_unique_constraint(op.f("uq_jobs_submit_key"), ["submit_key"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(op.f("uq_jobs_submit_key"), type_="unique")
        batch.drop_column("submit_key")
