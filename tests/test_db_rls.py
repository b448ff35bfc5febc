"""Row-level security on a real PostgreSQL: each user sees and writes only their own rows.

Everything runs as the app role (not superuser, not owner, no BYPASSRLS), with the user set per
transaction exactly as the app does it (``Database.session(user_id=...)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from spark.db.engine import Database
from spark.db.models import GenerationRecord
from spark.db.preferences import get_preferences
from spark.db.stats import generation_stats
from spark.db.types import utc_now
from spark.db.users import create_api_token, create_user
from tests.db_fixtures import PostgresServer

SELECT_ALL = text("SELECT * FROM spark_generation_history")


@pytest.fixture
async def app_db(pg: PostgresServer) -> AsyncIterator[Database]:
    async with Database(pg.url("app")) as database:
        yield database


@pytest.fixture
async def users(app_db: Database) -> tuple[int, int]:
    async with app_db.session() as session:
        a = await create_user(session=session, username="user_a")
        b = await create_user(session=session, username="user_b")
        return a.id, b.id


def record(user_id: int, **values: object) -> GenerationRecord:
    defaults: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude",
        "prompt": f"prompt of {user_id}",
        "status": "succeeded",
        "created_at": utc_now() - timedelta(hours=1),
    }
    defaults.update(values)
    return GenerationRecord(user_id=user_id, **defaults)


async def add(db: Database, user_id: int, *records: GenerationRecord) -> None:
    async with db.session(user_id=user_id) as session:
        session.add_all(records)


async def test_unfiltered_select_returns_only_the_users_rows(
    app_db: Database, users: tuple[int, int]
) -> None:
    a, b = users
    await add(app_db, a, record(a), record(a))
    await add(app_db, b, record(b))
    async with app_db.session(user_id=a) as session:
        assert {row.user_id for row in (await session.execute(SELECT_ALL)).all()} == {a}
        assert len((await session.execute(SELECT_ALL)).all()) == 2
    async with app_db.session(user_id=b) as session:
        assert [row.user_id for row in (await session.execute(SELECT_ALL)).all()] == [b]


async def test_nothing_is_visible_without_a_user(app_db: Database, users: tuple[int, int]) -> None:
    a, _ = users
    await add(app_db, a, record(a))
    async with app_db.session(user_id=a) as session:
        await get_preferences(session=session, user_id=a)
        await create_api_token(session=session, user_id=a, name="t")
    # The same pooled connection, next transaction: the user does not leak into it.
    async with app_db.session() as session:
        for table in ("spark_generation_history", "spark_user_preferences", "api_tokens"):
            count = await session.execute(text(f"SELECT count(*) FROM {table}"))
            assert count.scalar_one() == 0, table
        # The maintenance switch is for the owner's functions; the app role gains nothing.
        await session.execute(text("SELECT set_config('spark.maintenance', 'on', true)"))
        assert (await session.execute(SELECT_ALL)).all() == []
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_db.session() as session:
            session.add(record(a))


async def test_writing_another_users_rows_fails(app_db: Database, users: tuple[int, int]) -> None:
    a, b = users
    await add(app_db, b, record(b, prompt="b's"))
    await add(app_db, a, record(a, prompt="a's"))
    with pytest.raises(DBAPIError, match="row-level security"):
        await add(app_db, a, record(b))  # inserting a row for B as A
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_db.session(user_id=a) as session:  # handing A's row to B
            await session.execute(
                text("UPDATE spark_generation_history SET user_id = :b"), {"b": b}
            )
    async with app_db.session(user_id=a) as session:  # B's rows are out of reach
        changed = await session.execute(
            text("UPDATE spark_generation_history SET prompt = 'hacked' WHERE user_id = :b"),
            {"b": b},
        )
        deleted = await session.execute(
            text("DELETE FROM spark_generation_history WHERE user_id = :b"), {"b": b}
        )
        assert (changed.rowcount, deleted.rowcount) == (0, 0)  # type: ignore[attr-defined]
    async with app_db.session(user_id=b) as session:
        assert [row.prompt for row in (await session.execute(SELECT_ALL)).all()] == ["b's"]


async def test_preferences_of_another_user_cannot_be_read_or_changed(
    app_db: Database, users: tuple[int, int]
) -> None:
    a, b = users
    async with app_db.session(user_id=b) as session:
        await session.execute(text("SELECT * FROM get_or_create_spark_preferences()"))
        await session.execute(
            text("UPDATE spark_user_preferences SET preferred_provider = 'openai'")
        )
    async with app_db.session(user_id=a) as session:
        assert (await session.execute(text("SELECT * FROM spark_user_preferences"))).all() == []
        changed = await session.execute(
            text("UPDATE spark_user_preferences SET preferred_provider = 'x' WHERE user_id = :b"),
            {"b": b},
        )
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        mine = (
            await session.execute(text("SELECT * FROM get_or_create_spark_preferences()"))
        ).one()
        assert mine.user_id == a and mine.preferred_provider is None
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_db.session(user_id=a) as session:
            await session.execute(
                text("INSERT INTO spark_user_preferences (user_id) VALUES (:b)"), {"b": b}
            )
    with pytest.raises(DBAPIError, match=r"spark\.user_id is not set"):
        async with app_db.session() as session:
            await session.execute(text("SELECT * FROM get_or_create_spark_preferences()"))
    async with app_db.session(user_id=b) as session:
        [(provider,)] = (
            await session.execute(text("SELECT preferred_provider FROM spark_user_preferences"))
        ).all()
        assert provider == "openai"


async def test_tokens_of_another_user_are_invisible(
    app_db: Database, users: tuple[int, int]
) -> None:
    a, b = users
    async with app_db.session(user_id=b) as session:
        await create_api_token(session=session, user_id=b, name="b's token")
    async with app_db.session(user_id=a) as session:
        assert (await session.execute(text("SELECT * FROM api_tokens"))).all() == []


def test_the_owner_is_subject_to_row_level_security_too(pg: PostgresServer) -> None:
    import psycopg

    pg.execute("INSERT INTO users (username) VALUES ('owner_test')", role="owner")
    pg.execute(
        "INSERT INTO spark_generation_history (user_id, provider, model, prompt, status) "
        "SELECT id, 'p', 'm', 'x', 'running' FROM users",
        role="admin",
        database=pg.database,
    )  # the superuser bypasses RLS; the owner (FORCE) does not
    rows = pg.execute("SELECT count(*) FROM spark_generation_history", role="owner")
    assert rows == [(0,)]
    with pytest.raises(psycopg.Error, match="row-level security"):
        pg.execute(
            "INSERT INTO spark_generation_history (user_id, provider, model, prompt, status) "
            "SELECT id, 'p', 'm', 'x', 'running' FROM users",
            role="owner",
        )


async def test_sql_stats_function_equals_the_apps_stats(
    app_db: Database, users: tuple[int, int]
) -> None:
    a, b = users
    now = utc_now()
    rows = []
    for i in range(24):
        status = ["succeeded", "succeeded", "failed", "interrupted", "running", "succeeded"][i % 6]
        rows.append(
            record(
                a,
                provider=["anthropic", "openai", "offline"][i % 3],
                model=f"model-{i % 4}",
                status=status,
                input_tokens=100 + i,
                output_tokens=7 * i,
                cache_read_tokens=i % 5,
                cache_write_tokens=i % 2,
                cost_usd=None if i % 7 == 0 else Decimal("0.000137") * (i + 1),
                generation_ms=None if status == "running" else 1000 + 37 * i,
                created_at=now - timedelta(days=i * 1.7 + 0.1),  # some fall outside 30 days
            )
        )
    await add(app_db, a, *rows)
    await add(app_db, b, record(b, cost_usd=Decimal("5"), input_tokens=999))
    for days in (30, 7, 1):
        async with app_db.session(user_id=a) as session:
            sql = (
                await session.execute(
                    text("SELECT * FROM get_user_generation_stats(:a, :days)"),
                    {"a": a, "days": days},
                )
            ).one()
            app = await generation_stats(session=session, user_id=a, days_back=days)
        assert sql.total_generations == app.total_generations
        assert (sql.succeeded, sql.failed) == (app.succeeded, app.failed)
        assert sql.success_rate == app.success_rate
        assert sql.provider_counts == app.provider_counts
        assert sql.total_tokens == app.total_tokens
        assert sql.total_cost_usd == app.total_cost_usd
        assert sql.avg_generation_ms == app.avg_generation_ms
    assert app.total_generations == 1  # the 1-day window holds the newest row only
    async with app_db.session(user_id=a) as session:
        full = await generation_stats(session=session, user_id=a, days_back=30)
        # A asking for B's figures through the function sees none of B's rows.
        other = (
            await session.execute(text("SELECT * FROM get_user_generation_stats(:b)"), {"b": b})
        ).one()
    assert full.total_generations == 18 and full.success_rate == Decimal("60.0")
    assert (other.total_generations, other.total_cost_usd) == (0, 0)
