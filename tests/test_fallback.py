"""Provider fallback end to end against the fake upstream (real SDKs over real HTTP).

Sleep is injected (as in test_generation), so a 529 storm costs no waiting.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from spark.errors import AIError, ErrorKind, UsageError
from spark.events import DoneEvent, ErrorEvent, FallbackEvent, RepairEvent, RetryEvent
from spark.fallback import FALLBACK_KINDS, Route, falls_back, parse_routes, route_summary
from spark.generation import GenerationRequest
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.test_generation import BROKEN, FIXED, final, generations, run
from tests.test_generation import make_engine as make_engine  # the fixture

ANTHROPIC = Route("anthropic", "claude-sonnet-5-5")
OPENAI = Route("openai", "gpt-6.2-sol")


def ask(*fallback: Route, prompt: str = "a coin that spins") -> GenerationRequest:
    return GenerationRequest(
        prompt, provider="anthropic", model="claude-sonnet-5-5", fallback=tuple(fallback)
    )


def label(provider: str) -> str:
    return {"anthropic": "Anthropic", "openai": "OpenAI"}.get(provider, provider)


async def test_a_529_storm_on_anthropic_is_answered_by_openai(
    make_engine: Any, upstream: FakeUpstream
) -> None:
    # The first call and its three retries: 529s, and one that broke off mid-stream after
    # Anthropic had billed its input tokens.
    billed = Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=700))
    storm = [Fault.overloaded(), billed, Fault.overloaded(), Fault.overloaded()]
    upstream.anthropic.enqueue(*storm)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    engine = make_engine()
    events = await run(engine, ask(OPENAI))
    done = final(events)
    assert isinstance(done, DoneEvent), done
    result = done.result
    assert (result.provider, result.model) == ("openai", "gpt-6.2-sol")
    assert len(generations(upstream.anthropic)) == 4
    assert len(generations(upstream.openai)) == 1
    assert engine.sleeps == [1.0, 2.0, 4.0]  # the retry policy ran its course first
    switch = [e for e in events if isinstance(e, FallbackEvent)]
    assert len(switch) == 1 and isinstance(switch[0], RetryEvent)  # displays clear the text
    assert (switch[0].to_provider, switch[0].to_model) == ("openai", "gpt-6.2-sol")
    assert "switching to openai gpt-6.2-sol" in switch[0].message
    details = result.attempt_details
    assert [(d.provider, d.error_kind) for d in details] == [
        *[("anthropic", "overloaded")] * 4,
        ("openai", None),
    ]
    assert details[1].usage.input_tokens == 700
    assert details[1].cost_usd == Decimal("0.001410")  # and the 1 output token it streamed
    assert details[-1].usage.input_tokens == 1000 and details[-1].usage.output_tokens == 2000
    assert details[-1].cost_usd == Decimal("0.022000")
    assert result.cost_usd == sum((d.cost_usd or Decimal(0)) for d in details)
    assert result.attempts == 5
    stored = [d.to_dict() for d in details]
    assert route_summary(stored, label) == (
        "answered by OpenAI gpt-6.2-sol after Anthropic was overloaded"
    )


async def test_failed_attempts_keep_their_billed_usage(
    make_engine: Any, upstream: FakeUpstream
) -> None:
    # A stream that breaks off after message_start has billed its input tokens.
    broken = Fault.mid_stream_drop(after_chunks=1, reply=Reply(input_tokens=700))
    upstream.anthropic.enqueue(*[broken] * 4)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=10, output_tokens=20))
    done = final(await run(make_engine(), ask(OPENAI)))
    assert isinstance(done, DoneEvent)
    failed = [d for d in done.result.attempt_details if d.provider == "anthropic"]
    assert len(failed) == 4
    assert all(d.error_kind == "stream" for d in failed)
    assert all(d.usage.input_tokens == 700 for d in failed)
    assert done.result.usage.input_tokens == 4 * 700 + 10


async def test_a_bad_request_does_not_fall_back(make_engine: Any, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Fault.bad_request())
    upstream.openai.enqueue(Reply())
    events = await run(make_engine(), ask(OPENAI))
    error = final(events)
    assert isinstance(error, ErrorEvent)
    assert error.error.kind is ErrorKind.BAD_REQUEST
    assert generations(upstream.openai) == []
    assert not any(isinstance(e, FallbackEvent) for e in events)


async def test_an_exhausted_list_fails_with_the_last_error(
    make_engine: Any, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    upstream.openai.enqueue(*[Fault.server(503)] * 4)
    error = final(await run(make_engine(), ask(OPENAI)))
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, AIError)
    assert error.error.provider == "openai" and error.error.kind is ErrorKind.SERVER
    assert (error.provider, error.model) == ("openai", "gpt-6.2-sol")
    assert [d.provider for d in error.attempt_details] == ["anthropic"] * 4 + ["openai"] * 4
    assert error.attempts == 8


async def test_fallback_is_off_by_default(make_engine: Any, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    upstream.openai.enqueue(Reply())
    error = final(await run(make_engine(), ask()))
    assert isinstance(error, ErrorEvent)
    assert error.error.kind is ErrorKind.OVERLOADED
    assert generations(upstream.openai) == []


async def test_an_unconfigured_fallback_provider_is_skipped(
    make_engine: Any, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    engine = make_engine(openai_api_key=None)
    async with engine:
        plan = await engine.prepare(ask(OPENAI, Route("offline")))
        assert plan.fallbacks == (Route("offline", plan.fallbacks[0].model),)
        events = [e async for e in engine.generate(plan)]
    done = final(events)
    assert isinstance(done, DoneEvent)
    assert done.result.provider == "offline"


async def test_a_repair_round_stays_on_the_model_that_answered(
    make_engine: Any, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(*[Fault.server(500)] * 4, Reply(FIXED))
    upstream.openai.enqueue(Reply(BROKEN), Reply(FIXED))
    events = await run(make_engine(), ask(OPENAI))
    done = final(events)
    assert isinstance(done, DoneEvent)
    assert any(isinstance(e, RepairEvent) for e in events)
    assert len(generations(upstream.openai)) == 2
    assert len(generations(upstream.anthropic)) == 4  # never asked again for the repair
    assert done.result.attempt_details[-1].repair_round == 1
    assert done.result.attempt_details[-1].provider == "openai"


# --- the pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER,
        ErrorKind.CONNECTION,
        ErrorKind.TIMEOUT,
        ErrorKind.STREAM,
        ErrorKind.RATE_LIMIT,
        ErrorKind.CONFLICT,
        ErrorKind.QUOTA,
    ],
)
def test_outage_kinds_fall_back(kind: ErrorKind) -> None:
    assert falls_back(AIError("x", provider="anthropic", kind=kind, retryable=True))


@pytest.mark.parametrize("kind", sorted(set(ErrorKind) - FALLBACK_KINDS))
def test_other_kinds_do_not(kind: ErrorKind) -> None:
    assert not falls_back(AIError("x", provider="anthropic", kind=kind, retryable=False))


def test_parse_routes_accepts_arrows_commas_and_spaces() -> None:
    expected = (ANTHROPIC, OPENAI, Route("templates"))
    assert parse_routes("anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol, templates") == expected
    assert parse_routes(["anthropic:claude-sonnet-5-5", "openai:gpt-6.2-sol -> templates"]) == (
        expected
    )
    assert parse_routes("openai:gpt-6.2-sol openai:gpt-6.2-sol") == (OPENAI,)
    assert parse_routes("") == ()


@pytest.mark.parametrize(
    "text",
    ["anthropic:", "Anthropic:x", "openai:gpt\x00", "openai:\ud800", "a;b", "x" * 80, "a " * 6],
)
def test_parse_routes_refuses_garbage(text: str) -> None:
    with pytest.raises(UsageError):
        parse_routes(text)


def test_route_summary_names_each_failed_provider() -> None:
    def call(provider: str, model: str, outcome: str, repair: int = 0) -> dict[str, Any]:
        return {"provider": provider, "model": model, "outcome": outcome, "repair_round": repair}

    same = [call("anthropic", "a", "ok")]
    assert route_summary(same, label) is None
    assert route_summary([], label) is None
    chain = [
        call("anthropic", "a", "overloaded"),
        call("openai", "b", "timeout"),
        call("templates", "t", "ok"),
        call("templates", "t", "ok", repair=1),
    ]
    assert route_summary(chain, label) == (
        "answered by templates t after Anthropic was overloaded, then OpenAI timed out"
    )
    models = [call("openai", "big", "server"), call("openai", "small", "ok")]
    assert route_summary(models, label) == (
        "answered by OpenAI small after OpenAI big had a server error"
    )
