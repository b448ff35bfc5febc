"""PostgreSQL only: ``spark_team_generation_stats``, the admin's explicit path across users.

Row-level security shows the app role one user's rows at a time, so a team view cannot be a
plain query. This SECURITY DEFINER function is the one deliberate exception: it first checks
that the caller - the user in ``spark.user_id`` - is an enabled admin (else it raises
``insufficient_privilege``), then returns every user's figures grouped by user and status,
aggregates only, never a prompt or a line of code. Nothing on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from spark.db.migrations.versions.r0002_postgres_security import (
    _OFF,
    _ON,
    CURRENT_USER_ID,
    _signature,
    create_definer_functions,
)

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# The caller (``caller``: the user in spark.user_id) must be an enabled admin.
ADMIN_ONLY = """IF caller IS NULL OR NOT EXISTS (
        SELECT 1 FROM users u WHERE u.id = caller AND u.is_admin AND NOT u.disabled
    ) THEN
        RAISE EXCEPTION 'the team statistics are for admins only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;"""
DEFINER_FUNCTIONS = {
    "spark_team_generation_stats(since timestamptz)": f"""
RETURNS TABLE (
    user_id integer, username text, status text, generations bigint, total_tokens bigint,
    total_cost_usd numeric, generation_ms bigint, timed bigint
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    caller integer := {CURRENT_USER_ID};
BEGIN
    {ADMIN_ONLY}
    {_ON}
    RETURN QUERY
        SELECT h.user_id, u.username::text, h.status::text, count(*),
               COALESCE(sum(h.input_tokens + h.output_tokens + h.cache_read_tokens
                            + h.cache_write_tokens), 0)::bigint,
               COALESCE(sum(h.cost_usd), 0)::numeric,
               COALESCE(sum(h.generation_ms), 0)::bigint,
               count(h.generation_ms)
        FROM spark_generation_history h JOIN users u ON u.id = h.user_id
        WHERE h.created_at >= since
        GROUP BY h.user_id, u.username, h.status;
    {_OFF}
END
$$""",
}


def function_signatures() -> list[str]:
    """Every function this revision creates, as ``name(types)``."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature in reversed(function_signatures()):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
