"""Team controls over the API: the fallback lists and the response cache (docs/teams.md).

- ``GET /api/fallback``: the team's list, the user's own (null: follows the team's) and the one
  that applies; ``PUT`` sets one (``scope`` ``me``, or ``team`` for admins; ``entries`` null
  clears it); ``DELETE ?scope=`` clears one.
- ``GET /api/cache``: whether the response cache is on, its scope and lifetime; ``PUT`` changes
  them (admins); ``DELETE /api/cache/entries`` forgets the user's own entries.

:func:`spark.db.team_controls.generation_context` is what a generation reads of both.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from spark.config import Settings
from spark.db.cache import (
    cache_settings,
    check_cache_settings,
    clear_cache,
    set_cache_settings,
)
from spark.db.engine import Database
from spark.db.fallback import fallback_lists, set_team_fallback, set_user_fallback
from spark.db.models import User
from spark.db.site import NotAdminError
from spark.errors import UsageError
from spark.fallback import Route, parse_routes
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, SettingsDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, RequestBody
from spark.web.security import CsrfProtected

router = APIRouter(prefix="/api", tags=["team controls"], route_class=SparkRoute)

FallbackScope = Literal["me", "team"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in."},
    403: {"model": ErrorBody, "description": "No CSRF token, or not an admin (team settings)."},
    422: {"model": ErrorBody, "description": "A malformed entry or value."},
}


class FallbackBody(RequestBody):
    """A fallback list to save."""

    scope: FallbackScope = Field(
        default="me", description="`me`: your own list; `team`: the team's (admins)."
    )
    entries: list[str] | None = Field(
        default=None,
        max_length=5,
        description='provider:model entries in order, e.g. `["openai:gpt-6.2-sol"]`; `[]` '
        "turns fallback off (for you), null clears the list (yours follows the team's again).",
    )


class CacheBody(RequestBody):
    """Response-cache settings to change (fields left out stay as they are)."""

    enabled: bool | None = None
    scope: Literal["user", "team"] | None = Field(
        default=None, description="`user`: each user's own entries; `team`: shared by all."
    )
    ttl_seconds: int | None = Field(default=None, description="How long an entry lives.")


def _routes(entries: list[str] | None) -> tuple[Route, ...] | None:
    if entries is None:
        return None
    try:
        return parse_routes(entries)
    except UsageError as exc:
        raise ApiError(422, "invalid_input", exc.message, exc.hint) from None


async def _admin(session: AsyncSession, user: WebUser) -> User:
    account = await session.get(User, user.id)
    if account is None or not account.is_admin or account.disabled:
        raise ApiError(403, "forbidden", "Only an admin can change the team's settings.")
    return account


async def _lists(database: Database, settings: Settings, user: WebUser) -> dict[str, Any]:
    async with database.session(user_id=user.id, read_only=True) as session:
        lists = await fallback_lists(session=session, user_id=user.id, default=settings.fallback)
    return lists.to_json()


@router.get("/fallback", summary="The fallback lists", responses=_ERRORS)
async def read_fallback(
    database: DatabaseDep, settings: SettingsDep, user: CurrentUser
) -> dict[str, Any]:
    """`team`, `mine` (null: following the team's) and `effective` (the one your generations
    use), each a list of `provider:model` entries."""
    return await _lists(database, settings, user)


async def _save(
    database: Database, user: WebUser, scope: FallbackScope, routes: tuple[Route, ...] | None
) -> None:
    async with database.session(user_id=user.id) as session:
        if scope == "team":
            try:
                await set_team_fallback(
                    session=session, admin=await _admin(session, user), routes=routes
                )
            except NotAdminError as exc:
                raise ApiError(403, "forbidden", str(exc)) from None
        else:
            await set_user_fallback(session=session, user_id=user.id, routes=routes)


@router.put("/fallback", summary="Save a fallback list", responses=_ERRORS)
async def save_fallback(
    body: FallbackBody,
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> dict[str, Any]:
    """Save your list (or, for admins, the team's) and answer with the lists as they are now."""
    await _save(database, user, body.scope, _routes(body.entries))
    return await _lists(database, settings, user)


@router.delete("/fallback", summary="Clear a fallback list", responses=_ERRORS)
async def clear_fallback(
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
    scope: FallbackScope = Query(default="me"),  # noqa: B008
) -> dict[str, Any]:
    """Yours follows the team's again; the team's goes back to `SPARK_FALLBACK`."""
    await _save(database, user, scope, None)
    return await _lists(database, settings, user)


@router.get("/cache", summary="The response cache's settings", responses=_ERRORS)
async def read_cache(
    database: DatabaseDep, settings: SettingsDep, user: CurrentUser
) -> dict[str, Any]:
    """`enabled`, `scope` (`user` or `team`) and `ttl_seconds`."""
    async with database.session(user_id=user.id, read_only=True) as session:
        return (await cache_settings(session=session, settings=settings)).to_json()


@router.put("/cache", summary="Change the response cache's settings (admins)", responses=_ERRORS)
async def save_cache(
    body: CacheBody,
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> dict[str, Any]:
    """Switch the cache on or off, share it with the team or not, set its entries' lifetime."""
    try:
        check_cache_settings(body.scope, body.ttl_seconds)  # bad values: 422 for anyone
    except UsageError as exc:
        raise ApiError(422, "invalid_input", exc.message, exc.hint) from None
    async with database.session(user_id=user.id) as session:
        await set_cache_settings(
            session=session,
            admin=await _admin(session, user),
            enabled=body.enabled,
            scope=body.scope,
            ttl=body.ttl_seconds,
        )
        return (await cache_settings(session=session, settings=settings)).to_json()


@router.delete("/cache/entries", summary="Forget your cached scripts", responses=_ERRORS)
async def forget_cache_entries(
    database: DatabaseDep, user: CurrentUser, _: CsrfProtected
) -> dict[str, Any]:
    """Delete every cache entry you stored (user and team scope); how many went."""
    async with database.session(user_id=user.id) as session:
        return {"deleted": await clear_cache(session=session, user_id=user.id)}
