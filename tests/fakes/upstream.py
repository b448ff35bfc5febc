"""A fake Anthropic Messages API and OpenAI Chat Completions API on 127.0.0.1, for tests.

The official SDKs talk to it over real sockets, so a provider test exercises the SDK's own request
building, error mapping and connection pool, and the provider's reading of the SSE body. A stdlib
`ThreadingHTTPServer` in a daemon thread serves it; writing the bytes by hand is what lets it
stream, stall and drop connections.

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

Usage is reported as the real APIs do, so a test can script what a failed attempt was billed:
Anthropic's `message_start` carries the input tokens (and 1 output token) before any text, so a
mid-stream fault after it leaves that usage reported; `Fault.mid_stream_error(after_usage=True)`
(or `mid_stream_drop`) fails the stream only after its usage report (Anthropic's
`message_delta`, OpenAI's usage chunk), and `Reply(usage_in_every_chunk=True)` makes OpenAI's
chunks carry the usage so far (as vLLM's `continuous_usage_stats` does).

Timing, in seconds (on the API object, or per `Reply` to override): `latency` before the response
headers (every response, faults included); `ttft` between the stream's first events and the first
text delta; `chunk_delay` between text deltas. A non-streamed reply waits for all three in total.

`python -m tests.fakes.upstream --port 8787` runs it standalone, serving default replies.

Modules: `scripts.py` (Reply, Fault, RecordedRequest), `api_base.py` (the request flow both
APIs share), `anthropic_api.py` and `openai_api.py` (the wire formats); this one is the server.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from tests.fakes.anthropic_api import AnthropicAPI
from tests.fakes.api_base import _Dropped, _Exchange, _StreamEnded
from tests.fakes.openai_api import OpenAIAPI
from tests.fakes.scripts import DEFAULT_TEXT, Fault, RecordedRequest, Reply

__all__ = [
    "DEFAULT_TEXT",
    "AnthropicAPI",
    "FakeUpstream",
    "Fault",
    "OpenAIAPI",
    "RecordedRequest",
    "Reply",
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops connections when dozens arrive at once
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
