"""A response-cache hit on the fast path (issue 16), on SQLite and PostgreSQL, the provider
behind the fake upstream: looked up before anything is written, no spend reservation, one
request against the rate limits, and recorded - history row, rate-limit counter - in one
transaction (on PostgreSQL the lookup's too)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select

from spark.db.cache import CacheSettings, DatabaseCache
from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, set_limits, spend_lines
from spark.db.models import GenerationRecord, LimitCounter, LimitReservation
from spark.db.recorder import HistoryRecorder
from spark.db.users import create_user
from spark.events import DoneEvent, ErrorEvent
from spark.generation import Engine, GenerationRequest
from spark.limits import TEAM, Limits, RateLimitError, minute_key, user_scope
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Reply
from tests.test_generation import settings_for

CACHE = CacheSettings(enabled=True, scope="user", ttl=3600)
NOW = datetime(2026, 12, 3, 12, 30, 15, tzinfo=UTC)  # one minute window for every request


def _ask() -> GenerationRequest:
    return GenerationRequest("a coin that spins", provider="anthropic", model="claude-sonnet-5-5")


async def _user(db: Database, **scopes: Limits) -> int:
    async with db.session() as session:
        user = await create_user(session=session, username="ada")
        for name, limits in scopes.items():
            scope = TEAM if name == "team" else user_scope(user.id)
            await set_limits(session=session, admin_id=None, scope=scope, limits=limits)
        return user.id


async def _generate(engine: Engine, db: Database, user_id: int) -> tuple[Any, HistoryRecorder]:
    recorder = HistoryRecorder(db, user_id=user_id)
    cache = DatabaseCache(db, user_id=user_id, settings=CACHE, recorder=recorder)
    quota = DatabaseQuota(db, user_id=user_id, clock=lambda: NOW)
    events = [e async for e in engine.generate(_ask(), recorder=recorder, quota=quota, cache=cache)]
    return events[-1], recorder


@contextmanager
def _transactions(db: Database) -> Iterator[list[int]]:
    """Counts the transactions begun on ``db`` meanwhile."""
    begun: list[int] = []

    def count(*_: Any) -> None:
        begun.append(1)

    event.listen(db.engine.sync_engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(db.engine.sync_engine, "begin", count)


async def _counts(db: Database, user_id: int) -> tuple[int, int, int]:
    """(history rows, reservations, requests counted this minute) of ``user_id``."""
    async with db.session(user_id=user_id) as session:
        rows = await session.scalar(select(func.count()).select_from(GenerationRecord))
        held = await session.scalar(select(func.count()).select_from(LimitReservation))
        minute = await session.scalar(
            select(LimitCounter.count).where(
                LimitCounter.scope == user_scope(user_id), LimitCounter.window == minute_key(NOW)
            )
        )
    return int(rows or 0), int(held or 0), int(minute or 0)


async def test_a_hit_reserves_nothing_and_is_recorded_in_one_transaction(
    db: Database, upstream: FakeUpstream
) -> None:
    ann = await _user(db, team=Limits(daily_usd=Decimal(50)), user=Limits(requests_per_minute=100))
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    async with Engine(settings_for(upstream)) as engine:
        first, _ = await _generate(engine, db, ann)
        assert isinstance(first, DoneEvent) and not first.result.cached
        assert await _counts(db, ann) == (1, 1, 1)  # the miss: a row, a reservation, a request
        with _transactions(db) as begun:
            hit, recorder = await _generate(engine, db, ann)
        assert isinstance(hit, DoneEvent) and hit.result.cached
    assert len(upstream.anthropic.history) == 1
    # The hit's record, history row and rate-limit counter together; on SQLite after the
    # lookup's own read, on PostgreSQL in the lookup's transaction.
    assert len(begun) == (1 if db.is_postgresql else 2), begun
    assert await _counts(db, ann) == (2, 1, 2)  # one more row and request, no reservation
    async with db.session(user_id=ann) as session:
        row = await session.get(GenerationRecord, recorder.record_id)
        lines = await spend_lines(session=session, user_id=ann, now=NOW)
    assert row is not None and row.status == "cached" and row.cost_usd == Decimal(0)
    assert row.finished_at is not None and row.reserved_usd is None
    assert row.cached_from is not None and row.saved_usd == first.result.cost_usd
    team = next(x for x in lines if x.scope == TEAM and x.period == "day")
    assert team.spent_usd == first.result.cost_usd and team.reserved_usd == 0


async def test_a_hit_counts_against_requests_per_minute(
    db: Database, upstream: FakeUpstream
) -> None:
    ann = await _user(db, user=Limits(requests_per_minute=2))
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT))
    async with Engine(settings_for(upstream)) as engine:
        miss, _ = await _generate(engine, db, ann)
        hit, _ = await _generate(engine, db, ann)
        refused, recorder = await _generate(engine, db, ann)
    assert isinstance(miss, DoneEvent) and isinstance(hit, DoneEvent) and hit.result.cached
    assert isinstance(refused, ErrorEvent) and isinstance(refused.error, RateLimitError)
    assert recorder.record_id is None
    assert await _counts(db, ann) == (2, 1, 2)  # the refused hit left nothing behind


async def test_a_hit_is_never_refused_for_money_or_a_concurrency_slot(
    db: Database, upstream: FakeUpstream
) -> None:
    ann = await _user(db)
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    async with Engine(settings_for(upstream)) as engine:
        miss, _ = await _generate(engine, db, ann)
        assert isinstance(miss, DoneEvent)
        # Now the day's money is gone and the only slot is taken by a running generation.
        async with db.session() as session:
            await set_limits(
                session=session,
                admin_id=None,
                scope=user_scope(ann),
                limits=Limits(daily_usd=miss.result.cost_usd, concurrent=1),
            )
        quota = DatabaseQuota(db, user_id=ann, clock=lambda: NOW)
        running = await engine.prepare(
            GenerationRequest("another", provider="offline"), quota=quota
        )
        hit, _ = await _generate(engine, db, ann)
        await engine.release(running)
    assert isinstance(hit, DoneEvent) and hit.result.cached, hit


async def test_without_a_rate_limit_a_hit_is_two_statements(
    db: Database, upstream: FakeUpstream
) -> None:
    """As the web route runs it (the limits read with the request's context): the lookup and
    the history row's INSERT, nothing else - no limits lock, no counter."""
    from spark.db.team_controls import generation_context

    ann = await _user(db, team=Limits(daily_usd=Decimal(50)))  # money only, no per-minute limit
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    settings = settings_for(upstream)
    async with Engine(settings) as engine:
        first, _ = await _generate(engine, db, ann)
        assert isinstance(first, DoneEvent) and not first.result.cached
        context = await generation_context(settings=settings, database=db, user_id=ann)
        recorder = HistoryRecorder(db, user_id=ann)
        cache = DatabaseCache(db, user_id=ann, settings=CACHE, recorder=recorder)
        quota = DatabaseQuota(db, user_id=ann, clock=lambda: NOW, known=context.limits)
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "set_config" not in statement:  # PostgreSQL's user for row-level security
                statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            plan = await engine.prepare(_ask(), quota=quota, cache=cache)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert plan.answered is not None and plan.answered.cached and plan.reservation is None
    kinds = [s.split()[0].upper() for s in statements]
    assert [k for k in kinds if k not in ("BEGIN", "COMMIT", "ROLLBACK")] == [
        "SELECT",
        "INSERT",
    ], statements
    assert await _counts(db, ann) == (2, 1, 1)  # the hit's row; no request counted (the miss's)
