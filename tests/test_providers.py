"""The SDK providers against the fake upstream: streaming, usage, request shape, error mapping.

Every test drives the real official SDK over a real socket; only the server is fake.
"""

from __future__ import annotations

import anthropic
import openai
import pytest

from spark.errors import AIError, ErrorKind
from spark.providers.anthropic import AnthropicProvider
from spark.providers.base import ChatMessage, Chunk, Provider, StreamOptions
from spark.providers.openai import OpenAIProvider
from spark.usage import Usage
from tests.fakes.upstream import FakeUpstream, Fault, Reply

OPTIONS = StreamOptions(system="You are SPARK.", max_tokens=512)
HELLO = [ChatMessage("user", "a coin that spins")]


@pytest.fixture(params=["anthropic", "openai"])
def provider_and_api(
    request: pytest.FixtureRequest,
    upstream: FakeUpstream,
    anthropic_client: anthropic.AsyncAnthropic,
    openai_client: openai.AsyncOpenAI,
) -> tuple[Provider, object, str]:
    if request.param == "anthropic":
        return AnthropicProvider(anthropic_client), upstream.anthropic, "claude-sonnet-5-5"
    return OpenAIProvider(openai_client), upstream.openai, "gpt-6.2-sol"


async def collect(provider: Provider, model: str) -> tuple[str, Chunk]:
    text, final = "", None
    async for chunk in provider.stream(HELLO, model, OPTIONS):
        if chunk.final:
            final = chunk
        else:
            text += chunk.text
    assert final is not None
    return text, final


async def failure(provider: Provider, model: str) -> AIError:
    with pytest.raises(AIError) as info:
        await collect(provider, model)
    return info.value


async def test_stream_text_usage_and_stop_reason(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(
        Reply("Hello Unity world, " * 5, input_tokens=30, output_tokens=25, cache_read_tokens=7)
    )
    text, final = await collect(provider, model)
    assert text == "Hello Unity world, " * 5
    assert final.usage == Usage(input_tokens=30, output_tokens=25, cache_read_tokens=7)
    assert final.stop_reason == "end"


async def test_anthropic_cache_write_and_max_tokens(upstream, anthropic_client) -> None:
    upstream.anthropic.enqueue(
        Reply(
            "cut",
            input_tokens=5,
            output_tokens=512,
            cache_write_tokens=100,
            stop_reason="max_tokens",
        )
    )
    _, final = await collect(AnthropicProvider(anthropic_client), "claude-sonnet-5-5")
    assert final.usage == Usage(input_tokens=5, output_tokens=512, cache_write_tokens=100)
    assert final.stop_reason == "max_tokens"


async def test_openai_length_stop_reason(upstream, openai_client) -> None:
    upstream.openai.enqueue(Reply("cut", stop_reason="length"))
    _, final = await collect(OpenAIProvider(openai_client), "gpt-6.2-sol")
    assert final.stop_reason == "max_tokens"


async def test_anthropic_request_shape(upstream, anthropic_client) -> None:
    await collect(AnthropicProvider(anthropic_client), "claude-sonnet-5-5")
    body = upstream.anthropic.last.body
    assert body["system"] == "You are SPARK."
    assert body["max_tokens"] == 512
    assert body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "a coin that spins"}]
    assert "temperature" not in body


async def test_openai_request_shape(upstream, openai_client) -> None:
    await collect(OpenAIProvider(openai_client), "gpt-6.2-sol")
    body = upstream.openai.last.body
    assert body["messages"][0] == {"role": "system", "content": "You are SPARK."}
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 512
    assert "max_tokens" not in body


async def test_compatible_server_gets_max_tokens(upstream, openai_client) -> None:
    provider = OpenAIProvider(openai_client, name="openai_compat", compatible=True)
    await collect(provider, "qwen2.5-coder:7b")
    assert upstream.openai.last.body["max_tokens"] == 512


@pytest.mark.parametrize(
    ("fault", "kind", "retryable", "status"),
    [
        (Fault.rate_limit(), ErrorKind.RATE_LIMIT, True, 429),
        (Fault.server(500), ErrorKind.SERVER, True, 500),
        (Fault.server(502), ErrorKind.SERVER, True, 502),
        (Fault.server(503), ErrorKind.SERVER, True, 503),
        (Fault.server(504), ErrorKind.SERVER, True, 504),
        (Fault.status(408), ErrorKind.TIMEOUT, True, 408),
        (Fault.status(409), ErrorKind.CONFLICT, True, 409),
        (Fault.auth(), ErrorKind.AUTH, False, 401),
        (Fault.bad_request(), ErrorKind.BAD_REQUEST, False, 400),
        (Fault.permission(), ErrorKind.PERMISSION, False, 403),
        (Fault.not_found_model(), ErrorKind.NOT_FOUND, False, 404),
        (Fault.too_large(), ErrorKind.TOO_LARGE, False, 413),
        (Fault.unprocessable(), ErrorKind.BAD_REQUEST, False, 422),
    ],
)
async def test_http_faults(provider_and_api, fault, kind, retryable, status) -> None:
    provider, api, model = provider_and_api
    api.enqueue(fault)
    error = await failure(provider, model)
    assert (error.kind, error.retryable, error.status) == (kind, retryable, status)
    assert error.provider == provider.name
    assert error.hint


async def test_anthropic_overloaded_529(upstream, anthropic_client) -> None:
    upstream.anthropic.enqueue(Fault.overloaded())
    error = await failure(AnthropicProvider(anthropic_client), "claude-sonnet-5-5")
    assert (error.kind, error.retryable, error.status) == (ErrorKind.OVERLOADED, True, 529)
    assert error.error_type == "overloaded_error"
    assert "overloaded" in error.message


async def test_quota_is_never_retried(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.insufficient_quota(retry_after=1))
    error = await failure(provider, model)
    assert error.kind is ErrorKind.QUOTA
    assert not error.retryable
    assert "credit" in error.message or "quota" in error.message
    assert "billing" in (error.hint or "")


async def test_anthropic_payment_required_402(upstream, anthropic_client) -> None:
    upstream.anthropic.enqueue(Fault.billing(status=402))
    error = await failure(AnthropicProvider(anthropic_client), "claude-sonnet-5-5")
    assert (error.kind, error.retryable) == (ErrorKind.QUOTA, False)


async def test_openai_429_rate_limit_is_not_quota(upstream, openai_client) -> None:
    upstream.openai.enqueue(Fault.rate_limit(retry_after=2))
    error = await failure(OpenAIProvider(openai_client), "gpt-6.2-sol")
    assert (error.kind, error.retryable, error.retry_after) == (ErrorKind.RATE_LIMIT, True, 2.0)


async def test_retry_after_ms_wins(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.rate_limit(retry_after=9, retry_after_ms=1500))
    assert (await failure(provider, model)).retry_after == 1.5


@pytest.mark.parametrize(
    ("verdict", "fault"), [(False, Fault.server(500)), (True, Fault.status(400))]
)
async def test_x_should_retry_overrides_status(provider_and_api, verdict, fault) -> None:
    provider, api, model = provider_and_api
    fault.should_retry = verdict
    api.enqueue(fault)
    assert (await failure(provider, model)).retryable is verdict


async def test_request_id_is_kept(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.server(500, request_id="req_abc123"))
    assert (await failure(provider, model)).request_id == "req_abc123"


async def test_dropped_connection(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.drop())
    error = await failure(provider, model)
    assert (error.kind, error.retryable) == (ErrorKind.CONNECTION, True)
    assert "127.0.0.1" in error.message


async def test_stall_times_out(upstream) -> None:
    client = anthropic.AsyncAnthropic(
        api_key="k", base_url=upstream.anthropic_base_url, max_retries=0, timeout=0.3
    )
    upstream.anthropic.enqueue(Fault.stall(1.0))
    async with client:
        error = await failure(AnthropicProvider(client), "claude-sonnet-5-5")
    assert (error.kind, error.retryable) == (ErrorKind.TIMEOUT, True)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault.status(408), "timed out waiting for the request (408)"),
        (Fault.status(409), "reported a conflict with another request (409)"),
    ],
)
async def test_408_and_409_say_what_they_are(provider_and_api, fault, words) -> None:
    provider, api, model = provider_and_api
    api.enqueue(fault)
    error = await failure(provider, model)
    assert words in error.message
    assert "server error" not in error.message


@pytest.mark.parametrize("error", ["overloaded", "server"])
async def test_anthropic_error_event_mid_stream(upstream, anthropic_client, error) -> None:
    upstream.anthropic.enqueue(
        Fault.mid_stream_error(after_chunks=2, error=error, reply=Reply(input_tokens=420))
    )
    provider = AnthropicProvider(anthropic_client)
    seen = []
    usage = []
    with pytest.raises(AIError) as info:
        async for chunk in provider.stream(HELLO, "claude-sonnet-5-5", OPTIONS):
            if chunk.text:
                seen.append(chunk.text)
            if chunk.usage is not None:
                usage.append(chunk.usage)
    assert len(seen) == 2  # the tokens before the failure were delivered
    # message_start's usage was passed on before the failure: that much was billed
    assert usage == [Usage(input_tokens=420, output_tokens=1)]
    assert info.value.retryable
    assert info.value.status is None
    assert info.value.kind is (ErrorKind.OVERLOADED if error == "overloaded" else ErrorKind.STREAM)


@pytest.mark.parametrize("mode", ["error_chunk", "drop"])
async def test_openai_mid_stream_failure(upstream, openai_client, mode) -> None:
    upstream.openai.enqueue(Fault.mid_stream_error(after_chunks=3, openai_mode=mode))
    seen = []
    with pytest.raises(AIError) as info:
        async for chunk in OpenAIProvider(openai_client).stream(HELLO, "gpt-6.2-sol", OPTIONS):
            seen.append(chunk.text)
    assert len(seen) == 3
    assert info.value.retryable


async def test_a_cut_stream_is_a_stream_error_not_a_connection_error(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.mid_stream_drop(after_chunks=1))
    error = await failure(provider, model)
    assert error.retryable
    assert error.kind is ErrorKind.STREAM
    assert "stream broke off before the reply was complete" in error.message
    assert "Could not reach" not in error.message


async def test_an_unreachable_provider_is_a_connection_error(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.drop())  # no answer at all
    error = await failure(provider, model)
    assert error.kind is ErrorKind.CONNECTION and "Could not reach" in error.message


async def test_usage_reported_before_a_cut_is_passed_on(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(
        Fault.mid_stream_drop(after_usage=True, reply=Reply(input_tokens=77, output_tokens=9))
    )
    usage = []
    with pytest.raises(AIError) as info:
        async for chunk in provider.stream(HELLO, model, OPTIONS):
            if chunk.usage is not None:
                usage.append(chunk.usage)
    assert info.value.kind is ErrorKind.STREAM
    assert usage[-1] == Usage(input_tokens=77, output_tokens=9)


async def test_openai_compatible_usage_in_every_chunk(upstream, openai_client) -> None:
    reply = Reply("abcdefgh", chunk_size=2, input_tokens=30, usage_in_every_chunk=True)
    upstream.openai.enqueue(Fault.mid_stream_error(after_chunks=3, reply=reply))
    usage = []
    with pytest.raises(AIError):
        async for chunk in OpenAIProvider(openai_client).stream(HELLO, "gpt-6.2-sol", OPTIONS):
            if chunk.usage is not None:
                usage.append(chunk.usage.output_tokens)
    assert usage == [1, 2, 3]


async def test_list_models(provider_and_api) -> None:
    provider, api, _ = provider_and_api
    api.models = ["model-a", "model-b"]
    assert await provider.list_models() == ["model-a", "model-b"]


async def test_list_models_failure_is_an_aierror(provider_and_api) -> None:
    provider, api, _ = provider_and_api
    api.enqueue_models_fault(Fault.auth())
    with pytest.raises(AIError) as info:
        await provider.list_models()
    assert info.value.kind is ErrorKind.AUTH


async def test_key_text_never_leaks_into_messages(upstream, openai_client) -> None:
    upstream.openai.enqueue(
        Fault.auth(message="Incorrect API key provided: sk-proj-abcdef123456. Find your key...")
    )
    error = await failure(OpenAIProvider(openai_client), "gpt-6.2-sol")
    assert "sk-proj" not in error.message
    assert "abcdef123456" not in f"{error.message} {error.hint}"


async def test_deprecated_model_does_not_warn(upstream, anthropic_client) -> None:
    # The SDK warns about models it considers deprecated; SPARK labels them itself.
    await collect(AnthropicProvider(anthropic_client), "claude-sonnet-4-5")
