"""Site-wide settings an admin changes at run time (first: whether open sign-up is allowed).

One small key/value table on both databases. It holds no user's data, so it has no row-level
security; only admins may change it, which the web app checks before writing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "spark_site_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("key", name="pk_spark_site_settings"),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name="fk_spark_site_settings_updated_by_users",
            ondelete="SET NULL",
        ),
    )


def downgrade() -> None:
    op.drop_table("spark_site_settings")
