"""Anthropic Claude through the official SDK (``anthropic.AsyncAnthropic``, Messages API).

The client is passed in (tests hand in one whose ``base_url`` is the fake upstream); its own
retries must be off (``max_retries=0``) because SPARK's orchestrator retries. SDK exceptions are
translated into :class:`~spark.errors.AIError` here and nowhere else.

The SDK builds and sends the request (``messages.with_streaming_response.create``: auth headers,
base URL, timeouts, and its ``APIStatusError`` for a non-2xx answer, raised before the body is
read); the SSE body is then read here (:mod:`spark.providers.sse`) and dispatched on the plain
JSON dicts. The SDK's own stream would build a pydantic model for every event, a third of the
call's client CPU for what SPARK uses of it (the text deltas and the usage; docs/benchmarks.md,
"Provider stream reading"). An ``error`` event
in the stream becomes the ``APIStatusError`` the SDK's stream would have raised for it, and is
translated like any other.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import anthropic
import httpx2

from spark.errors import AIError
from spark.providers.base import ChatMessage, Chunk, StreamOptions
from spark.providers.errors import (
    error_from_broken_stream,
    error_from_status,
    error_from_transport_failure,
)
from spark.providers.sse import aiter_events, event_object
from spark.usage import Usage

if TYPE_CHECKING:
    from spark.config import Settings

DISPLAY = "Anthropic"
KEY_ENV = "ANTHROPIC_API_KEY"
_STOP_REASONS = {"end_turn": "end", "stop_sequence": "end", "max_tokens": "max_tokens"}


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def usage_from_api(usage: object) -> Usage:
    """Map the API's ``usage`` object (``message_start``'s, or ``message_delta``'s cumulative
    one) into SPARK's :class:`Usage`; missing or null counts are 0."""
    if not isinstance(usage, dict):
        return Usage()
    return Usage(
        input_tokens=_count(usage.get("input_tokens")),
        output_tokens=_count(usage.get("output_tokens")),
        cache_read_tokens=_count(usage.get("cache_read_input_tokens")),
        cache_write_tokens=_count(usage.get("cache_creation_input_tokens")),
    )


class AnthropicProvider:
    """Streams Claude replies; one instance per configured client."""

    name = "anthropic"

    def __init__(self, client: anthropic.AsyncAnthropic) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        """Build the SDK client from SPARK's settings (key, base URL, timeouts, no retries)."""
        key = settings.anthropic_api_key
        client = anthropic.AsyncAnthropic(
            api_key=key.get_secret_value() if key else None,
            base_url=settings.anthropic_base_url,
            timeout=anthropic.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            max_retries=0,
        )
        return cls(client)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def stream(
        self, messages: Sequence[ChatMessage], model: str, options: StreamOptions
    ) -> AsyncIterator[Chunk]:
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": options.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if options.system:
            params["system"] = options.system
        if options.temperature is not None:
            params["temperature"] = options.temperature
        usage = Usage()
        stop_reason: str | None = None
        opened = finished = False
        try:
            async with contextlib.AsyncExitStack() as stack:
                with warnings.catch_warnings():
                    # The SDK warns about deprecated models; SPARK labels them in its own catalog.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    response = await stack.enter_async_context(
                        self._client.messages.with_streaming_response.create(stream=True, **params)
                    )
                opened = True
                http = response.http_response
                async for sse in aiter_events(http.aiter_bytes()):
                    # As in the SDK's stream: unnamed events and pings are skipped, an error
                    # event raises, and the data's type (the event's name) says what it is.
                    if sse.event == "error":
                        raise self._error_event(sse.data, http)
                    if sse.event is None or sse.event == "ping" or not sse.data:
                        continue
                    event = event_object(sse.data, provider=self.name, display=DISPLAY)
                    kind = event.get("type")
                    if kind == "content_block_delta":
                        delta = event.get("delta")
                        if isinstance(delta, dict) and delta.get("type") == "text_delta":
                            text = delta.get("text")
                            if text and isinstance(text, str):
                                yield Chunk(text=text)
                    elif kind == "message_start":
                        message = event.get("message")
                        # Billed from here on: a stream that breaks later still costs this.
                        usage = usage_from_api(
                            message.get("usage") if isinstance(message, dict) else None
                        )
                        yield Chunk(usage=usage)
                    elif kind == "message_delta":
                        delta = event.get("delta")
                        reason = delta.get("stop_reason") if isinstance(delta, dict) else None
                        stop_reason = reason if isinstance(reason, str) else None
                        so_far = usage_from_api(event.get("usage"))
                        # message_delta counts are cumulative: they replace, not add.
                        usage = Usage(
                            input_tokens=so_far.input_tokens or usage.input_tokens,
                            output_tokens=so_far.output_tokens,
                            cache_read_tokens=so_far.cache_read_tokens or usage.cache_read_tokens,
                            cache_write_tokens=so_far.cache_write_tokens
                            or usage.cache_write_tokens,
                        )
                        yield Chunk(usage=usage)
                    elif kind == "message_stop":
                        finished = True
        except anthropic.APIStatusError as exc:
            raise self._translate_status(exc, model) from exc
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise self._translate_transport(exc, stream_open=opened) from exc
        if not finished:
            raise error_from_broken_stream(provider=self.name, display=DISPLAY)
        yield Chunk(
            final=True,
            usage=usage,
            stop_reason=_STOP_REASONS.get(stop_reason or "", stop_reason),
        )

    async def list_models(self) -> list[str]:
        try:
            return [model.id async for model in self._client.models.list(limit=1000)]
        except anthropic.APIStatusError as exc:
            raise self._translate_status(exc, "") from exc
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise self._translate_transport(exc) from exc

    async def aclose(self) -> None:
        await self._client.close()

    def _translate_transport(self, exc: Exception, *, stream_open: bool = False) -> AIError:
        return error_from_transport_failure(
            exc,
            provider=self.name,
            display=DISPLAY,
            base_url=self.base_url,
            timeout_types=(anthropic.APITimeoutError,),
            stream_open=stream_open,
        )

    @staticmethod
    def _error_event(data: str, response: httpx2.Response) -> anthropic.APIStatusError:
        """The exception the SDK's stream raises for an ``error`` event (status 200)."""
        body: object
        try:
            body = json.loads(data)
            message = f"{body}"
        except ValueError:
            body, message = data, data or f"Error code: {response.status_code}"
        return anthropic.APIStatusError(message, response=response, body=body)

    def _translate_status(self, exc: anthropic.APIStatusError, model: str) -> AIError:
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        inner = body.get("error")
        error: dict[str, Any] = inner if isinstance(inner, dict) else {}
        return error_from_status(
            provider=self.name,
            display=DISPLAY,
            key_env=KEY_ENV,
            status=exc.status_code,
            headers=dict(exc.response.headers),
            error_type=exc.type or error.get("type"),
            error_code=exc.error_code,
            api_message=exc.api_message or error.get("message"),
            request_id=exc.request_id or body.get("request_id"),
            model=model,
        )
