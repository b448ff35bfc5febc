"""The providers' own reading of the SSE body, against the fake upstream over loopback HTTP.

The SDK sends the request and the provider reads the stream: these bodies are served as they are
written here (a 200 `text/event-stream` whose body the fake sends verbatim), so that framing,
broken data and mid-stream errors reach the provider exactly as a server would send them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

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
CLAUDE, GPT = "claude-sonnet-5-5", "gpt-6.2-sol"

Event = tuple[str | None, object]  # (event name, data: a JSON value or a raw string)


def _message_start(input_tokens: int = 12, cache_read: int = 3) -> Event:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cache_read,
        "output_tokens": 1,
    }
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": CLAUDE,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return ("message_start", {"type": "message_start", "message": message})


def _text(text: str) -> Event:
    delta = {"type": "text_delta", "text": text}
    return ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})


ANTHROPIC_HEAD: list[Event] = [
    _message_start(),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {}}),
    ("ping", {"type": "ping"}),
    _text("Hello "),
    _text("world\u2028!"),
]
ANTHROPIC_TAIL: list[Event] = [
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]
ANTHROPIC_REPLY = ANTHROPIC_HEAD + ANTHROPIC_TAIL


def _chunk(delta: dict[str, object] | None, finish: str | None = None, **extra: object) -> Event:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": GPT}
    return (None, chunk | {"choices": choices} | extra)


OPENAI_HEAD: list[Event] = [
    _chunk({"role": "assistant", "content": ""}, usage=None),
    _chunk({"content": "Hello "}, usage=None),
    _chunk({"content": "world\u2028!"}, usage=None),
]
OPENAI_USAGE = {
    "prompt_tokens": 15,
    "completion_tokens": 5,
    "total_tokens": 20,
    "prompt_tokens_details": {"cached_tokens": 3},
}
OPENAI_TAIL: list[Event] = [
    _chunk({}, "stop", usage=None),
    _chunk(None, usage=OPENAI_USAGE),
    (None, "[DONE]"),
]
OPENAI_REPLY = OPENAI_HEAD + OPENAI_TAIL

EXPECTED_TEXT = "Hello world\u2028!"
EXPECTED_USAGE = Usage(input_tokens=12, output_tokens=5, cache_read_tokens=3)


def _data(value: object, *, indent: int | None = None) -> str:
    # ensure_ascii=False: U+2028 is sent raw, as many servers do (it must not end a line)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=indent)


def sse(events: list[Event]) -> str:
    return "".join(
        (f"event: {name}\n" if name else "") + f"data: {_data(data)}\n\n" for name, data in events
    )


def _multiline(events: list[Event]) -> str:
    # pretty-printed JSON: one data line per JSON line, joined again with "\n" by the reader
    out = []
    for name, data in events:
        lines = _data(data, indent=1).split("\n")
        out.append((f"event: {name}\n" if name else "") + "".join(f"data: {x}\n" for x in lines))
    return "\n".join(out) + "\n"


def _decorated(events: list[Event]) -> str:
    out = [": a comment\n", "retry: 3000\n\n"]
    for i, (name, data) in enumerate(events):
        out.append(f"id: {i}\n" + (f"event:{name}\n" if name else "") + f"data:{_data(data)}\n")
        out.append(": keep-alive\n\n")
    return "".join(out)


FRAMINGS: dict[str, Callable[[list[Event]], str]] = {
    "canonical": sse,
    "crlf": lambda events: sse(events).replace("\n", "\r\n"),
    "cr": lambda events: sse(events).replace("\n", "\r"),
    "data over several lines": _multiline,
    "no spaces, comments, ids, retry": _decorated,
    "byte order mark": lambda events: "\ufeff" + sse(events),
}


def raw(body: str, **kw: object) -> Fault:
    """A 200 stream whose body is `body`, sent as it is."""
    return Fault.status(200, body=body, content_type="text/event-stream; charset=utf-8", **kw)


async def collect(provider: Provider, model: str) -> tuple[str, Chunk, list[Usage]]:
    text, final, usages = "", None, []
    async for chunk in provider.stream(HELLO, model, OPTIONS):
        if chunk.final:
            final = chunk
        else:
            text += chunk.text
            if chunk.usage is not None:
                usages.append(chunk.usage)
    assert final is not None
    return text, final, usages


async def failure(provider: Provider, model: str) -> tuple[AIError, str, list[Usage]]:
    text, usages = "", []
    with pytest.raises(AIError) as info:
        async for chunk in provider.stream(HELLO, model, OPTIONS):
            text += chunk.text
            if chunk.usage is not None:
                usages.append(chunk.usage)
    return info.value, text, usages


@pytest.fixture
def claude(anthropic_client: anthropic.AsyncAnthropic) -> AnthropicProvider:
    return AnthropicProvider(anthropic_client)


@pytest.fixture(params=["openai", "openai_compat"])
def gpt(request: pytest.FixtureRequest, openai_client: openai.AsyncOpenAI) -> OpenAIProvider:
    if request.param == "openai":
        return OpenAIProvider(openai_client)
    return OpenAIProvider(openai_client, name="openai_compat", compatible=True)


@pytest.fixture(params=["anthropic", "openai"])
def provider_and_api(request, upstream, anthropic_client, openai_client):
    if request.param == "anthropic":
        return AnthropicProvider(anthropic_client), upstream.anthropic, CLAUDE
    return OpenAIProvider(openai_client), upstream.openai, GPT


# -- framing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
async def test_anthropic_framing(upstream: FakeUpstream, claude, framing: str) -> None:
    upstream.anthropic.enqueue(raw(FRAMINGS[framing](ANTHROPIC_REPLY)))
    text, final, _ = await collect(claude, CLAUDE)
    assert (text, final.usage, final.stop_reason) == (EXPECTED_TEXT, EXPECTED_USAGE, "end")


@pytest.mark.parametrize("framing", FRAMINGS)
async def test_openai_framing(upstream: FakeUpstream, gpt, framing: str) -> None:
    upstream.openai.enqueue(raw(FRAMINGS[framing](OPENAI_REPLY)))
    text, final, _ = await collect(gpt, GPT)
    assert (text, final.usage, final.stop_reason) == (EXPECTED_TEXT, EXPECTED_USAGE, "end")


@pytest.mark.parametrize("suffix", ["\n\n", "\n"], ids=["no line end", "one line end"])
async def test_anthropic_last_event_not_closed_is_a_broken_stream(upstream, claude, suffix):
    """The body ends before the blank line that closes message_stop: cut, as far as anyone
    can tell (the standard drops such an event): a broken stream, retried."""
    upstream.anthropic.enqueue(raw(sse(ANTHROPIC_REPLY).removesuffix(suffix)))
    failed, text, _ = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable) == (ErrorKind.STREAM, True)
    assert "stream broke off before the reply was complete" in failed.message
    assert text == EXPECTED_TEXT


@pytest.mark.parametrize("suffix", ["\n\n", "\n"], ids=["no line end", "one line end"])
async def test_openai_done_not_closed_still_ends_the_reply(upstream, gpt, suffix) -> None:
    """Only ``[DONE]`` is lost: the finish reason came in a closed event before it."""
    upstream.openai.enqueue(raw(sse(OPENAI_REPLY).removesuffix(suffix)))
    text, final, _ = await collect(gpt, GPT)
    assert (text, final.usage, final.stop_reason) == (EXPECTED_TEXT, EXPECTED_USAGE, "end")


async def test_anthropic_ignores_unknown_and_unnamed_events(upstream, claude) -> None:
    extra: list[Event] = [
        ("content_block_delta", {"type": "content_block_delta", "delta": {"type": "thinking"}}),
        ("future_event", {"type": "future_event", "x": [1]}),
        (None, {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "no"}}),
    ]
    upstream.anthropic.enqueue(raw(sse(ANTHROPIC_HEAD + extra + ANTHROPIC_TAIL)))
    text, final, _ = await collect(claude, CLAUDE)
    assert (text, final.usage) == (EXPECTED_TEXT, EXPECTED_USAGE)


async def test_openai_reads_nothing_after_done(upstream, gpt) -> None:
    after: list[Event] = [(None, "not json"), _chunk({"content": "late"})]
    upstream.openai.enqueue(raw(sse(OPENAI_REPLY + after)))
    text, final, _ = await collect(gpt, GPT)
    assert (text, final.usage) == (EXPECTED_TEXT, EXPECTED_USAGE)


async def test_openai_without_done_ends_at_the_body_end(upstream, gpt) -> None:
    upstream.openai.enqueue(raw(sse(OPENAI_REPLY[:-1])))  # some local servers stop at finish
    text, final, _ = await collect(gpt, GPT)
    assert (text, final.usage, final.stop_reason) == (EXPECTED_TEXT, EXPECTED_USAGE, "end")


@pytest.mark.parametrize("cache_write", [0, 40])
async def test_usage_with_cache_reads_and_writes(provider_and_api, cache_write: int) -> None:
    provider, api, model = provider_and_api
    api.enqueue(
        Reply(
            "x" * 40,
            input_tokens=20,
            output_tokens=9,
            cache_read_tokens=7,
            cache_write_tokens=cache_write,
        )
    )
    _, final, _ = await collect(provider, model)
    assert final.usage == Usage(
        input_tokens=20, output_tokens=9, cache_read_tokens=7, cache_write_tokens=cache_write
    )


# -- errors inside the stream -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"type": "overloaded_error", "message": "Overloaded"}, ErrorKind.OVERLOADED),
        ({"type": "api_error", "message": "Internal server error"}, ErrorKind.STREAM),
        ({"type": "rate_limit_error", "message": "Slow down"}, ErrorKind.RATE_LIMIT),
    ],
)
async def test_anthropic_error_event(upstream, claude, error, kind) -> None:
    body = {"type": "error", "error": error | {"details": {"error_code": "e_1"}}}
    upstream.anthropic.enqueue(
        raw(sse([*ANTHROPIC_HEAD, ("error", body)]), request_id="req_from_header")
    )
    failed, text, usages = await failure(claude, CLAUDE)
    assert text == EXPECTED_TEXT  # what came before the error was delivered
    assert usages == [Usage(input_tokens=12, output_tokens=1, cache_read_tokens=3)]
    assert (failed.kind, failed.retryable, failed.status) == (kind, True, None)
    assert (failed.error_type, failed.error_code) == (error["type"], "e_1")
    assert failed.request_id == "req_from_header"
    assert failed.provider == "anthropic"


async def test_anthropic_error_event_that_is_not_json(upstream, claude) -> None:
    upstream.anthropic.enqueue(raw(sse([*ANTHROPIC_HEAD, ("error", "upstream exploded")])))
    failed, _, _ = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable, failed.error_type) == (ErrorKind.STREAM, True, None)
    assert "The Anthropic stream failed mid-reply." in failed.message


async def test_anthropic_error_event_of_a_permanent_kind(upstream, claude) -> None:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "Bad."}}
    upstream.anthropic.enqueue(raw(sse([*ANTHROPIC_HEAD, ("error", body)])))
    failed, _, _ = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable) == (ErrorKind.STREAM, False)
    assert "Anthropic said: Bad." in failed.message


@pytest.mark.parametrize("verdict", [True, False])
async def test_x_should_retry_on_the_stream_decides(upstream, claude, verdict: bool) -> None:
    upstream.anthropic.enqueue(Fault.mid_stream_error(after_chunks=1, should_retry=verdict))
    failed, _, _ = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable) == (ErrorKind.OVERLOADED, verdict)


@pytest.mark.parametrize(
    ("error", "kind", "retryable", "message"),
    [
        (
            {"type": "server_error", "code": "e_1", "message": "The server had an error."},
            ErrorKind.STREAM,
            True,
            "OpenAI said: The server had an error.",
        ),
        ({"type": "rate_limit_error", "code": "e_1"}, ErrorKind.RATE_LIMIT, True, "Rate limited"),
        ({"type": "invalid_request_error", "code": "e_1"}, ErrorKind.STREAM, False, "mid-reply"),
    ],
)
async def test_openai_error_chunk(upstream, gpt, error, kind, retryable, message) -> None:
    upstream.openai.enqueue(raw(sse([*OPENAI_HEAD, (None, {"error": error})])))
    failed, text, _ = await failure(gpt, GPT)
    assert text == EXPECTED_TEXT
    assert (failed.kind, failed.retryable, failed.status) == (kind, retryable, None)
    assert (failed.error_type, failed.error_code) == (error["type"], "e_1")
    assert message in failed.message
    assert failed.provider == gpt.name


async def test_openai_error_chunk_without_an_object(upstream, gpt) -> None:
    upstream.openai.enqueue(raw(sse([*OPENAI_HEAD, (None, {"error": "boom"})])))
    failed, _, _ = await failure(gpt, GPT)
    assert (failed.kind, failed.retryable, failed.error_type) == (ErrorKind.STREAM, True, None)
    assert "An error occurred during streaming" in failed.message


# -- broken streams -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", ['{"type": "content_block_delta", "delta": {"ty', "[1, 2]"])
async def test_anthropic_malformed_data(upstream, claude, data: str) -> None:
    upstream.anthropic.enqueue(raw(sse([*ANTHROPIC_HEAD, ("content_block_delta", data)])))
    failed, text, usages = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable, failed.status) == (ErrorKind.STREAM, True, None)
    assert "The Anthropic stream sent an event SPARK could not read" in failed.message
    assert text == EXPECTED_TEXT
    assert usages == [Usage(input_tokens=12, output_tokens=1, cache_read_tokens=3)]


@pytest.mark.parametrize("data", ['{"choices": [{"delta": {"content": "x"', "null"])
async def test_openai_malformed_data(upstream, gpt, data: str) -> None:
    upstream.openai.enqueue(raw(sse([*OPENAI_HEAD, (None, data)])))
    failed, text, _ = await failure(gpt, GPT)
    assert (failed.kind, failed.retryable, failed.status) == (ErrorKind.STREAM, True, None)
    assert f"The {gpt.display} stream sent an event SPARK could not read" in failed.message
    assert text == EXPECTED_TEXT


@pytest.mark.parametrize("cut", [len(ANTHROPIC_HEAD), len(ANTHROPIC_REPLY) - 1])
async def test_anthropic_body_ending_before_message_stop(upstream, claude, cut: int) -> None:
    upstream.anthropic.enqueue(raw(sse(ANTHROPIC_REPLY[:cut])))
    failed, text, _ = await failure(claude, CLAUDE)
    assert (failed.kind, failed.retryable) == (ErrorKind.STREAM, True)
    assert "stream broke off before the reply was complete" in failed.message
    assert text == EXPECTED_TEXT


@pytest.mark.parametrize(
    "events",
    [OPENAI_HEAD, [*OPENAI_HEAD, (None, "[DONE]")]],
    ids=["body ends", "[DONE] before a finish reason"],
)
async def test_openai_body_ending_before_a_finish_reason(upstream, gpt, events) -> None:
    upstream.openai.enqueue(raw(sse(events)))
    failed, text, _ = await failure(gpt, GPT)
    assert (failed.kind, failed.retryable) == (ErrorKind.STREAM, True)
    assert "stream broke off before the reply was complete" in failed.message
    assert text == EXPECTED_TEXT


async def test_a_connection_cut_mid_body_is_a_broken_stream(provider_and_api) -> None:
    provider, api, model = provider_and_api
    api.enqueue(Fault.mid_stream_drop(after_chunks=2))
    failed, text, _ = await failure(provider, model)
    assert (failed.kind, failed.retryable) == (ErrorKind.STREAM, True)
    assert "RemoteProtocolError" in failed.message  # the transport error, named
    assert len(text) == 32


@pytest.mark.parametrize("which", ["anthropic", "openai"])
async def test_a_silence_mid_body_is_a_timeout(upstream: FakeUpstream, which: str) -> None:
    provider: AnthropicProvider | OpenAIProvider
    if which == "anthropic":
        a_client = anthropic.AsyncAnthropic(
            api_key="k", base_url=upstream.anthropic_base_url, max_retries=0, timeout=0.3
        )
        provider, model, api = AnthropicProvider(a_client), CLAUDE, upstream.anthropic
    else:
        o_client = openai.AsyncOpenAI(
            api_key="k", base_url=upstream.openai_base_url, max_retries=0, timeout=0.3
        )
        provider, model, api = OpenAIProvider(o_client), GPT, upstream.openai
    api.enqueue(Fault.mid_stream_stall(after_chunks=1, seconds=1.5))
    try:
        failed, text, _ = await failure(provider, model)
    finally:
        await provider.aclose()
    assert (failed.kind, failed.retryable) == (ErrorKind.TIMEOUT, True)
    assert "did not answer in time" in failed.message
    assert len(text) == 16
