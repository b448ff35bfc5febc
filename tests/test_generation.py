"""The orchestrator end to end against the fake upstream: retry schedule, restarts, messages.

Sleep is injected, so backoff delays are asserted exactly without waiting for them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from spark.config import Settings
from spark.errors import ConfigError, ErrorKind, UsageError
from spark.events import (
    DoneEvent,
    ErrorEvent,
    RepairEvent,
    RetryEvent,
    TokenEvent,
    ValidationEvent,
)
from spark.generation import Engine, GenerationRequest
from spark.providers.base import ChatMessage
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply

MODELS = {"anthropic": "claude-sonnet-5-5", "openai": "gpt-6.2-sol"}
BROKEN = """```csharp
using UnityEngine;
public class Broken : MonoBehaviour
{
    void Update()
    {
        int x = 1
    }
}
```"""
FIXED = """```csharp
using UnityEngine;
public class Broken : MonoBehaviour
{
    [SerializeField] private int x = 1;
}
```"""


def settings_for(upstream: FakeUpstream, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "anthropic_api_key": "test-key-anthropic-123",
        "openai_api_key": "test-key-openai-456",
        "anthropic_base_url": upstream.anthropic_base_url,
        "openai_base_url": upstream.openai_base_url,
        "read_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_engine(upstream: FakeUpstream):
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def make(**overrides: Any) -> Engine:
        engine = Engine(settings_for(upstream, **overrides), sleep=fake_sleep)
        engine.sleeps = sleeps  # type: ignore[attr-defined]
        return engine

    return make


async def run(engine: Engine, request: GenerationRequest) -> list[Any]:
    async with engine:
        return [event async for event in engine.generate(request)]


def final(events: list[Any]) -> DoneEvent | ErrorEvent:
    last = events[-1]
    assert isinstance(last, DoneEvent | ErrorEvent)
    assert sum(isinstance(e, DoneEvent | ErrorEvent) for e in events) == 1
    return last


@pytest.fixture(params=["anthropic", "openai"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def api(upstream: FakeUpstream, provider: str):
    return upstream.anthropic if provider == "anthropic" else upstream.openai


def generations(api_: Any) -> list[Any]:
    """Requests that asked for a reply (not the model list)."""
    return [r for r in api_.history if not r.path.startswith("/v1/models")]


def ask(provider: str, prompt: str = "a coin that spins") -> GenerationRequest:
    return GenerationRequest(prompt, provider=provider, model=MODELS[provider])


async def test_success_produces_tokens_validation_and_done(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    events = await run(make_engine(), ask(provider))
    done = final(events)
    assert isinstance(done, DoneEvent)
    tokens = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert tokens == DEFAULT_TEXT
    result = done.result
    assert result.class_name == "CoinSpinner"
    assert result.file_name == "CoinSpinner.cs"
    assert result.code.startswith("using UnityEngine;")
    assert result.attempts == 1
    assert result.usage.input_tokens == 1000
    assert result.usage.output_tokens == 2000
    # Both defaults cost $2 / $10 per million: 1000 * 2 + 2000 * 10 = 22,000 micro-dollars.
    assert result.cost_usd == Decimal("0.022000")
    assert result.validation.ok
    assert any(isinstance(e, ValidationEvent) for e in events)


RETRIED = [
    Fault.rate_limit(),
    Fault.server(500),
    Fault.server(502),
    Fault.server(503),
    Fault.server(504),
    Fault.status(408),
    Fault.status(409),
    Fault.drop(),
]


@pytest.mark.parametrize("fault", RETRIED, ids=lambda f: f"{f.preset}-{f.status_code}-{f.kind}")
async def test_transient_faults_are_retried_1_2_4(make_engine, upstream, provider, fault) -> None:
    api(upstream, provider).enqueue(fault, fault, fault, Reply())
    engine = make_engine()
    events = await run(engine, ask(provider))
    done = final(events)
    assert isinstance(done, DoneEvent)
    assert done.result.attempts == 4
    assert engine.sleeps == [1.0, 2.0, 4.0]
    retries = [e for e in events if isinstance(e, RetryEvent)]
    assert [(r.attempt, r.max_attempts, r.delay) for r in retries] == [
        (2, 4, 1.0),
        (3, 4, 2.0),
        (4, 4, 4.0),
    ]
    assert "retrying in 1 s (attempt 2 of 4)" in retries[0].message


async def test_gives_up_after_three_retries(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(*[Fault.server(503)] * 4)
    engine = make_engine()
    error = final(await run(engine, ask(provider)))
    assert isinstance(error, ErrorEvent)
    assert engine.sleeps == [1.0, 2.0, 4.0]
    assert error.attempts == 4
    assert "Gave up after 4 attempts" in error.error.message
    assert len(generations(api(upstream, provider))) == 4


async def test_anthropic_529_overloaded_is_retried(make_engine, upstream) -> None:
    upstream.anthropic.enqueue(Fault.overloaded(), Reply())
    engine = make_engine()
    events = await run(engine, ask("anthropic"))
    assert isinstance(final(events), DoneEvent)
    assert engine.sleeps == [1.0]
    retry = next(e for e in events if isinstance(e, RetryEvent))
    assert retry.message.startswith("Provider overloaded — retrying in 1 s")


PERMANENT = [
    (Fault.auth(), ErrorKind.AUTH, "rejected the API key"),
    (Fault.bad_request(), ErrorKind.BAD_REQUEST, "rejected the request"),
    (Fault.permission(), ErrorKind.PERMISSION, "not allowed"),
    (Fault.not_found_model(), ErrorKind.NOT_FOUND, "does not know the model"),
    (Fault.too_large(), ErrorKind.TOO_LARGE, "too large"),
    (Fault.unprocessable(), ErrorKind.BAD_REQUEST, "rejected the request"),
    (Fault.insufficient_quota(), ErrorKind.QUOTA, "no credit or quota left"),
]


@pytest.mark.parametrize(("fault", "kind", "words"), PERMANENT, ids=lambda x: str(x)[:30])
async def test_permanent_faults_fail_at_once(
    make_engine, upstream, provider, fault, kind, words
) -> None:
    api(upstream, provider).enqueue(fault, Reply())
    engine = make_engine()
    error = final(await run(engine, ask(provider)))
    assert isinstance(error, ErrorEvent)
    assert error.error.kind is kind
    assert words in error.error.message
    assert error.error.hint
    assert engine.sleeps == []
    assert error.attempts == 1
    assert len(generations(api(upstream, provider))) == 1
    assert error.provider == provider and error.model == MODELS[provider]


async def test_auth_message_names_the_variable(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Fault.auth())
    error = final(await run(make_engine(), ask(provider)))
    variable = "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"
    assert variable in (error.error.hint or "")


async def test_unknown_model_from_provider_suggests_current_models(make_engine, upstream) -> None:
    upstream.anthropic.models = ["claude-3-5-sonnet-20241022", "claude-sonnet-5-5"]
    upstream.anthropic.enqueue(Fault.not_found_model())
    request = GenerationRequest("x", provider="anthropic", model="claude-3-5-sonnet-20241022")
    error = final(await run(make_engine(), request))
    assert error.error.kind is ErrorKind.NOT_FOUND
    assert "claude-sonnet-5-5" in (error.error.hint or "")


async def test_retry_after_is_honoured(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(
        Fault.rate_limit(retry_after=3), Fault.rate_limit(retry_after_ms=250), Reply()
    )
    engine = make_engine()
    assert isinstance(final(await run(engine, ask(provider))), DoneEvent)
    assert engine.sleeps == [3.0, 0.25]


async def test_retry_after_beyond_cap_fails_at_once(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Fault.rate_limit(retry_after=60), Reply())
    engine = make_engine()
    error = final(await run(engine, ask(provider)))
    assert isinstance(error, ErrorEvent)
    assert engine.sleeps == []
    assert "Rate limited for 60 s" in error.error.message
    assert "Try again in 60 s" in (error.error.hint or "")


async def test_x_should_retry_false_stops_retries(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Fault.server(500, should_retry=False), Reply())
    engine = make_engine()
    assert isinstance(final(await run(engine, ask(provider))), ErrorEvent)
    assert engine.sleeps == []


async def test_x_should_retry_true_retries_a_400(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Fault.status(400, should_retry=True), Reply())
    engine = make_engine()
    assert isinstance(final(await run(engine, ask(provider))), DoneEvent)
    assert engine.sleeps == [1.0]


async def test_stream_failing_mid_reply_restarts_from_scratch(
    make_engine, upstream, provider
) -> None:
    api(upstream, provider).enqueue(Fault.mid_stream_error(after_chunks=3), Reply())
    events = await run(make_engine(), ask(provider))
    done = final(events)
    assert isinstance(done, DoneEvent)
    retry_at = next(i for i, e in enumerate(events) if isinstance(e, RetryEvent))
    before = [e for e in events[:retry_at] if isinstance(e, TokenEvent)]
    after = "".join(e.text for e in events[retry_at:] if isinstance(e, TokenEvent))
    assert len(before) == 3
    assert after == DEFAULT_TEXT  # the display clears on `retry`, then gets the whole reply
    assert done.result.reply == DEFAULT_TEXT
    assert done.result.attempts == 2


async def test_stall_times_out_and_retries(make_engine, upstream) -> None:
    upstream.anthropic.enqueue(Fault.stall(1.0), Reply())
    engine = make_engine(read_timeout=0.2)
    events = await run(engine, ask("anthropic"))
    assert isinstance(final(events), DoneEvent)
    retry = next(e for e in events if isinstance(e, RetryEvent))
    assert retry.error.kind is ErrorKind.TIMEOUT


async def test_offline_is_the_default_provider(make_engine) -> None:
    engine = make_engine(anthropic_api_key=None, openai_api_key=None)
    done = final(await run(engine, GenerationRequest("rotate an object at 90 degrees per second")))
    assert isinstance(done, DoneEvent)
    assert done.result.provider == "offline"
    assert done.result.cost_usd == 0
    assert "90" in done.result.code
    assert done.result.validation.ok


async def test_configured_default_provider_and_model(make_engine, upstream) -> None:
    engine = make_engine(default_provider="openai", default_model="gpt-6.1-terra")
    done = final(await run(engine, GenerationRequest("a coin")))
    assert isinstance(done, DoneEvent)
    assert (done.result.provider, done.result.model) == ("openai", "gpt-6.1-terra")
    assert upstream.openai.last.body["model"] == "gpt-6.1-terra"


@pytest.mark.parametrize(
    ("request_", "error_type", "words"),
    [
        (GenerationRequest("   "), UsageError, "empty"),
        (GenerationRequest("x" * 20_001), UsageError, "limit is 20,000"),
        (GenerationRequest("x", provider="gemini"), UsageError, "Unknown provider"),
        (GenerationRequest("x", provider="offline", model="gpt-4"), UsageError, "Unknown model"),
    ],
)
async def test_bad_requests(make_engine, request_, error_type, words) -> None:
    error = final(await run(make_engine(), request_))
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, error_type)
    assert words in error.error.message


async def test_missing_key_says_which_variable(make_engine) -> None:
    engine = make_engine(openai_api_key=None)
    error = final(await run(engine, GenerationRequest("x", provider="openai")))
    assert isinstance(error.error, ConfigError)
    assert "OPENAI_API_KEY" in error.error.message


async def test_model_missing_from_live_list_is_a_usage_error(make_engine, upstream) -> None:
    error = final(
        await run(make_engine(), GenerationRequest("x", provider="openai", model="gpt-99"))
    )
    assert isinstance(error.error, UsageError)
    assert "gpt-6.2-sol" in (error.error.hint or "")
    assert generations(upstream.openai) == []  # nothing was paid for


async def test_live_model_not_in_catalog_is_allowed(make_engine, upstream) -> None:
    upstream.openai.models = ["gpt-7-preview"]
    done = final(
        await run(make_engine(), GenerationRequest("x", provider="openai", model="gpt-7-preview"))
    )
    assert isinstance(done, DoneEvent)
    assert done.result.cost_usd is None  # unknown price


def model_listings(api_: Any) -> list[Any]:
    return [r for r in api_.history if r.path.startswith("/v1/models")]


async def test_models_list_failure_falls_back_to_catalog(make_engine, upstream, caplog) -> None:
    upstream.anthropic.enqueue_models_fault(Fault.server(500))
    request = GenerationRequest("x", provider="anthropic", model="claude-custom-1")
    # not in the catalog and no live list to check against: the provider decides
    assert isinstance(final(await run(make_engine(), request)), DoneEvent)
    assert "could not list anthropic models" in caplog.text
    assert upstream.anthropic.last.body["model"] == "claude-custom-1"


async def test_a_catalog_model_is_resolved_without_any_network_call(
    make_engine, upstream, provider
) -> None:
    api(upstream, provider).enqueue_models_fault(Fault.stall(20))  # would hang if asked
    for model in (MODELS[provider], MODELS[provider].upper()):  # ids match case-insensitively
        request = GenerationRequest("x", provider=provider, model=model)
        done = final(await run(make_engine(), request))
        assert isinstance(done, DoneEvent) and done.result.model == MODELS[provider]
    assert model_listings(api(upstream, provider)) == []


async def test_model_list_is_cached(make_engine, upstream) -> None:
    upstream.openai.models = ["gpt-7-preview"]
    engine = make_engine()
    request = GenerationRequest("x", provider="openai", model="gpt-7-preview")
    async with engine:
        for _ in range(3):
            async for _event in engine.generate(request):
                pass
    assert len(model_listings(upstream.openai)) == 1
    assert len(generations(upstream.openai)) == 3


async def test_a_stalled_model_list_is_given_up_on_and_the_failure_cached(
    make_engine, upstream, caplog
) -> None:
    """/v1/models never answers: SPARK waits SPARK_MODELS_TIMEOUT (not the long read
    timeout) once, then remembers the failure for the cache's time-to-live."""
    upstream.openai.enqueue_models_fault(Fault.stall(20), Fault.stall(20))
    engine = make_engine(read_timeout=30.0, models_timeout=0.3)
    request = GenerationRequest("x", provider="openai", model="gpt-7-preview")
    async with engine:
        for _ in range(3):
            events = [e async for e in engine.generate(request)]
            assert isinstance(final(events), DoneEvent)  # the provider decided
    assert "could not list openai models in 0.3 s" in caplog.text
    assert len(model_listings(upstream.openai)) == 1
    assert len(generations(upstream.openai)) == 3


async def test_a_failed_model_list_is_asked_again_after_the_time_to_live(
    make_engine, upstream
) -> None:
    upstream.openai.enqueue_models_fault(Fault.server(500))
    upstream.openai.models = ["gpt-7-preview"]
    engine = make_engine(models_cache_seconds=0)
    request = GenerationRequest("x", provider="openai", model="gpt-7-nope")
    async with engine:
        first = final([e async for e in engine.generate(request)])
        second = final([e async for e in engine.generate(request)])
    assert isinstance(first, DoneEvent)  # no list: the provider decided (the fake serves all)
    assert isinstance(second, ErrorEvent) and "Unknown model 'gpt-7-nope'" in second.error.message
    assert len(model_listings(upstream.openai)) == 2


async def test_concurrent_generations_share_one_model_list_request(make_engine, upstream) -> None:
    import asyncio

    upstream.openai.models = ["gpt-7-preview"]
    upstream.openai.latency = 0.2
    engine = make_engine()
    request = GenerationRequest("x", provider="openai", model="gpt-7-preview")

    async def one() -> Any:
        return final([e async for e in engine.generate(request)])

    async with engine:
        results = await asyncio.gather(*(one() for _ in range(4)))
    assert all(isinstance(r, DoneEvent) for r in results)
    assert len(model_listings(upstream.openai)) == 1


async def test_conversation_history_is_sent(make_engine, upstream) -> None:
    history = (
        ChatMessage("user", "a rotator"),
        ChatMessage("assistant", "```csharp\nclass R {}\n```"),
    )
    request = GenerationRequest(
        "also make it bob up and down",
        provider="anthropic",
        model=MODELS["anthropic"],
        history=history,
    )
    await run(make_engine(), request)
    sent = upstream.anthropic.last.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[-1]["content"] == "also make it bob up and down"


async def test_reply_without_code_fails_clearly(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Reply("Sorry, I can only chat about the weather."))
    error = final(await run(make_engine(), ask(provider)))
    assert isinstance(error, ErrorEvent)
    assert error.error.kind is ErrorKind.NO_CODE
    assert error.usage.output_tokens > 0  # what was billed is still reported


async def test_repair_round_fixes_syntax_errors(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Reply(BROKEN), Reply(FIXED))
    events = await run(make_engine(), ask(provider))
    done = final(events)
    assert isinstance(done, DoneEvent)
    repair = next(e for e in events if isinstance(e, RepairEvent))
    assert "expected ';'" in repair.findings
    assert done.result.repair_rounds == 1
    assert done.result.validation.ok
    assert "[SerializeField]" in done.result.code
    last_request = api(upstream, provider).last.body["messages"]
    assert "validator" in last_request[-1]["content"]
    assert sum(isinstance(e, ValidationEvent) for e in events) == 2
    assert len(generations(api(upstream, provider))) == 2
    assert not done.result.validation_before_repair.ok
    # Each round's usage adds to the generation's totals.
    assert done.result.usage.input_tokens == 2 * 42


async def test_still_broken_after_repair_returns_the_code_marked_invalid(
    make_engine, upstream, provider
) -> None:
    api(upstream, provider).enqueue(Reply(BROKEN), Reply(BROKEN))
    done = final(await run(make_engine(), ask(provider)))
    assert isinstance(done, DoneEvent)  # not an error: the user still gets the code
    assert done.result.repair_rounds == 1
    assert not done.result.validation.ok
    assert "int x = 1" in done.result.code
    assert len(generations(api(upstream, provider))) == 2


FIXABLE = """```csharp
using System.Collections;
public class Coin : MonoBehaviour
{
    void OnTriggerEnter(Collider other)
    {
        if (other.tag == "Player") Destroy(gameObject);
    }
}
```"""


async def test_automatic_fixes_come_before_a_repair_round(make_engine, upstream, provider) -> None:
    # The missing `using UnityEngine;` is an error, and the tag comparison a finding: both are
    # fixed without asking the model again.
    api(upstream, provider).enqueue(Reply(FIXABLE))
    events = await run(make_engine(), ask(provider))
    done = final(events)
    assert isinstance(done, DoneEvent)
    result = done.result
    assert result.repair_rounds == 0 and not any(isinstance(e, RepairEvent) for e in events)
    assert len(generations(api(upstream, provider))) == 1
    assert result.code.startswith("using UnityEngine;\nusing System.Collections;\n")
    assert 'other.CompareTag("Player")' in result.code
    assert result.validation.ok and result.validation.diagnostics == ()
    assert [f.rule_id for f in result.validation.fixed] == ["SPK004", "SPK009"]
    assert result.validation.summary() == "OK — 0 errors, 0 warnings, 2 fixed"
    diff = result.validation.fixes_diff(result.code, result.file_name)
    assert "+using UnityEngine;" in diff and '+        if (other.CompareTag("Player"))' in diff
    [validation] = [e for e in events if isinstance(e, ValidationEvent)]
    assert validation.report is result.validation


async def test_repair_can_be_turned_off(make_engine, upstream, provider) -> None:
    api(upstream, provider).enqueue(Reply(BROKEN))
    done = final(await run(make_engine(repair_rounds=0), ask(provider)))
    assert isinstance(done, DoneEvent)
    assert not done.result.validation.ok
    assert done.result.repair_rounds == 0


async def test_secret_never_in_error_messages(make_engine, upstream) -> None:
    upstream.openai.enqueue(Fault.bad_request(message="bad key test-key-openai-456 was used"))
    error = final(await run(make_engine(), ask("openai")))
    assert "test-key-openai-456" not in error.error.message
    assert "test-key-openai-456" not in (error.error.hint or "")


async def test_system_prompt_targets_the_configured_unity(make_engine, upstream, provider) -> None:
    await run(make_engine(unity_version="2022.3", input_system="new"), ask(provider))
    body = api(upstream, provider).last.body
    system = body["system"] if provider == "anthropic" else body["messages"][0]["content"]
    assert "Unity 2022.3" in system
    assert "```csharp" in system
    assert "Input System package only" in system
    assert "[SerializeField] private" in system
