"""Round trips on PostgreSQL. The pool pings a connection only when it lay idle
(spark.db.engine._ping_if_idle), and a connection the server dropped is replaced: at once when
it was idle, after one failed transaction when it was in use a moment ago (the pool then renews
its older connections). A transaction acting for nobody sends no ``set_config``: the setting is
unset at the start of every transaction, even on a connection that acted for a user before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from spark.db import engine as engine_module
from spark.db.engine import Database
from spark.db.errors import DatabaseError
from tests.db_fixtures import PostgresServer


async def _backend_pid(database: Database) -> int:
    async with database.transaction(statements=1) as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


def _pings(monkeypatch: pytest.MonkeyPatch, database: Database) -> list[str]:
    """Every ping from now on: SPARK's own, and SQLAlchemy's pre-ping were it switched on."""
    pings: list[str] = []
    ours = engine_module._ping

    def ping(dbapi_connection: object) -> None:
        pings.append("ours")
        ours(dbapi_connection)

    monkeypatch.setattr(engine_module, "_ping", ping)
    dialect = database.engine.dialect
    theirs = dialect.do_ping

    def pre_ping(dbapi_connection: object) -> bool:
        pings.append("pool_pre_ping")
        return theirs(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", pre_ping)
    return pings


def _statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: seen.append(statement),
    )
    return seen


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Database(pg.url("app")) as database:
        await _backend_pid(database)  # the pool holds a connection now
        pings = _pings(monkeypatch, database)
        statements = _statements(database)
        await _backend_pid(database)
    assert pings == []
    assert len(statements) == 1 and "pg_backend_pid" in statements[0], statements


async def test_an_idle_connection_is_pinged_and_replaced_if_dead(
    pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "PING_IDLE_AFTER", 0.0)  # every connection is "idle"
    async with Database(pg.url("app")) as database:
        first = await _backend_pid(database)
        pings = _pings(monkeypatch, database)
        pg.execute(f"SELECT pg_terminate_backend({first})")
        second = await _backend_pid(database)  # the ping failed: a new connection, no error
    assert second != first
    assert pings[0] == "ours"


async def test_a_connection_dropped_while_in_use_costs_one_failed_transaction(
    pg: PostgresServer,
) -> None:
    async with Database(pg.url("app")) as database:
        first = await _backend_pid(database)
        pg.execute(f"SELECT pg_terminate_backend({first})")
        with pytest.raises(DatabaseError):
            await _backend_pid(database)
        second = await _backend_pid(database)
    assert second != first


async def test_a_transaction_for_nobody_sends_no_set_config_and_is_nobody(
    pg: PostgresServer,
) -> None:
    async with Database(pg.url("app")) as database:
        async with database.transaction(user_id=42, statements=1) as connection:
            mine = await connection.scalar(text("SELECT current_setting('spark.user_id', true)"))
            before = await connection.scalar(text("SELECT pg_backend_pid()"))
        statements = _statements(database)
        async with database.transaction(statements=1) as connection:
            nobody = await connection.scalar(
                text("SELECT NULLIF(current_setting('spark.user_id', true), '')")
            )
            after = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with database.session() as session:
            in_session = await session.scalar(
                text("SELECT NULLIF(current_setting('spark.user_id', true), '')")
            )
    assert mine == "42"
    assert after == before  # the same pooled connection, which acted for user 42
    assert nobody is None and in_session is None
    assert not any("set_config" in statement for statement in statements), statements
