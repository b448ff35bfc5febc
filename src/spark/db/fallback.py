"""Where fallback lists are kept: the team's (site setting ``fallback``, else
``SPARK_FALLBACK``) and each user's override (``spark_user_preferences.fallback``).

A user's list, when set, replaces the team's; an empty one turns fallback off for that user.
The lists are stored as text (``anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol``) and read
back through :func:`spark.fallback.parse_routes`, so a value written by hand that no longer
parses reads as "no fallback" rather than failing a generation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import User
from spark.db.preferences import find_preferences, get_preferences
from spark.db.site import set_site_setting, site_setting
from spark.db.types import utc_now
from spark.errors import UsageError
from spark.fallback import Route, format_routes, parse_routes

FALLBACK = "fallback"


class _Unread:
    pass


UNREAD = _Unread()


@dataclass(frozen=True, slots=True)
class FallbackLists:
    """The team's list, the user's override (None: follows the team's) and the one used."""

    team: tuple[Route, ...]
    mine: tuple[Route, ...] | None

    @property
    def effective(self) -> tuple[Route, ...]:
        return self.team if self.mine is None else self.mine

    def to_json(self) -> dict[str, object]:
        def names(routes: tuple[Route, ...] | None) -> list[str] | None:
            return None if routes is None else [str(r) for r in routes]

        return {
            "team": names(self.team),
            "mine": names(self.mine),
            "effective": names(self.effective),
        }


def parsed_routes(text: str | None) -> tuple[Route, ...]:
    """A stored list as routes; one that no longer parses is no fallback (never an error)."""
    try:
        return parse_routes(text)
    except UsageError:
        return ()


async def fallback_lists(
    *, session: AsyncSession, user_id: int, default: str, team: str | _Unread | None = UNREAD
) -> FallbackLists:
    """The lists that apply to ``user_id`` (``default``: ``SPARK_FALLBACK``; ``team``: the
    site setting when the caller has read it already)."""
    stored = await site_setting(session=session, key=FALLBACK) if team is UNREAD else team
    prefs = await find_preferences(session=session, user_id=user_id)
    mine = None if prefs.fallback is None else parsed_routes(prefs.fallback)
    return FallbackLists(
        team=parsed_routes(default if not isinstance(stored, str) else stored), mine=mine
    )


async def set_team_fallback(
    *, session: AsyncSession, admin: User | None, routes: tuple[Route, ...] | None
) -> None:
    """Set the team's list (None: back to ``SPARK_FALLBACK``); admins only."""
    value = None if routes is None else format_routes(routes)
    await set_site_setting(session=session, admin=admin, key=FALLBACK, value=value)


async def set_user_fallback(
    *, session: AsyncSession, user_id: int, routes: tuple[Route, ...] | None
) -> None:
    """Set the user's own list (None: follow the team's; empty: no fallback)."""
    prefs = await get_preferences(session=session, user_id=user_id)
    prefs.fallback = None if routes is None else format_routes(routes)
    prefs.updated_at = utc_now()
    await session.flush()
