"""What the fake upstream serves: replies, faults, and the requests it records.

See ``tests/fakes/upstream.py`` for how the pieces fit together.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

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
    # OpenAI: every chunk carries the usage so far, as vLLM's `continuous_usage_stats` does
    # (the prompt's tokens and one completion token per text delta sent).
    usage_in_every_chunk: bool = False

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
    # Fail a stream after its usage report instead (every delta sent, then Anthropic's
    # `message_delta` / OpenAI's finish and usage chunks; no `message_stop` / `[DONE]`).
    after_usage: bool = False
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
        """Stream `after_chunks` text deltas (or, with `after_usage=True`, the whole reply up
        to its usage report), then fail. Anthropic: an `event: error` with
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
        """Stream `after_chunks` text deltas (or up to the usage report, `after_usage=True`),
        then close the connection mid-body."""
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
