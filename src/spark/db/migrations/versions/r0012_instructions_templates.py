"""Team and personal instructions (versioned), team prompt templates, and which instructions a
generation used.

- ``spark_team_instructions``: one row per saved version of the team's instructions (set by an
  admin; an empty text is a cleared version). Shared by everyone, so no row-level security;
  the app lets only admins write.
- ``spark_user_instructions``: one row per saved version of a user's personal instructions,
  isolated per user by row-level security like the other user tables (revision 0002).
- ``spark_team_templates``: the team's own prompt templates (name, title, description, prompt
  text with ``{placeholders}``, typed parameters as JSON), shared by everyone; admins write.
- ``spark_generation_history`` gains ``team_instructions_version`` and
  ``personal_instructions_version`` (NULL: none were used, or rows before this revision).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from spark.db.migrations.versions.r0002_postgres_security import enable_user_isolation

revision = "0012"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

TEAM = "spark_team_instructions"
PERSONAL = "spark_user_instructions"
TEMPLATES = "spark_team_templates"
HISTORY = "spark_generation_history"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    )


def upgrade() -> None:
    op.create_table(
        TEAM,
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer()),
        _created_at(),
        sa.PrimaryKeyConstraint("version", name=f"pk_{TEAM}"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=f"fk_{TEAM}_created_by_users", ondelete="SET NULL"
        ),
    )
    op.create_table(
        PERSONAL,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("user_id", "version", name=f"pk_{PERSONAL}"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{PERSONAL}_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        TEMPLATES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("parameters", _json(), nullable=False),
        sa.Column("created_by", sa.Integer()),
        _created_at(),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TEMPLATES}"),
        sa.UniqueConstraint("name", name=f"uq_{TEMPLATES}_name"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=f"fk_{TEMPLATES}_created_by_users",
            ondelete="SET NULL",
        ),
    )
    for column in (
        sa.Column("team_instructions_version", sa.Integer()),
        sa.Column("personal_instructions_version", sa.Integer()),
    ):
        op.add_column(HISTORY, column)
    if op.get_bind().dialect.name == "postgresql":
        enable_user_isolation(PERSONAL)


def downgrade() -> None:
    for table in (TEMPLATES, PERSONAL, TEAM):
        op.drop_table(table)  # policies go with the table
    for column in ("personal_instructions_version", "team_instructions_version"):
        op.drop_column(HISTORY, column)
