"""A user's generation statistics over the last N days, for ``spark stats`` and the dashboard.

One grouped query (by provider, model, UTC day and status) feeds every figure, so the stats of
one user cost one index range scan on ``(user_id, created_at)``. The figures match the SQL
function ``get_user_generation_stats`` on PostgreSQL (a test holds them equal):

- ``total_generations``: every row in the window, running ones included;
- ``succeeded``; ``failed`` (failed or interrupted);
- ``success_rate``: percent of finished generations that succeeded, one decimal (0 if none);
- ``total_tokens`` / ``total_cost_usd``: over every row (failures cost money too);
- ``avg_generation_ms``: mean duration of succeeded generations, rounded (None if none);
- ``cache_hits`` / ``cache_saved_usd``: generations answered from the response cache (status
  ``cached``: counted in the total, neither succeeded nor failed) and what the generations
  they reused had cost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import GenerationRecord, User
from spark.db.rollup import Usage, team_usage
from spark.db.types import to_money, utc_day, utc_now
from spark.errors import UsageError

_FAILED = ("failed", "interrupted")


class AdminRequiredError(UsageError):
    """The team statistics were asked for by someone who is not an enabled admin."""


@dataclass(slots=True)
class _Totals:
    generations: int = 0
    succeeded: int = 0
    failed: int = 0
    total_tokens: int = 0
    total_cost_usd: Decimal = Decimal("0")
    succeeded_ms: int = 0
    succeeded_timed: int = 0

    def add(self, status: str, n: int, tokens: int, cost: Decimal, ms: int, timed: int) -> None:
        self.generations += n
        self.total_tokens += tokens
        self.total_cost_usd += cost
        if status == "succeeded":
            self.succeeded += n
            self.succeeded_ms += ms
            self.succeeded_timed += timed
        elif status in _FAILED:
            self.failed += n

    @property
    def success_rate(self) -> Decimal:
        finished = self.succeeded + self.failed
        if not finished:
            return Decimal("0")
        return (Decimal(100 * self.succeeded) / finished).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def avg_generation_ms(self) -> int | None:
        if not self.succeeded_timed:
            return None
        return int((Decimal(self.succeeded_ms) / self.succeeded_timed).quantize(1, ROUND_HALF_UP))

    def summary(self) -> dict[str, Any]:
        """The figures every per-model, per-user and whole-window result shares."""
        return {
            "succeeded": self.succeeded,
            "failed": self.failed,
            "total_tokens": self.total_tokens,
            "total_cost_usd": self.total_cost_usd,
            "avg_generation_ms": self.avg_generation_ms,
        }


def _figures(
    status: Any, n: Any, tokens: Any, cost: Any, ms: Any, timed: Any
) -> tuple[str, int, int, Decimal, int, int]:
    """One aggregate row's values as ``_Totals.add`` takes them (both databases' types)."""
    return (
        str(status),
        int(n),
        int(tokens),
        to_money(cost) or Decimal(0),
        int(ms or 0),
        int(timed),
    )


@dataclass(frozen=True, slots=True)
class ModelStats:
    provider: str
    model: str
    generations: int
    succeeded: int
    failed: int
    total_tokens: int
    total_cost_usd: Decimal
    avg_generation_ms: int | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (money as a string), as the CLI and the API print it."""
        return {
            "provider": self.provider,
            "model": self.model,
            "generations": self.generations,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "total_tokens": self.total_tokens,
            "total_cost_usd": str(self.total_cost_usd),
            "avg_generation_ms": self.avg_generation_ms,
        }


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date  # UTC
    generations: int
    succeeded: int
    failed: int
    total_tokens: int
    total_cost_usd: Decimal

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the day as an ISO date, money as a string)."""
        return {
            "day": self.day.isoformat(),
            "generations": self.generations,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "total_tokens": self.total_tokens,
            "total_cost_usd": str(self.total_cost_usd),
        }


@dataclass(frozen=True, slots=True)
class GenerationStats:
    """The figures above for one user; ``by_model`` busiest first, ``by_day`` oldest first
    (days without generations are left out)."""

    days_back: int
    since: datetime
    total_generations: int
    succeeded: int
    failed: int
    success_rate: Decimal
    provider_counts: dict[str, int]
    total_tokens: int
    total_cost_usd: Decimal
    avg_generation_ms: int | None
    by_model: list[ModelStats] = field(default_factory=list)
    by_day: list[DayStats] = field(default_factory=list)
    cache_hits: int = 0
    cache_saved_usd: Decimal = Decimal("0")


async def generation_stats(
    *, session: AsyncSession, user_id: int, days_back: int = 30, now: datetime | None = None
) -> GenerationStats:
    """The user's statistics over the ``days_back`` days before ``now``."""
    if days_back < 1:
        raise ValueError("days_back must be at least 1")
    since = (now or utc_now()) - timedelta(days=days_back)
    h = GenerationRecord
    day = utc_day(h.created_at).label("day")
    tokens = h.input_tokens + h.output_tokens + h.cache_read_tokens + h.cache_write_tokens
    query = (
        select(
            h.provider,
            h.model,
            day,
            h.status,
            func.count(),
            func.coalesce(func.sum(tokens), 0),
            func.sum(h.cost_usd),
            func.coalesce(func.sum(h.generation_ms), 0),
            func.count(h.generation_ms),
            func.sum(h.saved_usd),
        )
        .where(h.user_id == user_id, h.created_at >= since)
        .group_by(h.provider, h.model, day, h.status)
    )
    total = _Totals()
    providers: dict[str, int] = defaultdict(int)
    models: dict[tuple[str, str], _Totals] = defaultdict(_Totals)
    days: dict[date, _Totals] = defaultdict(_Totals)
    hits, saved = 0, Decimal(0)
    rows = await session.execute(query)
    for provider, model, on, status, n, n_tokens, cost, ms, timed, saved_usd in rows:
        figures = _figures(status, n, n_tokens, cost, ms, timed)
        if status == "cached":
            hits += int(n)
            saved += to_money(saved_usd) or Decimal(0)
        total.add(*figures)
        models[provider, model].add(*figures)
        days[_as_date(on)].add(*figures)
        providers[provider] += int(n)
    by_model = [
        ModelStats(provider=provider, model=model, generations=t.generations, **t.summary())
        for (provider, model), t in sorted(
            models.items(), key=lambda item: (-item[1].generations, item[0])
        )
    ]
    by_day = [
        DayStats(d, t.generations, t.succeeded, t.failed, t.total_tokens, t.total_cost_usd)
        for d, t in sorted(days.items())
    ]
    return GenerationStats(
        days_back=days_back,
        since=since,
        total_generations=total.generations,
        success_rate=total.success_rate,
        provider_counts=dict(sorted(providers.items())),
        **total.summary(),
        by_model=by_model,
        by_day=by_day,
        cache_hits=hits,
        cache_saved_usd=saved,
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- the team view (admins) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserSpend:
    """One user's figures in the team view (same definitions as :class:`GenerationStats`)."""

    user_id: int
    username: str
    generations: int
    succeeded: int
    failed: int
    success_rate: Decimal
    total_tokens: int
    total_cost_usd: Decimal
    avg_generation_ms: int | None


@dataclass(frozen=True, slots=True)
class TeamStats:
    """The whole team's figures over the window, and per user: biggest spender first
    (then most generations, then name), all of them or the ``top`` asked for. Users without
    generations in the window are left out; ``user_count`` counts those with some."""

    days_back: int
    since: datetime
    total_generations: int
    succeeded: int
    failed: int
    success_rate: Decimal
    total_tokens: int
    total_cost_usd: Decimal
    avg_generation_ms: int | None
    users: list[UserSpend] = field(default_factory=list)
    user_count: int = 0


async def team_stats(
    *,
    session: AsyncSession,
    admin_id: int,
    days_back: int = 30,
    now: datetime | None = None,
    top: int | None = None,
) -> TeamStats:
    """Every user's statistics over the ``days_back`` days before ``now``, for an admin.

    ``session`` must act for ``admin_id`` (``Database.session(user_id=admin_id)``). Raises
    :class:`AdminRequiredError` unless that user is an enabled admin. The figures come from the
    daily rollup plus the rest of the window's history (:mod:`spark.db.rollup`); on PostgreSQL
    through the SECURITY DEFINER function ``spark_team_usage``, which makes the same admin
    check inside the database. ``top``: list only that many users (the biggest spenders).
    """
    if days_back < 1:
        raise ValueError("days_back must be at least 1")
    since = (now or utc_now()) - timedelta(days=days_back)
    if session.get_bind().dialect.name == "postgresql":
        try:
            usage = await team_usage(session=session, since=since, top=top)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
                raise _not_admin() from None
            raise
    else:
        admin = await session.get(User, admin_id)
        if admin is None or not admin.is_admin or admin.disabled:
            raise _not_admin()
        usage = await team_usage(session=session, since=since, top=top)
    total = _totals(usage.team)
    users = []
    for each in usage.users:
        figures = _totals(each.usage)
        users.append(
            UserSpend(
                user_id=each.user_id,
                username=each.username,
                generations=figures.generations,
                success_rate=figures.success_rate,
                **figures.summary(),
            )
        )
    return TeamStats(
        days_back=days_back,
        since=since,
        total_generations=total.generations,
        success_rate=total.success_rate,
        **total.summary(),
        users=users,
        user_count=usage.user_count,
    )


def _totals(usage: Usage) -> _Totals:
    return _Totals(
        generations=usage.generations,
        succeeded=usage.succeeded,
        failed=usage.failed,
        total_tokens=usage.total_tokens,
        total_cost_usd=Decimal(usage.cost_micros).scaleb(-6),  # exactly 6 places
        succeeded_ms=usage.succeeded_ms,
        succeeded_timed=usage.succeeded_timed,
    )


def _not_admin() -> AdminRequiredError:
    return AdminRequiredError(
        "The team statistics are for admins only.",
        hint="Ask an admin, or create one with `spark users create NAME --admin`.",
    )
