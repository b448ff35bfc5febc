"""The fake upstream, driven by the real Anthropic and OpenAI SDKs.

These pin down both the fake and what the SDKs make of each answer (which exception, where the
error type and code live), which is what the providers translate into `AIError`.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from tests.conftest import TLS_CONTEXT, NetworkBlockedError
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply

MESSAGES: Any = [{"role": "user", "content": "make a coin spin"}]


@pytest.fixture
async def claude(upstream: FakeUpstream) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="test-key",
        base_url=upstream.anthropic_base_url,
        max_retries=0,
        timeout=2.0,
        http_client=anthropic.DefaultAsyncHttpxClient(verify=TLS_CONTEXT),
        _strict_response_validation=True,  # the fake's bodies must match the SDK's types
    ) as client:
        yield client


@pytest.fixture
async def gpt(upstream: FakeUpstream) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        api_key="test-key",
        base_url=upstream.openai_base_url,
        max_retries=0,
        timeout=2.0,
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS_CONTEXT),
        _strict_response_validation=True,
    ) as client:
        yield client


async def claude_create(client: anthropic.AsyncAnthropic, **kw: Any) -> anthropic.types.Message:
    args = {"model": "claude-sonnet-5-5", "max_tokens": 1024, "messages": MESSAGES} | kw
    return await client.messages.create(**args)


async def gpt_create(client: openai.AsyncOpenAI, **kw: Any) -> Any:
    return await client.chat.completions.create(**{"model": "gpt-4o", "messages": MESSAGES} | kw)


async def claude_stream(client: anthropic.AsyncAnthropic, texts: list[str]) -> None:
    stream = await claude_create(client, stream=True)
    async for event in stream:  # type: ignore[attr-defined]
        if event.type == "content_block_delta":
            texts.append(event.delta.text)


async def gpt_stream(client: openai.AsyncOpenAI, texts: list[str]) -> None:
    stream = await gpt_create(client, stream=True, stream_options={"include_usage": True})
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            texts.append(chunk.choices[0].delta.content)


# -- replies ------------------------------------------------------------------------------------


async def test_anthropic_stream_text_and_usage(upstream, claude):
    upstream.anthropic.enqueue(
        Reply("Hello from the fake.", chunk_size=5, output_tokens=6, cache_read_tokens=100)
    )
    async with claude.messages.stream(
        model="claude-sonnet-5-5", max_tokens=1024, system="be brief", messages=MESSAGES
    ) as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_message()

    assert texts == ["Hello", " from", " the ", "fake."]
    assert final.stop_reason == "end_turn"
    usage = final.usage
    assert (usage.input_tokens, usage.output_tokens) == (42, 6)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (100, 0)
    request = upstream.anthropic.last
    assert request.path == "/v1/messages"
    assert request.body["system"] == "be brief"
    assert request.stream
    assert request.api_key == "test-key"
    assert request.headers["authorization"] == "Bearer test-key"  # not x-api-key, in SDK 2.x
    assert "anthropic-version" in request.headers


async def test_anthropic_json_reply_is_the_default_unity_script(claude):
    message = await claude_create(claude)
    assert message.content[0].text == DEFAULT_TEXT
    assert "class CoinSpinner : MonoBehaviour" in DEFAULT_TEXT
    assert message.model == "claude-sonnet-5-5"
    assert message.stop_reason == "end_turn"


async def test_anthropic_max_tokens_stop_reason_from_either_vocabulary(upstream, claude):
    upstream.anthropic.enqueue(Reply("cut", stop_reason="length"))
    assert (await claude_create(claude)).stop_reason == "max_tokens"


async def test_openai_stream_text_and_usage(upstream, gpt):
    upstream.openai.enqueue(
        Reply("Hello from the fake.", chunk_size=5, output_tokens=6, cache_read_tokens=100)
    )
    stream = await gpt_create(gpt, stream=True, stream_options={"include_usage": True})
    texts, finish, usage = [], None, None
    async for chunk in stream:
        if chunk.choices:
            texts.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage

    assert "".join(texts) == "Hello from the fake."
    assert finish == "stop"
    assert usage is not None
    # OpenAI's prompt_tokens include the cached ones
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (142, 6, 148)
    assert usage.prompt_tokens_details.cached_tokens == 100
    request = upstream.openai.last
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.headers["authorization"] == "Bearer test-key"


async def test_openai_stream_without_include_usage_has_no_usage(gpt):
    stream = await gpt_create(gpt, stream=True)
    assert all([chunk.usage is None async for chunk in stream])


async def test_openai_json_reply(upstream, gpt):
    upstream.openai.enqueue(Reply("abc", stop_reason="max_tokens", output_tokens=1))
    completion = await gpt_create(gpt)
    assert completion.choices[0].message.content == "abc"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 1


async def test_stream_options_without_stream_is_refused_like_openai(gpt):
    with pytest.raises(openai.BadRequestError, match="stream_options"):
        await gpt_create(gpt, stream_options={"include_usage": True})


async def test_queue_is_consumed_in_order_then_default(upstream, claude):
    upstream.anthropic.enqueue(Reply("one"), Reply("two"))
    texts = [(await claude_create(claude)).content[0].text for _ in range(3)]
    assert texts == ["one", "two", DEFAULT_TEXT]
    assert upstream.anthropic.pending == []
    assert len(upstream.anthropic.history) == 3


async def test_items_scoped_to_a_model_wait_for_it(upstream, claude):
    upstream.anthropic.enqueue(Reply("for haiku", for_model="claude-haiku-5-5"), Reply("next"))
    assert (await claude_create(claude)).content[0].text == "next"
    haiku = await claude_create(claude, model="claude-haiku-5-5")
    assert haiku.content[0].text == "for haiku"


async def test_many_requests_share_the_connection_pool(claude, gpt):
    for _ in range(10):
        await claude_create(claude)
        await gpt_stream(gpt, [])


# -- models -------------------------------------------------------------------------------------


async def test_anthropic_models_list_and_pages(upstream, claude):
    upstream.anthropic.models = ["claude-a-1-20250101", "claude-b-2-20250202", "claude-c-3"]
    page = await claude.models.list(limit=2)
    assert [m.id for m in page.data] == ["claude-a-1-20250101", "claude-b-2-20250202"]
    assert page.has_more
    assert page.data[0].display_name == "Claude A 1"
    assert [m.id async for m in claude.models.list(limit=2)] == upstream.anthropic.models
    assert upstream.openai.history == []


async def test_openai_models_list(upstream, gpt):
    upstream.openai.models = ["gpt-4o", "gpt-4o-mini"]
    assert [m.id async for m in gpt.models.list()] == ["gpt-4o", "gpt-4o-mini"]
    assert upstream.anthropic.history == []


async def test_models_faults_have_their_own_queue(upstream, claude, gpt):
    upstream.anthropic.enqueue_models_fault(Fault.auth())
    upstream.openai.enqueue_models_fault(Fault.server(503))
    with pytest.raises(anthropic.AuthenticationError):
        await claude.models.list()
    with pytest.raises(openai.InternalServerError):
        await gpt.models.list()
    await claude_create(claude)  # generation requests are untouched


# -- HTTP faults --------------------------------------------------------------------------------

# (fault, Anthropic exception, status, error.type, error_code; OpenAI exception, status, type, code)
HTTP_FAULTS = [
    pytest.param(
        Fault.rate_limit(),
        anthropic.RateLimitError, 429, "rate_limit_error", None,
        openai.RateLimitError, 429, "requests", "rate_limit_exceeded",
        id="rate_limit",
    ),
    pytest.param(
        Fault.overloaded(),
        anthropic.OverloadedError, 529, "overloaded_error", None,
        openai.InternalServerError, 503, "server_error", None,
        id="overloaded",
    ),
    pytest.param(
        Fault.server(),
        anthropic.InternalServerError, 500, "api_error", None,
        openai.InternalServerError, 500, "server_error", None,
        id="server_500",
    ),
    pytest.param(
        Fault.server(502),
        anthropic.InternalServerError, 502, "api_error", None,
        openai.InternalServerError, 502, "server_error", None,
        id="server_502",
    ),
    pytest.param(
        Fault.server(503),
        anthropic.ServiceUnavailableError, 503, "api_error", None,
        openai.InternalServerError, 503, "server_error", None,
        id="server_503",
    ),
    pytest.param(
        Fault.server(504),
        anthropic.GatewayTimeoutError, 504, "timeout_error", None,
        openai.InternalServerError, 504, "server_error", None,
        id="server_504",
    ),
    pytest.param(
        Fault.auth(),
        anthropic.AuthenticationError, 401, "authentication_error", None,
        openai.AuthenticationError, 401, "invalid_request_error", "invalid_api_key",
        id="auth",
    ),
    pytest.param(
        Fault.bad_request(),
        anthropic.BadRequestError, 400, "invalid_request_error", None,
        openai.BadRequestError, 400, "invalid_request_error", None,
        id="bad_request",
    ),
    pytest.param(
        Fault.context_too_long(),
        anthropic.BadRequestError, 400, "invalid_request_error", None,
        openai.BadRequestError, 400, "invalid_request_error", "context_length_exceeded",
        id="context_too_long",
    ),
    pytest.param(
        Fault.permission(),
        anthropic.PermissionDeniedError, 403, "permission_error", None,
        openai.PermissionDeniedError, 403, "request_forbidden",
        "unsupported_country_region_territory",
        id="permission",
    ),
    pytest.param(
        Fault.not_found_model(),
        anthropic.NotFoundError, 404, "not_found_error", None,
        openai.NotFoundError, 404, "invalid_request_error", "model_not_found",
        id="not_found_model",
    ),
    pytest.param(
        Fault.too_large(),
        anthropic.ContentTooLargeError, 413, "request_too_large", None,
        openai.APIStatusError, 413, "invalid_request_error", None,
        id="too_large",
    ),
    pytest.param(
        Fault.unprocessable(),
        anthropic.UnprocessableEntityError, 422, "invalid_request_error", None,
        openai.UnprocessableEntityError, 422, "invalid_request_error", None,
        id="unprocessable",
    ),
    pytest.param(
        Fault.billing(),
        anthropic.BadRequestError, 400, "invalid_request_error", None,
        openai.RateLimitError, 429, "insufficient_quota", "insufficient_quota",
        id="billing",
    ),
    pytest.param(
        Fault.insufficient_quota(),
        anthropic.BadRequestError, 400, "invalid_request_error", None,
        openai.RateLimitError, 429, "insufficient_quota", "insufficient_quota",
        id="insufficient_quota",
    ),
    pytest.param(
        Fault.billing(status=402),
        anthropic.PaymentRequiredError, 402, "billing_error", None,
        openai.APIStatusError, 402, "insufficient_quota", "insufficient_quota",
        id="billing_402",
    ),
    pytest.param(
        Fault.status(409),
        anthropic.ConflictError, 409, "conflict_error", None,
        openai.ConflictError, 409, "invalid_request_error", None,
        id="status_409",
    ),
    pytest.param(
        Fault.rate_limit(code="ramp_limit_exceeded"),
        anthropic.RateLimitError, 429, "rate_limit_error", "ramp_limit_exceeded",
        openai.RateLimitError, 429, "requests", "ramp_limit_exceeded",
        id="error_code",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "a_exc", "a_status", "a_type", "a_code", "o_exc", "o_status", "o_type", "o_code"),
    HTTP_FAULTS,
)
async def test_http_fault_maps_to_sdk_exception(
    upstream, claude, gpt, fault, a_exc, a_status, a_type, a_code, o_exc, o_status, o_type, o_code
):
    upstream.anthropic.enqueue(fault)
    upstream.openai.enqueue(fault)

    with pytest.raises(a_exc) as caught:
        await claude_create(claude)
    err = caught.value
    assert (err.status_code, err.type, err.error_code) == (a_status, a_type, a_code)
    assert err.request_id and err.request_id.startswith("req_")
    assert err.body["request_id"] == err.request_id
    assert err.api_message

    with pytest.raises(o_exc) as caught_o:
        await gpt_create(gpt)
    err_o = caught_o.value
    assert (err_o.status_code, err_o.type, err_o.code) == (o_status, o_type, o_code)
    assert err_o.request_id and err_o.request_id.startswith("req_")
    assert set(err_o.body) == {"message", "type", "param", "code"}  # the SDK unwraps "error"


async def test_real_error_messages(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.billing(), Fault.not_found_model())
    upstream.openai.enqueue(Fault.auth(), Fault.not_found_model("gpt-9"))
    with pytest.raises(anthropic.BadRequestError, match="credit balance is too low"):
        await claude_create(claude)
    with pytest.raises(anthropic.NotFoundError) as not_found:
        await claude_create(claude, model="claude-nope")
    assert not_found.value.api_message == "model: claude-nope"
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key provided: test-key"):
        await gpt_create(gpt)
    with pytest.raises(openai.NotFoundError, match="The model `gpt-9` does not exist"):
        await gpt_create(gpt)


async def test_fault_headers_reach_the_exception(upstream, claude, gpt):
    headers = {"retry_after": 2, "retry_after_ms": 1500, "should_retry": False}
    upstream.anthropic.enqueue(Fault.rate_limit(request_id="req_fixed", **headers))
    upstream.openai.enqueue(Fault.rate_limit(request_id="req_fixed", headers={"x-extra": "1"}))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await claude_create(claude)
    got = caught.value.response.headers
    assert (got["retry-after"], got["retry-after-ms"], got["x-should-retry"]) == (
        "2",
        "1500",
        "false",
    )
    assert caught.value.request_id == "req_fixed"
    with pytest.raises(openai.RateLimitError) as caught_o:
        await gpt_create(gpt)
    assert caught_o.value.request_id == "req_fixed"
    assert caught_o.value.response.headers["x-extra"] == "1"
    assert "retry-after" not in caught_o.value.response.headers


async def test_raw_non_json_error_body(upstream, gpt):
    upstream.openai.enqueue(
        Fault.status(502, body="<html>Bad Gateway</html>", content_type="text/html")
    )
    with pytest.raises(openai.InternalServerError) as caught:
        await gpt_create(gpt)
    assert caught.value.body == "<html>Bad Gateway</html>"


async def test_wrong_api_key_is_refused_when_keys_are_set(upstream, claude):
    upstream.anthropic.api_keys = {"the-right-key"}
    with pytest.raises(anthropic.AuthenticationError):
        await claude_create(claude)
    assert upstream.anthropic.history[0].api_key == "test-key"


async def test_fault_on_a_stream_request_is_an_http_error(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.overloaded())
    upstream.openai.enqueue(Fault.rate_limit())
    with pytest.raises(anthropic.OverloadedError):
        await claude_stream(claude, [])
    with pytest.raises(openai.RateLimitError):
        await gpt_stream(gpt, [])


# -- connection faults --------------------------------------------------------------------------


async def test_dropped_connection(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.drop())
    upstream.openai.enqueue(Fault.drop())
    with pytest.raises(anthropic.APIConnectionError) as caught:
        await claude_create(claude)
    assert not isinstance(caught.value, anthropic.APITimeoutError)
    with pytest.raises(openai.APIConnectionError) as caught_o:
        await gpt_create(gpt)
    assert not isinstance(caught_o.value, openai.APITimeoutError)
    await claude_create(claude)  # the server carries on


async def test_stall_times_out(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.stall(1.0))
    upstream.openai.enqueue(Fault.stall(1.0))
    with pytest.raises(anthropic.APITimeoutError):
        await claude_create(claude, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        await gpt_create(gpt, timeout=0.2)


async def test_mid_stream_error_anthropic(upstream, claude):
    upstream.anthropic.enqueue(Fault.mid_stream_error(2, request_id="req_mid", retry_after=3))
    texts: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        await claude_stream(claude, texts)
    assert len(texts) == 2
    err = caught.value
    # an error event inside a 200 stream: the base class, status 200; the type says what it was
    assert type(err) is anthropic.APIStatusError
    assert (err.status_code, err.type) == (200, "overloaded_error")
    assert err.request_id == err.body["request_id"] == "req_mid"
    assert err.response.headers["retry-after"] == "3"  # a mid-stream fault's headers: on the 200


async def test_mid_stream_api_error_anthropic_helper(upstream, claude):
    upstream.anthropic.enqueue(Fault.mid_stream_error(after_chunks=1, error="server"))
    texts: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with claude.messages.stream(
            model="claude-sonnet-5-5", max_tokens=1024, messages=MESSAGES
        ) as stream:
            async for text in stream.text_stream:
                texts.append(text)
    assert len(texts) == 1
    assert caught.value.type == "api_error"


async def test_mid_stream_error_openai_error_chunk(upstream, gpt):
    upstream.openai.enqueue(Fault.mid_stream_error(after_chunks=3))
    texts: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        await gpt_stream(gpt, texts)
    assert len(texts) == 3
    err = caught.value
    # not an APIStatusError: no status code, no request id on the exception
    assert type(err) is openai.APIError
    assert (err.type, err.code) == ("server_error", None)
    assert err.message == "The engine is currently overloaded, please try again later."


async def test_mid_stream_error_openai_drop_mode(upstream, gpt):
    upstream.openai.enqueue(Fault.mid_stream_error(after_chunks=2, openai_mode="drop"))
    texts: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        await gpt_stream(gpt, texts)
    assert len(texts) == 2


async def test_mid_stream_drop(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.mid_stream_drop(after_chunks=2))
    upstream.openai.enqueue(Fault.mid_stream_drop(after_chunks=2))
    texts: list[str] = []
    # the Anthropic SDK does not wrap transport errors raised while a stream is read
    with pytest.raises(httpx2.RemoteProtocolError):
        await claude_stream(claude, texts)
    assert len(texts) == 2
    texts.clear()
    with pytest.raises(openai.APIConnectionError):
        await gpt_stream(gpt, texts)
    assert len(texts) == 2


async def test_anthropic_usage_before_a_mid_stream_error(upstream, claude):
    """`message_start` carries the input tokens before any text: a stream that fails later
    has still reported them; with `after_usage` the `message_delta` usage comes first too."""
    upstream.anthropic.enqueue(
        Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=420)),
        Fault.mid_stream_error(after_usage=True, reply=Reply("x" * 40, output_tokens=9)),
    )
    for expected in [(420, 1), (42, 9)]:
        usages: list[tuple[int, int]] = []
        stream = await claude_create(claude, stream=True)
        with pytest.raises(anthropic.APIStatusError):
            async for event in stream:  # type: ignore[attr-defined]
                if event.type == "message_start":
                    usages.append(
                        (event.message.usage.input_tokens, event.message.usage.output_tokens)
                    )
                elif event.type == "message_delta":
                    usages.append((event.usage.input_tokens or 0, event.usage.output_tokens))
                assert event.type != "message_stop"
        assert usages[-1] == expected


async def test_openai_usage_chunk_before_a_drop(upstream, gpt):
    upstream.openai.enqueue(
        Fault.mid_stream_drop(after_usage=True, reply=Reply("x" * 40, output_tokens=9))
    )
    stream = await gpt_create(gpt, stream=True, stream_options={"include_usage": True})
    usages = []
    with pytest.raises(openai.APIConnectionError):  # no [DONE]: the body was cut
        async for chunk in stream:
            if chunk.usage is not None:
                usages.append((chunk.usage.prompt_tokens, chunk.usage.completion_tokens))
    assert usages == [(42, 9)]


async def test_openai_usage_in_every_chunk(upstream, gpt):
    reply = Reply("abcdefgh", chunk_size=2, input_tokens=30, usage_in_every_chunk=True)
    upstream.openai.enqueue(Fault.mid_stream_error(after_chunks=3, reply=reply))
    stream = await gpt_create(gpt, stream=True, stream_options={"include_usage": True})
    usages = []
    with pytest.raises(openai.APIError):
        async for chunk in stream:
            if chunk.usage is not None:
                usages.append((chunk.usage.prompt_tokens, chunk.usage.completion_tokens))
    assert usages == [(30, 1), (30, 2), (30, 3)]


async def test_mid_stream_stall_hits_the_read_timeout(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.mid_stream_stall(after_chunks=1, seconds=1.0))
    upstream.openai.enqueue(Fault.mid_stream_stall(after_chunks=1, seconds=1.0))
    texts: list[str] = []
    with pytest.raises(httpx2.ReadTimeout):
        await claude_stream(claude.with_options(timeout=0.2), texts)
    assert len(texts) == 1
    with pytest.raises(openai.APITimeoutError):
        await gpt_stream(gpt.with_options(timeout=0.2), [])


async def test_mid_stream_faults_on_plain_requests(upstream, claude, gpt):
    upstream.anthropic.enqueue(Fault.mid_stream_error(), Fault.mid_stream_drop())
    upstream.openai.enqueue(Fault.mid_stream_error())
    with pytest.raises(anthropic.OverloadedError):
        await claude_create(claude)
    with pytest.raises(anthropic.APIConnectionError):
        await claude_create(claude)
    with pytest.raises(openai.InternalServerError):
        await gpt_create(gpt)


# -- timing -------------------------------------------------------------------------------------


async def test_latency_ttft_and_chunk_delay(upstream, claude):
    upstream.anthropic.latency = 0.1
    upstream.anthropic.enqueue(Reply("abcdef", chunk_size=2, ttft=0.15, chunk_delay=0.05))
    start = time.monotonic()
    stream = await claude_create(claude, stream=True)
    headers_at = time.monotonic() - start
    arrivals = []
    async for event in stream:
        if event.type == "content_block_delta":
            arrivals.append(time.monotonic() - start)
    assert 0.1 <= headers_at < 0.6  # generous upper bounds: CI machines are slow
    assert 0.25 <= arrivals[0] < 1.0
    assert arrivals[2] - arrivals[0] >= 0.09


async def test_non_streamed_reply_waits_for_the_whole_generation(upstream, gpt):
    upstream.openai.ttft = 0.1
    upstream.openai.enqueue(Reply("abcd", chunk_size=1, chunk_delay=0.05))
    start = time.monotonic()
    await gpt_create(gpt)
    assert time.monotonic() - start >= 0.25


# -- the server itself --------------------------------------------------------------------------


async def test_unknown_route_is_a_404_and_recorded(upstream, gpt):
    with pytest.raises(openai.NotFoundError):
        await gpt.embeddings.create(model="text-embedding-3-small", input="x")
    assert upstream.unhandled[0].path == "/v1/embeddings"


def test_stop_is_quick_even_with_a_stall_in_progress():
    with FakeUpstream() as up:
        up.openai.enqueue(Fault.stall(30))
        host, port = up.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            body = json.dumps({"model": "m", "messages": []}).encode()
            head = (
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            deadline = time.monotonic() + 2
            while not up.openai.history and time.monotonic() < deadline:
                time.sleep(0.01)
            start = time.monotonic()
            up.stop()
            assert time.monotonic() - start < 1
            sock.settimeout(1)
            assert sock.recv(100) == b""  # closed without a response


def test_a_bug_in_the_fake_is_answered_500_and_kept():
    with FakeUpstream() as up:
        up.openai.default_reply = "not a Reply"  # type: ignore[assignment]
        host, port = up.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            body = b'{"model": "m", "messages": []}'
            head = (
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            assert sock.recv(100).startswith(b"HTTP/1.1 500")
        assert isinstance(up.errors[0], AttributeError)


def test_network_outside_loopback_is_blocked(blocked_network):
    with pytest.raises(NetworkBlockedError, match=r"only reach 127\.0\.0\.1"):
        socket.create_connection(("203.0.113.7", 443), timeout=0.1)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("api.anthropic.com", 443)
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.connect(("203.0.113.7", 443))
    assert blocked_network == ["203.0.113.7", "api.anthropic.com", ("203.0.113.7", 443)]
    blocked_network.clear()


async def test_sdk_calls_outside_loopback_are_refused_and_recorded(blocked_network):
    async with anthropic.AsyncAnthropic(api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.APIConnectionError) as caught:
            await claude_create(client)
    # the SDK wraps the refusal; the record is what fails an unsuspecting test at teardown
    assert isinstance(caught.value.__cause__, NetworkBlockedError)
    assert blocked_network == ["api.anthropic.com"]
    blocked_network.clear()


async def test_conftest_clients_reach_the_fake(upstream, anthropic_client, openai_client):
    await claude_create(anthropic_client)
    await gpt_create(openai_client)
    assert len(upstream.anthropic.history) == len(upstream.openai.history) == 1


def test_secrets_and_home_are_isolated(_isolate_environment):
    import os

    assert not any(name.startswith(("ANTHROPIC_", "OPENAI_", "SPARK_")) for name in os.environ)
    assert os.environ["HOME"] == str(_isolate_environment)
