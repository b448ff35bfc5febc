"""Per-attempt details of each generation: every provider call, its outcome, tokens and cost.

One nullable JSON column (JSONB on PostgreSQL) on ``spark_generation_history``; rows written
before it have none. Row-level security already covers the table's new column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "spark_generation_history",
        sa.Column("attempt_details", sa.JSON().with_variant(JSONB(), "postgresql")),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no table copy that could lose the partial index).
    op.drop_column("spark_generation_history", "attempt_details")
