"""Signed-in sessions in the database, so that signing out ends a session on every instance.

``spark_sessions`` holds one row per signed-in browser: the SHA-256 of the random session id
its signed cookie carries, the user, and when it expires. A cookie whose row is gone (signed
out, "sign out everywhere", password changed, account deleted) or expired no longer signs
anyone in, on any instance.

On PostgreSQL the table is isolated per user by row-level security like ``api_tokens``
(revision 0002): a request's session is resolved before anyone is known, so through the
SECURITY DEFINER function ``spark_user_id_for_session`` (the way ``spark_user_id_for_token``
resolves a bearer token), and the daily clean-up of expired rows, which crosses users, through
``spark_forget_expired_sessions``. Creating and ending sessions happens as the user.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spark.db.migrations.versions.r0002_postgres_security import (
    _OFF,
    _ON,
    _signature,
    create_definer_functions,
    enable_user_isolation,
)

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "spark_sessions"
DEFINER_FUNCTIONS = {
    "spark_user_id_for_session(p_session_hash text)": f"""
RETURNS integer LANGUAGE plpgsql STABLE AS $$
DECLARE
    found_user integer;
BEGIN
    {_ON}
    SELECT s.user_id INTO found_user FROM spark_sessions s
        WHERE s.id = p_session_hash AND s.expires_at > now();
    {_OFF}
    RETURN found_user;
END
$$""",
    "spark_forget_expired_sessions()": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    deleted integer;
BEGIN
    {_ON}
    DELETE FROM spark_sessions s WHERE s.expires_at <= now();
    GET DIAGNOSTICS deleted = ROW_COUNT;
    {_OFF}
    RETURN deleted;
END
$$""",
}


def function_signatures() -> list[str]:
    """Every function this revision creates, as ``name(types)``."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spark_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_spark_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_spark_sessions_user_id", TABLE, ["user_id"])
    op.create_index("ix_spark_sessions_expires_at", TABLE, ["expires_at"])
    if op.get_bind().dialect.name == "postgresql":
        enable_user_isolation(TABLE)
        create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in reversed(function_signatures()):
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_table(TABLE)  # its indexes and policies go with it
