"""What one generation needs to know before it starts, read in one transaction.

:func:`generation_context` reads, in one read-only transaction of four statements: the user's
preferences (Unity target, own fallback list), the site settings of the team controls (the
team's fallback list, the response cache), the instructions in force (the team's and the
user's newest) and the spend/rate limits that may apply (the user's, the default, the team's,
every provider's). Before, these were four transactions on every generation (docs/teams.md,
docs/benchmarks.md "Through the HTTP API"). :func:`generation_controls` is the fallback routes
and cache settings alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, select

from spark.db.cache import KEYS as CACHE_KEYS
from spark.db.cache import CacheSettings, settings_from
from spark.db.fallback import FALLBACK, FallbackLists, fallback_lists, parsed_routes
from spark.db.instructions import IN_FORCE, instructions_from
from spark.db.limits import LIMIT_ROWS
from spark.db.models import SiteSetting, SpendLimit, UserPreferences
from spark.db.site import site_settings
from spark.instructions import Instructions
from spark.limits import DEFAULT, TEAM, user_scope

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


@dataclass(frozen=True, slots=True)
class GenerationContext:
    """What :func:`generation_context` read for one generation of one user."""

    # The user's Unity target as stored (``unity_version``, ``input_system``,
    # ``render_pipeline``, ``unity_project``; None each: the server's).
    target: dict[str, Any]
    fallback: tuple[Route, ...]
    caching: CacheSettings
    instructions: Instructions
    # The ``spark_limits`` rows that may apply, by scope (for DatabaseQuota's ``known``).
    limits: dict[str, Any]


# Built once: only the user's id is bound per request.
_PREFERENCES = select(
    UserPreferences.unity_version,
    UserPreferences.input_system,
    UserPreferences.render_pipeline,
    UserPreferences.unity_project,
    UserPreferences.fallback,
).where(UserPreferences.user_id == bindparam("user_id"))
_SITE = select(SiteSetting.key, SiteSetting.value).where(
    SiteSetting.key.in_([FALLBACK, *CACHE_KEYS])
)
_LIMITS = LIMIT_ROWS.where(
    or_(
        SpendLimit.scope.in_([bindparam("me"), DEFAULT, TEAM]),
        SpendLimit.scope.like("provider:%"),
    )
)


async def generation_context(
    *, settings: Settings, database: Database, user_id: int
) -> GenerationContext:
    """Everything a generation of ``user_id`` reads before it starts (see the module
    docstring), in one read-only transaction."""
    async with database.transaction(user_id=user_id, read_only=True, statements=4) as connection:
        prefs = (await connection.execute(_PREFERENCES, {"user_id": user_id})).first()
        stored: dict[str, str] = {key: value for key, value in await connection.execute(_SITE)}
        in_force = (await connection.execute(IN_FORCE, {"u": user_id})).one()
        limits = {
            row.scope: row for row in await connection.execute(_LIMITS, {"me": user_scope(user_id)})
        }
    team = stored.get(FALLBACK)
    lists = FallbackLists(
        team=parsed_routes(settings.fallback if team is None else team),
        mine=None if prefs is None or prefs.fallback is None else parsed_routes(prefs.fallback),
    )
    target = {
        "unity_version": None if prefs is None else prefs.unity_version,
        "input_system": None if prefs is None else prefs.input_system,
        "render_pipeline": None if prefs is None else prefs.render_pipeline,
        "unity_project": None if prefs is None else prefs.unity_project,
    }
    return GenerationContext(
        target=target,
        fallback=lists.effective,
        caching=settings_from(stored, settings),
        instructions=instructions_from(*in_force),
        limits=limits,
    )
