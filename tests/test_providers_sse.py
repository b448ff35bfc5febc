"""The providers' SSE decoder (spark.providers.sse): framing, field rules, chunk boundaries."""

from __future__ import annotations

import pytest

from spark.errors import AIError, ErrorKind
from spark.providers.sse import ServerSentEvent, SSEDecoder, aiter_events, event_object

E = ServerSentEvent

# body → the events it dispatches (event name or None, data)
FRAMING = [
    pytest.param(b"event: ping\ndata: {}\n\n", [E("ping", "{}")], id="event and data"),
    pytest.param(b"data: x\n\n", [E(None, "x")], id="data only"),
    pytest.param(b"event:a\ndata:x\n\n", [E("a", "x")], id="no space after the colon"),
    pytest.param(b"data:  x \n\n", [E(None, " x ")], id="only one space is dropped"),
    pytest.param(b"data: a\ndata: b\ndata: c\n\n", [E(None, "a\nb\nc")], id="data lines joined"),
    pytest.param(b"data:\n\n", [E(None, "")], id="an empty data line is an event"),
    pytest.param(b"data\n\n", [E(None, "")], id="a field without a colon"),
    pytest.param(b"data: a\r\n\r\ndata: b\r\n\r\n", [E(None, "a"), E(None, "b")], id="CRLF"),
    pytest.param(b"data: a\r\rdata: b\r\r", [E(None, "a"), E(None, "b")], id="CR"),
    pytest.param(b"data: a\r\n\ndata: b\r\r\n", [E(None, "a"), E(None, "b")], id="mixed ends"),
    pytest.param(
        b": keep-alive\nevent: a\n: comment\ndata: x\n\n", [E("a", "x")], id="comments ignored"
    ),
    pytest.param(b":data: x\n\n", [], id="a comment is not a field"),
    pytest.param(
        b"id: 7\nretry: 100\nfoo: bar\ndata: x\n\n", [E(None, "x")], id="other fields ignored"
    ),
    pytest.param(b"event: a\n\ndata: x\n\n", [E(None, "x")], id="event without data not sent"),
    pytest.param(
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        [E("a", "1"), E(None, "2")],
        id="the name is reset after an event",
    ),
    pytest.param(b"\n\n\n", [], id="blank lines only"),
    pytest.param(b"", [], id="empty body"),
    pytest.param(b"data: x", [], id="last event without line end: dropped"),
    pytest.param(b"data: x\n", [], id="last event without blank line: dropped"),
    pytest.param(b"data: a\n\ndata: b\n", [E(None, "a")], id="only the closed events"),
    pytest.param(b"event: a\ndata: x\r\r", [E("a", "x")], id="last event closed by CR CR"),
    pytest.param(b"data: a\n\nevent: b", [E(None, "a")], id="a trailing name alone is dropped"),
    pytest.param("\ufeffdata: x\n\n".encode(), [E(None, "x")], id="leading BOM dropped"),
    pytest.param("data: \ufeffx\n\n".encode(), [E(None, "\ufeffx")], id="a BOM elsewhere is data"),
    pytest.param(
        'data: {"t": "a\u2028b\u2029c\x85d\x0be\x1cf"}\n\n'.encode(),
        [E(None, '{"t": "a\u2028b\u2029c\x85d\x0be\x1cf"}')],
        id="only CR and LF end lines",
    ),
    pytest.param(b"data: caf\xc3\xa9 \xff\n\n", [E(None, "caf\xe9 \ufffd")], id="UTF-8, bad bytes"),
]


def decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.end()


@pytest.mark.parametrize(("body", "events"), FRAMING)
def test_framing(body: bytes, events: list[ServerSentEvent]) -> None:
    assert decode([body]) == events


@pytest.mark.parametrize(("body", "events"), FRAMING)
def test_chunk_boundaries_do_not_matter(body: bytes, events: list[ServerSentEvent]) -> None:
    assert decode([body[i : i + 1] for i in range(len(body))]) == events
    for cut in range(1, len(body)):
        assert decode([body[:cut], body[cut:]]) == events, cut


async def test_aiter_events_reads_an_async_body() -> None:
    async def body():
        for chunk in (b"event: a\nda", b"ta: 1\n", b"\ndata: 2\r", b"\r", b"data: cut"):
            yield chunk

    assert [event async for event in aiter_events(body())] == [E("a", "1"), E(None, "2")]


@pytest.mark.parametrize(
    ("data", "words"),
    [('{"type": "content_bl', "not JSON"), ("[1, 2]", "not a JSON object"), ("42", "object")],
)
def test_event_data_that_is_not_a_json_object_is_a_stream_error(data: str, words: str) -> None:
    with pytest.raises(AIError) as info:
        event_object(data, provider="anthropic", display="Anthropic")
    error = info.value
    assert (error.kind, error.retryable, error.provider) == (ErrorKind.STREAM, True, "anthropic")
    assert "The Anthropic stream sent an event SPARK could not read" in error.message
    assert words in error.message


def test_event_object() -> None:
    assert event_object('{"type": "ping"}', provider="p", display="P") == {"type": "ping"}
