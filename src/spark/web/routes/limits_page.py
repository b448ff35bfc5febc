"""Admin → Limits: every scope's spend and rate limits with what is spent today and this month,
each editable in its own small form (server-rendered, CSRF like the account page's forms).

The same rules as ``PUT /api/limits/{scope}``: a form replaces the scope's limits (an empty
field is no limit); a bad value re-renders the page, 422, with the message next to the form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from spark.db.limits import all_limits, set_limits, spent_by_scope
from spark.db.site import NotAdminError
from spark.db.users import list_users
from spark.limits import DEFAULT, TEAM, Limits, parse_rate, parse_usd, provider_scope, usd
from spark.web.auth import CurrentUser, set_notice, take_notice
from spark.web.deps import DatabaseDep, EngineDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.routes.account import _render, read_form
from spark.web.routing import SparkRoute

router = APIRouter(route_class=SparkRoute, include_in_schema=False)
FIELDS = ("daily_usd", "monthly_usd", "requests_per_minute", "concurrent")


def _admin(user: Any) -> None:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can see or change limits.")


async def _page(
    request: Request,
    templates: Any,
    database: Any,
    engine: Any,
    user: Any,
    status: int = 200,
    **context: Any,
) -> Response:
    async with database.session(user_id=user.id, read_only=True) as session:
        limits = await all_limits(session=session)
        users = await list_users(session=session)
        rows: list[dict[str, Any]] = [
            {"scope": TEAM, "name": "The whole team", "rates": True},
            {"scope": DEFAULT, "name": "Default for users", "rates": True, "default": True},
        ]
        rows += [
            {"scope": provider_scope(p.id), "name": p.display_name, "rates": False}
            for p in engine.catalog.providers
        ]
        rows += [
            {"scope": f"user:{u.id}", "name": u.username, "rates": True, "user": True}
            for u in users
            if not u.disabled
        ]
        spent = await spent_by_scope(
            session=session, scopes=[r["scope"] for r in rows if not r.get("default")]
        )
    for row in rows:
        own = limits.get(row["scope"])
        row["own"] = own is not None
        row["limits"] = (own or Limits()).to_json()
        if row.get("user") and own is None:
            row["inherits"] = (limits.get(DEFAULT) or Limits()).to_json()
        for period in ("day", "month"):
            figures = spent.get((row["scope"], period))
            row[period] = (
                None if figures is None else {"spent": usd(figures[0]), "held": usd(figures[1])}
            )
    return _render(templates, request, "limits.html", status, user=user, rows=rows, **context)


@router.get("/admin/limits", response_class=HTMLResponse)
async def limits_page(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    engine: EngineDep,
    user: CurrentUser,
) -> Response:
    _admin(user)
    return await _page(request, templates, database, engine, user, notice=take_notice(request))


@router.post("/admin/limits")
async def save_limits(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    engine: EngineDep,
    user: CurrentUser,
) -> Response:
    """Replace one scope's limits from its form; back to the page with a notice."""
    _admin(user)
    form = await read_form(request)
    scope = form.get("scope", "")
    known = {TEAM, DEFAULT, *(provider_scope(p.id) for p in engine.catalog.providers)}
    try:
        if scope not in known and not _user_scope(scope):
            raise ValueError("Choose a scope from this page.")
        limits = Limits(
            daily_usd=parse_usd(form.get("daily_usd"), "Daily USD"),
            monthly_usd=parse_usd(form.get("monthly_usd"), "Monthly USD"),
            requests_per_minute=parse_rate(form.get("requests_per_minute"), "Requests a minute"),
            concurrent=parse_rate(form.get("concurrent"), "At once"),
        )
        if scope.startswith("provider:") and (
            limits.requests_per_minute is not None or limits.concurrent is not None
        ):
            raise ValueError("A provider has spend limits only.")
    except ValueError as exc:
        return await _page(
            request, templates, database, engine, user, 422, error=str(exc), error_scope=scope
        )
    try:
        async with database.session(user_id=user.id) as session:
            await set_limits(session=session, admin_id=user.id, scope=scope, limits=limits)
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    set_notice(request, "Limits saved.")
    return RedirectResponse("/admin/limits", status_code=303)


def _user_scope(scope: str) -> bool:
    kind, _, number = scope.partition(":")
    return kind == "user" and number.isascii() and number.isdigit() and len(number) < 10
