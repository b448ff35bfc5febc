"""Several writers on one SQLite file: none fails with "database is locked".

A transaction that reads, then writes (finishing a history row does) cannot wait for SQLite's
write lock once another connection has written since its read: it fails at once. SPARK's SQLite
transactions therefore take the lock when they begin, one writer of a process at a time; these
tests run many such transactions concurrently from two ``Database`` objects on one file (as
two processes would) and check that every one of them went through.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from spark.db.engine import Database
from spark.db.history import GenerationOutcome, finish_generation, start_generation
from spark.db.migrate import upgrade
from spark.db.models import GenerationRecord, GenerationStatus
from spark.db.users import create_user

GENERATIONS = 60


async def test_concurrent_read_then_write_transactions_all_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'spark.db'}"
    async with Database(url) as first, Database(url) as second:
        await upgrade(first)
        async with first.session() as session:
            user_id = (await create_user(session=session, username="ada")).id

        async def generation(database: Database, n: int) -> None:
            async with database.session(user_id=user_id) as session:
                record = await start_generation(
                    session=session, user_id=user_id, provider="offline", model="templates",
                    prompt=f"coin {n}",
                )  # fmt: skip
                record_id = record.id
            await asyncio.sleep(0)
            async with database.session(user_id=user_id) as session:  # reads, then writes
                await finish_generation(
                    session=session, user_id=user_id, record_id=record_id,
                    outcome=GenerationOutcome(status=GenerationStatus.SUCCEEDED, attempts=1),
                )  # fmt: skip

        await asyncio.gather(
            *(generation(first if n % 2 else second, n) for n in range(GENERATIONS))
        )
        async with first.session(read_only=True) as session:
            statuses = (await session.execute(select(GenerationRecord.status))).scalars().all()
    assert statuses == ["succeeded"] * GENERATIONS


async def test_a_session_inside_another_reads_without_waiting_for_it(tmp_path: Path) -> None:
    """The outer session holds this process's write turn; an inner one (same task) must not
    wait for it (it would wait forever): it begins as before, reading what is committed."""
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        await upgrade(database)
        async with database.session() as outer:
            await create_user(session=outer, username="ada")
            async with database.session() as inner:
                found = await inner.execute(select(GenerationRecord.id))
                assert found.all() == []
        async with database.session(read_only=True) as session:
            assert (await session.execute(select(GenerationRecord.id))).all() == []
