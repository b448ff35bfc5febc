"""The request flow both fake APIs share: one exchange per request, queues, history, timing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.scripts import _REASONS, Fault, RecordedRequest, Reply, _dumps, _rid


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
        # where the fault strikes: after that many deltas, or (None) after the usage report
        at = None if fault is None or fault.after_usage else fault.after_chunks
        for i, piece in enumerate(chunks):
            if fault is not None and i == at:
                self._interrupt(ex, fault, request_id)
            ex.sleep(ttft if i == 0 else delay)
            ex.event(self._delta(piece, model, reply, i + 1))
        if fault is not None and at is not None and at >= len(chunks):
            self._interrupt(ex, fault, request_id)
        for event in self._epilogue(reply, model, req):
            ex.event(event)
        if fault is not None and at is None:
            self._interrupt(ex, fault, request_id)
        ex.event(self._closing())
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

    def _delta(self, text: str, model: str, reply: Reply, sent: int) -> str:
        """The `sent`-th text delta of `reply`."""
        raise NotImplementedError

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        """What follows the text, up to and including the usage report."""
        raise NotImplementedError

    def _closing(self) -> str:
        """The stream's last event (`message_stop`, `[DONE]`)."""
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
