"""A user's usage over the last N days, as every adapter asks for it (the dashboard, the JSON
API, MCP's ``usage_stats``): the statistics of :func:`spark.db.stats.generation_stats`, the
token split (input / output / cache, one more sum over the same index range) and, for an admin
who asks, the team view of :func:`spark.db.stats.team_stats` with the team's cache savings
(:func:`spark.db.savings.team_cache_savings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import GenerationRecord
from spark.db.savings import CacheSavings, team_cache_savings
from spark.db.stats import GenerationStats, TeamStats, generation_stats, team_stats
from spark.db.types import utc_now
from spark.usage import Usage


@dataclass(frozen=True, slots=True)
class UsageReport:
    stats: GenerationStats
    tokens: Usage  # the window's tokens split into input, output, cache read and write
    team: TeamStats | None  # None unless asked for (by an admin)
    # The team's response-cache hits and savings in the window (with ``team``).
    team_cache: CacheSavings | None = None

    @property
    def failure_rate(self) -> Decimal:
        """Percent of the finished generations that failed (0 when none finished)."""
        s = self.stats
        return Decimal(100) - s.success_rate if s.succeeded + s.failed else Decimal(0)

    def to_json(self) -> dict[str, Any]:
        """The user's figures as JSON-ready data (money and rates as strings):
        ``GET /api/stats`` and MCP's ``usage_stats``."""
        s = self.stats
        return {
            "days": s.days_back,
            "since": s.since.isoformat(timespec="seconds"),
            "total_generations": s.total_generations,
            "succeeded": s.succeeded,
            "failed": s.failed,
            "success_rate": str(s.success_rate),
            "failure_rate": str(self.failure_rate),
            "total_tokens": s.total_tokens,
            "input_tokens": self.tokens.input_tokens,
            "output_tokens": self.tokens.output_tokens,
            "cache_read_tokens": self.tokens.cache_read_tokens,
            "cache_write_tokens": self.tokens.cache_write_tokens,
            "total_cost_usd": str(s.total_cost_usd),
            "avg_generation_ms": s.avg_generation_ms,
            "cache_hits": s.cache_hits,
            "cache_saved_usd": str(s.cache_saved_usd),
            "provider_counts": s.provider_counts,
            "by_model": [m.to_json() for m in s.by_model],
        }


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
    team_figures, team_cache = None, None
    if team:
        team_figures = await team_stats(
            session=session, admin_id=user_id, days_back=days_back, now=now, top=top
        )
        team_cache = await team_cache_savings(session=session, since=team_figures.since)
    return UsageReport(
        stats=stats,
        tokens=Usage(*(int(v) for v in row)),
        team=team_figures,
        team_cache=team_cache,
    )
