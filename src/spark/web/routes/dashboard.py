"""The usage dashboard: ``/api/stats``, ``/api/stats/series``, the ``/dashboard`` page and the
charts' stylesheet.

Figures come from :func:`spark.db.usage.usage_report` (the statistics, the token split and, for
admins, the team view: the one path across users' rows, read from the daily usage rollup,
:mod:`spark.db.rollup`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from spark import __version__
from spark.charts import chart_stylesheet, dashboard_charts
from spark.db import Database
from spark.db.stats import GenerationStats
from spark.db.usage import UsageReport, usage_report
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody
from spark.web.security import csrf_token

router = APIRouter(tags=["stats"], route_class=SparkRoute)

WINDOWS = (7, 30, 90)
# The admin's team table lists the biggest spenders; the cards above it count everyone.
TEAM_ROWS = 50
MAX_DAYS = 3650
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="The window, in days back.")]


async def usage(database: Database, user: WebUser, days: int, *, team: bool) -> UsageReport:
    """The user's figures over ``days`` (and the team's, for an admin when ``team``)."""
    async with database.session(user_id=user.id, read_only=True) as session:
        return await usage_report(
            session=session,
            user_id=user.id,
            days_back=days,
            team=team and user.is_admin,
            top=TEAM_ROWS,
        )


def _failure_rate(stats: GenerationStats) -> Decimal:
    finished = stats.succeeded + stats.failed
    if not finished:
        return Decimal("0")
    return Decimal(100) - stats.success_rate


def stats_json(figures: UsageReport) -> dict[str, Any]:
    s = figures.stats
    return {
        "days": s.days_back,
        "since": s.since.isoformat(timespec="seconds"),
        "total_generations": s.total_generations,
        "succeeded": s.succeeded,
        "failed": s.failed,
        "success_rate": str(s.success_rate),
        "failure_rate": str(_failure_rate(s)),
        "total_tokens": s.total_tokens,
        "input_tokens": figures.tokens.input_tokens,
        "output_tokens": figures.tokens.output_tokens,
        "cache_read_tokens": figures.tokens.cache_read_tokens,
        "cache_write_tokens": figures.tokens.cache_write_tokens,
        "total_cost_usd": str(s.total_cost_usd),
        "avg_generation_ms": s.avg_generation_ms,
        "provider_counts": s.provider_counts,
        "by_model": [m.to_json() for m in s.by_model],
    }


@router.get(
    "/api/stats",
    summary="The user's usage figures over the last N days",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        422: {"model": ErrorBody, "description": "A bad window."},
    },
)
async def read_stats(database: DatabaseDep, user: CurrentUser, days: Days = 30) -> dict[str, Any]:
    """Totals, rates, tokens (input/output/cache), cost and the per-model breakdown."""
    return stats_json(await usage(database, user, days, team=False))


@router.get(
    "/api/stats/series",
    summary="The user's usage per UTC day over the last N days",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        422: {"model": ErrorBody, "description": "A bad window."},
    },
)
async def read_series(database: DatabaseDep, user: CurrentUser, days: Days = 30) -> dict[str, Any]:
    """One entry per day with generations (oldest first): counts, tokens and cost."""
    figures = await usage(database, user, days, team=False)
    return {
        "days": days,
        "since": figures.stats.since.isoformat(timespec="seconds"),
        "series": [
            {
                "day": d.day.isoformat(),
                "generations": d.generations,
                "succeeded": d.succeeded,
                "failed": d.failed,
                "total_tokens": d.total_tokens,
                "total_cost_usd": str(d.total_cost_usd),
            }
            for d in figures.stats.by_day
        ],
    }


@router.get("/assets/charts.css", include_in_schema=False)
async def charts_css() -> Response:
    return Response(
        chart_stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
async def dashboard_page(
    request: Request,
    database: DatabaseDep,
    templates: TemplatesDep,
    user: CurrentUser,
    days: int = 30,
) -> Response:
    if days not in WINDOWS:
        raise ApiError(
            422, "invalid_request", "The window is 7, 30 or 90 days.", "Use ?days=7, 30 or 90."
        )
    figures = await usage(database, user, days, team=True)
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "days": days,
            "windows": WINDOWS,
            "stats": figures.stats,
            "tokens": figures.tokens,
            "failure_rate": _failure_rate(figures.stats),
            "charts": dashboard_charts(figures.stats),
            "team": figures.team,
            "team_rows": TEAM_ROWS,
            "version": __version__,
        },
    )
