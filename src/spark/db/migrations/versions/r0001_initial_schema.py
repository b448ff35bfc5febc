"""Initial schema: users, API tokens, preferences and generation history (both databases).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_NOW = sa.text("CURRENT_TIMESTAMP")
_FALSE = sa.text("false")
_ZERO = sa.text("0")
_STAMP = sa.DateTime(timezone=True)
_HISTORY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=_FALSE),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=_FALSE),
        sa.Column("created_at", _STAMP, nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", _STAMP, nullable=False, server_default=_NOW),
        sa.Column("last_used_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "spark_user_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("preferred_provider", sa.String(64), nullable=True),
        sa.Column("preferred_models", _JSON, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("unity_version", sa.String(32), nullable=True),
        sa.Column("input_system", sa.String(16), nullable=True),
        sa.Column("repair_rounds", sa.Integer(), nullable=True),
        sa.Column("updated_at", _STAMP, nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("user_id", name="pk_spark_user_preferences"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_spark_user_preferences_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "repair_rounds BETWEEN 0 AND 3",
            name="ck_spark_user_preferences_repair_rounds_range",
        ),
        sa.CheckConstraint(
            "input_system IN ('legacy', 'new', 'both')",
            name="ck_spark_user_preferences_input_system_known",
        ),
    )

    op.create_table(
        "spark_generation_history",
        sa.Column("id", _HISTORY_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("system_prompt_version", sa.String(32), nullable=True),
        sa.Column("generated_code", sa.Text(), nullable=True),
        sa.Column("class_name", sa.String(128), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False, server_default=_FALSE),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_kind", sa.String(32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("output_tokens", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("cost_usd", sa.Numeric(14, 6), nullable=True),
        sa.Column("generation_ms", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("repair_rounds", sa.Integer(), nullable=False, server_default=_ZERO),
        sa.Column("validation_summary", sa.String(200), nullable=True),
        sa.Column("validation_errors", sa.Integer(), nullable=True),
        sa.Column("validation_warnings", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(64), nullable=True),
        sa.Column("runner", sa.String(128), nullable=True),
        sa.Column("created_at", _STAMP, nullable=False, server_default=_NOW),
        sa.Column("finished_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_spark_generation_history"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_spark_generation_history_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'interrupted')",
            name="ck_spark_generation_history_status_known",
        ),
    )
    op.create_index(
        "ix_spark_generation_history_user_created",
        "spark_generation_history",
        ["user_id", "created_at"],
    )
    op.create_index(
        "ix_spark_generation_history_created", "spark_generation_history", ["created_at"]
    )
    op.create_index(
        "ix_spark_generation_history_conversation",
        "spark_generation_history",
        ["user_id", "conversation_id"],
    )
    running = sa.text("status = 'running'")
    op.create_index(
        "ix_spark_generation_history_running",
        "spark_generation_history",
        ["status"],
        sqlite_where=running,
        postgresql_where=running,
    )


def downgrade() -> None:
    op.drop_table("spark_generation_history")
    op.drop_table("spark_user_preferences")
    op.drop_table("api_tokens")
    op.drop_table("users")
