"""The engine with a quota, on SQLite and PostgreSQL, the providers behind the fake upstream:
a cancelled generation settles at what its call had billed, a retried one at every attempt,
an unknown model reserves at its provider's dearest price."""

from __future__ import annotations

from contextlib import aclosing
from decimal import Decimal
from typing import Any

from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, set_limits, spend_lines
from spark.db.users import create_user
from spark.events import TokenEvent
from spark.generation import Engine, GenerationRequest
from spark.limits import TEAM, Limits, charge
from spark.usage import Usage
from tests.fakes.upstream import FakeUpstream, Fault, Reply
from tests.test_generation import settings_for


async def _setup(db: Database) -> DatabaseQuota:
    async with db.session() as session:
        user = await create_user(session=session, username="ada")
        await set_limits(
            session=session, admin_id=None, scope=TEAM, limits=Limits(daily_usd=Decimal(50))
        )
    return DatabaseQuota(db, user_id=user.id)


async def _spent(db: Database, quota: DatabaseQuota) -> tuple[Decimal, Decimal]:
    async with db.session(user_id=quota.user_id) as session:
        lines = await spend_lines(session=session, user_id=quota.user_id)
    day = next(x for x in lines if x.period == "day")
    return day.spent_usd, day.reserved_usd


async def test_a_cancelled_generation_settles_at_what_was_billed(
    db: Database, upstream: FakeUpstream
) -> None:
    quota = await _setup(db)
    upstream.anthropic.enqueue(
        Reply(input_tokens=3000, output_tokens=900, chunk_size=8, chunk_delay=0.2)
    )
    request = GenerationRequest("a coin", provider="anthropic", model="claude-sonnet-5-5")
    async with Engine(settings_for(upstream)) as engine:
        plan = await engine.prepare(request, quota=quota)
        assert plan.reservation is not None and plan.reservation.reserved_usd > 0
        assert await _spent(db, quota) == (Decimal(0), plan.reservation.reserved_usd)
        async with aclosing(engine.generate(plan)) as events:
            async for event in events:
                if isinstance(event, TokenEvent):
                    break  # the consumer goes away mid-stream (a closed tab)
    held = plan.reservation
    # Anthropic reports the input tokens before any text: the cancelled call billed them.
    billed = charge(engine.catalog, "anthropic", "claude-sonnet-5-5", Usage(input_tokens=3000))
    assert held.settled_usd is not None and held.settled_usd >= billed > 0
    assert await _spent(db, quota) == (held.settled_usd, Decimal(0))


async def test_every_attempt_is_settled(db: Database, upstream: FakeUpstream) -> None:
    quota = await _setup(db)
    failed = Reply(input_tokens=2000, output_tokens=100)
    upstream.anthropic.enqueue(
        Fault(kind="mid_stream_error", after_usage=True, reply=failed),
        Reply(input_tokens=2000, output_tokens=400),
    )
    request = GenerationRequest("a coin", provider="anthropic", model="claude-sonnet-5-5")
    async with Engine(settings_for(upstream), sleep=_no_sleep) as engine:
        plan = await engine.prepare(request, quota=quota)
        events = [event async for event in engine.generate(plan)]
    result: Any = events[-1].result
    assert result.attempts == 2 and len(result.attempt_details) == 2
    assert plan.reservation is not None
    assert plan.reservation.settled_usd == result.cost_usd
    assert result.cost_usd > result.attempt_details[1].cost_usd  # the failed call counts
    assert await _spent(db, quota) == (result.cost_usd, Decimal(0))


async def test_an_unknown_model_reserves_at_its_providers_dearest_price(
    db: Database, upstream: FakeUpstream
) -> None:
    quota = await _setup(db)
    upstream.anthropic.models.append("claude-next-7")  # served, but not in SPARK's catalog
    async with Engine(settings_for(upstream)) as engine:
        known = await engine.prepare(
            GenerationRequest("a coin", provider="anthropic", model="claude-haiku-5-5"),
            quota=quota,
        )
        unknown = await engine.prepare(
            GenerationRequest("a coin", provider="anthropic", model="claude-next-7"),
            quota=quota,
        )
        dearest = max(
            engine.max_cost(known.__class__(**{**_fields(known), "model": m.id}))
            for m in engine.catalog.models("anthropic")
            if m.price is not None
        )
    assert known.reservation is not None and unknown.reservation is not None
    assert unknown.reservation.reserved_usd >= dearest > known.reservation.reserved_usd


async def _no_sleep(seconds: float) -> None:
    return None


def _fields(plan: Any) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in plan.__dataclass_fields__}


async def test_a_plan_that_is_never_generated_can_be_released(
    db: Database, upstream: FakeUpstream
) -> None:
    quota = await _setup(db)
    async with Engine(settings_for(upstream)) as engine:
        plan = await engine.prepare(
            GenerationRequest("a coin", provider="anthropic", model="claude-sonnet-5-5"),
            quota=quota,
        )
        assert (await _spent(db, quota))[1] > 0
        await engine.release(plan)
    assert await _spent(db, quota) == (Decimal(0), Decimal(0))
    assert upstream.anthropic.history == []
