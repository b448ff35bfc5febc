"""A request's reads in one transaction (``Database.sharing``), on SQLite and PostgreSQL.

Inside the scope read-only blocks (and on PostgreSQL blocks that say they ``joins``) run on one
connection: one pool checkout, one transaction, committed by ``end_sharing`` or when the scope
ends, rolled back if a joined block or the scope raised. Row-level security follows each block's
user. Another task, a block inside a joined block, a write that does not join, and anything after
the scope ended get transactions of their own. The token check joins too, and on PostgreSQL makes
the transaction act for the token's owner (its ``set_config`` rides in the same statement); the
token's last use is stamped at most once a minute there as on SQLite (revision 0016)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.pool import QueuePool

from spark.db.engine import Database
from spark.db.models import ApiToken
from spark.db.users import create_api_token, create_user, set_disabled, token_owner
from tests.db_fixtures import PostgresServer

WHO = text("SELECT NULLIF(current_setting('spark.user_id', true), '')")


def _checkouts(database: Database) -> list[int]:
    seen: list[int] = []
    event.listen(database.engine.sync_engine.pool, "checkout", lambda *_: seen.append(1))
    return seen


def _statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: seen.append(statement),
    )
    return seen


async def _users(db: Database, *names: str) -> list[int]:
    ids = []
    async with db.session() as session:
        for name in names:
            ids.append((await create_user(session=session, username=name)).id)
    return ids


async def _token(db: Database, user_id: int) -> str:
    async with db.session(user_id=user_id) as session:
        return (await create_api_token(session=session, user_id=user_id, name="t"))[1]


async def _read(db: Database, user_id: int | None = None) -> Any:
    async with db.transaction(user_id=user_id, read_only=True, statements=1) as connection:
        return connection, await connection.scalar(text("SELECT 1"))


async def test_reads_in_the_scope_share_one_checkout(db: Database) -> None:
    checkouts = _checkouts(db)
    async with db.sharing():
        first, _ = await _read(db)
        second, _ = await _read(db)
        third, _ = await _read(db, user_id=None)
    assert first is second is third
    assert len(checkouts) == 1


async def test_outside_the_scope_every_read_has_its_own_transaction(db: Database) -> None:
    checkouts = _checkouts(db)
    first, _ = await _read(db)
    second, _ = await _read(db)
    assert first is not second
    assert len(checkouts) == 2


async def test_after_end_sharing_blocks_get_their_own_transactions(db: Database) -> None:
    async with db.sharing():
        first, _ = await _read(db)
        await db.end_sharing()
        checkouts = _checkouts(db)
        second, _ = await _read(db)
    assert second is not first
    assert len(checkouts) == 1


async def test_a_block_that_does_not_join_ends_the_sharing_first(db: Database) -> None:
    (user,) = await _users(db, "ada")
    pool = db.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    async with db.sharing():
        shared, _ = await _read(db, user)
        async with db.transaction(user_id=user) as connection:  # a write that does not join
            assert connection is not shared
            assert pool.checkedout() == 1  # the shared connection went back first
            await connection.execute(text("SELECT 1"))
        after, _ = await _read(db, user)
        async with db.session(user_id=user) as session:  # an ORM session: the same
            assert pool.checkedout() == 1
            await session.execute(text("SELECT 1"))
    assert after is not shared


async def test_many_requests_reading_then_writing_do_not_empty_the_pool(db: Database) -> None:
    """More requests than the pool holds, each reading in its scope, then writing: none may
    hold its shared connection while it waits for another (they would wait on each other)."""
    (user,) = await _users(db, "ada")

    async def request() -> None:
        async with db.sharing():
            await _read(db, user)
            async with db.transaction(user_id=user) as connection:
                await connection.execute(text("SELECT 1"))

    await asyncio.wait_for(asyncio.gather(*(request() for _ in range(40))), 60)


async def test_another_task_and_a_nested_block_get_their_own(db: Database) -> None:
    async with db.sharing():
        shared, _ = await _read(db)
        other, _ = await asyncio.create_task(_read(db))  # copies the scope's context
        async with db.transaction(read_only=True, statements=1) as outer:
            inner, _ = await _read(db)
    assert outer is shared
    assert other is not shared
    assert inner is not shared


async def test_a_failed_block_ends_the_sharing_and_the_scope_still_ends(db: Database) -> None:
    async with db.sharing():
        shared, _ = await _read(db)
        with pytest.raises(ZeroDivisionError):
            async with db.transaction(read_only=True, statements=1) as connection:
                assert connection is shared
                raise ZeroDivisionError
        after, value = await _read(db)  # its own transaction: the shared one is spoilt
    assert after is not shared and value == 1
    async with db.sharing():  # and the pool is whole: the next scope works
        _, value = await _read(db)
    assert value == 1


async def test_a_database_error_in_a_joined_block_is_raised_and_the_next_read_works(
    db: Database,
) -> None:
    async with db.sharing():
        await _read(db)
        with pytest.raises(Exception, match="no_such_table"):
            async with db.transaction(read_only=True, statements=1) as connection:
                await connection.execute(text("SELECT * FROM no_such_table"))
        _, value = await _read(db)
    assert value == 1


async def test_each_block_sees_only_its_own_user(db: Database) -> None:
    ada, bob = await _users(db, "ada", "bob")
    seen = []
    async with db.sharing():
        for user in (ada, bob, None, ada):
            async with db.transaction(user_id=user, read_only=True, statements=1) as connection:
                if db.is_postgresql:
                    seen.append(await connection.scalar(WHO))
                tokens = await connection.execute(select(ApiToken.user_id))
                assert {row.user_id for row in tokens} <= {user}  # RLS (nothing on SQLite)
    if db.is_postgresql:
        assert seen == [str(ada), str(bob), None, str(ada)]


async def test_the_token_check_joins_and_the_next_read_needs_no_set_config(db: Database) -> None:
    (ada,) = await _users(db, "ada")
    token = await _token(db, ada)
    await token_owner(database=db, token=token)  # stamped now: the next checks only read
    checkouts, statements = _checkouts(db), _statements(db)
    async with db.sharing():
        owner = await token_owner(database=db, token=token)
        assert owner is not None and owner.id == ada
        async with db.transaction(user_id=ada, read_only=True, statements=1) as connection:
            who = await connection.scalar(WHO) if db.is_postgresql else None
    assert len(checkouts) == 1
    if db.is_postgresql:
        assert who == str(ada)
        assert sum("set_config('spark.user_id', %(user_id)s" in s for s in statements) == 0
        assert len(statements) == 2, statements


async def test_a_disabled_owners_token_does_not_make_the_transaction_act_for_them(
    db: Database,
) -> None:
    (ada,) = await _users(db, "ada")
    token = await _token(db, ada)
    async with db.session() as session:
        await set_disabled(session=session, user_id=ada, disabled=True)
    async with db.sharing():
        assert await token_owner(database=db, token=token) is None
        async with db.transaction(read_only=True, statements=1) as connection:
            who = await connection.scalar(WHO) if db.is_postgresql else None
    assert who is None


def _sql(pg: PostgresServer, sql: str) -> list[Any]:
    """``sql`` in the test database as the admin (no row-level security)."""
    return pg.execute(sql, database=pg.database)


async def test_a_joined_write_commits_with_the_scope_on_postgresql(pg: PostgresServer) -> None:
    async with Database(pg.url("app")) as db:
        (ada,) = await _users(db, "ada")
        await _token(db, ada)
        async with db.sharing():
            async with db.transaction(user_id=ada, joins=True) as connection:
                await connection.execute(
                    update(ApiToken).where(ApiToken.user_id == ada).values(name="renamed")
                )
            # Not committed yet: another connection still sees the old name.
            assert _sql(pg, "SELECT name FROM api_tokens") == [("t",)]
            await db.end_sharing()
        assert _sql(pg, "SELECT name FROM api_tokens") == [("renamed",)]


async def test_a_joined_write_rolls_back_when_a_later_block_fails(pg: PostgresServer) -> None:
    async with Database(pg.url("app")) as db:
        (ada,) = await _users(db, "ada")
        await _token(db, ada)
        with pytest.raises(ZeroDivisionError):
            async with db.sharing():
                async with db.transaction(user_id=ada, joins=True) as connection:
                    await connection.execute(
                        update(ApiToken).where(ApiToken.user_id == ada).values(name="renamed")
                    )
                async with db.transaction(user_id=ada, read_only=True, statements=1):
                    raise ZeroDivisionError
        assert _sql(pg, "SELECT name FROM api_tokens") == [("t",)]


async def test_postgresql_stamps_a_tokens_last_use_at_most_once_a_minute(
    pg: PostgresServer,
) -> None:
    async with Database(pg.url("app")) as db:
        (ada,) = await _users(db, "ada")
        token = await _token(db, ada)
        assert await token_owner(database=db, token=token) is not None
        (first,) = _sql(pg, "SELECT last_used_at FROM api_tokens")[0]
        assert first is not None  # never used: stamped at once
        await asyncio.sleep(0.05)
        assert await token_owner(database=db, token=token) is not None
        assert _sql(pg, "SELECT last_used_at FROM api_tokens")[0][0] == first
        _sql(pg, "UPDATE api_tokens SET last_used_at = last_used_at - interval '61 seconds'")
        (aged,) = _sql(pg, "SELECT last_used_at FROM api_tokens")[0]
        assert await token_owner(database=db, token=token) is not None
        (again,) = _sql(pg, "SELECT last_used_at FROM api_tokens")[0]
        assert again > aged and again > first
