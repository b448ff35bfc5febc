"""A user's usage over the last N days, as every adapter asks for it (the dashboard, the JSON
API, MCP's ``usage_stats``): the statistics of :func:`spark.db.stats.generation_stats`, the
token split (input / output / cache, one more sum over the same index range) and, for an admin
who asks, the team view of :func:`spark.db.stats.team_stats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import GenerationRecord
from spark.db.stats import GenerationStats, TeamStats, generation_stats, team_stats
from spark.db.types import utc_now
from spark.usage import Usage


@dataclass(frozen=True, slots=True)
class UsageReport:
    stats: GenerationStats
    tokens: Usage  # the window's tokens split into input, output, cache read and write
    team: TeamStats | None  # None unless asked for (by an admin)


async def usage_report(
    *,
    session: AsyncSession,
    user_id: int,
    days_back: int = 30,
    team: bool = False,
    top: int | None = None,
    now: datetime | None = None,
) -> UsageReport:
    """The user's figures over ``days_back`` days, and the team's when ``team`` (the user must
    then be an enabled admin: :class:`spark.db.stats.AdminRequiredError` otherwise); ``top``
    limits the team's per-user rows to the biggest spenders (the totals count everyone)."""
    now = now or utc_now()
    h = GenerationRecord
    split = select(
        func.coalesce(func.sum(h.input_tokens), 0),
        func.coalesce(func.sum(h.output_tokens), 0),
        func.coalesce(func.sum(h.cache_read_tokens), 0),
        func.coalesce(func.sum(h.cache_write_tokens), 0),
    ).where(h.user_id == user_id, h.created_at >= now - timedelta(days=days_back))
    stats = await generation_stats(session=session, user_id=user_id, days_back=days_back, now=now)
    row = (await session.execute(split)).one()
    team_figures = (
        await team_stats(session=session, admin_id=user_id, days_back=days_back, now=now, top=top)
        if team
        else None
    )
    return UsageReport(stats=stats, tokens=Usage(*(int(v) for v in row)), team=team_figures)
