"""What one generation needs of the team controls (docs/teams.md), read in one transaction:
the fallback routes that apply to the user and the response cache's settings (two queries:
the site settings, the user's preferences)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark.db.cache import KEYS as CACHE_KEYS
from spark.db.cache import CacheSettings, settings_from
from spark.db.fallback import FALLBACK, fallback_lists
from spark.db.site import site_settings

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.engine import Database
    from spark.fallback import Route


async def generation_controls(
    *, settings: Settings, database: Database, user_id: int
) -> tuple[tuple[Route, ...], CacheSettings]:
    """The fallback routes and the cache settings that apply to a generation of ``user_id``."""
    async with database.session(user_id=user_id, read_only=True) as session:
        stored = await site_settings(session=session, keys=(FALLBACK, *CACHE_KEYS))
        lists = await fallback_lists(
            session=session, user_id=user_id, default=settings.fallback, team=stored.get(FALLBACK)
        )
    return lists.effective, settings_from(stored, settings)
