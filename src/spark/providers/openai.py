"""OpenAI, and OpenAI-compatible servers (Ollama, vLLM, LM Studio), via ``openai.AsyncOpenAI``.

Chat Completions streaming with ``stream_options.include_usage`` so the last chunk carries usage.
The same class serves a local server: only the client's ``base_url`` and the provider name
differ. The client's own retries must be off (``max_retries=0``): SPARK retries.

The SDK builds and sends the request (``chat.completions.with_streaming_response.create``: auth
headers, base URL, timeouts, and its ``APIStatusError`` for a non-2xx answer, raised before the
body is read); the SSE body is then read here (:mod:`spark.providers.sse`) and dispatched on the
plain JSON dicts, rather than have the SDK build a pydantic model for every chunk, which cost
two thirds of the call's client CPU (docs/benchmarks.md, "Provider stream reading"). As in the
SDK's stream, ``data: [DONE]`` ends the reply and a chunk with an ``error`` becomes the
``APIError`` the SDK would have raised, translated as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx2
import openai

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

_STOP_REASONS = {"stop": "end", "length": "max_tokens"}
# Local servers rarely check keys, but the SDK insists on one.
LOCAL_PLACEHOLDER_KEY = "not-needed"


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def usage_from_api(usage: object) -> Usage:
    """Map a chunk's ``usage`` (``CompletionUsage``) into SPARK's :class:`Usage`, cache tokens
    split out; a missing or null usage is empty."""
    if not isinstance(usage, dict):
        return Usage()
    details = usage.get("prompt_tokens_details")
    if not isinstance(details, dict):
        details = {}
    cached = _count(details.get("cached_tokens"))
    written = _count(details.get("cache_write_tokens"))
    prompt = _count(usage.get("prompt_tokens"))
    return Usage(
        # prompt_tokens counts cache reads and writes too; SPARK keeps the three apart.
        input_tokens=max(0, prompt - cached - written),
        output_tokens=_count(usage.get("completion_tokens")),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


class OpenAIProvider:
    """Streams Chat Completions from OpenAI or an OpenAI-compatible server."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        name: str = "openai",
        display: str = "OpenAI",
        key_env: str | None = "OPENAI_API_KEY",
        compatible: bool = False,
    ) -> None:
        self._client = client
        self.name = name
        self.display = display
        self.key_env = key_env
        # OpenAI's own API wants max_completion_tokens; local servers know max_tokens.
        self._compatible = compatible

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        key = settings.openai_api_key
        client = openai.AsyncOpenAI(
            api_key=key.get_secret_value() if key else None,
            base_url=settings.openai_base_url,
            timeout=openai.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            max_retries=0,
        )
        return cls(client)

    @classmethod
    def compatible_from_settings(cls, settings: Settings) -> OpenAIProvider:
        key = settings.openai_compat_api_key
        client = openai.AsyncOpenAI(
            api_key=key.get_secret_value() if key else LOCAL_PLACEHOLDER_KEY,
            base_url=settings.openai_compat_base_url,
            timeout=openai.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            max_retries=0,
        )
        return cls(
            client,
            name="openai_compat",
            display="the local OpenAI-compatible server",
            key_env="SPARK_OPENAI_COMPAT_API_KEY",
            compatible=True,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def stream(
        self, messages: Sequence[ChatMessage], model: str, options: StreamOptions
    ) -> AsyncIterator[Chunk]:
        chat: list[dict[str, str]] = []
        if options.system:
            chat.append({"role": "system", "content": options.system})
        chat.extend({"role": m.role, "content": m.content} for m in messages)
        params: dict[str, Any] = {
            "model": model,
            "messages": chat,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        params["max_tokens" if self._compatible else "max_completion_tokens"] = options.max_tokens
        if options.temperature is not None:
            params["temperature"] = options.temperature
        usage = Usage()
        finish: str | None = None
        opened = done = False
        try:
            async with self._client.chat.completions.with_streaming_response.create(
                **params
            ) as response:
                opened = True
                http = response.http_response
                async for sse in aiter_events(http.aiter_bytes()):
                    if done or not sse.data:
                        # After [DONE] the body is read to its end all the same, so that the
                        # connection goes back to the pool (the SDK drains it too).
                        continue
                    if sse.data.startswith("[DONE]"):
                        done = True
                        continue
                    chunk = event_object(sse.data, provider=self.name, display=self.display)
                    if error := chunk.get("error"):
                        raise self._error_chunk(error, http)
                    if (reported := chunk.get("usage")) is not None:
                        # The usage chunk (and, from servers that send it with every chunk,
                        # the usage so far): a stream that breaks later still costs this.
                        usage = usage_from_api(reported)
                        yield Chunk(usage=usage)
                    choices = chunk.get("choices")
                    for choice in choices if isinstance(choices, list) else ():
                        if not isinstance(choice, dict):
                            continue
                        delta = choice.get("delta")
                        if isinstance(delta, dict):
                            text = delta.get("content")
                            if text and isinstance(text, str):
                                yield Chunk(text=text)
                        reason = choice.get("finish_reason")
                        if reason and isinstance(reason, str):
                            finish = reason
        except openai.APIStatusError as exc:
            raise self._translate_status(exc, model) from exc
        except openai.APIConnectionError as exc:
            raise self._translate_transport(exc, stream_open=opened) from exc
        except openai.APIError as exc:
            # An error chunk inside a 200 stream (see _error_chunk).
            raise error_from_status(
                provider=self.name,
                display=self.display,
                key_env=self.key_env,
                status=200,
                headers=None,
                error_type=exc.type,
                error_code=exc.code,
                api_message=exc.message,
                request_id=None,
                model=model,
                mid_stream=True,
            ) from exc
        except httpx2.TransportError as exc:
            raise self._translate_transport(exc, stream_open=opened) from exc
        if finish is None:
            raise error_from_broken_stream(provider=self.name, display=self.display)
        yield Chunk(final=True, usage=usage, stop_reason=_STOP_REASONS.get(finish, finish))

    async def list_models(self) -> list[str]:
        try:
            return [model.id async for model in self._client.models.list()]
        except openai.APIStatusError as exc:
            raise self._translate_status(exc, "") from exc
        except (openai.APIConnectionError, httpx2.TransportError) as exc:
            raise self._translate_transport(exc) from exc

    async def aclose(self) -> None:
        await self._client.close()

    def _translate_transport(self, exc: Exception, *, stream_open: bool = False) -> AIError:
        return error_from_transport_failure(
            exc,
            provider=self.name,
            display=self.display,
            base_url=self.base_url,
            timeout_types=(openai.APITimeoutError,),
            stream_open=stream_open,
        )

    @staticmethod
    def _error_chunk(error: object, response: httpx2.Response) -> openai.APIError:
        """The exception the SDK's stream raises for a chunk with an ``error``."""
        message = error.get("message") if isinstance(error, dict) else None
        if not message or not isinstance(message, str):
            message = "An error occurred during streaming"
        return openai.APIError(message, response.request, body=error)

    def _translate_status(self, exc: openai.APIStatusError, model: str) -> AIError:
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        inner = body.get("error")
        error: dict[str, Any] = inner if isinstance(inner, dict) else body
        return error_from_status(
            provider=self.name,
            display=self.display,
            key_env=self.key_env,
            status=exc.status_code,
            headers=dict(exc.response.headers),
            error_type=exc.type or error.get("type"),
            error_code=exc.code or error.get("code"),
            api_message=error.get("message") or exc.message,
            request_id=exc.request_id,
            model=model,
        )
