"""What one generation needs of the team controls (docs/teams.md), read in one transaction:
the fallback routes that apply to the user and the response cache's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark.db.cache import CacheSettings, cache_settings
from spark.db.fallback import fallback_lists

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.engine import Database
    from spark.fallback import Route


async def generation_controls(
    *, settings: Settings, database: Database, user_id: int
) -> tuple[tuple[Route, ...], CacheSettings]:
    """The fallback routes and the cache settings that apply to a generation of ``user_id``."""
    async with database.session(user_id=user_id, read_only=True) as session:
        lists = await fallback_lists(session=session, user_id=user_id, default=settings.fallback)
        cache = await cache_settings(session=session, settings=settings)
    return lists.effective, cache
