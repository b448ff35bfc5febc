"""Spend limits apply to each attempt of a fallback (issue 16), on SQLite and PostgreSQL, the
providers behind the fake upstream: before a fallback route is tried the generation's
reservation is extended by that route's most expensive outcome at its own prices, checked
against the user's, the team's and that provider's spend limits, without counting another
request against the rate limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, set_limits, spend_lines
from spark.db.users import create_user
from spark.errors import AIError, ErrorKind
from spark.events import DoneEvent, ErrorEvent, FallbackEvent
from spark.fallback import Route
from spark.generation import Engine, GenerationRequest
from spark.limits import TEAM, Limits, charge, provider_scope, user_scope
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.test_generation import generations, settings_for

OPENAI = Route("openai", "gpt-6.2-sol")
STORM = 4  # the first call and the retry policy's three retries


def _ask() -> GenerationRequest:
    return GenerationRequest(
        "a coin that spins", provider="anthropic", model="claude-sonnet-5-5", fallback=(OPENAI,)
    )


async def _no_sleep(seconds: float) -> None:
    return None


async def _setup(db: Database, **scopes: Limits) -> DatabaseQuota:
    async with db.session() as session:
        user = await create_user(session=session, username="ada")
        for name, limits in scopes.items():
            scope = {"team": TEAM, "user": user_scope(user.id)}.get(name, provider_scope(name))
            await set_limits(session=session, admin_id=None, scope=scope, limits=limits)
    return DatabaseQuota(db, user_id=user.id)


async def _lines(db: Database, quota: DatabaseQuota) -> dict[str, tuple[Decimal, Decimal]]:
    """(spent, held) today, by scope."""
    async with db.session(user_id=quota.user_id) as session:
        lines = await spend_lines(session=session, user_id=quota.user_id)
    return {x.scope: (x.spent_usd, x.reserved_usd) for x in lines if x.period == "day"}


async def _run(engine: Engine, quota: DatabaseQuota, seen: list[Any]) -> tuple[Any, list[Any]]:
    plan = await engine.prepare(_ask(), quota=quota)
    events = []
    async for event in engine.generate(plan):
        events.append(event)
        if isinstance(event, FallbackEvent):
            seen.append(await _lines(quota.database, quota))
    return plan, events


async def test_a_provider_limit_too_small_stops_the_fallback(
    db: Database, upstream: FakeUpstream
) -> None:
    quota = await _setup(
        db, team=Limits(daily_usd=Decimal(50)), openai=Limits(daily_usd=Decimal("0.01"))
    )
    upstream.anthropic.enqueue(*[Fault.overloaded()] * STORM)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    seen: list[Any] = []
    async with Engine(settings_for(upstream), sleep=_no_sleep) as engine:
        plan, events = await _run(engine, quota, seen)
    assert len(generations(upstream.anthropic)) == STORM
    assert generations(upstream.openai) == []  # never called
    assert not any(isinstance(e, FallbackEvent) for e in events) and seen == []
    last = events[-1]
    assert isinstance(last, ErrorEvent) and isinstance(last.error, AIError)
    assert last.error.kind is ErrorKind.OVERLOADED  # the provider's error ...
    message = last.error.message
    assert "SPARK did not fall back to openai gpt-6.2-sol" in message  # ... and why
    assert "the daily limit on openai of $0.01" in message
    assert last.error.hint is not None and "resets at" in last.error.hint
    assert plan.reservation is not None and plan.reservation.extensions == []
    lines = await _lines(db, quota)
    assert lines[provider_scope("openai")] == (Decimal(0), Decimal(0))
    assert lines[TEAM] == (Decimal(0), Decimal(0))  # 529s bill nothing; all released


async def test_enough_budget_falls_back_and_the_reservation_covers_both(
    db: Database, upstream: FakeUpstream
) -> None:
    # One request a minute and one at a time: the fallback must not count as a second one.
    quota = await _setup(
        db,
        team=Limits(daily_usd=Decimal(50)),
        openai=Limits(daily_usd=Decimal(5)),
        user=Limits(requests_per_minute=1, concurrent=1),
    )
    billed = Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=700))
    upstream.anthropic.enqueue(Fault.overloaded(), billed, Fault.overloaded(), Fault.overloaded())
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    seen: list[Any] = []
    async with Engine(settings_for(upstream), sleep=_no_sleep) as engine:
        plan, events = await _run(engine, quota, seen)
        held = plan.reservation
        assert held is not None and len(held.extensions) == 1
        part = held.extensions[0]
        assert (part.provider, part.model) == ("openai", "gpt-6.2-sol")
        # The extension is the fallback route's most expensive outcome at openai's prices.
        assert part.reserved_usd == engine.max_cost(engine._on_route(plan, OPENAI))
    done = events[-1]
    assert isinstance(done, DoneEvent), done
    result = done.result
    assert (result.provider, result.model) == ("openai", "gpt-6.2-sol")
    assert len(generations(upstream.openai)) == 1
    # While openai was called, the reservation held both routes' most expensive outcomes.
    assert len(seen) == 1
    assert seen[0][TEAM] == (Decimal(0), held.reserved_usd + part.reserved_usd)
    assert seen[0][provider_scope("openai")] == (Decimal(0), part.reserved_usd)
    assert held.held_usd == held.reserved_usd + part.reserved_usd
    # Settled: every attempt at its own prices, each part on its own provider; nothing held.
    on_openai = [d for d in result.attempt_details if d.provider == "openai"]
    openai_cost = sum(
        (charge(engine.catalog, d.provider, d.model, d.usage) for d in on_openai), Decimal(0)
    )
    assert part.settled_usd == openai_cost > 0
    assert held.settled_usd is not None and held.settled_usd > 0  # the billed 529 storm call
    assert held.settled_total_usd == result.cost_usd
    lines = await _lines(db, quota)
    assert lines[TEAM] == (result.cost_usd, Decimal(0))
    assert lines[provider_scope("openai")] == (openai_cost, Decimal(0))


async def test_the_team_total_is_never_exceeded_by_a_fallback(
    db: Database, upstream: FakeUpstream
) -> None:
    async with Engine(settings_for(upstream), sleep=_no_sleep) as engine:
        probe = engine.max_cost(await engine.prepare(_ask()))
    # Room for the first route's reservation, not for a second one on openai.
    limit = (probe * Decimal("1.5")).quantize(Decimal("0.01"))
    quota = await _setup(db, team=Limits(daily_usd=limit))
    upstream.anthropic.enqueue(*[Fault.overloaded()] * STORM)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    seen: list[Any] = []
    async with Engine(settings_for(upstream), sleep=_no_sleep) as engine:
        _plan, events = await _run(engine, quota, seen)
    assert generations(upstream.openai) == []
    last = events[-1]
    assert isinstance(last, ErrorEvent)
    assert f"the team's daily limit of ${limit}" in last.error.message
    spent, held = (await _lines(db, quota))[TEAM]
    assert spent + held <= limit and held == 0
