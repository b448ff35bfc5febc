"""Anthropic Claude through the official SDK (``anthropic.AsyncAnthropic``, Messages API).

The client is passed in (tests hand in one whose ``base_url`` is the fake upstream); its own
retries must be off (``max_retries=0``) because SPARK's orchestrator retries. SDK exceptions are
translated into :class:`~spark.errors.AIError` here and nowhere else.
"""

from __future__ import annotations

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
from spark.usage import Usage

if TYPE_CHECKING:
    from spark.config import Settings

DISPLAY = "Anthropic"
KEY_ENV = "ANTHROPIC_API_KEY"
_STOP_REASONS = {"end_turn": "end", "stop_sequence": "end", "max_tokens": "max_tokens"}


def usage_from_sdk(usage: Any) -> Usage:
    """Map an Anthropic ``Usage``/``MessageDeltaUsage`` object into SPARK's :class:`Usage`."""
    return Usage(
        input_tokens=getattr(usage, "input_tokens", None) or 0,
        output_tokens=getattr(usage, "output_tokens", None) or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
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
            with warnings.catch_warnings():
                # The SDK warns about deprecated models; SPARK labels them in its own catalog.
                warnings.simplefilter("ignore", DeprecationWarning)
                stream = await self._client.messages.create(stream=True, **params)
            opened = True
            async with stream:
                async for event in stream:
                    if event.type == "content_block_delta":
                        if event.delta.type == "text_delta" and event.delta.text:
                            yield Chunk(text=event.delta.text)
                    elif event.type == "message_start":
                        # Billed from here on: a stream that breaks later still costs this.
                        usage = usage_from_sdk(event.message.usage)
                        yield Chunk(usage=usage)
                    elif event.type == "message_delta":
                        stop_reason = event.delta.stop_reason
                        delta = usage_from_sdk(event.usage)
                        # message_delta counts are cumulative: they replace, not add.
                        usage = Usage(
                            input_tokens=delta.input_tokens or usage.input_tokens,
                            output_tokens=delta.output_tokens,
                            cache_read_tokens=delta.cache_read_tokens or usage.cache_read_tokens,
                            cache_write_tokens=delta.cache_write_tokens or usage.cache_write_tokens,
                        )
                        yield Chunk(usage=usage)
                    elif event.type == "message_stop":
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
