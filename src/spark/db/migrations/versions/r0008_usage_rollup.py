"""The usage rollup: finished generations summed per UTC day, for the admin's team view.

The team view summed every history row in its window (1.25 s at a million rows). Two tables
now hold the finished history's sums per UTC day:

- ``spark_usage_daily``: per user, provider, model and status - each user's spend, from which
  the team view ranks its biggest spenders;
- ``spark_usage_daily_team``: per provider, model and status, for everyone - the team's totals
  without reading every user's days.

Triggers on ``spark_generation_history`` keep both in step, in the same transaction as the
write that changes a row: a row that leaves ``running`` (finished, failed, interrupted by the
start-up sweep) is added; a finished row that changes again or is deleted (by its user, by the
retention clean-up, with its user) is taken back out. Running rows are not in them: readers
count those from the history (there are few). The upgrade fills both from the history.

PostgreSQL: ``spark_usage_daily`` has row-level security like the history (a user's rows are
theirs; its trigger runs with the rights of whoever changes the history row). The team table
holds everyone's sums, so the app role gets no access to it at all: its trigger function is
SECURITY DEFINER, and it is read only by ``spark_team_usage(since, top_n)`` - the team view,
for enabled admins only. ``spark_rebuild_usage_daily()`` recomputes both tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from spark.db.migrations.versions.r0002_postgres_security import (
    _OFF,
    _ON,
    CURRENT_USER_ID,
    _definer_clause,
    _signature,
    create_definer_functions,
    enable_user_isolation,
)
from spark.db.migrations.versions.r0003_team_stats import ADMIN_ONLY

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

USERS_TABLE = "spark_usage_daily"
TEAM_TABLE = "spark_usage_daily_team"
HISTORY = "spark_generation_history"
DAY_INDEX = "ix_spark_usage_daily_day"
KEYS = {
    USERS_TABLE: ("user_id", "day", "provider", "model", "status"),
    TEAM_TABLE: ("day", "provider", "model", "status"),
}
SUMS = (
    "generations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_micros",
    "generation_ms",
    "timed",
)
# A change to any of these moves a finished row's figures (the UPDATE triggers' column list).
WATCHED = (
    "user_id, provider, model, status, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, cost_usd, generation_ms, created_at"
)


def _day(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"(({row}created_at) AT TIME ZONE 'UTC')::date"
    return f"date({row}created_at)"


def _micros(expression: str, dialect: str) -> str:
    """Dollars to whole micro-dollars: exact integers on both databases (SQLite has no
    decimals, and sums of floats would drift)."""
    if dialect == "postgresql":
        return f"round(COALESCE({expression}, 0) * 1000000)::bigint"
    return f"CAST(round(COALESCE({expression}, 0) * 1000000) AS INTEGER)"


def _columns(row: str, dialect: str) -> dict[str, str]:
    """Every rollup column's value for one history row (``NEW.``, ``OLD.``)."""
    return {
        "user_id": f"{row}user_id",
        "day": _day(row, dialect),
        "provider": f"{row}provider",
        "model": f"{row}model",
        "status": f"{row}status",
        "generations": "1",
        "input_tokens": f"{row}input_tokens",
        "output_tokens": f"{row}output_tokens",
        "cache_read_tokens": f"{row}cache_read_tokens",
        "cache_write_tokens": f"{row}cache_write_tokens",
        "cost_micros": _micros(f"{row}cost_usd", dialect),
        "generation_ms": f"COALESCE({row}generation_ms, 0)",
        "timed": f"CASE WHEN {row}generation_ms IS NULL THEN 0 ELSE 1 END",
    }


def _add(table: str, row: str, dialect: str, where: str) -> str:
    """Upsert one history row's figures into ``table``."""
    values = _columns(row, dialect)
    names = KEYS[table] + SUMS
    target = f"{table}." if dialect == "postgresql" else ""
    added = ", ".join(f"{name} = {target}{name} + excluded.{name}" for name in SUMS)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) "
        f"SELECT {', '.join(values[name] for name in names)} WHERE {where} "
        f"ON CONFLICT ({', '.join(KEYS[table])}) DO UPDATE SET {added}"
    )


def _take_back(table: str, row: str, dialect: str, where: str) -> list[str]:
    """Subtract one history row's figures from ``table`` (and drop a day left empty)."""
    values = _columns(row, dialect)
    match = " AND ".join(f"{name} = {values[name]}" for name in KEYS[table])
    taken = ", ".join(f"{name} = {name} - {values[name]}" for name in SUMS)
    return [
        f"UPDATE {table} SET {taken} WHERE {match} AND {where}",
        f"DELETE FROM {table} WHERE {match} AND generations <= 0 AND {where}",
    ]


def _track(table: str, dialect: str, old: str, new: str) -> list[str]:
    """Take the old row out (when ``old``), put the new one in (when ``new``)."""
    return [*_take_back(table, "OLD.", dialect, old), _add(table, "NEW.", dialect, new)]


def rebuild_sql(dialect: str) -> list[str]:
    """Statements that recompute both rollup tables from the history."""
    sums = ", ".join(
        [
            "count(*)",
            *(f"COALESCE(sum({name}), 0)" for name in SUMS[1:5]),
            f"COALESCE(sum({_micros('cost_usd', dialect)}), 0)",
            "COALESCE(sum(generation_ms), 0)",
            "count(generation_ms)",
        ]
    )
    statements = []
    for table, key in KEYS.items():
        grouped = ", ".join(_day("", dialect) if name == "day" else name for name in key)
        statements += [
            f"DELETE FROM {table}",
            f"INSERT INTO {table} ({', '.join(key + SUMS)}) SELECT {grouped}, {sums} "
            f"FROM {HISTORY} WHERE status <> 'running' GROUP BY {grouped}",
        ]
    return statements


def _sqlite_triggers() -> dict[str, str]:
    new, old = "NEW.status <> 'running'", "OLD.status <> 'running'"
    inserted = [_add(table, "NEW.", "sqlite", "true") for table in KEYS]
    updated = [s for table in KEYS for s in _track(table, "sqlite", old, new)]
    deleted = [s for table in KEYS for s in _take_back(table, "OLD.", "sqlite", "true")]
    return {
        "spark_usage_daily_insert": f"AFTER INSERT ON {HISTORY} WHEN {new} "
        f"BEGIN {'; '.join(inserted)}; END",
        "spark_usage_daily_update": f"AFTER UPDATE OF {WATCHED} ON {HISTORY} "
        f"BEGIN {'; '.join(updated)}; END",
        "spark_usage_daily_delete": f"AFTER DELETE ON {HISTORY} WHEN {old} "
        f"BEGIN {'; '.join(deleted)}; END",
    }


def _pg_trigger_function(table: str) -> str:
    return f"""
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status <> 'running' THEN
        {"; ".join(_take_back(table, "OLD.", "postgresql", "true"))};
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status <> 'running' THEN
        {_add(table, "NEW.", "postgresql", "true")};
    END IF;
    RETURN NULL;
END
$$"""


# name: (table, SECURITY DEFINER?) - the team table is the owner's alone.
PG_TRIGGERS = {
    "spark_usage_daily_track": (USERS_TABLE, False),
    "spark_usage_daily_team_track": (TEAM_TABLE, True),
}


# --- the team view --------------------------------------------------------------------------

_SUMMED = ("g", "s", "f", "t", "c", "ms", "tm")


def _sums(n: str, micros: str, ms: str, timed: str) -> str:
    """Sums (generations, succeeded, failed, tokens, cost, succeeded ms, timed succeeded rows)
    over rows aliased ``r``, of a rollup table or of the history."""
    ok = "r.status = 'succeeded'"
    return (
        f"sum({n}), sum(CASE WHEN {ok} THEN {n} ELSE 0 END), "
        f"sum(CASE WHEN r.status IN ('failed', 'interrupted') THEN {n} ELSE 0 END), "
        "sum(r.input_tokens + r.output_tokens + r.cache_read_tokens + r.cache_write_tokens), "
        f"sum({micros}), sum(CASE WHEN {ok} THEN {ms} ELSE 0 END), "
        f"sum(CASE WHEN {ok} THEN {timed} ELSE 0 END)"
    )


_ROLLUP_SUMS = _sums("r.generations", "r.cost_micros", "r.generation_ms", "r.timed")


def team_usage_query(dialect: str, param: str = ":") -> str:
    """The team view in one statement: the ``top_n`` biggest spenders (all when NULL) over
    the window from ``since``, each row also carrying how many users have generations in it
    and the whole team's figures (no rows: nobody has any).

    The window is the rollups' whole days (from ``first_day``) plus the history rows of the
    partial day before (``since`` to ``first_start``) and those still running. The spenders
    are ranked on two sums per user; the full figures are summed for the top ones only, and
    the team's from the team table. Parameters are written ``{param}name`` (``:name`` for
    SQLAlchemy, bare names in a function body).
    """
    since, first_day, first_start, top_n = (
        f"{param}{name}" for name in ("since", "first_day", "first_start", "top_n")
    )
    history_sums = _sums(
        "1", _micros("r.cost_usd", dialect), "COALESCE(r.generation_ms, 0)",
        "CASE WHEN r.generation_ms IS NULL THEN 0 ELSE 1 END",
    )  # fmt: skip
    # SQLite: the partial day on its created_at index (the planner would visit every user).
    partial = f"{HISTORY} r" + (f" INDEXED BY ix_{HISTORY}_created" if dialect == "sqlite" else "")
    by_name = 'u.username COLLATE "C"' if dialect == "postgresql" else "u.username"
    limit = top_n if dialect == "postgresql" else f"coalesce({top_n}, -1)"  # NULL / -1: all
    summed = ", ".join(f"sum(x.{c})" for c in _SUMMED)
    figures = ", ".join(f"CAST(sum(d.{c}) AS BIGINT)" for c in _SUMMED)
    team = ", ".join(f"CAST(t.{c} AS BIGINT)" for c in _SUMMED)
    return f"""
WITH recent (user_id, g, s, f, t, c, ms, tm) AS (
    SELECT r.user_id, {history_sums}
    FROM {partial} WHERE r.created_at >= {since} AND r.created_at < {first_start}
    GROUP BY r.user_id
    UNION ALL
    SELECT r.user_id, {history_sums}
    FROM {HISTORY} r
    WHERE r.status = 'running' AND r.created_at >= {first_start} AND r.created_at >= {since}
    GROUP BY r.user_id
), spend (user_id, g, c) AS (
    SELECT u.id, sum(r.generations), sum(r.cost_micros)
    FROM users u JOIN {USERS_TABLE} r ON r.user_id = u.id AND r.day >= {first_day}
    GROUP BY u.id
    UNION ALL
    SELECT x.user_id, x.g, x.c FROM recent x
), ranked (user_id, g, c) AS (
    SELECT x.user_id, sum(x.g), sum(x.c) FROM spend x GROUP BY x.user_id
), top_users (user_id, username, g, c) AS (
    SELECT k.user_id, u.username, k.g, k.c FROM ranked k JOIN users u ON u.id = k.user_id
    ORDER BY k.c DESC, k.g DESC, {by_name} LIMIT {limit}
), detail (user_id, g, s, f, t, c, ms, tm) AS (
    SELECT r.user_id, {_ROLLUP_SUMS}
    FROM top_users w JOIN {USERS_TABLE} r ON r.user_id = w.user_id AND r.day >= {first_day}
    GROUP BY r.user_id
    UNION ALL
    SELECT x.user_id, x.g, x.s, x.f, x.t, x.c, x.ms, x.tm
    FROM recent x JOIN top_users w ON w.user_id = x.user_id
), team_parts (g, s, f, t, c, ms, tm) AS (
    SELECT {_ROLLUP_SUMS} FROM {TEAM_TABLE} r WHERE r.day >= {first_day}
    UNION ALL
    SELECT {summed} FROM recent x
), team (n, g, s, f, t, c, ms, tm) AS (
    SELECT (SELECT count(*) FROM ranked), {summed} FROM team_parts x
)
SELECT w.user_id, CAST(w.username AS TEXT), {figures}, CAST(t.n AS BIGINT), {team}
FROM top_users w JOIN detail d ON d.user_id = w.user_id CROSS JOIN team t
GROUP BY w.user_id, w.username, w.g, w.c, {", ".join(f"t.{c}" for c in ("n", *_SUMMED))}
ORDER BY w.c DESC, w.g DESC, {by_name.replace("u.", "w.")}"""


DEFINER_FUNCTIONS = {
    "spark_team_usage(since timestamptz, top_n integer DEFAULT NULL)": f"""
RETURNS TABLE (
    user_id integer, username text, generations bigint, succeeded bigint, failed bigint,
    total_tokens bigint, cost_micros bigint, succeeded_ms bigint, succeeded_timed bigint,
    team_users bigint, team_generations bigint, team_succeeded bigint, team_failed bigint,
    team_tokens bigint, team_cost_micros bigint, team_succeeded_ms bigint,
    team_succeeded_timed bigint
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    caller integer := {CURRENT_USER_ID};
    -- The first whole UTC day in the window: the rollups cover it and every day after.
    first_day date := ((since AT TIME ZONE 'UTC') + interval '1 day' - interval '1 microsecond')
        ::date;
    first_start timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
BEGIN
    {ADMIN_ONLY}
    {_ON}
    RETURN QUERY {team_usage_query("postgresql", param="")};
    {_OFF}
END
$$""",
    "spark_rebuild_usage_daily()": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    written integer;
BEGIN
    {_ON}
    {"; ".join(rebuild_sql("postgresql"))};
    SELECT count(*) INTO written FROM {USERS_TABLE};
    {_OFF}
    RETURN written;
END
$$""",
}


def function_signatures() -> list[str]:
    """The functions the app role may call (``spark db upgrade`` grants them)."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def _create_table(name: str, key: tuple[str, ...]) -> None:
    columns: dict[str, SchemaItem] = {
        "user_id": sa.Column("user_id", sa.Integer(), nullable=False),
        "day": sa.Column("day", sa.Date(), nullable=False),
        "provider": sa.Column("provider", sa.String(64), nullable=False),
        "model": sa.Column("model", sa.String(128), nullable=False),
        "status": sa.Column("status", sa.String(16), nullable=False),
    }
    items = [columns[k] for k in key]
    for column in SUMS:
        counted = column in ("generations", "timed")
        items.append(
            sa.Column(column, sa.Integer() if counted else sa.BigInteger(), nullable=False)
        )
    items.append(sa.PrimaryKeyConstraint(*key, name=f"pk_{name}"))
    if "user_id" in key:
        items.append(
            sa.ForeignKeyConstraint(
                ["user_id"], ["users.id"], name=f"fk_{name}_user_id_users", ondelete="CASCADE"
            )
        )
    op.create_table(name, *items, sqlite_with_rowid=False)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for table, key in KEYS.items():
        _create_table(table, key)
    # The team view ranks users by two sums over a range of days: on PostgreSQL this index
    # answers it alone (an index-only scan); SQLite walks the key user by user instead.
    op.create_index(
        DAY_INDEX,
        USERS_TABLE,
        ["day"],
        postgresql_include=["user_id", "generations", "cost_micros"],
    )
    if dialect != "postgresql":
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        for statement in rebuild_sql(dialect):
            op.execute(statement)
        return
    enable_user_isolation(USERS_TABLE)
    schema = str(bind.exec_driver_sql("SELECT current_schema()").scalar_one())
    definer = _definer_clause(schema)
    for name, (table, owners) in PG_TRIGGERS.items():
        rights = definer if owners else definer.replace(" SECURITY DEFINER", "")
        body = _pg_trigger_function(table).replace(" AS $$", rights + " AS $$", 1)
        op.execute(f"CREATE FUNCTION {name}() {body}")
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
            f"ON {HISTORY} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    create_definer_functions(DEFINER_FUNCTIONS)
    op.execute("SELECT spark_rebuild_usage_daily()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in reversed(function_signatures()):
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {HISTORY}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(DAY_INDEX, USERS_TABLE)
    for table in reversed(KEYS):
        op.drop_table(table)
