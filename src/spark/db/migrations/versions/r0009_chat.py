"""The chat that keeps its work: conversation titles and current revisions, the model's prose,
findings, the Unity target a script was written for, partial output, and per-user display
settings.

- ``spark_conversations``: one row per conversation a user renamed or restored a revision in
  (``title``, ``current_generation_id``); a conversation itself is still its history rows
  sharing a ``conversation_id``, so rows written before this revision need no backfill.
  Isolated per user by row-level security like the other user tables (revision 0002).
- ``spark_generation_history`` gains ``explanation`` (the model's prose around the script,
  Markdown), ``findings`` (the validation report: diagnostics and automatic fixes),
  ``compile_report``, ``unity_target`` (what the script was written for), ``partial``
  (stopped before it finished: the text that arrived is kept) and ``base_generation_id`` (the
  revision the prompt built on: 0 for none, NULL for rows written before this revision).
- ``spark_user_preferences`` gains ``theme`` (``light``, ``dark``; NULL follows the browser),
  ``render_pipeline`` and ``unity_project`` (the rest of the user's Unity target; the version
  and input system columns exist since 0001).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from spark.db.migrations.versions.r0002_postgres_security import enable_user_isolation

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "spark_conversations"
HISTORY = "spark_generation_history"
PREFERENCES = "spark_user_preferences"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("current_generation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("user_id", "id", name="pk_spark_conversations"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_spark_conversations_user_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["current_generation_id"],
            [f"{HISTORY}.id"],
            name="fk_spark_conversations_current_generation",
            ondelete="SET NULL",
        ),
    )
    # Plain ADD COLUMN on both databases (no SQLite table copy that could lose an index).
    for column in (
        sa.Column("explanation", sa.Text()),
        sa.Column("findings", _json()),
        sa.Column("compile_report", _json()),
        sa.Column("unity_target", _json()),
        sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("base_generation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
    ):
        op.add_column(HISTORY, column)
    for column in (
        sa.Column("theme", sa.String(8)),
        sa.Column("render_pipeline", sa.String(16)),
        sa.Column("unity_project", sa.Text()),
    ):
        op.add_column(PREFERENCES, column)
    if op.get_bind().dialect.name == "postgresql":
        enable_user_isolation(TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)  # its policies go with it
    # SQLite 3.35+ drops a column in place.
    for column in (
        "base_generation_id",
        "partial",
        "unity_target",
        "compile_report",
        "findings",
        "explanation",
    ):
        op.drop_column(HISTORY, column)
    for column in ("unity_project", "render_pipeline", "theme"):
        op.drop_column(PREFERENCES, column)
