"""The Account page's team controls (docs/teams.md): your fallback list, and for admins the
team's fallback list and the response cache's settings. The same settings as ``/api/fallback``
and ``/api/cache``, as forms."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from spark.db.cache import check_cache_settings, set_cache_settings
from spark.db.fallback import set_team_fallback, set_user_fallback
from spark.db.site import NotAdminError
from spark.db.users import get_user as load_user
from spark.errors import UsageError
from spark.fallback import Route, parse_routes
from spark.web.errors import ApiError
from spark.web.routes.account import AccountPageDep, read_form
from spark.web.routing import SparkRoute

router = APIRouter(route_class=SparkRoute, include_in_schema=False)


def _routes(text: str) -> tuple[Route, ...]:
    return parse_routes(text)


@router.post("/account/fallback")
async def save_my_fallback(page: AccountPageDep) -> Response:
    """Your list: follow the team's, your own entries, or off."""
    form = await read_form(page.request)
    mode = form.get("mode", "team")
    try:
        routes = (
            None if mode == "team" else () if mode == "off" else _routes(form.get("entries", ""))
        )
    except UsageError as exc:
        return await page(422, fallback_error=f"{exc.message} {exc.hint or ''}".strip())
    async with page.database.session(user_id=page.user.id) as session:
        await set_user_fallback(session=session, user_id=page.user.id, routes=routes)
    return await page(fallback_message="Your fallback list is saved.")


async def _admin(page: AccountPageDep) -> None:
    if not page.user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's settings.")


@router.post("/account/team-fallback")
async def save_team_fallback(page: AccountPageDep) -> Response:
    """Admins: the team's list (empty: no fallback)."""
    await _admin(page)
    form = await read_form(page.request)
    try:
        routes = _routes(form.get("entries", ""))
    except UsageError as exc:
        return await page(422, team_error=f"{exc.message} {exc.hint or ''}".strip())
    try:
        async with page.database.session(user_id=page.user.id) as session:
            admin = await load_user(session=session, user_id=page.user.id)
            if admin is None:
                raise NotAdminError("Only an admin can change the team's settings.")
            await set_team_fallback(session=session, admin=admin, routes=routes)
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    return await page(team_message="The team's fallback list is saved.")


@router.post("/account/cache")
async def save_cache(page: AccountPageDep) -> Response:
    """Admins: the response cache on or off, its scope and its entries' lifetime."""
    await _admin(page)
    form = await read_form(page.request)
    scope = form.get("scope", "user")
    ttl_text = form.get("ttl", "").strip()
    try:
        if not ttl_text.isdigit() or len(ttl_text) > 9:
            raise UsageError("The cache lifetime must be a whole number of seconds.")
        ttl = int(ttl_text)
        check_cache_settings(scope, ttl)
    except UsageError as exc:
        return await page(422, team_error=exc.message)
    try:
        async with page.database.session(user_id=page.user.id) as session:
            admin = await load_user(session=session, user_id=page.user.id)
            if admin is None:
                raise NotAdminError("Only an admin can change the team's settings.")
            await set_cache_settings(
                session=session,
                admin=admin,
                enabled=form.get("enabled") == "on",
                scope=scope,
                ttl=ttl,
            )
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    return await page(team_message="The response cache's settings are saved.")
