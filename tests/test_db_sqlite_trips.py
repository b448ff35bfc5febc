"""SQLite statements take one trip to aiosqlite's thread (spark.db.sqlite_trips), and SQLAlchemy
sees from them all it saw from its own cursor: rows, RETURNING, rowcount, lastrowid, many
parameter sets, errors, streamed results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from spark.db.engine import Database
from spark.db.sqlite_trips import OneTripCursor, one_trip_supported, use_one_trip_cursors

METADATA = MetaData()
ITEMS = Table(
    "items",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), unique=True, nullable=False),
)


@pytest.fixture
async def database(tmp_path: Path) -> Any:
    async with Database(f"sqlite:///{tmp_path / 'trips.db'}") as database:
        async with database.engine.begin() as connection:
            await connection.run_sync(METADATA.create_all)
        yield database


async def test_the_installed_versions_get_one_trip_cursors(database: Database) -> None:
    """If an upgrade of SQLAlchemy or aiosqlite defeats the swap, this fails (the stock cursor
    would still work, only slower: four trips a statement)."""
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert one_trip_supported(raw.dbapi_connection)
        assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)


async def test_trips_per_statement_are_counted_as_one(database: Database) -> None:
    """The point of it: one queued call on aiosqlite's thread per statement."""
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 0"))  # begun (the BEGIN is a trip too)
        raw = await connection.get_raw_connection()
        driver = raw.dbapi_connection._connection
        calls = 0
        original = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(fn, *args, **kwargs)

        driver._execute = counted
        try:
            rows = (await connection.execute(text("SELECT 1, 'a'"))).all()
            await connection.execute(text("SELECT 2"))
        finally:
            driver._execute = original
    assert [tuple(row) for row in rows] == [(1, "a")]
    assert calls == 2


async def test_writes_reads_and_counts_through_sqlalchemy(database: Database) -> None:
    async with database.transaction() as connection:
        # lastrowid: a Core insert without RETURNING learns the new key from it.
        first = await connection.execute(insert(ITEMS).values(name="coin"))
        assert first.inserted_primary_key == (1,)
        # RETURNING rows.
        returned = await connection.execute(
            insert(ITEMS).values(name="gem").returning(ITEMS.c.id, ITEMS.c.name)
        )
        assert [tuple(row) for row in returned] == [(2, "gem")]
        # Many parameter sets in one statement: rowcount is their sum.
        many = await connection.execute(insert(ITEMS), [{"name": f"item {n}"} for n in range(5)])
        assert many.rowcount == 5
        updated = await connection.execute(
            text("UPDATE items SET name = name || '!' WHERE name LIKE 'item %'")
        )
        assert updated.rowcount == 5
        none = await connection.execute(text("DELETE FROM items WHERE name = 'nothing'"))
        assert none.rowcount == 0
    async with database.transaction(read_only=True) as connection:
        result = await connection.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))
        assert result.keys() == ["name"]
        assert result.fetchone() == ("coin",)
        assert result.fetchmany(2) == [("gem",), ("item 0!",)]
        assert [row.name for row in result] == [f"item {n}!" for n in range(1, 5)]
        empty = await connection.execute(select(ITEMS).where(ITEMS.c.id < 0))
        assert empty.first() is None
        assert await connection.scalar(select(ITEMS.c.name).where(ITEMS.c.id == 2)) == "gem"


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(insert(ITEMS).values(name="coin"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with database.transaction() as connection:
            await connection.execute(insert(ITEMS).values(name="coin"))
    with pytest.raises(OperationalError, match="no such table"):
        async with database.transaction(read_only=True) as connection:
            await connection.execute(text("SELECT * FROM nowhere"))
    async with database.transaction(read_only=True) as connection:
        assert await connection.scalar(text("SELECT count(*) FROM items")) == 1


async def test_a_failed_transaction_is_rolled_back(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.transaction() as connection:
            await connection.execute(insert(ITEMS).values(name="a"))
            await connection.execute(insert(ITEMS).values(name="a"))
    async with database.transaction(read_only=True) as connection:
        assert await connection.scalar(text("SELECT count(*) FROM items")) == 0


async def test_streamed_results_keep_sqlalchemys_own_cursor(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(insert(ITEMS), [{"name": f"n{n}"} for n in range(50)])
    async with database.engine.connect() as connection:
        streamed = await connection.stream(select(ITEMS.c.name).order_by(ITEMS.c.id))
        names = [row.name async for row in streamed]
    assert names == [f"n{n}" for n in range(50)]


async def test_orm_sessions_work_over_it(database: Database) -> None:
    async with database.session() as session:
        await session.execute(insert(ITEMS).values(name="from a session"))
    async with database.session(read_only=True) as session:
        assert (await session.execute(select(ITEMS.c.name))).scalars().all() == ["from a session"]


class _Unlike:
    """A connection without what the one-trip cursor needs (another driver, another version)."""

    _connection = None

    def cursor(self) -> str:
        return "its own"


def test_an_unknown_connection_keeps_its_cursor() -> None:
    connection = _Unlike()
    assert not one_trip_supported(connection)
    use_one_trip_cursors(connection)
    assert type(connection) is _Unlike
    assert connection.cursor() == "its own"


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every trip to an aiosqlite thread from now on, by the function sent there."""
    import aiosqlite

    trips: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return trips


async def test_a_transaction_costs_a_trip_per_statement_and_commit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement: one trip (no BEGIN, and nothing to commit: SQLite committed it by
    itself). Two statements that write: BEGIN IMMEDIATE, both, COMMIT."""
    async with database.transaction(read_only=True, statements=1) as connection:
        await connection.execute(text("SELECT 1"))  # the pool's connection, made now
    trips = _count_trips(monkeypatch)
    async with database.transaction(read_only=True, statements=1) as connection:
        await connection.execute(select(ITEMS.c.id))
    assert trips == ["_run"]
    trips.clear()
    async with database.transaction() as connection:
        await connection.execute(insert(ITEMS).values(name="a"))
        await connection.execute(insert(ITEMS).values(name="b"))
    assert trips == ["_run", "_run", "_run", "commit"]  # BEGIN IMMEDIATE, two INSERTs, COMMIT
    async with database.transaction(read_only=True, statements=1) as connection:
        assert await connection.scalar(text("SELECT count(*) FROM items")) == 2
