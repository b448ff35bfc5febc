"""The usage rollup on both databases: the triggers keep it equal to the history through every
kind of change, the team view read from it gives the figures of a direct aggregate over the
history, and on PostgreSQL only admins see anyone else's.

The history is a seeded random mix (five users, every status, ages from minutes to 45 days,
rows at UTC midnight and around the window's start), then changed the ways the app changes it:
rows finished, finished again, deleted, swept as interrupted, cleaned up by age, and a user
deleted with all their rows. The direct aggregate is computed here, in Python, from every
history row read back past row-level security (PostgreSQL: as the superuser).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column, delete, insert, make_url, table, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from spark.cli import app
from spark.db.engine import Database
from spark.db.history import (
    GenerationOutcome,
    cleanup_history,
    delete_generation,
    finish_generation,
    interrupt_abandoned_generations,
)
from spark.db.migrate import downgrade, upgrade
from spark.db.migrations.versions.r0014_usage_monthly import window_parts
from spark.db.models import GenerationRecord, GenerationStatus, User
from spark.db.rollup import first_whole_day, rebuild_rollup
from spark.db.stats import TeamStats, team_stats
from spark.db.types import Money, UTCDateTime, utc_now
from spark.db.users import create_user
from tests.db_fixtures import PostgresServer
from tests.serve_support import dead_pid

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ROLLUPS = ("spark_usage_daily", "spark_usage_daily_team", "spark_usage_monthly")
STATUSES = ["running", "succeeded", "succeeded", "succeeded", "failed", "interrupted"]
MODELS = [("anthropic", "claude-sonnet-5-5"), ("openai", "gpt-6.2-sol"), ("offline", "templates")]
WINDOWS = (1, 7, 30, 60)


# --- reading past row-level security ----------------------------------------------------------

Raw = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture
def raw(backend: str, database_url: str, request: pytest.FixtureRequest) -> Raw:
    """Run one statement over every user's rows (SQLite has no RLS; PostgreSQL as the
    superuser), committed; the rows if it returns any."""
    if backend == "sqlite":
        path = make_url(database_url).database

        def sqlite_statement(sql: str) -> list[tuple[Any, ...]]:
            with contextlib.closing(sqlite3.connect(str(path))) as connection, connection:
                return [tuple(row) for row in connection.execute(sql)]

        return sqlite_statement
    server: PostgresServer = request.getfixturevalue("postgres")
    return lambda sql: [tuple(row) for row in server.execute(sql, database=server.database)]


def rollup_rows(raw: Raw) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(raw(f"SELECT * FROM {table}"), key=lambda row: [str(v) for v in row])
        for table in ROLLUPS
    }


# --- the direct aggregate ---------------------------------------------------------------------


@dataclass
class Figures:
    generations: int = 0
    succeeded: int = 0
    failed: int = 0
    tokens: int = 0
    cost: Decimal = Decimal(0)
    ms: int = 0
    timed: int = 0

    def add(self, status: str, tokens: int, cost: Decimal, ms: int | None) -> None:
        self.generations += 1
        self.tokens += tokens
        self.cost += cost
        if status == "succeeded":
            self.succeeded += 1
            if ms is not None:
                self.ms += ms
                self.timed += 1
        elif status in ("failed", "interrupted"):
            self.failed += 1

    @property
    def avg_ms(self) -> int | None:
        if not self.timed:
            return None
        return int((Decimal(self.ms) / self.timed).quantize(1, ROUND_HALF_UP))


def direct_aggregate(raw: Raw, since: datetime) -> tuple[Figures, list[tuple[str, Figures]]]:
    """The team's figures and each user's (biggest spender first) straight from the history."""
    rows = raw(
        "SELECT u.username, h.status, h.input_tokens + h.output_tokens + h.cache_read_tokens "
        "+ h.cache_write_tokens, h.cost_usd, h.generation_ms, h.created_at "
        "FROM spark_generation_history h JOIN users u ON u.id = h.user_id"
    )
    team, users = Figures(), dict[str, Figures]()
    for username, status, tokens, cost, ms, created in rows:
        if _aware(created) < since:
            continue
        money = Decimal(repr(cost) if isinstance(cost, float) else cost or 0).quantize(
            Decimal("0.000001")
        )
        team.add(status, tokens, money, ms)
        users.setdefault(username, Figures()).add(status, tokens, money, ms)
    ranked = sorted(users.items(), key=lambda item: (-item[1].cost, -item[1].generations, item[0]))
    return team, ranked


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back its text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def assert_same(figures: TeamStats, team: Figures, ranked: list[tuple[str, Figures]]) -> None:
    assert (figures.total_generations, figures.succeeded, figures.failed) == (
        team.generations,
        team.succeeded,
        team.failed,
    )
    assert (figures.total_tokens, figures.total_cost_usd) == (team.tokens, team.cost)
    assert figures.avg_generation_ms == team.avg_ms
    assert figures.user_count == len(ranked)
    got = [
        (u.username, u.generations, u.succeeded, u.failed, u.total_tokens, u.total_cost_usd, ms)
        for u in figures.users
        for ms in [u.avg_generation_ms]
    ]
    want = [
        (name, f.generations, f.succeeded, f.failed, f.tokens, f.cost, f.avg_ms)
        for name, f in ranked
    ]
    assert got == want[: len(got)]


# --- the history ------------------------------------------------------------------------------


async def seeded_history(db: Database, now: datetime) -> dict[str, int]:
    """Five users and ~120 rows; returns the users' ids by name (``boss`` is the admin)."""
    rng = random.Random(15)
    names = ["boss", "ada", "bob", "Zed", "amy"]  # "Zed" < "amy" in code-point order
    ids = {}
    async with db.session() as session:
        for name in names:
            ids[name] = (
                await create_user(session=session, username=name, is_admin=name == "boss")
            ).id
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ages = [timedelta(seconds=rng.uniform(0, 45 * 86400)) for _ in range(100)]
    ages += [now - (midnight - timedelta(days=d)) for d in (0, 1, 6, 7, 29, 30)]  # at midnight
    for days in WINDOWS:  # just inside and just outside each window
        ages += [timedelta(days=days) - timedelta(seconds=1), timedelta(days=days, seconds=1)]
    dead = f"{socket.gethostname()}:{dead_pid()}"
    rows: dict[int, list[GenerationRecord]] = {}
    for age in ages:
        name = rng.choice(names[:3])
        provider, model = rng.choice(MODELS)
        status = rng.choice(STATUSES)
        rows.setdefault(ids[name], []).append(
            GenerationRecord(
                user_id=ids[name],
                provider=provider,
                model=model,
                prompt="a door",
                status=status,
                input_tokens=rng.randint(0, 3000),
                output_tokens=rng.randint(0, 4000),
                cache_read_tokens=rng.choice([0, 0, 1200]),
                cache_write_tokens=rng.choice([0, 300]),
                cost_usd=None if provider == "offline" else Decimal(rng.randint(0, 90000)) / 10**6,
                generation_ms=rng.choice([None, rng.randint(500, 40000)]),
                runner=dead if status == "running" and rng.random() < 0.5 else "elsewhere:1",
                created_at=now - age,
            )
        )
    # Two users who tie on spend and count: the name decides, in code-point order.
    for name in ("Zed", "amy"):
        rows[ids[name]] = [
            GenerationRecord(
                user_id=ids[name],
                provider="offline",
                model="templates",
                prompt="a coin",
                status="succeeded",
                cost_usd=None,
                generation_ms=900,
                created_at=now - timedelta(hours=h),
            )
            for h in (2, 30)
        ]
    for user_id, records in rows.items():
        async with db.session(user_id=user_id) as session:
            session.add_all(records)
    return ids


async def change_history(db: Database, ids: dict[str, int]) -> None:
    """Every kind of change the app makes to history rows."""
    for name in ("ada", "bob"):
        user_id = ids[name]
        async with db.session(user_id=user_id) as session:
            mine = (
                await session.execute(
                    text(
                        "SELECT id, status FROM spark_generation_history "
                        "WHERE user_id = :u ORDER BY id"
                    ),
                    {"u": user_id},
                )
            ).all()
        running = [row_id for row_id, status in mine if status == "running"]
        finished = [row_id for row_id, status in mine if status != "running"]
        async with db.session(user_id=user_id) as session:
            for row_id in running[:2]:  # a running row finishes
                await finish_generation(
                    session=session, user_id=user_id, record_id=row_id,
                    outcome=GenerationOutcome(
                        status=GenerationStatus.SUCCEEDED, input_tokens=700, output_tokens=900,
                        cost_usd=Decimal("0.012345"), generation_ms=4321,
                    ),
                )  # fmt: skip
            # A finished row finished again, on another model: out of its old group, into a new.
            await finish_generation(
                session=session, user_id=user_id, record_id=finished[0],
                outcome=GenerationOutcome(
                    status=GenerationStatus.FAILED, provider="openai", model="gpt-4o",
                    error_kind="server", cost_usd=Decimal("0.000500"),
                ),
            )  # fmt: skip
            for row_id in (finished[1], running[-1]):  # the user deletes a finished and a running
                assert await delete_generation(session=session, user_id=user_id, record_id=row_id)
    async with db.session() as session:
        assert await interrupt_abandoned_generations(session=session) > 0
        assert await cleanup_history(session=session, days=40) > 0
        await session.execute(delete(User).where(User.id == ids["bob"]))


async def test_the_rollup_follows_every_change_and_gives_the_direct_figures(
    db: Database, raw: Raw
) -> None:
    now = utc_now()
    ids = await seeded_history(db, now)
    await change_history(db, ids)
    kept = rollup_rows(raw)
    assert kept["spark_usage_daily"] and kept["spark_usage_daily_team"]
    async with db.session() as session:
        rebuilt = await rebuild_rollup(session=session)
    assert rollup_rows(raw) == kept  # the triggers kept what a rebuild computes
    assert rebuilt == len(kept["spark_usage_daily"])
    for days in WINDOWS:
        since = now - timedelta(days=days)
        team, ranked = direct_aggregate(raw, since)
        assert team.generations > 0
        async with db.session(user_id=ids["boss"], read_only=True) as session:
            everyone = await team_stats(
                session=session, admin_id=ids["boss"], days_back=days, now=now
            )
            top = await team_stats(
                session=session, admin_id=ids["boss"], days_back=days, now=now, top=2
            )
        assert_same(everyone, team, ranked)
        assert len(everyone.users) == len(ranked)
        assert_same(top, team, ranked)
        assert len(top.users) == min(2, len(ranked))


def test_the_ranking_parts_cover_exactly_the_window() -> None:
    """Whole months from ``month_from``, plus or minus the edge's days, count every day from
    the window's first on exactly once and nothing before it; the edge is at most 15 days,
    and a short window whose edge would be half of it or more is read day by day."""
    start = datetime(2027, 12, 1).date()
    for first in (start + timedelta(days=n) for n in range(400)):
        for length in (1, 2, 7, 8, 15, 16, 30, 31, 60, 90, 365):
            today = first + timedelta(days=length - 1)
            month_from, edge_from, edge_to, sign = window_parts(first, today)
            days = [first - timedelta(days=40) + timedelta(days=n) for n in range(length + 80)]
            for day in days:
                counted = (1 if month_from is not None and day >= month_from else 0) + (
                    sign if edge_from <= day < edge_to else 0
                )
                assert counted == (1 if day >= first else 0), (first, today, day)
            if month_from is None:
                assert (edge_from, sign) == (first, 1)
            else:
                assert month_from.day == 1 and (edge_to - edge_from).days <= 15
                assert 2 * (edge_to - edge_from).days < length


async def test_every_way_of_ranking_gives_the_direct_figures(db: Database, raw: Raw) -> None:
    """Windows starting on the 1st of a month (no edge), early in one (its days taken back
    from the month), late in one (the rest of it added to the months after), and short ones
    read day by day: the team view equals the direct aggregate each time, on both databases
    (PostgreSQL's function makes the choice itself)."""
    now = utc_now()
    ids = await seeded_history(db, now)
    today = now.date()
    month = today.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    starts = [previous, previous + timedelta(days=2), previous + timedelta(days=25)]
    starts += [month - timedelta(days=40), today - timedelta(days=2), today]
    kinds = set()
    for first in starts:
        since = datetime.combine(first, datetime.min.time(), UTC) - timedelta(hours=5)
        month_from, _, _, sign = window_parts(first, today)
        kinds.add("by day" if month_from is None else "take back" if sign < 0 else "add")
        team, ranked = direct_aggregate(raw, since)
        async with db.session(user_id=ids["boss"], read_only=True) as session:
            figures = await team_stats(
                session=session, admin_id=ids["boss"], days_back=1, now=since + timedelta(days=1)
            )
        assert_same(figures, team, ranked)
        assert len(figures.users) == len(ranked)
    assert kinds == {"by day", "take back", "add"}


async def test_the_window_is_exact_at_midnight(db: Database, raw: Raw) -> None:
    """``since`` exactly at UTC midnight: the rollup covers that whole day, no partial one."""
    now = utc_now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=7)
    assert first_whole_day(now - timedelta(days=7)) == (now - timedelta(days=7)).date()
    ids = await seeded_history(db, now - timedelta(days=7))
    team, ranked = direct_aggregate(raw, now - timedelta(days=7))
    async with db.session(user_id=ids["boss"]) as session:
        figures = await team_stats(session=session, admin_id=ids["boss"], days_back=7, now=now)
    assert_same(figures, team, ranked)


async def test_the_upgrade_fills_the_rollup_from_older_history(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """History written before revision 0008 is in the team view after ``spark db upgrade``."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"{server.database}_backfill"
        server.create_database(name)
        request.addfinalizer(lambda: server.drop_database(name))
        url = server.url("owner", name)
    async with Database(url) as db:
        await upgrade(db, "0005")
        now = utc_now()
        async with db.session() as session:
            admin = (await create_user(session=session, username="boss", is_admin=True)).id
        # Only the columns revision 0005 has: the models describe the newest schema.
        old_history = table(
            "spark_generation_history",
            *(column(name) for name in ("user_id", "provider", "model", "prompt", "status")),
            *(column(name) for name in ("input_tokens", "output_tokens", "generation_ms")),
            column("cost_usd", Money()),
            column("created_at", UTCDateTime()),
        )
        async with db.session(user_id=admin) as session:
            await session.execute(
                insert(old_history),
                [
                    {
                        "user_id": admin,
                        "provider": "anthropic",
                        "model": "claude-sonnet-5-5",
                        "prompt": "x",
                        "status": status,
                        "input_tokens": 100,
                        "output_tokens": 10,
                        "cost_usd": Decimal("0.5"),
                        "generation_ms": 1000,
                        "created_at": now - timedelta(days=age),
                    }
                    for status, age in (("succeeded", 3), ("failed", 10), ("succeeded", 40))
                ],
            )
        await upgrade(db)
        async with db.session(user_id=admin) as session:
            figures = await team_stats(session=session, admin_id=admin, days_back=30, now=now)
    assert (figures.total_generations, figures.succeeded, figures.failed) == (2, 1, 1)
    assert figures.total_cost_usd == Decimal("1.000000") and figures.total_tokens == 220
    async with Database(url) as db:
        await downgrade(db, "0005")  # and back: the revision drops what it made
        await upgrade(db)


async def test_postgres_isolates_the_rollup(pg: PostgresServer) -> None:
    """As the app role: a user reads only their own rollup rows and nothing of the team
    table; only an enabled admin gets the team view; nobody writes another user's rows."""
    async with Database(pg.url("app")) as db:
        ids = await seeded_history(db, utc_now())
        ada, boss = ids["ada"], ids["boss"]
        for rollup in ("spark_usage_daily", "spark_usage_monthly"):
            async with db.session(user_id=ada) as session:
                owners = await session.execute(text(f"SELECT DISTINCT user_id FROM {rollup}"))
                assert owners.scalars().all() == [ada]
            async with db.session() as session:
                nobody = await session.execute(text(f"SELECT count(*) FROM {rollup}"))
                assert nobody.scalar_one() == 0
        for user_id in (ada, boss, None):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with db.session(user_id=user_id) as session:
                    await session.execute(text("SELECT count(*) FROM spark_usage_daily_team"))
        call = text("SELECT count(*) FROM spark_team_usage(now() - interval '30 days')")
        for user_id in (ada, None):
            with pytest.raises(DBAPIError, match="admins only"):
                async with db.session(user_id=user_id) as session:
                    await session.execute(call)
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db.session(user_id=ada) as session:
                await session.execute(
                    text(
                        "INSERT INTO spark_usage_daily VALUES "
                        "(:u, current_date, 'x', 'y', 'succeeded', 1, 0, 0, 0, 0, 999, 0, 0)"
                    ),
                    {"u": boss},
                )
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db.session(user_id=ada) as session:
                await session.execute(
                    text("INSERT INTO spark_usage_monthly VALUES (:u, current_date, 1, 999)"),
                    {"u": boss},
                )
        async with db.session(user_id=ada) as session:  # another user's month: not even seen
            moved = await session.execute(
                text("UPDATE spark_usage_monthly SET cost_micros = 0 WHERE user_id = :u"),
                {"u": boss},
            )
            assert moved.rowcount == 0
        async with db.session(user_id=boss) as session:
            assert (await session.execute(call)).scalar_one() == 5  # every user has rows
            maintenance = await session.execute(
                text("SELECT current_setting('spark.maintenance', true)")
            )
            assert maintenance.scalar_one() in (None, "")


def test_spark_db_rollup_rebuilds(database_url: str, tmp_path: Path, raw: Raw) -> None:
    async def fill() -> None:
        async with Database(database_url) as db:
            await seeded_history(db, utc_now())

    asyncio.run(fill())
    before = rollup_rows(raw)
    raw("DELETE FROM spark_usage_daily_team")  # a rollup gone wrong
    raw("UPDATE spark_usage_daily SET generations = generations + 1")
    raw(
        "DELETE FROM spark_usage_monthly WHERE month = (SELECT max(month) FROM spark_usage_monthly)"
    )
    env = {"SPARK_DATABASE_URL": database_url, "SPARK_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["db", "rollup"], env=env)
    assert result.exit_code == 2 and "--rebuild" in result.stderr
    result = CliRunner().invoke(app, ["db", "rollup", "--rebuild"], env=env)
    assert result.exit_code == 0, result.output
    rows = len(before["spark_usage_daily"])
    assert f"Rebuilt the usage rollup from the history: {rows} rows." in result.stdout
    assert rollup_rows(raw) == before
