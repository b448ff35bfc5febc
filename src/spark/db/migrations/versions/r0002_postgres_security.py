"""PostgreSQL only: row-level security, the SQL functions, and locked-down maintenance functions.

A row of ``api_tokens``, ``spark_user_preferences`` or ``spark_generation_history`` is visible
and writable only when its ``user_id`` equals ``current_setting('spark.user_id', true)``, which
the app sets per transaction. RLS is FORCED, so the table owner is subject to it too; the owner
gets one extra policy that opens the tables only while ``spark.maintenance`` is ``on``, which
only the SECURITY DEFINER functions below set (for their own duration). Nothing on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ISOLATED_TABLES = ("api_tokens", "spark_user_preferences", "spark_generation_history")
CURRENT_USER_ID = "NULLIF(current_setting('spark.user_id', true), '')::integer"
MAINTENANCE = "current_setting('spark.maintenance', true) = 'on'"

# Run with the caller's rights: row-level security applies to whoever calls them.
INVOKER_FUNCTIONS = {
    "get_or_create_spark_preferences()": f"""
RETURNS spark_user_preferences LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    uid integer := {CURRENT_USER_ID};
    prefs spark_user_preferences;
BEGIN
    IF uid IS NULL THEN
        RAISE EXCEPTION 'spark.user_id is not set' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO spark_user_preferences (user_id) VALUES (uid) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO prefs FROM spark_user_preferences p WHERE p.user_id = uid;
    RETURN prefs;
END
$$""",
    "get_user_generation_stats(user_id integer, days_back integer DEFAULT 30)": """
RETURNS TABLE (
    total_generations bigint, succeeded bigint, failed bigint, success_rate numeric,
    provider_counts jsonb, total_tokens bigint, total_cost_usd numeric, avg_generation_ms integer
) LANGUAGE sql STABLE AS $$
    WITH recent AS (
        SELECT * FROM spark_generation_history h
        WHERE h.user_id = get_user_generation_stats.user_id
          AND h.created_at >= now() - get_user_generation_stats.days_back * interval '1 day'
    ), providers AS (
        SELECT provider, count(*) AS n FROM recent GROUP BY provider
    )
    SELECT
        count(*),
        count(*) FILTER (WHERE status = 'succeeded'),
        count(*) FILTER (WHERE status IN ('failed', 'interrupted')),
        CASE WHEN count(*) FILTER (WHERE status <> 'running') = 0 THEN 0::numeric
             ELSE round(100.0 * count(*) FILTER (WHERE status = 'succeeded')
                        / count(*) FILTER (WHERE status <> 'running'), 1) END,
        COALESCE((SELECT jsonb_object_agg(provider, n) FROM providers), '{}'::jsonb),
        COALESCE(sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0)
            ::bigint,
        COALESCE(sum(cost_usd), 0)::numeric(14, 6),
        round(avg(generation_ms) FILTER (WHERE status = 'succeeded'))::integer
    FROM recent
$$""",
}

# Run as the owner, across users: each one does one narrow job. ``spark.maintenance`` is on only
# while one of them runs (a function's SET clause cannot name it: PostgreSQL 15 keeps custom
# settings in SET clauses for superusers).
_ON = "PERFORM set_config('spark.maintenance', 'on', true);"
_OFF = "PERFORM set_config('spark.maintenance', '', true);"
DEFINER_FUNCTIONS = {
    "cleanup_old_generation_history(days integer DEFAULT 90)": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    deleted integer;
BEGIN
    IF days IS NULL OR days < 1 THEN
        RAISE EXCEPTION 'days must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    {_ON}
    DELETE FROM spark_generation_history WHERE created_at < now() - days * interval '1 day';
    GET DIAGNOSTICS deleted = ROW_COUNT;
    {_OFF}
    RETURN deleted;
END
$$""",
    "spark_running_generations()": f"""
RETURNS TABLE (generation_id bigint, generation_runner text, started_at timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    {_ON}
    RETURN QUERY SELECT h.id, h.runner::text, h.created_at FROM spark_generation_history h
        WHERE h.status = 'running';
    {_OFF}
END
$$""",
    "spark_interrupt_generations(ids bigint[])": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    changed integer;
BEGIN
    {_ON}
    UPDATE spark_generation_history h
    SET status = 'interrupted', success = false, error_kind = 'interrupted',
        error_message = 'The process running this generation stopped before it finished.',
        finished_at = now()
    WHERE h.id = ANY(ids) AND h.status = 'running';
    GET DIAGNOSTICS changed = ROW_COUNT;
    {_OFF}
    RETURN changed;
END
$$""",
    "spark_user_id_for_token(p_token_hash text)": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    owner_id integer;
BEGIN
    {_ON}
    UPDATE api_tokens t SET last_used_at = now() WHERE t.token_hash = p_token_hash
    RETURNING t.user_id INTO owner_id;
    {_OFF}
    RETURN owner_id;
END
$$""",
}


def _signature(declaration: str) -> str:
    """``f(a integer, b integer DEFAULT 1)`` → ``f(integer, integer)`` for DROP and GRANT."""
    name, _, params = declaration.partition("(")
    types = [p.split()[1] for p in params.rstrip(")").split(",") if p.strip()]
    return f"{name}({', '.join(types)})"


def function_signatures() -> list[str]:
    """Every function this revision creates, as ``name(types)``."""
    return [_signature(d) for d in (*INVOKER_FUNCTIONS, *DEFINER_FUNCTIONS)]


def _definer_clause(schema: str) -> str:
    # The search path is pinned so that a caller cannot shadow the tables these functions touch.
    quoted = '"' + schema.replace('"', '""') + '"'
    return f" SECURITY DEFINER SET search_path = pg_catalog, {quoted}, pg_temp"


def enable_user_isolation(table: str) -> None:
    """Row-level security on ``table``: each user's rows for that user, forced on the owner
    too, with the owner's maintenance policy for the SECURITY DEFINER functions."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY spark_user_isolation ON {table} "
        f"USING (user_id = {CURRENT_USER_ID}) WITH CHECK (user_id = {CURRENT_USER_ID})"
    )
    op.execute(
        f"CREATE POLICY spark_maintenance ON {table} TO CURRENT_USER "
        f"USING ({MAINTENANCE}) WITH CHECK ({MAINTENANCE})"
    )


def disable_user_isolation(table: str) -> None:
    """Undo :func:`enable_user_isolation`."""
    op.execute(f"DROP POLICY IF EXISTS spark_maintenance ON {table}")
    op.execute(f"DROP POLICY IF EXISTS spark_user_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def create_definer_functions(functions: dict[str, str]) -> None:
    """Create SECURITY DEFINER functions (search path pinned), executable by nobody until
    ``spark db upgrade`` grants the app role."""
    definer = _definer_clause(
        str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
    )
    for declaration, body in functions.items():
        op.execute(f"CREATE FUNCTION {declaration} {body.replace(' AS $$', definer + ' AS $$', 1)}")
        op.execute(f"REVOKE ALL ON FUNCTION {_signature(declaration)} FROM PUBLIC")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ISOLATED_TABLES:
        enable_user_isolation(table)
    for declaration, body in INVOKER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {declaration} {body}")
    create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature in reversed(function_signatures()):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in ISOLATED_TABLES:
        disable_user_isolation(table)
