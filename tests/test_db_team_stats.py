"""The admins' team view on both databases: every user's figures, for admins only.

On PostgreSQL it runs as the app role under row-level security, through the SECURITY DEFINER
function ``spark_team_generation_stats``; the figures are compared with hand-computed values.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from spark.db.engine import Database
from spark.db.models import GenerationRecord
from spark.db.stats import AdminRequiredError, team_stats
from spark.db.types import utc_now
from spark.db.usage import usage_report
from spark.db.users import create_user, set_disabled
from spark.usage import Usage
from tests.db_fixtures import PostgresServer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NOW = utc_now()


def row(user_id: int, status: str, cost: str, ms: int | None, hours_ago: float, **kw: object):
    values: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-5-5",
        "prompt": "a door <script>",
        "status": status,
        "input_tokens": 100,
        "output_tokens": 50,
        "cache_read_tokens": 10,
        "cache_write_tokens": 0,
        "cost_usd": Decimal(cost),
        "generation_ms": ms,
        "created_at": NOW - timedelta(hours=hours_ago),
    }
    values.update(kw)
    return GenerationRecord(user_id=user_id, **values)


async def fixture_history(db: Database) -> tuple[int, int, int]:
    """admin: 1 succeeded; ada: 2 succeeded + 1 failed + 1 too old; bob: 1 interrupted +
    1 running."""
    async with db.session() as session:
        admin = (await create_user(session=session, username="boss", is_admin=True)).id
        ada = (await create_user(session=session, username="ada")).id
        bob = (await create_user(session=session, username="bob")).id
    rows = {
        admin: [row(admin, "succeeded", "0.010000", 1000, 1)],
        ada: [
            row(ada, "succeeded", "0.020000", 2000, 2),
            row(ada, "succeeded", "0.030000", 3001, 30, output_tokens=150),
            row(ada, "failed", "0.005000", None, 3),
            row(ada, "succeeded", "9.000000", 5000, 24 * 40),  # outside 30 days
        ],
        bob: [
            row(bob, "interrupted", "0.001000", None, 5),
            row(
                bob, "running", "0", None, 0.5, input_tokens=0, output_tokens=0, cache_read_tokens=0
            ),
        ],
    }
    for user_id, records in rows.items():
        async with db.session(user_id=user_id) as session:
            session.add_all(records)
    return admin, ada, bob


async def test_an_admin_sees_every_users_figures(db: Database) -> None:
    admin, ada, bob = await fixture_history(db)
    async with db.session(user_id=admin) as session:
        figures = await team_stats(session=session, admin_id=admin, days_back=30)
    # 6 rows in the window: 3 succeeded, 2 failed (failed + interrupted), 1 running.
    assert (figures.total_generations, figures.succeeded, figures.failed) == (6, 3, 2)
    assert figures.success_rate == Decimal("60.0")  # 3 of 5 finished
    # tokens: 5 rows x 160, the 150-output row +100, the running row 0
    assert figures.total_tokens == 5 * 160 + 100
    assert figures.total_cost_usd == Decimal("0.066000")
    assert figures.avg_generation_ms == 2000  # (1000 + 2000 + 3001) / 3 = 2000.33
    by_name = {u.username: u for u in figures.users}
    assert [u.username for u in figures.users] == ["ada", "boss", "bob"]  # biggest spender first
    assert (by_name["ada"].user_id, by_name["ada"].generations, by_name["ada"].failed) == (
        ada,
        3,
        1,
    )
    assert by_name["ada"].total_cost_usd == Decimal("0.055000")
    assert by_name["ada"].success_rate == Decimal("66.7")
    assert by_name["ada"].avg_generation_ms == 2501  # 2500.5 rounds half up
    assert by_name["ada"].total_tokens == 3 * 160 + 100
    assert (by_name["bob"].user_id, by_name["bob"].generations) == (bob, 2)
    assert (by_name["bob"].succeeded, by_name["bob"].failed) == (0, 1)
    assert by_name["bob"].avg_generation_ms is None
    assert by_name["boss"].total_cost_usd == Decimal("0.010000")


async def test_the_window_follows_days_back(db: Database) -> None:
    admin, _, _ = await fixture_history(db)
    async with db.session(user_id=admin) as session:
        wide = await team_stats(session=session, admin_id=admin, days_back=60)
        narrow = await team_stats(session=session, admin_id=admin, days_back=1)
    assert wide.total_generations == 7 and wide.total_cost_usd == Decimal("9.066000")
    # one day: everything but the 30-hour-old row and the 40-day-old one
    assert narrow.total_generations == 5
    with pytest.raises(ValueError):
        await team_stats(session=session, admin_id=admin, days_back=0)


async def test_a_non_admin_is_refused(db: Database) -> None:
    _, ada, _ = await fixture_history(db)
    with pytest.raises(AdminRequiredError, match="admins only"):
        async with db.session(user_id=ada) as session:
            await team_stats(session=session, admin_id=ada)


async def test_a_disabled_admin_is_refused(db: Database) -> None:
    admin, _, _ = await fixture_history(db)
    async with db.session() as session:
        await set_disabled(session=session, user_id=admin, disabled=True)
    with pytest.raises(AdminRequiredError):
        async with db.session(user_id=admin) as session:
            await team_stats(session=session, admin_id=admin)


async def test_empty_history(db: Database) -> None:
    async with db.session() as session:
        admin = (await create_user(session=session, username="boss", is_admin=True)).id
    async with db.session(user_id=admin) as session:
        figures = await team_stats(session=session, admin_id=admin)
    assert (figures.total_generations, figures.users, figures.avg_generation_ms) == (0, [], None)
    assert figures.total_cost_usd == 0 and figures.success_rate == 0


async def test_postgres_function_checks_the_caller_not_the_argument(pg: PostgresServer) -> None:
    """As the app role, a non-admin calling the function directly gets an error, and so does
    a transaction without a user; the admin gets every user's rows despite RLS."""
    async with Database(pg.url("app")) as db:
        admin, ada, _ = await fixture_history(db)
        call = text("SELECT count(*) FROM spark_team_generation_stats(now() - interval '30 days')")
        for user_id in (ada, None):
            with pytest.raises(DBAPIError, match="admins only"):
                async with db.session(user_id=user_id) as session:
                    await session.execute(call)
        async with db.session(user_id=admin) as session:
            groups = (await session.execute(call)).scalar_one()
            # plain queries still see only the admin's own rows
            own = await session.execute(text("SELECT count(*) FROM spark_generation_history"))
            assert own.scalar_one() == 1
        assert groups == 5  # (boss, succeeded), (ada, succeeded|failed), (bob, interrupted|running)
        async with db.session(user_id=admin) as session:
            maintenance = await session.execute(
                text("SELECT current_setting('spark.maintenance', true)")
            )
            assert maintenance.scalar_one() in (None, "")


def test_postgres_function_is_not_executable_by_public(postgres: PostgresServer) -> None:
    [(acl,)] = postgres.execute(
        "SELECT proacl::text FROM pg_proc WHERE proname = 'spark_team_generation_stats'",
        role="owner",
    )
    entries = acl.strip("{}").split(",")
    assert not [e for e in entries if e.startswith("=")]  # no PUBLIC execute
    assert any(e.startswith(f"{postgres.app}=X") for e in entries)


async def test_usage_report_splits_tokens_and_adds_the_team_only_for_admins(db: Database) -> None:
    admin, ada, _bob = await fixture_history(db)
    async with db.session(user_id=ada) as session:
        report = await usage_report(session=session, user_id=ada, days_back=30)
    # ada's three rows in the window: 100 + 100 + 100 in, 50 + 150 + 50 out, 10 cache read each.
    assert report.tokens == Usage(input_tokens=300, output_tokens=250, cache_read_tokens=30)
    assert report.stats.total_generations == 3 and report.team is None
    assert report.stats.total_tokens == 300 + 250 + 30
    async with db.session(user_id=admin) as session:
        team = await usage_report(session=session, user_id=admin, days_back=30, team=True)
    assert team.team is not None and team.team.total_generations == 6
    assert team.tokens == Usage(input_tokens=100, output_tokens=50, cache_read_tokens=10)
    with pytest.raises(AdminRequiredError):
        async with db.session(user_id=ada) as session:
            await usage_report(session=session, user_id=ada, days_back=30, team=True)
