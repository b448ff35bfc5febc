"""The one path from a prompt to a Unity script, shared by the CLI, the web app and MCP.

``Engine.generate(request)`` yields :mod:`spark.events` in order: check the prompt, pick the
provider and model, stream with SPARK's retry policy (a stream that fails after tokens were
delivered restarts from scratch, after a ``RetryEvent`` that tells displays to clear), extract
the script, validate it, optionally ask the model once to repair its errors, and finish with one
``DoneEvent`` or ``ErrorEvent``. Nothing here knows about HTTP requests, terminals or databases.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spark.catalog import Catalog, load_catalog
from spark.config import Settings
from spark.errors import AIError, ErrorKind, SparkError, UsageError
from spark.events import (
    DoneEvent,
    ErrorEvent,
    Event,
    GenerationResult,
    RepairEvent,
    RetryEvent,
    TokenEvent,
    ValidationEvent,
)
from spark.models import ModelDirectory
from spark.providers import OFFLINE, build_provider
from spark.providers.base import ChatMessage, Provider, StreamOptions
from spark.retry import RetryDecision, RetryPolicy
from spark.unity.extract import extract_code
from spark.unity.prompts import build_repair_prompt, build_system_prompt
from spark.usage import Usage

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What the user asked for. ``history`` holds earlier turns of the same conversation."""

    prompt: str
    provider: str | None = None
    model: str | None = None
    history: tuple[ChatMessage, ...] = ()


@dataclass(slots=True)
class _Attempt:
    """Running totals of one generation across retries and repair rounds."""

    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    reply: str = ""
    stop_reason: str | None = None


def redact(text: str | None, secrets: list[str]) -> str | None:
    """Replace every configured secret in ``text``."""
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class Engine:
    """Runs generations for one set of settings; reuse it (it caches SDK clients and models)."""

    def __init__(
        self,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
        providers: Mapping[str, Provider] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        self.catalog = catalog or load_catalog()
        self.policy = policy or RetryPolicy(
            max_retries=settings.max_retries,
            base_delay=settings.retry_base_delay,
            max_delay=settings.retry_max_delay,
        )
        self._providers: dict[str, Provider] = dict(providers or {})
        self._sleep = sleep
        self._clock = clock
        self.models = ModelDirectory(settings, self.catalog, self.provider)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the SDK clients this engine opened."""
        for provider in self._providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
        self._providers.clear()

    def provider(self, name: str) -> Provider:
        """The provider called ``name``, built on first use (raises ConfigError/UsageError)."""
        if name not in self._providers:
            self._providers[name] = build_provider(name, self.settings)
        return self._providers[name]

    async def resolve(self, request: GenerationRequest) -> tuple[str, str]:
        """Pick provider and model for ``request``, or raise a SparkError saying what to fix."""
        prompt = request.prompt.strip()
        if not prompt:
            raise UsageError("The prompt is empty.", hint="Describe the script you want.")
        limit = self.settings.max_prompt_chars
        if len(request.prompt) > limit:
            raise UsageError(
                f"The prompt is {len(request.prompt):,} characters; the limit is {limit:,}.",
                hint="Shorten it, or raise SPARK_MAX_PROMPT_CHARS.",
            )
        name = request.provider or self.settings.default_provider or OFFLINE
        self.catalog.provider(name)  # raises UsageError naming the known providers
        self.provider(name)  # raises ConfigError when the key or URL is missing
        model_id = request.model
        if model_id is None and name == self.settings.default_provider:
            model_id = self.settings.default_model
        if model_id is None:
            return name, self.catalog.default_model(name).id
        listing = await self.models.listing(name)
        known = listing.find(model_id)
        if known is not None:
            return name, known.id
        if name == OFFLINE or listing.live:
            raise UsageError(
                f"Unknown model '{model_id}' for provider {name}.",
                hint=self._suggestion(name, model_id),
            )
        return name, model_id  # not in the catalog and no live list: let the provider decide

    def _suggestion(self, provider: str, model_id: str) -> str:
        ids = [m.id for m in self.catalog.suggest(provider, model_id)][:3]
        return f"Try {', '.join(ids)} (see `spark models`)." if ids else "See `spark models`."

    def _options(self, provider: str, model_id: str) -> StreamOptions:
        info = self.catalog.find(provider, model_id)
        max_tokens = self.settings.max_output_tokens
        if info is not None and info.max_output_tokens:
            max_tokens = min(max_tokens, info.max_output_tokens)
        return StreamOptions(
            system=build_system_prompt(
                unity_version=self.settings.unity_version,
                input_system=self.settings.input_system,
            ),
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
        )

    async def generate(self, request: GenerationRequest) -> AsyncIterator[Event]:
        """Run one generation; see the module docstring for the order of events."""
        started = self._clock()
        state = _Attempt()
        provider_name: str | None = request.provider
        model_id: str | None = request.model

        def elapsed_ms() -> int:
            return round((self._clock() - started) * 1000)

        def failure(error: SparkError) -> ErrorEvent:
            error.message = redact(error.message, self.settings.secret_values()) or ""
            error.hint = redact(error.hint, self.settings.secret_values())
            cost = (
                self.catalog.cost(provider_name, model_id, state.usage)
                if provider_name and model_id
                else None
            )
            return ErrorEvent(
                error,
                provider=provider_name,
                model=model_id,
                attempts=state.attempts,
                usage=state.usage,
                cost_usd=cost,
                duration_ms=elapsed_ms(),
            )

        try:
            provider_name, model_id = await self.resolve(request)
        except SparkError as exc:
            yield failure(exc)
            return
        provider = self.provider(provider_name)
        options = self._options(provider_name, model_id)
        messages = [*request.history, ChatMessage("user", request.prompt)]

        try:
            async for event in self._stream_with_retry(
                provider, messages, model_id, options, state
            ):
                yield event
        except AIError as exc:
            yield failure(exc)
            return
        extracted = extract_code(state.reply)
        if not extracted.code.strip():
            yield failure(
                AIError(
                    "The model answered without a C# script.",
                    hint="Rephrase the prompt as a request for a Unity script.",
                    provider=provider_name,
                    kind=ErrorKind.NO_CODE,
                    retryable=False,
                )
            )
            return
        report = self._validate(extracted.code, extracted.file_name)
        yield ValidationEvent(report)

        repair_rounds = 0
        first_report = report
        reply = state.reply
        while (
            report is not None
            and not report.ok
            and repair_rounds < self.settings.repair_rounds
            and provider_name != OFFLINE
        ):
            repair_rounds += 1
            findings = _findings(report, extracted.code)
            yield RepairEvent(repair_rounds, findings)
            repair_messages = [
                *messages,
                ChatMessage("assistant", reply),
                ChatMessage("user", build_repair_prompt(findings)),
            ]
            try:
                async for event in self._stream_with_retry(
                    provider, repair_messages, model_id, options, state
                ):
                    yield event
            except AIError as exc:
                yield failure(exc)
                return
            candidate = extract_code(state.reply)
            if not candidate.code.strip():
                break
            candidate_report = self._validate(candidate.code, candidate.file_name)
            yield ValidationEvent(candidate_report)
            if len(candidate_report.errors) <= len(report.errors):
                extracted, report, reply = candidate, candidate_report, state.reply

        result = GenerationResult(
            provider=provider_name,
            model=model_id,
            reply=reply,
            code=extracted.code,
            class_name=extracted.class_name,
            file_name=extracted.file_name,
            usage=state.usage,
            cost_usd=self.catalog.cost(provider_name, model_id, state.usage),
            duration_ms=elapsed_ms(),
            attempts=state.attempts,
            stop_reason=state.stop_reason,
            validation=report,
            repair_rounds=repair_rounds,
            validation_before_repair=first_report if repair_rounds else None,
        )
        yield DoneEvent(result)

    async def _stream_with_retry(
        self,
        provider: Provider,
        messages: list[ChatMessage],
        model_id: str,
        options: StreamOptions,
        state: _Attempt,
    ) -> AsyncIterator[Event]:
        """Stream one reply into ``state``, retrying per the policy; raise the final AIError."""
        retries = 0
        while True:
            state.attempts += 1
            parts: list[str] = []
            try:
                async for chunk in provider.stream(messages, model_id, options):
                    if chunk.final:
                        state.usage = state.usage + chunk.usage
                        state.stop_reason = chunk.stop_reason
                    elif chunk.text:
                        parts.append(chunk.text)
                        yield TokenEvent(chunk.text)
            except AIError as exc:
                retries += 1
                decision = self.policy.decide(exc, retries)
                if not decision.retry:
                    raise self._final_error(exc, decision, state.attempts, model_id) from exc
                yield RetryEvent(
                    attempt=state.attempts + 1,
                    max_attempts=self.policy.max_attempts,
                    delay=decision.delay,
                    error=exc,
                )
                await self._sleep(decision.delay)
                continue
            state.reply = "".join(parts)
            return

    def _final_error(
        self, error: AIError, decision: RetryDecision, attempts: int, model_id: str
    ) -> AIError:
        message, hint = error.message, error.hint
        if decision.reason == "exhausted":
            message = f"{message} Gave up after {attempts} attempts."
        elif decision.reason == "retry_after_too_long":
            wait = error.retry_after or 0
            message = (
                f"{message} Rate limited for {wait:g} s, longer than SPARK waits "
                f"({self.policy.max_delay:g} s)."
            )
            hint = f"Try again in {wait:g} s."
        elif error.kind is ErrorKind.NOT_FOUND and model_id:
            hint = self._suggestion(error.provider, model_id)
        return AIError(
            message,
            hint=hint,
            provider=error.provider,
            kind=error.kind,
            retryable=error.retryable,
            status=error.status,
            error_type=error.error_type,
            error_code=error.error_code,
            request_id=error.request_id,
            retry_after=error.retry_after,
        )

    def _validate(self, code: str, file_name: str) -> Any:
        from spark.unity.validator import validate

        return validate(
            code,
            file_name=file_name,
            unity_version=self.settings.unity_version,
            input_system=self.settings.input_system,
        )


def _findings(report: Any, code: str) -> str:
    from spark.unity.validator import format_for_repair

    return str(format_for_repair(report, code))
