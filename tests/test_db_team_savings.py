"""The team's response-cache savings for the admin's team view, on SQLite and PostgreSQL:
every user's hits in the window and what the generations they reused had cost, for admins
only, read through the partial index on hits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from spark.db import savings
from spark.db.engine import Database
from spark.db.models import GenerationRecord
from spark.db.savings import CacheSavings, team_cache_savings
from spark.db.stats import AdminRequiredError
from spark.db.types import utc_now
from spark.db.usage import usage_report
from spark.db.users import create_user

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NOW = utc_now()


def _row(user_id: int, status: str, days_ago: float, saved: str | None = None) -> GenerationRecord:
    return GenerationRecord(
        user_id=user_id,
        provider="anthropic",
        model="claude-sonnet-5-5",
        prompt="a door",
        status=status,
        cost_usd=Decimal(0) if status == "cached" else Decimal("0.040000"),
        saved_usd=None if saved is None else Decimal(saved),
        created_at=NOW - timedelta(days=days_ago),
    )


async def _history(db: Database) -> tuple[int, int, int]:
    """ada: 2 hits this week, 1 forty days ago, 1 generation; bob: 1 hit; the admin: none."""
    async with db.session() as session:
        admin = (await create_user(session=session, username="boss", is_admin=True)).id
        ada = (await create_user(session=session, username="ada")).id
        bob = (await create_user(session=session, username="bob")).id
    rows = {
        ada: [
            _row(ada, "cached", 1, "0.020000"),
            _row(ada, "cached", 6, "0.030000"),
            _row(ada, "cached", 40, "9.000000"),
            _row(ada, "succeeded", 2),
        ],
        bob: [_row(bob, "cached", 0.1, "0.005000"), _row(bob, "failed", 3)],
    }
    for user_id, records in rows.items():
        async with db.session(user_id=user_id) as session:
            session.add_all(records)
    return admin, ada, bob


async def test_the_team_view_counts_every_users_hits_in_the_window(db: Database) -> None:
    admin, ada, _bob = await _history(db)
    async with db.session(user_id=admin, read_only=True) as session:
        month = await usage_report(session=session, user_id=admin, days_back=30, team=True)
        quarter = await usage_report(session=session, user_id=admin, days_back=90, team=True)
        week = await team_cache_savings(session=session, since=NOW - timedelta(days=5))
    assert month.team_cache == CacheSavings(3, Decimal("0.055000"))
    assert quarter.team_cache == CacheSavings(4, Decimal("9.055000"))
    assert week == CacheSavings(2, Decimal("0.025000"))
    assert month.stats.cache_hits == 0  # the admin's own figures: no hits of theirs
    async with db.session(user_id=ada, read_only=True) as session:
        mine = await usage_report(session=session, user_id=ada, days_back=30)
        refused = usage_report(session=session, user_id=ada, days_back=30, team=True)
        with pytest.raises(AdminRequiredError):
            await refused
    assert mine.team_cache is None and mine.team is None
    assert (mine.stats.cache_hits, mine.stats.cache_saved_usd) == (2, Decimal("0.050000"))


async def test_no_hits_is_zero(db: Database) -> None:
    async with db.session() as session:
        admin = (await create_user(session=session, username="boss", is_admin=True)).id
    async with db.session(user_id=admin, read_only=True) as session:
        report = await usage_report(session=session, user_id=admin, days_back=7, team=True)
    assert report.team_cache == CacheSavings(0, Decimal(0))


async def test_postgres_function_is_for_admins_only(db: Database) -> None:
    if not db.is_postgresql:
        pytest.skip("SQLite has no row-level security: the caller checks (usage_report)")
    _admin, ada, _bob = await _history(db)
    with pytest.raises(DBAPIError, match="admins only"):
        async with db.session(user_id=ada) as session:
            await team_cache_savings(session=session, since=NOW - timedelta(days=30))


async def test_sqlite_reads_only_the_hits(db: Database) -> None:
    if db.is_postgresql:
        pytest.skip("the plan of the SQLite query")
    async with db.session() as session:
        query = f"EXPLAIN QUERY PLAN {savings._SQLITE.text}"  # the module's own query
        plan = await session.execute(text(query), {"since": NOW.isoformat()})
        details = " ".join(str(r[-1]) for r in plan)
    assert "ix_spark_generation_history_cached" in details, details
