"""The one path from a prompt to a Unity script, shared by the CLI, the web app and MCP.

``Engine.generate(request)`` yields :mod:`spark.events` in order: check the prompt, pick the
provider and model, stream with SPARK's retry policy (a stream that fails after tokens were
delivered restarts from scratch, after a ``RetryEvent`` that tells displays to clear), extract
the script, validate it, optionally ask the model once to repair its errors, and finish with one
``DoneEvent`` or ``ErrorEvent``. Nothing here knows about HTTP requests, terminals or databases.

An adapter that keeps records passes a :class:`GenerationRecorder` (``spark.db.recorder`` writes
history rows): it hears ``start`` before the provider is called and ``finish`` with the final
event before that event is yielded, and ``finish`` even when the consumer stops early.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

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
from spark.unity.prompts import SYSTEM_PROMPT_VERSION, build_repair_prompt, build_system_prompt
from spark.usage import Usage

Sleep = Callable[[float], Awaitable[Any]]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What the user asked for. ``history`` holds earlier turns of the same conversation."""

    prompt: str
    provider: str | None = None
    model: str | None = None
    history: tuple[ChatMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationStart:
    """What a recorder learns when a generation begins (provider and model as planned)."""

    prompt: str
    provider: str
    model: str
    system_prompt_version: str


class GenerationRecorder(Protocol):
    """Keeps a durable record of one generation (one recorder per generation)."""

    async def start(self, started: GenerationStart) -> None:
        """Called once, before any provider is called."""

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        """Called once with the final event, before it is yielded; when the consumer stopped
        early (disconnect, Ctrl-C), with an ``ErrorEvent`` of kind ``cancelled``."""


@dataclass(slots=True)
class _Attempt:
    """Running totals of one generation across retries and repair rounds."""

    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    reply: str = ""
    stop_reason: str | None = None


@dataclass(slots=True)
class _Run:
    """What a generation has done so far, readable when it is cut short."""

    started: float
    state: _Attempt = field(default_factory=_Attempt)
    provider: str | None = None
    model: str | None = None


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
        self._recordings: set[asyncio.Future[None]] = set()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Wait for recordings still being written, then close the SDK clients."""
        if self._recordings:
            await asyncio.gather(*self._recordings, return_exceptions=True)
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

    def check_prompt(self, prompt: str) -> None:
        """Raise a UsageError for an empty or over-long prompt (nothing is recorded for it)."""
        if not prompt.strip():
            raise UsageError("The prompt is empty.", hint="Describe the script you want.")
        limit = self.settings.max_prompt_chars
        if len(prompt) > limit:
            raise UsageError(
                f"The prompt is {len(prompt):,} characters; the limit is {limit:,}.",
                hint="Shorten it, or raise SPARK_MAX_PROMPT_CHARS.",
            )

    async def resolve(self, request: GenerationRequest) -> tuple[str, str]:
        """Pick provider and model for ``request``, or raise a SparkError saying what to fix."""
        self.check_prompt(request.prompt)
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

    async def generate(
        self, request: GenerationRequest, *, recorder: GenerationRecorder | None = None
    ) -> AsyncGenerator[Event]:
        """Run one generation; see the module docstring for the order of events.

        With a ``recorder``, ``start`` is awaited before the provider is called and ``finish``
        with the final event before it is yielded. A consumer that stops iterating (closes the
        generator, or its task is cancelled) still gets ``finish``, with an ``ErrorEvent`` of
        kind ``cancelled`` and the figures so far. Recording runs shielded from cancellation;
        a recorder's own failure is logged and never fails the generation.
        """
        run = _Run(started=self._clock())
        if recorder is None:
            async with aclosing(self._generate(request, run)) as events:
                async for event in events:
                    yield event
            return
        try:
            self.check_prompt(request.prompt)
        except UsageError as exc:  # a mistake in the request, not a generation: no history row
            yield ErrorEvent(exc, provider=request.provider, model=request.model)
            return
        starting = self._record(recorder.start(self._planned(request)))
        finished = False
        try:
            await self._wait(starting)
            async with aclosing(self._generate(request, run)) as events:
                async for event in events:
                    if isinstance(event, DoneEvent | ErrorEvent):
                        finished = True
                        await self._wait(self._record(self._after(starting, recorder, event)))
                    yield event
        finally:
            if not finished:
                cancelled = self._cancelled(run)
                await self._wait(self._record(self._after(starting, recorder, cancelled)))

    def _planned(self, request: GenerationRequest) -> GenerationStart:
        """Provider and model as ``resolve`` will most likely pick them, without any I/O."""
        provider = request.provider or self.settings.default_provider or OFFLINE
        model = request.model
        if model is None and provider == self.settings.default_provider:
            model = self.settings.default_model
        if model is None:
            try:
                model = self.catalog.default_model(provider).id
            except (SparkError, StopIteration):
                model = ""
        return GenerationStart(request.prompt, provider, model, SYSTEM_PROMPT_VERSION)

    def _cancelled(self, run: _Run) -> ErrorEvent:
        error = AIError(
            "The generation was cancelled before it finished.",
            provider=run.provider or "",
            kind=ErrorKind.CANCELLED,
            retryable=False,
        )
        usage = run.state.usage
        cost = (
            self.catalog.cost(run.provider, run.model, usage)
            if run.provider and run.model
            else None
        )
        return ErrorEvent(
            error,
            provider=run.provider,
            model=run.model,
            attempts=run.state.attempts,
            usage=usage,
            cost_usd=cost,
            duration_ms=round((self._clock() - run.started) * 1000),
        )

    def _record(self, call: Awaitable[None]) -> asyncio.Future[None]:
        """Run a recorder call as its own task, so that cancelling the consumer cannot cut it
        short; ``aclose`` waits for the ones still running."""
        task = asyncio.ensure_future(call)
        self._recordings.add(task)
        task.add_done_callback(self._recorded)
        return task

    def _recorded(self, task: asyncio.Future[None]) -> None:
        self._recordings.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not record the generation", exc_info=task.exception())

    @staticmethod
    async def _after(
        starting: asyncio.Future[None],
        recorder: GenerationRecorder,
        outcome: DoneEvent | ErrorEvent,
    ) -> None:
        """``finish`` once ``start`` is over (it may still be running after a cancellation)."""
        if not starting.done():
            await asyncio.wait([starting])
        await recorder.finish(outcome)

    @staticmethod
    async def _wait(task: asyncio.Future[None]) -> None:
        """Wait for a recording; cancellation passes, a failure is only logged (``_recorded``):
        a record never fails a generation."""
        with suppress(Exception):
            await asyncio.shield(task)

    async def _generate(self, request: GenerationRequest, run: _Run) -> AsyncGenerator[Event]:
        started = run.started
        state = run.state
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
        run.provider, run.model = provider_name, model_id
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
