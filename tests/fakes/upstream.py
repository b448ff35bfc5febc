"""A fake Anthropic Messages API and OpenAI Chat Completions API on 127.0.0.1, for tests.

The official SDKs talk to it over real sockets, so a provider test exercises the SDK's own request
building, SSE parsing, error mapping and connection pool. A stdlib `ThreadingHTTPServer` in a daemon
thread serves it; writing the bytes by hand is what lets it stream, stall and drop connections.

    with FakeUpstream() as up:
        up.anthropic.enqueue(Fault.overloaded(), Reply("Hello", output_tokens=3))
        client = anthropic.AsyncAnthropic(
            api_key="test-key", base_url=up.anthropic_base_url, max_retries=0
        )
        ...
        assert up.anthropic.last.body["model"] == "claude-sonnet-5-5"

Routes: `POST /v1/messages` (+ `/v1/messages/count_tokens`) → `up.anthropic`;
`POST /v1/chat/completions` → `up.openai`; `GET /v1/models[/{id}]` → Anthropic's shape when the
request carries `anthropic-version` or `x-api-key`, else OpenAI's. Anything else is answered 404
and kept in `up.unhandled`. A request without an API key (or, when `api_keys` is set, with
another key) gets the provider's 401, and a body missing a required field its 400; neither
consumes the queue. A bug in the fake is answered 500 and kept in `up.errors`.

Scripting, per API: `enqueue(*items)` queues `Reply`s and `Fault`s, taken in order by the next
generation requests (an item with `for_model=` waits for a request naming that model). An empty
queue serves `default_reply`. `/v1/models` has its own queue: `enqueue_models_fault(*faults)`.
Each received request is appended to `history` before anything is answered. `reset()` restores
everything (queues, history, timing, models, keys, default reply).

Faults and replies are written once and rendered in each provider's real shape, so the same
`Fault.rate_limit()` becomes Anthropic's `rate_limit_error` body or OpenAI's `rate_limit_exceeded`
one, and `Fault.billing()` / `Fault.insufficient_quota()` become each provider's "out of credit".

Timing, in seconds (on the API object, or per `Reply` to override): `latency` before the response
headers (every response, faults included); `ttft` between the stream's first events and the first
text delta; `chunk_delay` between text deltas. A non-streamed reply waits for all three in total.

`python -m tests.fakes.upstream --port 8787` runs it standalone, serving default replies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Literal, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "DEFAULT_TEXT",
    "AnthropicAPI",
    "FakeUpstream",
    "Fault",
    "OpenAIAPI",
    "RecordedRequest",
    "Reply",
]

DEFAULT_TEXT = """Here is a script that spins a coin around its vertical axis.

```csharp
using UnityEngine;

public class CoinSpinner : MonoBehaviour
{
    [SerializeField] private float degreesPerSecond = 180f;

    private void Update()
    {
        transform.Rotate(0f, degreesPerSecond * Time.deltaTime, 0f, Space.World);
    }
}
```
"""

# The current models of src/spark/catalog.toml. (The Anthropic SDK warns — an error under
# `-W error` — when a request names a model on its deprecated list, e.g. claude-sonnet-4-5.)
DEFAULT_ANTHROPIC_MODELS = [
    "claude-sonnet-5-5",
    "claude-fable-5-2",
    "claude-opus-5-5",
    "claude-haiku-5-5",
]
DEFAULT_OPENAI_MODELS = [
    "gpt-6.2-sol",
    "gpt-6.2-astra",
    "gpt-6.1-terra",
    "gpt-6-luna",
    "gpt-4.1",
    "gpt-4o",
]

_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ANTHROPIC_STOP |= {"content_filter": "refusal", "function_call": "tool_use"}
_OPENAI_STOP = {"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop"}
_OPENAI_STOP |= {"max_tokens": "length", "model_context_window_exceeded": "length"}
_OPENAI_STOP |= {"tool_use": "tool_calls", "refusal": "content_filter"}

_REASONS = {413: "Content Too Large", 422: "Unprocessable Content", 529: "Overloaded"}


def _rid(prefix: str = "req_") -> str:
    return prefix + secrets.token_hex(12)


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


@dataclass
class Reply:
    """A successful answer. Token counts are Anthropic-style (disjoint): OpenAI's `prompt_tokens`
    is rendered as `input_tokens + cache_read_tokens + cache_write_tokens`."""

    text: str = DEFAULT_TEXT
    input_tokens: int = 42
    output_tokens: int | None = None  # None: about len(text) / 4
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    stop_reason: str | None = None  # either vocabulary; None: "end_turn" / "stop"
    chunk_size: int = 16  # characters per text delta
    latency: float | None = None  # None: the API's setting
    ttft: float | None = None
    chunk_delay: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    for_model: str | None = None  # only served to a request naming this model

    @property
    def chunks(self) -> list[str]:
        size = max(1, self.chunk_size)
        return [self.text[i : i + size] for i in range(0, len(self.text), size)] or [""]

    @property
    def billed_output_tokens(self) -> int:
        return self.output_tokens if self.output_tokens is not None else max(1, len(self.text) // 4)


FaultKind = Literal[
    "http", "drop", "stall", "mid_stream_error", "mid_stream_drop", "mid_stream_stall"
]


@dataclass
class Fault:
    """A failure to serve instead of a reply. Build one with the class methods.

    `preset` picks each provider's real status, error type, message and code; `status_code`
    (`status=` in the helpers), `error_type`, `message` and `code` override them (`code` is
    OpenAI's `error.code` and Anthropic's `error.details.error_code`). `body` replaces the
    whole body (a dict is sent as JSON, a str as is, with `content_type`). Every fault may add
    `headers`, `retry_after` (`retry-after`), `retry_after_ms`, `should_retry`
    (`x-should-retry`) and `request_id` (`request-id` / `x-request-id`; generated when None).
    """

    kind: FaultKind = "http"
    preset: str = "status"
    status_code: int | None = None  # None: the preset's
    error_type: str | None = None
    message: str | None = None
    code: str | None = None
    param: str | None = None
    body: dict[str, Any] | str | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | str | None = None
    retry_after_ms: float | None = None
    should_retry: bool | None = None
    request_id: str | None = None
    seconds: float = 0.0  # stall length
    after_chunks: int = 0  # text deltas sent before a mid-stream fault
    openai_mode: Literal["error_chunk", "drop"] = "error_chunk"
    reply: Reply | None = None  # the stream a mid-stream fault interrupts (None: default reply)
    model: str | None = None  # the model named in a not-found message (None: the request's)
    for_model: str | None = None

    @classmethod
    def _new(cls, **kw: Any) -> Fault:
        if "status" in kw:  # the helpers' word for `status_code`
            kw["status_code"] = kw.pop("status")
        return cls(**kw)

    # -- HTTP error responses -------------------------------------------------------------------
    @classmethod
    def status(cls, status: int, **kw: Any) -> Fault:
        """Any status with the provider's matching error type (e.g. 429 → rate_limit_error)."""
        return cls._new(status=status, **kw)

    @classmethod
    def rate_limit(cls, retry_after: float | str | None = None, **kw: Any) -> Fault:
        """429. No `retry-after` unless given (the real APIs send one)."""
        return cls._new(preset="rate_limit", retry_after=retry_after, **kw)

    @classmethod
    def overloaded(cls, **kw: Any) -> Fault:
        """Anthropic 529 `overloaded_error`; OpenAI 503 `server_error` "engine overloaded"."""
        return cls._new(preset="overloaded", **kw)

    @classmethod
    def server(cls, status: int = 500, **kw: Any) -> Fault:
        """5xx: Anthropic `api_error` (504: `timeout_error`); OpenAI `server_error`."""
        return cls._new(preset="server", status=status, **kw)

    @classmethod
    def auth(cls, **kw: Any) -> Fault:
        """401: Anthropic "invalid x-api-key"; OpenAI `invalid_api_key`."""
        return cls._new(preset="auth", **kw)

    @classmethod
    def bad_request(cls, message: str | None = None, **kw: Any) -> Fault:
        """400 `invalid_request_error`."""
        return cls._new(preset="bad_request", message=message, **kw)

    @classmethod
    def context_too_long(cls, **kw: Any) -> Fault:
        """400: "prompt is too long"; OpenAI `context_length_exceeded`."""
        return cls._new(preset="context_too_long", **kw)

    @classmethod
    def permission(cls, **kw: Any) -> Fault:
        """403: Anthropic `permission_error`; OpenAI `unsupported_country_region_territory`."""
        return cls._new(preset="permission", **kw)

    @classmethod
    def not_found_model(cls, model: str | None = None, **kw: Any) -> Fault:
        """404 for an unknown model (None: the model the request named)."""
        return cls._new(preset="not_found_model", model=model, **kw)

    @classmethod
    def too_large(cls, **kw: Any) -> Fault:
        """413: Anthropic `request_too_large`."""
        return cls._new(preset="too_large", **kw)

    @classmethod
    def unprocessable(cls, **kw: Any) -> Fault:
        """422."""
        return cls._new(preset="unprocessable", **kw)

    @classmethod
    def billing(cls, **kw: Any) -> Fault:
        """Out of credit. Anthropic: 400 `invalid_request_error` "Your credit balance is too low
        ..." (the real answer; `status=402` gives the documented 402 `billing_error`).
        OpenAI: 429 `insufficient_quota`."""
        return cls._new(preset="billing", **kw)

    @classmethod
    def insufficient_quota(cls, **kw: Any) -> Fault:
        """The same as `billing()`: each provider's real "out of credit" answer."""
        return cls._new(preset="billing", **kw)

    # -- connection-level -----------------------------------------------------------------------
    @classmethod
    def drop(cls, **kw: Any) -> Fault:
        """Read the request, then close the connection without a response."""
        return cls._new(kind="drop", **kw)

    @classmethod
    def stall(cls, seconds: float, **kw: Any) -> Fault:
        """Read the request, send nothing for `seconds`, then close the connection."""
        return cls._new(kind="stall", seconds=seconds, **kw)

    # -- inside a 200 stream (a non-streamed request gets the HTTP error / drop / late reply) ----
    @classmethod
    def mid_stream_error(
        cls,
        after_chunks: int = 1,
        *,
        error: Literal["overloaded", "server"] = "overloaded",
        openai_mode: Literal["error_chunk", "drop"] = "error_chunk",
        **kw: Any,
    ) -> Fault:
        """Stream `after_chunks` text deltas, then fail. Anthropic: an `event: error` with
        `overloaded_error` (or `api_error` for `error="server"`). OpenAI: with
        `openai_mode="error_chunk"` a `data: {"error": {...}}` chunk (`server_error`), with
        `"drop"` the connection closes mid-body. A non-streamed request gets the preset's HTTP
        error (Anthropic 529 / 500, OpenAI 503 / 500), or a drop."""
        return cls._new(
            kind="mid_stream_error",
            preset=error,
            after_chunks=after_chunks,
            openai_mode=openai_mode,
            **kw,
        )

    @classmethod
    def mid_stream_drop(cls, after_chunks: int = 1, **kw: Any) -> Fault:
        """Stream `after_chunks` text deltas, then close the connection mid-body."""
        return cls._new(kind="mid_stream_drop", after_chunks=after_chunks, **kw)

    @classmethod
    def mid_stream_stall(cls, after_chunks: int = 1, seconds: float = 1.0, **kw: Any) -> Fault:
        """Stream `after_chunks` text deltas, go silent for `seconds`, then finish normally."""
        return cls._new(kind="mid_stream_stall", after_chunks=after_chunks, seconds=seconds, **kw)

    def response_headers(self, request_id_header: str, request_id: str) -> dict[str, str]:
        headers = {request_id_header: request_id}
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = str(self.retry_after_ms)
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        return headers | self.headers


@dataclass
class RecordedRequest:
    """A request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    raw: bytes
    body: Any  # parsed JSON, or None

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def api_key(self) -> str | None:
        """`x-api-key`, else the `Authorization: Bearer` token."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


class _Dropped(Exception):
    """Close the connection now, without finishing the answer (or the server is stopping)."""


class _StreamEnded(Exception):
    """The answer is complete (a stream that ended with an error); the connection stays open."""


class _Exchange:
    """One request on one connection, and the means to answer it."""

    def __init__(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        self._h = handler
        self._stopping = stopping
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        raw = self._read_body(headers)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.request = RecordedRequest(
            handler.command, split.path, dict(parse_qsl(split.query)), headers, raw, body
        )

    def _read_body(self, headers: dict[str, str]) -> bytes:
        rfile = self._h.rfile
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int(rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += rfile.read(size)
                rfile.readline()
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return data
        return rfile.read(int(headers.get("content-length") or 0))

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Dropped

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self._h.send_response(status, _REASONS.get(status))
        for name, value in headers.items():
            self._h.send_header(name, value)
        self._h.end_headers()

    def send(self, status: int, payload: object, headers: dict[str, str], ctype: str) -> None:
        data = payload.encode() if isinstance(payload, str) else _dumps(payload).encode()
        self._head(status, {"content-type": ctype, "content-length": str(len(data))} | headers)
        self._h.wfile.write(data)

    def start_stream(self, headers: dict[str, str]) -> None:
        base = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
        self._head(200, base | headers | {"transfer-encoding": "chunked"})

    def event(self, text: str) -> None:
        if self._stopping.is_set():
            raise _Dropped
        data = text.encode()
        self._h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self._h.wfile.write(b"0\r\n\r\n")

    def drop(self) -> None:
        raise _Dropped


class _ScriptedAPI:
    """What the two fake APIs share: the queues, history, timing and the request flow."""

    name: ClassVar[str]
    request_id_header: ClassVar[str]
    default_models: ClassVar[list[str]]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget queued items and history; restore default reply, timing, models and keys."""
        with self._lock:
            self._queue: list[Reply | Fault] = []
            self._models_queue: list[Fault] = []
            self.history: list[RecordedRequest] = []
        self.default_reply = Reply()
        self.latency = 0.0
        self.ttft = 0.0
        self.chunk_delay = 0.0
        self.models: list[str] = list(self.default_models)
        self.api_keys: set[str] | None = None  # None: any non-empty key is accepted

    def enqueue(self, *items: Reply | Fault) -> None:
        """Queue replies and faults for the next generation requests, in order."""
        for item in items:
            if not isinstance(item, Reply | Fault):
                raise TypeError(f"enqueue takes Reply or Fault, not {type(item).__name__}")
        with self._lock:
            self._queue.extend(items)

    def enqueue_models_fault(self, *faults: Fault) -> None:
        """Queue faults for the next `GET /v1/models` requests."""
        with self._lock:
            self._models_queue.extend(faults)

    @property
    def pending(self) -> list[Reply | Fault]:
        """Items not served yet."""
        with self._lock:
            return list(self._queue)

    @property
    def last(self) -> RecordedRequest:
        return self.history[-1]

    def _take(self, queue: list[Any], model: str | None) -> Any:
        with self._lock:
            for i, item in enumerate(queue):
                if item.for_model is None or item.for_model == model:
                    return queue.pop(i)
        return None

    # -- request flow ---------------------------------------------------------------------------
    def handle(self, ex: _Exchange, route: str) -> None:
        req = ex.request
        with self._lock:
            self.history.append(req)
        if (denied := self._check_key(req)) is not None:
            ex.sleep(self.latency)
            self._send_fault(ex, denied)
        elif route == "models":
            fault = self._take(self._models_queue, None)
            if fault is not None:
                self._serve_fault(ex, fault)
            else:
                ex.sleep(self.latency)
                self._serve_models(ex, req)
        elif (problem := self._validate(req, route)) is not None:
            self._send_fault(ex, Fault.bad_request(problem))
        elif route == "count_tokens":
            ex.send(200, {"input_tokens": 42}, self._ok_headers(), "application/json")
        else:
            item = self._take(self._queue, req.model) or self.default_reply
            if isinstance(item, Fault):
                self._serve_fault(ex, item)
            else:
                self._serve_reply(ex, item, None)

    def _check_key(self, req: RecordedRequest) -> Fault | None:
        key = req.api_key
        if not key:
            return Fault.auth(message=self._missing_key_message)
        if self.api_keys is not None and key not in self.api_keys:
            return Fault.auth()
        return None

    def _serve_fault(self, ex: _Exchange, fault: Fault) -> None:
        kind, stream = fault.kind, ex.request.stream
        if kind == "stall":
            ex.sleep(fault.seconds)
            ex.drop()
        elif kind.startswith("mid_stream") and (stream or kind == "mid_stream_stall"):
            self._serve_reply(ex, fault.reply or self.default_reply, fault)
        else:  # an HTTP error, a drop, or a mid-stream failure met by a non-streamed request
            ex.sleep(self.latency)
            if kind == "http" or (kind == "mid_stream_error" and not self._drops(fault)):
                self._send_fault(ex, fault)
            else:
                ex.drop()

    def _drops(self, fault: Fault) -> bool:
        """Whether this API fails a stream with `fault` by closing the connection."""
        return False

    def _send_fault(self, ex: _Exchange, fault: Fault) -> None:
        request_id = fault.request_id or _rid()
        status, body = self._error(fault, ex.request, request_id)
        headers = fault.response_headers(self.request_id_header, request_id)
        ex.send(status, fault.body if fault.body is not None else body, headers, fault.content_type)

    def _ok_headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {self.request_id_header: _rid()} | (extra or {})

    def _timing(self, reply: Reply) -> tuple[float, float, float]:
        return (
            self.latency if reply.latency is None else reply.latency,
            self.ttft if reply.ttft is None else reply.ttft,
            self.chunk_delay if reply.chunk_delay is None else reply.chunk_delay,
        )

    def _serve_reply(self, ex: _Exchange, reply: Reply, fault: Fault | None) -> None:
        req = ex.request
        latency, ttft, delay = self._timing(reply)
        model = req.model or self.models[0]
        chunks = reply.chunks
        request_id = (fault and fault.request_id) or _rid()
        headers = {self.request_id_header: request_id} | reply.headers
        if fault is not None:  # a mid-stream fault's headers go on the 200 it interrupts
            headers |= fault.response_headers(self.request_id_header, request_id)
        if not req.stream:
            stall = fault.seconds if fault is not None else 0.0
            ex.sleep(latency + ttft + delay * (len(chunks) - 1) + stall)
            ex.send(200, self._message(reply, model), headers, "application/json")
            return
        ex.sleep(latency)
        ex.start_stream(headers)
        for event in self._prelude(reply, model):
            ex.event(event)
        for i, piece in enumerate(chunks):
            if fault is not None and i == fault.after_chunks:
                self._interrupt(ex, fault, request_id)
            ex.sleep(ttft if i == 0 else delay)
            ex.event(self._delta(piece, model))
        if fault is not None and fault.after_chunks >= len(chunks):
            self._interrupt(ex, fault, request_id)
        for event in self._epilogue(reply, model, req):
            ex.event(event)
        ex.end_stream()

    def _interrupt(self, ex: _Exchange, fault: Fault, request_id: str) -> None:
        """Fail the stream as `fault` says; returns only for a stall (the stream then goes on)."""
        if fault.kind == "mid_stream_stall":
            ex.sleep(fault.seconds)
            return
        if fault.kind == "mid_stream_error" and not self._drops(fault):
            ex.event(self._stream_error(fault, ex.request, request_id))
            ex.end_stream()
            raise _StreamEnded
        ex.drop()

    # -- provider specifics ---------------------------------------------------------------------
    def _validate(self, req: RecordedRequest, route: str) -> str | None:
        raise NotImplementedError

    def _error(
        self, fault: Fault, req: RecordedRequest, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def _stream_error(self, fault: Fault, req: RecordedRequest, request_id: str) -> str:
        raise NotImplementedError

    def _serve_models(self, ex: _Exchange, req: RecordedRequest) -> None:
        raise NotImplementedError

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def _prelude(self, reply: Reply, model: str) -> Iterator[str]:
        raise NotImplementedError

    def _delta(self, text: str, model: str) -> str:
        raise NotImplementedError

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        raise NotImplementedError


def _preset_for(fault: Fault) -> str:
    """The preset that renders `fault`: its own, or the one that matches its status."""
    if fault.preset != "status":
        return fault.preset
    status = fault.status_code or 500
    by_status = {400: "bad_request", 401: "auth", 403: "permission", 404: "not_found"}
    by_status |= {413: "too_large", 422: "unprocessable", 429: "rate_limit", 529: "overloaded"}
    return by_status.get(status) or ("server" if status >= 500 else "bad_request")


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {_dumps(data)}\n\n"


class AnthropicAPI(_ScriptedAPI):
    """The Anthropic Messages API (`POST /v1/messages`, `GET /v1/models`)."""

    name = "anthropic"
    request_id_header = "request-id"
    default_models = DEFAULT_ANTHROPIC_MODELS
    _missing_key_message = "x-api-key header is required"

    # preset → (status, error type, message)
    _PRESETS: ClassVar[dict[str, tuple[int, str, str]]] = {
        "rate_limit": (
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per "
            "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        ),
        "overloaded": (529, "overloaded_error", "Overloaded"),
        "server": (500, "api_error", "Internal server error"),
        "auth": (401, "authentication_error", "invalid x-api-key"),
        "bad_request": (400, "invalid_request_error", "Invalid request."),
        "context_too_long": (
            400,
            "invalid_request_error",
            "prompt is too long: 215000 tokens > 200000 maximum",
        ),
        "permission": (
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        "not_found": (404, "not_found_error", "Not found"),
        "not_found_model": (404, "not_found_error", "model: {model}"),
        "too_large": (413, "request_too_large", "Request exceeds the maximum allowed size."),
        "unprocessable": (422, "invalid_request_error", "Unprocessable request."),
        "billing": (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
        ),
    }
    # the error type of a status, when a fault's status differs from its preset's
    _TYPE_BY_STATUS: ClassVar[dict[int, str]] = {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        408: "timeout_error",
        409: "conflict_error",
        413: "request_too_large",
        429: "rate_limit_error",
        504: "timeout_error",
        529: "overloaded_error",
    }

    def _validate(self, req: RecordedRequest, route: str) -> str | None:
        body = req.body
        if not isinstance(body, dict):
            return "The request body is not valid JSON."
        required = [("model", str), ("messages", list)]
        if route == "generate":
            required.append(("max_tokens", int))
        for name, kind in required:
            if not isinstance(body.get(name), kind):
                return f"{name}: Field required"
        return None

    def _error(
        self, fault: Fault, req: RecordedRequest, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        p_status, p_type, p_message = self._PRESETS[_preset_for(fault)]
        status = fault.status_code or p_status
        if status != p_status:
            p_type = self._TYPE_BY_STATUS.get(status, p_type)
            p_message = "Request timed out" if status == 504 else p_message
        error: dict[str, Any] = {
            "type": fault.error_type or p_type,
            "message": fault.message or p_message.format(model=fault.model or req.model),
        }
        if fault.code:
            error["details"] = {"error_code": fault.code}
        return status, {"type": "error", "error": error, "request_id": request_id}

    def _stream_error(self, fault: Fault, req: RecordedRequest, request_id: str) -> str:
        _, body = self._error(fault, req, request_id)
        return _sse("error", body if fault.body is None else fault.body)

    @staticmethod
    def _model_info(model_id: str) -> dict[str, Any]:
        words = model_id.split("-")
        date = words[-1] if len(words[-1]) == 8 and words[-1].isdigit() else "20250101"
        if words[-1] == date:
            words = words[:-1]
        version = ".".join(w for w in words[2:] if w.isdigit())
        display = " ".join(w.capitalize() for w in words[:2]) + (f" {version}" if version else "")
        return {
            "type": "model",
            "id": model_id,
            "display_name": display,
            "created_at": f"{date[:4]}-{date[4:6]}-{date[6:]}T00:00:00Z",
            "lifecycle": "active",
            "max_input_tokens": 200_000,
            "max_tokens": 64_000,
        }

    def _serve_models(self, ex: _Exchange, req: RecordedRequest) -> None:
        ids = list(self.models)
        if req.path.rstrip("/") != "/v1/models":
            model_id = req.path.removeprefix("/v1/models/")
            if model_id in ids:
                ex.send(200, self._model_info(model_id), self._ok_headers(), "application/json")
            else:
                self._send_fault(ex, Fault.not_found_model(model_id))
            return
        limit = int(req.query.get("limit", 20))
        if req.query.get("after_id") in ids:
            ids = ids[ids.index(req.query["after_id"]) + 1 :]
        elif req.query.get("before_id") in ids:
            ids = ids[: ids.index(req.query["before_id"])][-limit:]
        page = ids[:limit]
        body = {
            "data": [self._model_info(m) for m in page],
            "has_more": len(ids) > len(page),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }
        ex.send(200, body, self._ok_headers(), "application/json")

    @staticmethod
    def _stop_reason(reply: Reply) -> str:
        reason = reply.stop_reason or "end_turn"
        return _ANTHROPIC_STOP.get(reason, reason)

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": reply.cache_write_tokens,
            "cache_read_input_tokens": reply.cache_read_tokens,
            "output_tokens": reply.billed_output_tokens,
        }

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        return {
            "id": _rid("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": self._stop_reason(reply),
            "stop_sequence": None,
            "usage": self._usage(reply) | {"service_tier": "standard"},
        }

    def _prelude(self, reply: Reply, model: str) -> Iterator[str]:
        message = self._message(reply, model) | {"content": [], "stop_reason": None}
        message["usage"] |= {"output_tokens": 1}
        yield _sse("message_start", {"type": "message_start", "message": message})
        start = {"type": "content_block_start", "index": 0}
        yield _sse("content_block_start", start | {"content_block": {"type": "text", "text": ""}})
        yield _sse("ping", {"type": "ping"})

    def _delta(self, text: str, model: str) -> str:
        delta = {"type": "text_delta", "text": text}
        return _sse(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        delta = {"stop_reason": self._stop_reason(reply), "stop_sequence": None}
        usage = self._usage(reply)
        yield _sse("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
        yield _sse("message_stop", {"type": "message_stop"})


class OpenAIAPI(_ScriptedAPI):
    """The OpenAI Chat Completions API (`POST /v1/chat/completions`, `GET /v1/models`)."""

    name = "openai"
    request_id_header = "x-request-id"
    default_models = DEFAULT_OPENAI_MODELS
    _missing_key_message = (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    )

    # preset → (status, type, code, message)
    _PRESETS: ClassVar[dict[str, tuple[int, str, str | None, str]]] = {
        "rate_limit": (
            429,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again in 20s.",
        ),
        "overloaded": (
            503,
            "server_error",
            None,
            "The engine is currently overloaded, please try again later.",
        ),
        "server": (
            500,
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
        ),
        "auth": (
            401,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided: {key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        ),
        "bad_request": (400, "invalid_request_error", None, "Invalid request."),
        "context_too_long": (
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 215000 tokens. Please reduce the length of the messages.",
        ),
        "permission": (
            403,
            "request_forbidden",
            "unsupported_country_region_territory",
            "Country, region, or territory not supported",
        ),
        "not_found": (404, "invalid_request_error", None, "Not found."),
        "not_found_model": (
            404,
            "invalid_request_error",
            "model_not_found",
            "The model `{model}` does not exist or you do not have access to it.",
        ),
        "too_large": (413, "invalid_request_error", None, "Request too large."),
        "unprocessable": (422, "invalid_request_error", None, "Unprocessable request."),
        "billing": (
            429,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        ),
    }

    def _validate(self, req: RecordedRequest, route: str) -> str | None:
        body = req.body
        if not isinstance(body, dict):
            return "We could not parse the JSON body of your request."
        for name, kind in (("model", str), ("messages", list)):
            if not isinstance(body.get(name), kind):
                return f"Missing required parameter: '{name}'."
        if body.get("stream_options") is not None and body.get("stream") is not True:
            return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        return None

    def _error(
        self, fault: Fault, req: RecordedRequest, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        p_status, p_type, p_code, p_message = self._PRESETS[_preset_for(fault)]
        key = req.api_key or ""
        masked = f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}" if len(key) > 8 else key
        message = p_message.format(model=fault.model or req.model, key=masked)
        error = {
            "message": fault.message or message,
            "type": fault.error_type or p_type,
            "param": fault.param,
            "code": fault.code or p_code,
        }
        return fault.status_code or p_status, {"error": error}

    def _stream_error(self, fault: Fault, req: RecordedRequest, request_id: str) -> str:
        _, body = self._error(fault, req, request_id)
        return f"data: {_dumps(body if fault.body is None else fault.body)}\n\n"

    def _drops(self, fault: Fault) -> bool:
        return fault.openai_mode == "drop"

    def _serve_models(self, ex: _Exchange, req: RecordedRequest) -> None:
        def info(model_id: str) -> dict[str, Any]:
            return {"id": model_id, "object": "model", "created": 1715367049, "owned_by": "system"}

        if req.path.rstrip("/") != "/v1/models":
            model_id = req.path.removeprefix("/v1/models/")
            if model_id in self.models:
                ex.send(200, info(model_id), self._ok_headers(), "application/json")
            else:
                self._send_fault(ex, Fault.not_found_model(model_id))
            return
        body = {"object": "list", "data": [info(m) for m in self.models]}
        ex.send(200, body, self._ok_headers(), "application/json")

    @staticmethod
    def _finish_reason(reply: Reply) -> str:
        reason = reply.stop_reason or "stop"
        return _OPENAI_STOP.get(reason, reason)

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        prompt = reply.input_tokens + reply.cache_read_tokens + reply.cache_write_tokens
        details = {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0}
        if reply.cache_write_tokens:
            details["cache_write_tokens"] = reply.cache_write_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": reply.billed_output_tokens,
            "total_tokens": prompt + reply.billed_output_tokens,
            "prompt_tokens_details": details,
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": self._finish_reason(reply),
        }
        return {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": self._usage(reply),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    @staticmethod
    def _chunk(model: str, choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        return f"data: {_dumps(chunk | extra)}\n\n"

    @staticmethod
    def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def _prelude(self, reply: Reply, model: str) -> Iterator[str]:
        delta = {"role": "assistant", "content": "", "refusal": None}
        yield self._chunk(model, [self._choice(delta)])

    def _delta(self, text: str, model: str) -> str:
        return self._chunk(model, [self._choice({"content": text})])

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        options = req.body.get("stream_options") or {}
        # with include_usage, every chunk carries "usage": null until the final usage chunk
        extra = {"usage": None} if options.get("include_usage") else {}
        yield self._chunk(model, [self._choice({}, self._finish_reason(reply))], **extra)
        if extra:
            yield self._chunk(model, [], usage=self._usage(reply))
        yield "data: [DONE]\n\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: FakeUpstream

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer is routine here, not news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small write waits ~40 ms for the client's ACK
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.upstream._connections.add(self.connection)

    def finish(self) -> None:
        self.server.upstream._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _dispatch(self) -> None:
        try:
            self.server.upstream._route(_Exchange(self, self.server.upstream._stopping))
        except _StreamEnded:
            pass
        except (_Dropped, OSError):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except Exception as exc:  # a bug in the fake: keep it for the test to see
            self.server.upstream.errors.append(exc)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_error(500, f"fake upstream failed: {exc!r}")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


class FakeUpstream:
    """Both fake APIs on one 127.0.0.1 port. Start with `start()` or `with`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.anthropic = AnthropicAPI()
        self.openai = OpenAIAPI()
        self.unhandled: list[RecordedRequest] = []
        self.errors: list[Exception] = []  # the fake's own failures (the upstream fixture checks)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeUpstream is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(self._address, _Handler)
        self._server.upstream = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-upstream",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes stalled handlers and closes open connections."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def reset(self) -> None:
        """Restore both APIs to their defaults and forget all history."""
        self.anthropic.reset()
        self.openai.reset()
        self.unhandled.clear()
        self.errors.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _route(self, ex: _Exchange) -> None:
        req = ex.request
        path, method = req.path.rstrip("/"), req.method
        if method == "POST" and path == "/v1/messages":
            self.anthropic.handle(ex, "generate")
        elif method == "POST" and path == "/v1/messages/count_tokens":
            self.anthropic.handle(ex, "count_tokens")
        elif method == "POST" and path == "/v1/chat/completions":
            self.openai.handle(ex, "generate")
        elif method == "GET" and (path == "/v1/models" or path.startswith("/v1/models/")):
            is_anthropic = "anthropic-version" in req.headers or "x-api-key" in req.headers
            (self.anthropic if is_anthropic else self.openai).handle(ex, "models")
        else:
            self.unhandled.append(req)
            body = {"error": {"message": f"No route for {method} {req.path}", "type": "not_found"}}
            ex.send(404, body, {}, "application/json")


def main(argv: list[str] | None = None) -> None:
    """Run the fake standalone until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args(argv)
    with FakeUpstream(args.host, args.port) as up:
        print(f"ANTHROPIC_BASE_URL={up.anthropic_base_url}")
        print(f"OPENAI_BASE_URL={up.openai_base_url}")
        print("Serving default replies; Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
