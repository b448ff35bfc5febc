"""What the response cache saved the whole team over a window, for the admin's team view.

A cache hit is a history row with status ``cached`` and ``saved_usd`` (what the generation it
reused had cost; docs/teams.md). A user's own hits are in :func:`spark.db.stats.generation_stats`;
the team's cross users, so on PostgreSQL they are summed by the SECURITY DEFINER function
``spark_team_cache_savings`` (revision 0015), which makes the team view's admin check inside
the database. Either way only the hits are read: the partial index on ``created_at`` where
``status = 'cached'`` finds them, whatever the number of other rows in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.types import UTCDateTime, to_money

# The literal status (not a bound value) lets SQLite use the partial index.
_SQLITE = text(
    "SELECT count(*), sum(saved_usd) FROM spark_generation_history "
    "WHERE status = 'cached' AND created_at >= :since"
)
_POSTGRES = text("SELECT hits, saved_usd FROM spark_team_cache_savings(:since)")


@dataclass(frozen=True, slots=True)
class CacheSavings:
    """Cache hits in a window and what the generations they reused had cost."""

    hits: int = 0
    saved_usd: Decimal = Decimal("0")


async def team_cache_savings(*, session: AsyncSession, since: datetime) -> CacheSavings:
    """Every user's cache hits created at or after ``since``, and what they saved.

    On PostgreSQL the session must act for an enabled admin (the function raises
    ``insufficient_privilege`` otherwise); on SQLite the caller checks, as for
    :func:`spark.db.rollup.team_usage`.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    query = (_POSTGRES if postgres else _SQLITE).bindparams(
        bindparam("since", since, type_=UTCDateTime)
    )
    hits, saved = (await session.execute(query)).one()
    return CacheSavings(hits=int(hits or 0), saved_usd=to_money(saved) or Decimal(0))
