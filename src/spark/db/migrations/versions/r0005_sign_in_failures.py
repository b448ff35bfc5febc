"""The sign-in throttle's counts, shared by every app instance (they were per process).

One small table on both databases, keyed by (lower-case username, client address). It holds no
user's data beyond a name someone typed, so it has no row-level security.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "spark_sign_in_failures",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", "address", name="pk_spark_sign_in_failures"),
    )
    op.create_index(
        "ix_spark_sign_in_failures_last_failed_at", "spark_sign_in_failures", ["last_failed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_spark_sign_in_failures_last_failed_at", "spark_sign_in_failures")
    op.drop_table("spark_sign_in_failures")
