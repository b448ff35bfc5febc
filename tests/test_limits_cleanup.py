"""The limits' rows go with the history retention, on SQLite and PostgreSQL: counters of past
days, months and minutes (once nothing is held on them), reservations settled or expired more
than a day ago; the current windows, the running generations' rows and the money stay."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, forget_old_limit_rows, set_limits
from spark.db.local import retention_loop
from spark.db.models import LimitCounter, LimitReservation
from spark.db.users import create_user
from spark.limits import TEAM, Limits, provider_scope, user_scope

LAST_MONTH = datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)
YESTERDAY = datetime(2026, 12, 1, 0, 0, 10, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 10, 0, 30, tzinfo=UTC)
CENT = Decimal("0.01")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _user(db: Database) -> int:
    """A user, and a team limit far above what the tests spend: with a limit applying, every
    reservation is held (a row, a slot), which is what is cleaned up."""
    async with db.session() as session:
        await set_limits(
            session=session, admin_id=None, scope=TEAM, limits=Limits(daily_usd=Decimal(1000))
        )
        return (await create_user(session=session, username="ada")).id


async def _counters(db: Database) -> dict[tuple[str, str], tuple[int, int, int]]:
    async with db.session() as session:
        rows = await session.scalars(select(LimitCounter))
        return {(r.scope, r.window): (r.spent_micros, r.reserved_micros, r.count) for r in rows}


async def _reservations(db: Database, user_id: int) -> dict[int, str]:
    async with db.session(user_id=user_id) as session:
        rows = await session.scalars(select(LimitReservation))
        return {r.id: r.state for r in rows}


async def _cleanup(db: Database, now: datetime) -> tuple[int, int]:
    async with db.session() as session:  # as the retention does: no user
        done = await forget_old_limit_rows(session=session, now=now)
    return done.counters, done.reservations


async def test_past_windows_and_ended_reservations_go(db: Database) -> None:
    user_id = await _user(db)
    me = user_scope(user_id)
    clock = Clock(LAST_MONTH - timedelta(hours=4))
    quota = DatabaseQuota(db, user_id=user_id, clock=clock, ttl=timedelta(minutes=30))
    lasting = DatabaseQuota(db, user_id=user_id, clock=clock, ttl=timedelta(days=3))
    forgotten = await quota.reserve(provider="anthropic", model="m", amount=CENT)  # never settled
    clock.now = LAST_MONTH
    old = await quota.reserve(provider="anthropic", model="m", amount=CENT)  # expires `forgotten`
    await quota.settle(old, CENT)
    running = await lasting.reserve(provider="anthropic", model="m", amount=CENT)  # still running
    clock.now = NOW - timedelta(hours=2)
    recent = await quota.reserve(provider="anthropic", model="m", amount=CENT)
    await quota.settle(recent, CENT)
    clock.now = NOW
    current = await quota.reserve(provider="anthropic", model="m", amount=CENT)
    # Made last (so that no request has released it yet): its process died yesterday.
    clock.now = YESTERDAY
    dying = await quota.reserve(provider="anthropic", model="m", amount=CENT)
    async with db.session() as session:  # a stale minute of someone who stopped asking
        session.add(LimitCounter(scope="user:999", window="min:2026-12-02T09:59", count=3))
    before = await _counters(db)

    counters, reservations = await _cleanup(db, NOW)

    after = await _counters(db)
    today, month, minute = "d:2026-12-02", "m:2026-12", "min:2026-12-02T10:00"
    spenders = (me, TEAM, provider_scope("anthropic"))
    expected = {
        *[(s, w) for s in spenders for w in (today, month)],
        *[(s, w) for s in (me, TEAM) for w in (minute, "live")],
        # `running` still holds money on last month's and that day's counters: kept.
        *[(s, w) for s in spenders for w in ("d:2026-11-30", "m:2026-11")],
    }
    assert set(after) == expected
    # Gone: yesterday's counters (`dying` expired and released first), the old minutes.
    assert counters == len(before) - len(after)
    assert set(before) - set(after) == {
        *[(s, "d:2026-12-01") for s in spenders],
        *[(s, "min:2026-12-01T00:00") for s in (me, TEAM)],
        ("user:999", "min:2026-12-02T09:59"),  # (a request drops its own older minutes)
    }
    for key in expected:  # what stays is untouched, but for what `dying` held (released)
        spent, held, count = before[key]
        if key[1] == "live":
            assert after[key] == (spent, held, count - 1) == (0, 0, 2), key
        elif key[1] == month:
            assert after[key] == (spent, held - 10_000, count), key
        else:
            assert after[key] == before[key], key
    # Gone: `old` (settled) and `forgotten` (expired) on 30 November; `dying` expired just now.
    assert reservations == 2
    states = await _reservations(db, user_id)
    assert states == {
        running.id: "active",
        dying.id: "expired",
        recent.id: "settled",
        current.id: "active",
    }
    assert forgotten.id not in states and old.id not in states

    # Two days later, everything has ended: only this month's and the live counters stay.
    clock.now = NOW + timedelta(hours=1)
    await lasting.settle(running, CENT)
    await quota.settle(current, Decimal(0))
    later = NOW + timedelta(days=2)
    await _cleanup(db, later)
    assert set(await _counters(db)) == {
        *[(s, month) for s in spenders],
        *[(s, "live") for s in (me, TEAM)],
    }
    assert await _reservations(db, user_id) == {}
    assert await _cleanup(db, later) == (0, 0)  # nothing left to do


async def test_the_retention_loop_forgets_them(db: Database) -> None:
    user_id = await _user(db)
    clock = Clock(datetime.now(UTC) - timedelta(days=3))
    quota = DatabaseQuota(db, user_id=user_id, clock=clock)
    held = await quota.reserve(provider="anthropic", model="m", amount=CENT)
    await quota.settle(held, CENT)
    task = asyncio.create_task(retention_loop(db, days=90, every=3600, first_after=0))
    try:
        for _ in range(200):
            if not await _reservations(db, user_id):
                break
            await asyncio.sleep(0.02)
        assert await _reservations(db, user_id) == {}
        day = f"d:{clock.now:%Y-%m-%d}"
        assert not any(
            w in (day, f"min:{clock.now:%Y-%m-%dT%H:%M}") for _, w in await _counters(db)
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
