"""Every attempt's billed tokens count: failed, retried and cancelled calls included.

The fake upstream reports usage as the real APIs do (Anthropic's ``message_start`` carries the
input tokens before any text), so a call that breaks off mid-stream has still reported what it
cost. The engine adds it to the generation's totals and lists each call in the attempt details;
the history row (SQLite and PostgreSQL) keeps both. Prices: claude-sonnet-5-5 and gpt-6.2-sol
cost $2 in / $10 out per million tokens, so 420 in + 1 out is $0.000850.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from spark.config import Settings
from spark.db.engine import Database
from spark.db.recorder import HistoryRecorder
from spark.errors import ErrorKind
from spark.events import DoneEvent, ErrorEvent, TokenEvent
from spark.generation import Engine, GenerationRequest
from spark.usage import Usage
from tests.fakes.upstream import FakeUpstream, Fault, Reply
from tests.test_db_recorder import new_user, only_row
from tests.test_generation import BROKEN

SONNET = "claude-sonnet-5-5"
REQUEST = GenerationRequest("a coin that spins", provider="anthropic", model=SONNET)


def engine_for(upstream: FakeUpstream, **overrides: Any) -> Engine:
    async def no_sleep(_seconds: float) -> None:
        return None

    values: dict[str, Any] = {
        "anthropic_api_key": "test-key",
        "anthropic_base_url": upstream.anthropic_base_url,
        "openai_api_key": "test-key",
        "openai_base_url": upstream.openai_base_url,
        "read_timeout": 5.0,
    } | overrides
    return Engine(Settings(**values), sleep=no_sleep)


async def run(upstream: FakeUpstream, request: GenerationRequest = REQUEST, **kw: Any) -> Any:
    async with engine_for(upstream, **kw) as engine:
        return [e async for e in engine.generate(request)][-1]


def mid_stream_error(input_tokens: int = 420) -> Fault:
    return Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=input_tokens))


async def test_every_failed_attempt_is_billed(upstream: FakeUpstream) -> None:
    """Anthropic error mid-stream five times: four attempts (3 retries), each billed 420 in."""
    upstream.anthropic.enqueue(*[mid_stream_error() for _ in range(5)])
    error = await run(upstream)
    assert isinstance(error, ErrorEvent) and error.error.kind is ErrorKind.OVERLOADED
    assert error.attempts == 4
    assert error.usage == Usage(input_tokens=4 * 420, output_tokens=4)
    assert error.cost_usd == Decimal("0.003400")
    assert [(a.number, a.error_kind, a.usage.input_tokens) for a in error.attempt_details] == [
        (1, "overloaded", 420),
        (2, "overloaded", 420),
        (3, "overloaded", 420),
        (4, "overloaded", 420),
    ]
    assert all(a.cost_usd == Decimal("0.000850") for a in error.attempt_details)
    assert all((a.provider, a.model) == ("anthropic", SONNET) for a in error.attempt_details)


async def test_a_retried_attempt_adds_to_the_successful_one(upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(mid_stream_error(), Reply(input_tokens=420, output_tokens=100))
    done = await run(upstream)
    assert isinstance(done, DoneEvent)
    result = done.result
    assert result.attempts == 2
    assert result.usage == Usage(input_tokens=840, output_tokens=101)
    # 840 * 2 + 101 * 10 = 2,690 micro-dollars; the attempts' costs add up to it exactly.
    assert result.cost_usd == Decimal("0.002690")
    first, second = result.attempt_details
    assert (first.error_kind, first.cost_usd) == ("overloaded", Decimal("0.000850"))
    assert (second.ok, second.usage.output_tokens, second.cost_usd) == (
        True,
        100,
        Decimal("0.001840"),
    )


async def test_openai_usage_chunk_of_a_cut_stream_is_billed(upstream: FakeUpstream) -> None:
    upstream.openai.enqueue(
        Fault.mid_stream_drop(after_usage=True, reply=Reply(input_tokens=77, output_tokens=9)),
        Reply(input_tokens=77, output_tokens=50),
    )
    done = await run(upstream, GenerationRequest("a coin", provider="openai", model="gpt-6.2-sol"))
    assert isinstance(done, DoneEvent)
    assert done.result.usage == Usage(input_tokens=154, output_tokens=59)
    assert [a.error_kind for a in done.result.attempt_details] == ["stream", None]


async def test_attempts_count_retries_not_repair_rounds(upstream: FakeUpstream) -> None:
    """A repair round is its own figure: no retry and one repair round is 1 attempt; each
    provider call still has its details (and usage)."""
    upstream.anthropic.enqueue(Reply(BROKEN), Reply(BROKEN))
    done = await run(upstream)
    assert isinstance(done, DoneEvent)
    assert (done.result.attempts, done.result.repair_rounds) == (1, 1)
    assert [(a.number, a.repair_round) for a in done.result.attempt_details] == [(1, 0), (2, 1)]
    assert done.result.usage.input_tokens == 2 * 42


async def test_a_retry_inside_the_repair_round_is_an_attempt(upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Reply(BROKEN), Fault.server(503), Reply(BROKEN))
    done = await run(upstream)
    assert isinstance(done, DoneEvent)
    assert (done.result.attempts, done.result.repair_rounds) == (2, 1)
    assert [(a.repair_round, a.error_kind) for a in done.result.attempt_details] == [
        (0, None),
        (1, "server"),
        (1, None),
    ]


# -- in the history, on both databases ----------------------------------------------------------


async def test_failed_attempts_are_in_the_row(db: Database, upstream: FakeUpstream) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(*[mid_stream_error() for _ in range(5)])
    async with engine_for(upstream) as engine:
        recorder = HistoryRecorder(db, user_id=user_id)
        events = [e async for e in engine.generate(REQUEST, recorder=recorder)]
    assert isinstance(events[-1], ErrorEvent)
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.attempts) == ("failed", "overloaded", 4)
    assert (row.input_tokens, row.output_tokens, row.cost_usd) == (1680, 4, Decimal("0.003400"))
    assert row.attempt_details is not None and len(row.attempt_details) == 4
    assert row.attempt_details[0] == {
        "number": 1,
        "repair_round": 0,
        "provider": "anthropic",
        "model": SONNET,
        "outcome": "overloaded",
        "error_message": row.attempt_details[0]["error_message"],
        "input_tokens": 420,
        "output_tokens": 1,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "cost_usd": "0.000850",
    }
    assert "overloaded" in row.attempt_details[0]["error_message"]


async def test_a_success_after_a_retry_bills_both(db: Database, upstream: FakeUpstream) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(mid_stream_error(), Reply(input_tokens=420, output_tokens=100))
    async with engine_for(upstream) as engine:
        recorder = HistoryRecorder(db, user_id=user_id)
        events = [e async for e in engine.generate(REQUEST, recorder=recorder)]
    assert isinstance(events[-1], DoneEvent)
    row = await only_row(db, user_id)
    assert (row.status, row.attempts, row.input_tokens, row.output_tokens) == (
        "succeeded",
        2,
        840,
        101,
    )
    assert row.cost_usd == Decimal("0.002690")
    assert [a["outcome"] for a in row.attempt_details or []] == ["overloaded", "ok"]


async def test_a_cancelled_generation_bills_what_was_reported(
    db: Database, upstream: FakeUpstream
) -> None:
    """Stop pressed (the consumer goes away) after the first tokens: message_start's usage."""
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Reply(input_tokens=420, chunk_size=4, chunk_delay=0.05))
    async with engine_for(upstream) as engine:
        events = engine.generate(REQUEST, recorder=HistoryRecorder(db, user_id=user_id))
        async for event in events:
            if isinstance(event, TokenEvent):
                break
        await events.aclose()
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.attempts) == ("failed", "cancelled", 1)
    assert (row.input_tokens, row.output_tokens, row.cost_usd) == (420, 1, Decimal("0.000850"))
    assert [a["outcome"] for a in row.attempt_details or []] == ["cancelled"]
