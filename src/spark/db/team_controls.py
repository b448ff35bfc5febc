"""What one generation needs to know before it starts, read at once.

:func:`generation_context` reads the user's preferences (Unity target, own fallback list), the
site settings of the team controls (the team's fallback list, the response cache), the
instructions in force (the team's and the user's newest) and whether any spend or rate limit
is set, as scalar subqueries of one ``SELECT``; then, only when a limit is set, the limits
that may apply (the user's, the default, the team's, every provider's) in a second. Before,
these were four transactions on every generation (docs/teams.md, docs/benchmarks.md "Through
the HTTP API"). The web app, MCP and the command line all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, or_, select

from spark.db.cache import KEYS as CACHE_KEYS
from spark.db.cache import CacheSettings, settings_from
from spark.db.fallback import FALLBACK, FallbackLists, parsed_routes
from spark.db.instructions import IN_FORCE_COLUMNS, instructions_from
from spark.db.limits import LIMIT_ROWS
from spark.db.models import SiteSetting, SpendLimit, UserPreferences
from spark.instructions import Instructions
from spark.limits import DEFAULT, TEAM, user_scope

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.engine import Database
    from spark.fallback import Route


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


def _preference(column: Any) -> Any:
    return select(column).where(UserPreferences.user_id == bindparam("u")).scalar_subquery()


def _site(key: str) -> Any:
    return select(SiteSetting.value).where(SiteSetting.key == key).scalar_subquery()


_TARGET_COLUMNS = ("unity_version", "input_system", "render_pipeline", "unity_project")
_SITE_KEYS = (FALLBACK, *CACHE_KEYS)
# Built once, one statement (scalar subqueries, no FROM): the user's preferences, the team
# controls' site settings and the instructions in force; only the user's id is bound.
_CONTEXT = select(
    *(_preference(getattr(UserPreferences, name)) for name in _TARGET_COLUMNS),
    _preference(UserPreferences.fallback),
    *(_site(key) for key in _SITE_KEYS),
    *IN_FORCE_COLUMNS,
    exists().where(SpendLimit.scope.is_not(None)),  # any limit at all (else no second read)
)
# The limits that may apply: the user's, the default, the team's, every provider's.
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
    docstring): one statement, and a second for the limits' rows only when there are any
    (on SQLite each its own snapshot: no BEGIN, and nothing read needs to agree across the
    two)."""
    async with database.transaction(user_id=user_id, read_only=True, statements=1) as connection:
        row = tuple((await connection.execute(_CONTEXT, {"u": user_id})).one())
        limits: dict[str, Any] = {}
        if row[13]:
            found = await connection.execute(_LIMITS, {"me": user_scope(user_id)})
            limits = {limit.scope: limit for limit in found}
    target = dict(zip(_TARGET_COLUMNS, row[:4], strict=True))
    mine = row[4]
    stored = {
        key: value for key, value in zip(_SITE_KEYS, row[5:9], strict=True) if value is not None
    }
    team = stored.get(FALLBACK)
    lists = FallbackLists(
        team=parsed_routes(settings.fallback if team is None else team),
        mine=None if mine is None else parsed_routes(mine),
    )
    return GenerationContext(
        target=target,
        fallback=lists.effective,
        caching=settings_from(stored, settings),
        instructions=instructions_from(*row[9:13]),
        limits=limits,
    )
