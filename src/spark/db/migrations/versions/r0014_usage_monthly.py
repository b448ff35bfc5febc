"""The per-user monthly rollup: the team view ranks users without reading every user-day.

The team view (revision 0008) ranked the window's users by summing the per-user daily rollup
over every day of the window: at 10,000 users, ~155,000 rows for 30 days and ~465,000 for 90.
``spark_usage_monthly`` holds each user's generations and cost per UTC calendar month, and the
ranking now reads whole months from it plus at most 15 days of the daily rollup at the window's
edge: the window from its first whole day ``D`` is

- the months from the one after ``D``'s, plus the days from ``D`` to that month's start; or
- the months from ``D``'s own, minus the days of that month before ``D``,

whichever needs fewer days (``window_parts``; a short window whose edge would be half of it
or more is read day by day, as before). The full figures of the top spenders, the
team's totals and the partial first day are read as before.

Triggers on ``spark_generation_history`` keep the table in step in the same transaction as the
write, like the daily rollup's (finished rows only; a row changed or deleted is taken back
out; a month left empty is removed): on SQLite three triggers of its own, on PostgreSQL the
daily rollup's per-user trigger function, replaced to keep the months too (one trigger call
per write, not two). PostgreSQL: row-level security like the history (a user's
rows are theirs, its trigger runs with the writer's rights); ``spark_team_usage`` reads it for
enabled admins, and ``spark_rebuild_usage_daily`` recomputes it with the daily tables. Both
functions keep their signatures and grants (``CREATE OR REPLACE``).

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

from spark.db.migrations.versions import r0008_usage_rollup as daily
from spark.db.migrations.versions.r0002_postgres_security import (
    _OFF,
    _ON,
    _definer_clause,
    enable_user_isolation,
)

revision = "0014"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None

MONTHLY = "spark_usage_monthly"
HISTORY = daily.HISTORY
# SQLite's UPDATE trigger's column list: a change to any of these moves a finished row's sums
# (all of them are among the daily trigger's, which keeps the months on PostgreSQL).
WATCHED = "user_id, status, cost_usd, created_at"
SQLITE_TRIGGERS = ("spark_usage_monthly_insert", "spark_usage_monthly_update",
                   "spark_usage_monthly_delete")  # fmt: skip
# PostgreSQL: revision 0008's per-user trigger function keeps the months as well.
PG_TRIGGER = "spark_usage_daily_track"


def window_parts(first_day: date, today: date) -> tuple[date | None, date, date, int]:
    """How the ranking covers the days from ``first_day`` on: ``(month_from, edge_from,
    edge_to, sign)`` - the monthly rows from ``month_from``, plus ``sign`` times the daily
    rows from ``edge_from`` to before ``edge_to``.

    The edge is the part of ``first_day``'s month before it (taken back from that month) or
    the rest of it (added to the months after), whichever is shorter: at most 15 days, none
    when ``first_day`` starts a month. When that would still be at least half the window's
    days (short windows), the window is read day by day instead: no months (``month_from``
    None) and the daily rows from ``first_day`` on. ``spark_team_usage`` makes the same
    choice in SQL; either way the figures are the same, only the cost differs.
    """
    start = first_day.replace(day=1)
    following = (start + timedelta(days=31)).replace(day=1)
    back, ahead = (first_day - start).days, (following - first_day).days
    if 2 * min(back, ahead) >= (today - first_day).days + 1:
        return None, first_day, date.max, 1
    if back <= ahead:
        return start, start, first_day, -1
    return following, first_day, following, 1


def _month(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"date_trunc('month', ({row}created_at) AT TIME ZONE 'UTC')::date"
    return f"date({row}created_at, 'start of month')"


def _add(row: str, dialect: str, where: str) -> str:
    """Upsert one history row into its user's month (when ``where`` holds)."""
    target = f"{MONTHLY}." if dialect == "postgresql" else ""
    return (
        f"INSERT INTO {MONTHLY} (user_id, month, generations, cost_micros) "
        f"SELECT {row}user_id, {_month(row, dialect)}, 1, "
        f"{daily._micros(f'{row}cost_usd', dialect)} WHERE {where} "
        "ON CONFLICT (user_id, month) DO UPDATE SET "
        f"generations = {target}generations + 1, "
        f"cost_micros = {target}cost_micros + excluded.cost_micros"
    )


def _take_back(row: str, dialect: str, where: str) -> list[str]:
    """Subtract one history row from its user's month (and drop the month left empty)."""
    match = f"user_id = {row}user_id AND month = {_month(row, dialect)} AND {where}"
    return [
        f"UPDATE {MONTHLY} SET generations = generations - 1, "
        f"cost_micros = cost_micros - {daily._micros(f'{row}cost_usd', dialect)} WHERE {match}",
        f"DELETE FROM {MONTHLY} WHERE {match} AND generations <= 0",
    ]


def rebuild_sql(dialect: str) -> list[str]:
    """Statements that recompute every rollup table from the history (revision 0008's two
    daily tables, then the monthly one)."""
    month = _month("", dialect)
    return [
        *daily.rebuild_sql(dialect),
        f"DELETE FROM {MONTHLY}",
        f"INSERT INTO {MONTHLY} (user_id, month, generations, cost_micros) "
        f"SELECT user_id, {month}, count(*), "
        f"COALESCE(sum({daily._micros('cost_usd', dialect)}), 0) "
        f"FROM {HISTORY} WHERE status <> 'running' GROUP BY user_id, {month}",
    ]


def _sqlite_triggers() -> dict[str, str]:
    new, old = "NEW.status <> 'running'", "OLD.status <> 'running'"
    updated = [*_take_back("OLD.", "sqlite", old), _add("NEW.", "sqlite", new)]
    bodies = (
        f"AFTER INSERT ON {HISTORY} WHEN {new} BEGIN {_add('NEW.', 'sqlite', 'true')}; END",
        f"AFTER UPDATE OF {WATCHED} ON {HISTORY} BEGIN {'; '.join(updated)}; END",
        f"AFTER DELETE ON {HISTORY} WHEN {old} "
        f"BEGIN {'; '.join(_take_back('OLD.', 'sqlite', 'true'))}; END",
    )
    return dict(zip(SQLITE_TRIGGERS, bodies, strict=True))


def _pg_trigger_function(*, monthly: bool) -> str:
    """Revision 0008's per-user daily trigger function, keeping the months too (``monthly``):
    one trigger call per history write instead of two."""
    table = daily.USERS_TABLE
    take_back = daily._take_back(table, "OLD.", "postgresql", "true")
    add = [daily._add(table, "NEW.", "postgresql", "true")]
    if monthly:
        take_back += _take_back("OLD.", "postgresql", "true")
        add += [_add("NEW.", "postgresql", "true")]
    return f"""
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status <> 'running' THEN
        {"; ".join(take_back)};
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status <> 'running' THEN
        {"; ".join(add)};
    END IF;
    RETURN NULL;
END
$$"""


def _replace_pg_trigger_function(*, monthly: bool) -> None:
    """``CREATE OR REPLACE`` the per-user daily trigger function, with its rights as revision
    0008 made them (the caller's; search path pinned). Its trigger fires on a superset of the
    columns a month's sums depend on."""
    body = _pg_trigger_function(monthly=monthly)
    schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
    rights = _definer_clause(schema).replace(" SECURITY DEFINER", "")
    body = body.replace(" AS $$", rights + " AS $$", 1)
    op.execute(f"CREATE OR REPLACE FUNCTION {PG_TRIGGER}() {body}")


# --- the team view --------------------------------------------------------------------------


def team_usage_query(dialect: str, param: str = ":") -> str:
    """The team view in one statement: the ``top_n`` biggest spenders (all when NULL) over
    the window from ``since``, each row also carrying how many users have generations in it
    and the whole team's figures (no rows: nobody has any).

    Revision 0008's statement with two changes: the spenders are ranked from the monthly
    rollup plus ``edge_sign`` times the daily rows from ``edge_from`` to before ``edge_to``
    (``window_parts``), and the top spenders' full figures are read user by user (SQLite
    walked every user's days in the window to find them). The window is otherwise the same:
    the rollups' whole days (from ``first_day``) plus the history rows of the partial day
    before (``since`` to ``first_start``) and those still running. Parameters are written
    ``{param}name`` (``:name`` for SQLAlchemy, bare names in a function body).
    """
    since, first_day, first_start, top_n, month_from, edge_from, edge_to, edge_sign = (
        f"{param}{name}"
        for name in (
            "since", "first_day", "first_start", "top_n",
            "month_from", "edge_from", "edge_to", "edge_sign",
        )
    )  # fmt: skip
    history_sums = daily._sums(
        "1", daily._micros("r.cost_usd", dialect), "COALESCE(r.generation_ms, 0)",
        "CASE WHEN r.generation_ms IS NULL THEN 0 ELSE 1 END",
    )  # fmt: skip
    # SQLite: the partial day on its created_at index (the planner would visit every user).
    partial = f"{HISTORY} r" + (f" INDEXED BY ix_{HISTORY}_created" if dialect == "sqlite" else "")
    by_name = 'u.username COLLATE "C"' if dialect == "postgresql" else "u.username"
    limit = top_n if dialect == "postgresql" else f"coalesce({top_n}, -1)"  # NULL / -1: all
    summed = ", ".join(f"sum(x.{c})" for c in daily._SUMMED)
    figures = ", ".join(f"CAST(sum(d.{c}) AS BIGINT)" for c in daily._SUMMED)
    team = ", ".join(f"CAST(t.{c} AS BIGINT)" for c in daily._SUMMED)
    users_table, team_table = daily.USERS_TABLE, daily.TEAM_TABLE
    # CROSS JOIN keeps SQLite's join order: the top spenders first, then each one's days; and
    # in the last step ``detail`` before ``top_users`` (the other way round, SQLite computed
    # the ranking two more times, three times the work).
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
    FROM users u JOIN {MONTHLY} r ON r.user_id = u.id AND r.month >= {month_from}
    WHERE {month_from} IS NOT NULL
    GROUP BY u.id
    UNION ALL
    SELECT u.id, {edge_sign} * sum(r.generations), {edge_sign} * sum(r.cost_micros)
    FROM users u JOIN {users_table} r
        ON r.user_id = u.id AND r.day >= {edge_from} AND r.day < {edge_to}
    WHERE {edge_from} < {edge_to}
    GROUP BY u.id
    UNION ALL
    SELECT x.user_id, x.g, x.c FROM recent x
), ranked (user_id, g, c) AS (
    SELECT x.user_id, sum(x.g), sum(x.c) FROM spend x GROUP BY x.user_id HAVING sum(x.g) > 0
), top_users (user_id, username, g, c) AS (
    SELECT k.user_id, u.username, k.g, k.c FROM ranked k JOIN users u ON u.id = k.user_id
    ORDER BY k.c DESC, k.g DESC, {by_name} LIMIT {limit}
), detail (user_id, g, s, f, t, c, ms, tm) AS (
    SELECT r.user_id, {daily._ROLLUP_SUMS}
    FROM top_users w CROSS JOIN {users_table} r
    WHERE r.user_id = w.user_id AND r.day >= {first_day}
    GROUP BY r.user_id
    UNION ALL
    SELECT x.user_id, x.g, x.s, x.f, x.t, x.c, x.ms, x.tm
    FROM recent x JOIN top_users w ON w.user_id = x.user_id
), team_parts (g, s, f, t, c, ms, tm) AS (
    SELECT {daily._ROLLUP_SUMS} FROM {team_table} r WHERE r.day >= {first_day}
    UNION ALL
    SELECT {summed} FROM recent x
), team (n, g, s, f, t, c, ms, tm) AS (
    SELECT (SELECT count(*) FROM ranked), {summed} FROM team_parts x
)
SELECT w.user_id, CAST(w.username AS TEXT), {figures}, CAST(t.n AS BIGINT), {team}
FROM detail d CROSS JOIN top_users w CROSS JOIN team t WHERE w.user_id = d.user_id
GROUP BY w.user_id, w.username, w.g, w.c, {", ".join(f"t.{c}" for c in ("n", *daily._SUMMED))}
ORDER BY w.c DESC, w.g DESC, {by_name.replace("u.", "w.")}"""


_TEAM_USAGE = "spark_team_usage(since timestamptz, top_n integer DEFAULT NULL)"
_REBUILD = "spark_rebuild_usage_daily()"


def _definer_functions() -> dict[str, str]:
    team = daily.DEFINER_FUNCTIONS[_TEAM_USAGE]
    declarations = (
        "    first_start timestamptz := first_day::timestamp AT TIME ZONE 'UTC';\n"
        "    month_start date := date_trunc('month', first_day)::date;\n"
        "    next_month date := (date_trunc('month', first_day) + interval '1 month')::date;\n"
        "    take_back boolean := first_day - month_start <= next_month - first_day;\n"
        "    by_day boolean := 2 * LEAST(first_day - month_start, next_month - first_day)\n"
        "        >= (now() AT TIME ZONE 'UTC')::date - first_day + 1;\n"
        "    month_from date := CASE WHEN by_day THEN NULL\n"
        "        WHEN take_back THEN month_start ELSE next_month END;\n"
        "    edge_from date := CASE WHEN take_back AND NOT by_day THEN month_start\n"
        "        ELSE first_day END;\n"
        "    edge_to date := CASE WHEN by_day THEN DATE '9999-12-31'\n"
        "        WHEN take_back THEN first_day ELSE next_month END;\n"
        "    edge_sign integer := CASE WHEN take_back AND NOT by_day THEN -1 ELSE 1 END;\n"
    )
    old_declaration = "    first_start timestamptz := first_day::timestamp AT TIME ZONE 'UTC';\n"
    old_query = daily.team_usage_query("postgresql", param="")
    if old_declaration not in team or old_query not in team:
        raise RuntimeError("revision 0008's spark_team_usage is not the one this one rewrites")
    team = team.replace(old_declaration, declarations, 1).replace(
        old_query, team_usage_query("postgresql", param=""), 1
    )
    rebuild = f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    written integer;
BEGIN
    {_ON}
    {"; ".join(rebuild_sql("postgresql"))};
    SELECT count(*) INTO written FROM {daily.USERS_TABLE};
    {_OFF}
    RETURN written;
END
$$"""
    return {_TEAM_USAGE: team, _REBUILD: rebuild}


def _replace_functions(functions: dict[str, str]) -> None:
    """``CREATE OR REPLACE`` SECURITY DEFINER functions: owner, grants and the revoke from
    PUBLIC stay as they were."""
    definer = _definer_clause(
        str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
    )
    for declaration, body in functions.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {declaration} "
            f"{body.replace(' AS $$', definer + ' AS $$', 1)}"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        MONTHLY,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),  # its first day
        sa.Column("generations", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "month", name=f"pk_{MONTHLY}"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{MONTHLY}_user_id_users", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )
    # No index beyond the key: SQLite walks it user by user (as for the daily rollup), and
    # PostgreSQL reads the few rows a user has per month from the table itself. A covering
    # index on `month` made no measurable difference to the team view there, and made every
    # finished generation's trigger ~70 µs dearer (no HOT update when it changes).
    if dialect != "postgresql":
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        for statement in rebuild_sql(dialect)[-2:]:
            op.execute(statement)
        return
    enable_user_isolation(MONTHLY)
    _replace_pg_trigger_function(monthly=True)
    _replace_functions(_definer_functions())
    # Fill it from the history (every user's rows: through the owner's maintenance policy).
    op.execute("SELECT set_config('spark.maintenance', 'on', true)")
    for statement in rebuild_sql(dialect)[-2:]:
        op.execute(statement)
    op.execute("SELECT set_config('spark.maintenance', '', true)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions({k: daily.DEFINER_FUNCTIONS[k] for k in (_TEAM_USAGE, _REBUILD)})
        _replace_pg_trigger_function(monthly=False)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table(MONTHLY)  # its policies go with it
