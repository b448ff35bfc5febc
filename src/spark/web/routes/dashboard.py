"""The usage dashboard: ``/api/stats``, ``/api/stats/series``, the ``/dashboard`` page and the
charts' stylesheet.

Figures come from :func:`spark.db.usage.usage_report` (the statistics, the token split and, for
admins, the team view: the one path across users' rows, read from the usage rollup,
:mod:`spark.db.rollup`). The dashboard page reads an admin's team view on a connection of its
own, started first, and draws the user's charts meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from spark import __version__
from spark.charts import chart_stylesheet, dashboard_charts
from spark.db import Database
from spark.db.savings import CacheSavings, team_cache_savings
from spark.db.stats import TeamStats, team_stats
from spark.db.types import utc_now
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


async def team_view(
    database: Database, user: WebUser, days: int, now: datetime
) -> tuple[TeamStats, CacheSavings]:
    """The team's figures over ``days`` before ``now``, for an admin (the biggest spenders),
    and what the team's cache hits saved in that window."""
    async with database.session(user_id=user.id, read_only=True) as session:
        figures = await team_stats(
            session=session, admin_id=user.id, days_back=days, now=now, top=TEAM_ROWS
        )
        saved = await team_cache_savings(session=session, since=figures.since)
    return figures, saved


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
    return (await usage(database, user, days, team=False)).to_json()


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
    now = utc_now()
    team = asyncio.ensure_future(team_view(database, user, days, now)) if user.is_admin else None
    try:
        async with database.session(user_id=user.id, read_only=True) as session:
            figures = await usage_report(session=session, user_id=user.id, days_back=days, now=now)
        from spark.web.routes.limits import budget_of

        budget = await budget_of(database, user.id)
        # By now the team statement is with the database (its few round trips ran between
        # ours): the charts' Python runs while SQLite's C code (in its connection's thread)
        # or the PostgreSQL server works on it, so the page costs about the longer of the two,
        # not their sum. (In a worker thread instead, the charts would contend with the event
        # loop for the GIL: slower.)
        charts = dashboard_charts(figures.stats)
        team_figures, team_cache = await team if team is not None else (None, None)
    finally:
        if team is not None and not team.done():
            team.cancel()
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "days": days,
            "windows": WINDOWS,
            "stats": figures.stats,
            "token_counts": figures.tokens,
            "failure_rate": figures.failure_rate,
            "charts": charts,
            "team": team_figures,
            "team_cache": team_cache,
            "team_rows": TEAM_ROWS,
            "budget": budget,
            "version": __version__,
        },
    )
