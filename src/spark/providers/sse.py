"""Server-Sent Events read from a streamed response body, for the providers' streams.

The official SDKs build and send the request (auth headers, base URL, timeouts, their status
errors); the providers then read the SSE body themselves with this module and dispatch on the
plain JSON dicts, instead of letting the SDK build a pydantic model for every event, which cost
a third (Anthropic) to two thirds (OpenAI) of a streamed call's client CPU (docs/benchmarks.md,
"Provider stream reading").

What is read follows the HTML standard's event-stream interpretation: UTF-8 (a leading BOM
dropped, bad bytes replaced); lines end in CRLF, LF or CR, and nothing else (unlike
``httpx.Response.aiter_lines``, which also splits on U+2028, U+0085 and other characters that a
JSON string may carry unescaped); ``field: value`` with one optional space after the colon; a
line without a colon is a field with an empty value; ``:`` lines are comments; several
``data`` lines join with ``"\\n"``; a blank line dispatches the event, if it has data (an
``event:`` alone is not dispatched); ``id`` and ``retry`` are ignored, as nothing reconnects.
An event the body ends without its closing blank line is dropped, as the standard and the SDKs'
own decoders do: the body was cut, and the event may be too (a cut ``message_stop`` makes the
Anthropic reply a broken stream, which is retried).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, NamedTuple

from spark.providers.errors import error_from_malformed_event


class ServerSentEvent(NamedTuple):
    """One dispatched event: its ``event:`` name (None when it had none) and its data."""

    event: str | None
    data: str


class SSEDecoder:
    """Turns the chunks of an SSE body, split anywhere, into events (push: :meth:`feed`)."""

    __slots__ = ("_data", "_event", "_pending", "_started")

    def __init__(self) -> None:
        self._pending = b""  # an unfinished line (or one ending in CR, which LF may follow)
        self._event = ""
        self._data: list[str] = []
        self._started = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events that ``chunk`` completes."""
        if self._pending:
            chunk = self._pending + chunk
        # bytes.splitlines breaks at CR, LF and CRLF only (str.splitlines knows many more).
        lines = chunk.splitlines(keepends=True)
        if not lines:
            return []
        self._pending = b"" if lines[-1].endswith(b"\n") else lines.pop()
        events = []
        for line in lines:
            event = self._line(line.rstrip(b"\r\n").decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events

    def end(self) -> list[ServerSentEvent]:
        """The event the body's last line (ending in a lone CR) closes, if it does; an event
        still open is dropped."""
        events = []
        if self._pending:
            line, self._pending = self._pending, b""
            event = self._line(line.rstrip(b"\r\n").decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        self._event, self._data = "", []
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not self._started:
            self._started = True
            line = line.removeprefix("\ufeff")
        if not line:
            if not self._data:
                self._event = ""
                return None
            event = ServerSentEvent(self._event or None, "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line[0] == ":":
            return None
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None


async def aiter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """The events of an SSE body read as ``chunks`` (``response.aiter_bytes()``)."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.end():
        yield event


def event_object(data: str, *, provider: str, display: str) -> dict[str, Any]:
    """An event's data as the JSON object the APIs send, else the AIError of a broken stream."""
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise error_from_malformed_event(
            provider=provider, display=display, detail=f"not JSON: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise error_from_malformed_event(
            provider=provider, display=display, detail=f"not a JSON object: {data[:40]!r}"
        )
    return value
