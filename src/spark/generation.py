"""The one path from a prompt to a Unity script, shared by the CLI, the web app and MCP.

``Engine.generate(request)`` yields :mod:`spark.events` in order: check the prompt, pick the
provider and model, stream with SPARK's retry policy (a stream that fails after tokens were
delivered restarts from scratch, after a ``RetryEvent`` that tells displays to clear), extract
the script, validate it, optionally ask the model once to repair its errors, and finish with one
``DoneEvent`` or ``ErrorEvent``. Nothing here knows about HTTP requests, terminals or databases.

An adapter that keeps records passes a :class:`~spark.recording.GenerationRecorder`
(``spark.db.recorder`` writes history rows): it hears ``start`` before the provider is called
and ``finish`` with the final event before that event is yielded, and ``finish`` even when the
consumer stops early. When ``finish`` fails (after the recorder's own retries), a ``DoneEvent``
becomes an ``ErrorEvent`` of kind ``record``: an outcome that could not be saved is never
reported as a success (:mod:`spark.recording`).

Every provider call's usage counts, failed and cancelled ones included (see
:mod:`spark.attempts`); text from the provider is made storable (:mod:`spark.text`) before
anyone sees it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from spark.attempts import GenerationRun
from spark.catalog import Catalog, load_catalog
from spark.config import Settings
from spark.errors import AIError, ErrorKind, SparkError, UsageError
from spark.events import (
    CompileEvent,
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
from spark.recording import GenerationRecorder, GenerationStart, Recording
from spark.retry import RetryDecision, RetryPolicy
from spark.text import storable
from spark.unity.extract import ExtractedCode, extract_code
from spark.unity.project_write import ProjectDestination
from spark.unity.prompts import SYSTEM_PROMPT_VERSION, build_repair_prompt, build_system_prompt
from spark.unity.target import UnityTarget, default_target
from spark.unity.workspace import Workspace, WorkspaceOptions

Sleep = Callable[[float], Awaitable[Any]]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What the user asked for. ``history`` holds earlier turns of the same conversation.

    ``resolved``: provider and model are what :meth:`Engine.resolve` returned for this request
    already (an adapter that checks before streaming), so the engine does not check again.
    """

    prompt: str
    provider: str | None = None
    model: str | None = None
    history: tuple[ChatMessage, ...] = ()
    resolved: bool = False
    target: UnityTarget | None = None  # None: SPARK_UNITY_VERSION / SPARK_INPUT_SYSTEM, no project
    # Where the script will be written in the target's project, when the adapter knows: a
    # script already there is the one being replaced, not another class of the same name.
    destination: ProjectDestination | None = None


@dataclass(slots=True)
class Stop:
    """Lets a consumer say why it stops a generation early, and learn how it ended.

    Set ``reason`` before cancelling the task that iterates the generation (or closing the
    generator): the recorder's ``finish`` then gets an ``ErrorEvent`` with that error instead of
    ``cancelled``, and ``outcome`` holds that event afterwards (figures included).
    """

    reason: SparkError | None = None
    outcome: ErrorEvent | None = field(default=None, init=False)


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
        self._workspaces: dict[tuple[object, ...], Workspace] = {}

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
        known = self.catalog.find(name, model_id)
        if known is not None:  # no network call for a model SPARK knows
            return name, known.id
        listing = await self.models.listing(name)  # at most one request, cached either way
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

    def workspace(self, target: UnityTarget | None) -> Workspace:
        """The workspace of ``target`` (default: from settings), reused across generations."""
        target = target or default_target(self.settings)
        project = target.project.root if target.project is not None else None
        key = (target.unity_version, target.input_system, target.render_pipeline, project)
        if key not in self._workspaces:
            options = WorkspaceOptions.from_settings(self.settings)
            self._workspaces[key] = Workspace(target, options)
        return self._workspaces[key]

    def _options(
        self, provider: str, model_id: str, workspace: Workspace, prompt: str
    ) -> StreamOptions:
        info = self.catalog.find(provider, model_id)
        max_tokens = self.settings.max_output_tokens
        if info is not None and info.max_output_tokens:
            max_tokens = min(max_tokens, info.max_output_tokens)
        return StreamOptions(
            system=build_system_prompt(
                unity_version=workspace.target.unity_version,
                input_system=workspace.target.input_system,
                project_context=workspace.prompt_context(prompt),
            ),
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
        )

    async def generate(
        self,
        request: GenerationRequest,
        *,
        recorder: GenerationRecorder | None = None,
        stop: Stop | None = None,
    ) -> AsyncGenerator[Event]:
        """Run one generation; see the module docstring for the order of events.

        With a ``recorder``, ``start`` is awaited before the provider is called and ``finish``
        with the final event before it is yielded; if ``finish`` fails, the final event is an
        ``ErrorEvent`` of kind ``record``. A consumer that stops iterating (closes the
        generator, or its task is cancelled) still gets ``finish``, with an ``ErrorEvent`` of
        kind ``cancelled`` (or ``stop.reason``) and the figures so far. Recording runs shielded
        from cancellation; a failure of ``start`` is logged and the generation goes on.
        """
        run = GenerationRun(started=self._clock(), cost_of=self.catalog.cost)
        recording: Recording | None = None
        if recorder is not None:
            try:
                self.check_prompt(request.prompt)
            except UsageError as exc:  # a mistake in the request, not a generation: no row
                yield ErrorEvent(exc, provider=request.provider, model=request.model)
                return
            recording = Recording(recorder, self._recordings)
        finished = False
        try:
            if recording is not None:
                await recording.start(self.planned(request))
            async with aclosing(self._generate(request, run)) as events:
                async for event in events:
                    if isinstance(event, DoneEvent | ErrorEvent):
                        finished = True
                        if recording is not None:
                            event = await recording.finish(event)
                    yield event
        finally:
            if not finished:
                cancelled = self._cancelled(run, stop.reason if stop is not None else None)
                if stop is not None:
                    stop.outcome = cancelled
                if recording is not None:
                    await recording.finish(cancelled)

    async def record_refusal(
        self, request: GenerationRequest, error: SparkError, recorder: GenerationRecorder
    ) -> ErrorEvent:
        """Record a request refused before any provider call (unknown provider or model,
        missing key) as a failed generation, as :meth:`generate` does; returns its event.
        Adapters that check a request before streaming (the web app) call this."""
        self._clean(error)
        recording = Recording(recorder, self._recordings)
        await recording.start(self.planned(request))
        recorded = await recording.finish(
            ErrorEvent(error, provider=request.provider, model=request.model)
        )
        assert isinstance(recorded, ErrorEvent)
        return recorded

    def planned(self, request: GenerationRequest) -> GenerationStart:
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

    def _cancelled(self, run: GenerationRun, reason: SparkError | None) -> ErrorEvent:
        error = reason or AIError(
            "The generation was cancelled before it finished.",
            provider=run.provider or "",
            kind=ErrorKind.CANCELLED,
            retryable=False,
        )
        return self._failure(run, error)

    def _failure(self, run: GenerationRun, error: SparkError) -> ErrorEvent:
        """The final ``ErrorEvent`` of ``run``, with every call's figures (one still in
        progress counts as ended by ``error``)."""
        self._clean(error)
        return ErrorEvent(
            error,
            provider=run.provider,
            model=run.model,
            attempts=run.attempts,
            usage=run.usage,
            cost_usd=run.cost(),
            duration_ms=round((self._clock() - run.started) * 1000),
            attempt_details=run.details(error),
        )

    def _clean(self, error: SparkError) -> None:
        """Remove configured secrets from ``error``'s words (in place)."""
        error.message = redact(error.message, self.settings.secret_values()) or ""
        error.hint = redact(error.hint, self.settings.secret_values())

    async def _generate(
        self, request: GenerationRequest, run: GenerationRun
    ) -> AsyncGenerator[Event]:
        run.provider, run.model = request.provider, request.model
        try:
            if request.resolved and request.provider and request.model:
                provider_name, model_id = request.provider, request.model
            else:
                provider_name, model_id = await self.resolve(request)
        except SparkError as exc:
            yield self._failure(run, exc)
            return
        run.provider, run.model = provider_name, model_id
        provider = self.provider(provider_name)
        workspace = self.workspace(request.target)
        options = self._options(provider_name, model_id, workspace, request.prompt)
        messages = [*request.history, ChatMessage("user", request.prompt)]

        try:
            async with aclosing(
                self._stream_with_retry(provider, messages, model_id, options, run, 0)
            ) as stream:
                async for event in stream:
                    yield event
        except AIError as exc:
            yield self._failure(run, exc)
            return
        extracted = extract_code(run.reply)
        if not extracted.code.strip():
            yield self._failure(
                run,
                AIError(
                    "The model answered without a C# script.",
                    hint="Rephrase the prompt as a request for a Unity script.",
                    provider=provider_name,
                    kind=ErrorKind.NO_CODE,
                    retryable=False,
                ),
            )
            return
        extracted, report = self._validate(extracted, workspace.target)
        yield ValidationEvent(report)
        compiled = await self._compile_step(workspace, extracted, request.destination)
        if compiled is not None:
            yield CompileEvent(compiled)

        repair_rounds = 0
        first_report = report
        reply = run.reply
        while (
            report is not None
            and _error_count(report, compiled)
            and repair_rounds < self.settings.repair_rounds
            and provider_name != OFFLINE
        ):
            repair_rounds += 1
            findings = _findings(report, extracted.code, compiled)
            yield RepairEvent(repair_rounds, findings)
            repair_messages = [
                *messages,
                ChatMessage("assistant", reply),
                ChatMessage("user", build_repair_prompt(findings)),
            ]
            try:
                async with aclosing(
                    self._stream_with_retry(
                        provider, repair_messages, model_id, options, run, repair_rounds
                    )
                ) as stream:
                    async for event in stream:
                        yield event
            except AIError as exc:
                yield self._failure(run, exc)
                return
            candidate = extract_code(run.reply)
            if not candidate.code.strip():
                break
            candidate, candidate_report = self._validate(candidate, workspace.target)
            yield ValidationEvent(candidate_report)
            candidate_compiled = await self._compile_step(workspace, candidate, request.destination)
            if candidate_compiled is not None:
                yield CompileEvent(candidate_compiled)
            if _error_count(candidate_report, candidate_compiled) <= _error_count(report, compiled):
                extracted, report, reply = candidate, candidate_report, run.reply
                compiled = candidate_compiled

        result = GenerationResult(
            provider=provider_name,
            model=model_id,
            reply=reply,
            code=extracted.code,
            class_name=extracted.class_name,
            file_name=extracted.file_name,
            usage=run.usage,
            cost_usd=run.cost(),
            duration_ms=round((self._clock() - run.started) * 1000),
            attempts=run.attempts,
            stop_reason=run.stop_reason,
            validation=report,
            repair_rounds=repair_rounds,
            validation_before_repair=first_report if repair_rounds else None,
            attempt_details=run.details(),
            compile=compiled,
        )
        yield DoneEvent(result)

    async def _stream_with_retry(
        self,
        provider: Provider,
        messages: list[ChatMessage],
        model_id: str,
        options: StreamOptions,
        run: GenerationRun,
        repair_round: int,
    ) -> AsyncGenerator[Event]:
        """Stream one reply into ``run``, retrying per the policy; raise the final AIError.

        Every call is noted in ``run`` as it goes (usage as the provider reports it), so a
        failed, retried or cancelled call is still counted.
        """
        attempt = 0  # of this reply
        while True:
            attempt += 1
            run.begin_call(repair_round)
            parts: list[str] = []
            try:
                async for chunk in provider.stream(messages, model_id, options):
                    if chunk.usage is not None:
                        run.report_usage(chunk.usage)
                    if chunk.final:
                        run.stop_reason = chunk.stop_reason
                    elif chunk.text and (text := storable(chunk.text)):
                        parts.append(text)
                        yield TokenEvent(text)
            except AIError as exc:
                self._clean(exc)
                run.end_call(exc)
                decision = self.policy.decide(exc, attempt)
                if not decision.retry:
                    raise self._final_error(exc, decision, attempt, model_id) from exc
                run.retried()
                yield RetryEvent(
                    attempt=attempt + 1,
                    max_attempts=self.policy.max_attempts,
                    delay=decision.delay,
                    error=exc,
                )
                await self._sleep(decision.delay)
                continue
            run.end_call()
            run.reply = "".join(parts)
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

    def _validate(self, script: ExtractedCode, target: UnityTarget) -> tuple[ExtractedCode, Any]:
        """Validate the script and apply the validator's automatic fixes before anything else
        looks at it: a finding fixed here costs no repair round (the report lists the fixes)."""
        from spark.unity.fixer import check_generated

        return check_generated(
            script,
            unity_version=target.unity_version,
            input_system=target.input_system,
        )

    async def _compile_step(
        self,
        workspace: Workspace,
        script: ExtractedCode,
        destination: ProjectDestination | None,
    ) -> Any:
        """Compile the script in the target's project (in a thread: it runs a compiler); None
        when there is nothing to compile against. A failure of the check itself is logged and
        never fails the generation."""
        if not workspace.may_compile():
            return None
        path = destination.path_for(script.file_name) if destination is not None else None
        try:
            return await asyncio.to_thread(workspace.compile, script.code, script.file_name, path)
        except Exception:
            log.exception("the compile check failed; the script is kept without it")
            return None


def _error_count(report: Any, compiled: Any) -> int:
    """Errors the repair round should fix: the validator's and the compiler's."""
    return len(report.errors) + (len(compiled.errors) if compiled is not None else 0)


def _findings(report: Any, code: str, compiled: Any = None) -> str:
    from spark.unity.compile import format_for_repair as compile_findings
    from spark.unity.validator import format_for_repair

    parts = []
    if report.errors or report.warnings or compiled is None or not compiled.errors:
        parts.append(str(format_for_repair(report, code)))
    if compiled is not None and compiled.errors:
        parts.append(compile_findings(compiled))
    return "\n\n".join(parts)
