"""The usage rollup behind the admin's team view: the team's figures over a window, fast.

``spark_usage_daily`` sums the finished history per UTC day, user, provider, model and status,
``spark_usage_daily_team`` the same for everyone together, and ``spark_usage_monthly`` each
user's generations and cost per UTC calendar month; triggers keep all three in step with every
write to the history (revisions 0008 and 0014, which also fill them from the existing history).
The team view's window is "the last N days" to the second, like every other figure, so
:func:`team_usage` adds three parts:

1. the rollups for every whole UTC day in the window (the first one starting at or after
   ``since``, through today);
2. the history rows in the partial day before it (``since`` to that midnight: at most a day of
   rows, on the ``created_at`` index);
3. the history rows still ``running`` (the rollups have finished rows only; the partial
   ``status = 'running'`` index finds them).

Users are ranked by spend on two sums per user, read from whole months of the monthly rollup
plus or minus at most 15 days of the daily one at the window's edge (``window_parts`` in
revision 0014), so a 90-day window costs about what a 30-day one does; the full figures are
summed for the biggest spenders only, and the team's totals come from the team table. It is
one statement (``team_usage_query`` in revision 0014); on PostgreSQL it runs inside the
SECURITY DEFINER function ``spark_team_usage`` - the one path across users' rows, for enabled
admins only (row-level security keeps everyone else to their own rollup rows, and the team
table is the owner's alone).

:func:`rebuild_rollup` recomputes the tables from the history (``spark db rollup --rebuild``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.types import UTCDateTime


@dataclass(frozen=True, slots=True)
class Usage:
    """Figures over a window, money in USD millionths (``succeeded_ms`` / ``succeeded_timed``:
    the durations of succeeded generations, and how many had one)."""

    generations: int
    succeeded: int
    failed: int
    total_tokens: int
    cost_micros: int
    succeeded_ms: int
    succeeded_timed: int


@dataclass(frozen=True, slots=True)
class UserUsage:
    user_id: int
    username: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class TeamUsage:
    """The whole team's figures, how many users have any, and the biggest spenders first
    (then most generations, then name)."""

    team: Usage
    user_count: int
    users: list[UserUsage]


def first_whole_day(since: datetime) -> date:
    """The first UTC day that starts at or after ``since``."""
    moment = since.astimezone(UTC)
    midnight = moment.time() == time(0)
    return moment.date() if midnight else moment.date() + timedelta(days=1)


async def team_usage(
    *, session: AsyncSession, since: datetime, top: int | None = None
) -> TeamUsage:
    """The team's figures over the generations created at or after ``since``, with the
    ``top`` biggest spenders (every user with generations when None).

    On PostgreSQL the session must act for an enabled admin (the function checks; it raises
    ``insufficient_privilege`` otherwise). On SQLite the caller checks.
    """
    if top is not None and top < 1:
        raise ValueError("top must be at least 1")
    stamp = bindparam("since", since, type_=UTCDateTime)
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT * FROM spark_team_usage(:since, :top_n)").bindparams(
            stamp, bindparam("top_n", top)
        )
    else:
        from spark.db.migrations.versions.r0014_usage_monthly import (
            team_usage_query,
            window_parts,
        )

        first_day = first_whole_day(since)
        month_from, edge_from, edge_to, sign = window_parts(first_day, datetime.now(UTC).date())
        query = text(team_usage_query("sqlite")).bindparams(
            stamp,
            bindparam("first_day", first_day, type_=Date),
            bindparam("first_start", datetime.combine(first_day, time(0), UTC), UTCDateTime),
            bindparam("top_n", top),
            bindparam("month_from", month_from, type_=Date),
            bindparam("edge_from", edge_from, type_=Date),
            bindparam("edge_to", edge_to, type_=Date),
            bindparam("edge_sign", sign),
        )
    rows = (await session.execute(query)).all()
    if not rows:
        return TeamUsage(Usage(0, 0, 0, 0, 0, 0, 0), 0, [])
    users = [UserUsage(int(r[0]), str(r[1]), Usage(*(int(v or 0) for v in r[2:9]))) for r in rows]
    team = Usage(*(int(v or 0) for v in rows[0][10:17]))
    return TeamUsage(team=team, user_count=int(rows[0][9]), users=users)


async def rebuild_rollup(*, session: AsyncSession) -> int:
    """Recompute the rollup tables from the history; returns how many per-user daily rows
    there are now. On PostgreSQL this is the SECURITY DEFINER function
    ``spark_rebuild_usage_daily``.
    """
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(text("SELECT spark_rebuild_usage_daily()"))
        return int(result.scalar_one())
    from spark.db.migrations.versions.r0008_usage_rollup import USERS_TABLE
    from spark.db.migrations.versions.r0014_usage_monthly import rebuild_sql

    for statement in rebuild_sql("sqlite"):
        await session.execute(text(statement))
    return int((await session.execute(text(f"SELECT count(*) FROM {USERS_TABLE}"))).scalar_one())
