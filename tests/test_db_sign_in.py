"""The sign-in throttle's shared counts, on both databases: reserve (count) before verifying."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from spark.db.engine import Database
from spark.db.local import retention_loop
from spark.db.sign_in import (
    Limits,
    clear_sign_in_failures,
    count_sign_in_failures,
    forget_old_sign_in_failures,
    reserve_sign_in_attempt,
    sign_in_wait,
)
from spark.db.types import utc_now

LIMITS = Limits(max_failures=3, lockout=timedelta(seconds=30))
T0 = utc_now().replace(microsecond=0)


async def fail(db: Database, name: str = "ada", address: str = "10.0.0.1", *, at=T0) -> float:
    """One attempt reserved (counted as failed before its password is checked): the wait."""
    async with db.session() as session:
        return await reserve_sign_in_attempt(
            session=session, username=name, address=address, now=at, limits=LIMITS
        )


async def wait(db: Database, name: str = "ada", address: str = "10.0.0.1", *, at=T0) -> float:
    async with db.session() as session:
        return await sign_in_wait(
            session=session, username=name, address=address, now=at, limits=LIMITS
        )


async def count(db: Database, name: str = "ada", address: str = "10.0.0.1") -> int:
    async with db.session() as session:
        return await count_sign_in_failures(session=session, username=name, address=address)


async def test_failures_count_up_to_a_lockout_then_start_afresh(db: Database) -> None:
    assert await wait(db) == 0
    for n in range(1, 4):
        assert await fail(db, at=T0 + timedelta(seconds=n)) == 0  # may go on to the password
        assert await count(db) == n
    assert await wait(db, at=T0 + timedelta(seconds=3)) == 30
    # Locked out: the attempt is refused with the wait, and not counted.
    assert await fail(db, at=T0 + timedelta(seconds=13)) == 20
    assert await count(db) == 3
    assert await wait(db, at=T0 + timedelta(seconds=33)) == 0
    # The next attempt after the lockout is the first of a new series, not the fourth.
    assert await fail(db, at=T0 + timedelta(seconds=40)) == 0
    assert await count(db) == 1
    assert await wait(db, at=T0 + timedelta(seconds=40)) == 0


async def test_counts_are_per_lower_case_username_and_address(db: Database) -> None:
    for _ in range(3):
        await fail(db, "Ada")
    assert await wait(db, "ADA") == 30
    assert await wait(db, "ada", "10.0.0.2") == 0
    assert await wait(db, "bob") == 0


async def test_a_success_clears_the_count(db: Database) -> None:
    await fail(db)
    await fail(db, "bob")
    async with db.session() as session:
        await clear_sign_in_failures(session=session, username="ADA", address="10.0.0.1")
    assert await count(db) == 0
    assert await count(db, "bob") == 1


async def test_attempts_at_the_same_moment_get_through_at_most_the_limit(db: Database) -> None:
    waits = await asyncio.gather(*(fail(db) for _ in range(12)))
    assert sorted(waits) == [0] * 3 + [30] * 9
    assert await count(db) == 3


async def test_old_counts_are_forgotten(db: Database) -> None:
    await fail(db, at=T0 - timedelta(days=2))
    await fail(db, "bob", at=T0)
    async with db.session() as session:
        assert await forget_old_sign_in_failures(session=session, before=T0 - timedelta(days=1))
    assert (await count(db), await count(db, "bob")) == (0, 1)


async def test_the_retention_task_forgets_counts_older_than_a_day(db: Database) -> None:
    await fail(db, at=utc_now() - timedelta(days=2))
    await fail(db, "bob", at=utc_now())
    task = asyncio.create_task(retention_loop(db, days=90, every=3600, first_after=0))
    try:
        for _ in range(100):
            if await count(db) == 0:
                break
            await asyncio.sleep(0.02)
        assert (await count(db), await count(db, "bob")) == (0, 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
