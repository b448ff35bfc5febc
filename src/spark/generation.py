"""The service face: the one path from a prompt to a Unity script, and the questions adapters ask.

Every adapter (the web app, the CLI, MCP) holds one :class:`Engine` and calls only it (and the
repository functions of :mod:`spark.db`), never a provider or the prompts directly:

- ``plan = await engine.prepare(request)``: check the prompt, pick provider and model, build the
  system prompt for the Unity target — resolved once into a :class:`~spark.plan.Plan` that the
  adapter shows (the web's ``start`` event), the recorder stores and ``generate`` follows.
- ``engine.generate(plan)`` (or a request, prepared on the way) yields :mod:`spark.events` in
  order: stream with SPARK's retry policy (a stream that fails after tokens were delivered
  restarts from scratch, after a ``RetryEvent`` that tells displays to clear), then one step
  shared by the first reply and every repair round (:mod:`spark.drafts`: extract, validate with
  automatic fixes, compile), repair rounds while errors remain, and one ``DoneEvent`` or
  ``ErrorEvent``.
- The questions: ``Engine.models`` (:class:`~spark.models.ModelDirectory`: ``overview()`` -
  catalog, live lists, availability -, ``default_choice()`` for a user, ``available_providers()``),
  :meth:`Engine.estimate` (the cost on every model), :meth:`Engine.system_prompt`,
  :meth:`Engine.validate` (optionally with the automatic fixes) and :meth:`Engine.compile_check`
  for code that did not come from a generation. History search and usage figures are
  :mod:`spark.db` functions (``spark.db.history.list_generations`` with ``HistoryFilters``,
  ``spark.db.usage.usage_report``).

Nothing here knows about HTTP requests, terminals or databases. An adapter that keeps records
passes a :class:`~spark.recording.GenerationRecorder` (``spark.db.recorder`` writes history
rows): it hears ``start`` before the provider is called and ``finish`` with the final event
before that event is yielded, and ``finish`` even when the consumer stops early. When ``finish``
fails (after the recorder's own retries), a ``DoneEvent`` becomes an ``ErrorEvent`` of kind
``record``: an outcome that could not be saved is never reported as a success
(:mod:`spark.recording`).

Every provider call's usage counts, failed and cancelled ones included (see
:mod:`spark.attempts`); text from the provider is made storable (:mod:`spark.text`) before
anyone sees it. Every call starts in one per-attempt step, :meth:`Engine._attempt`.

Team controls (docs/teams.md): a request's fallback routes (:mod:`spark.fallback`) are tried in
order when the chosen provider fails with an outage-type error after the retry policy gave up
(a ``FallbackEvent`` tells displays to clear); repair rounds stay on the model that answered.
With a :class:`~spark.caching.ResponseCache`, an identical request is answered from it at $0
(a ``DoneEvent`` with ``cached``), and a successful, valid, recorded result is stored in it.

Spend and rate limits (:mod:`spark.limits`): an adapter passes the user's
:class:`~spark.limits.Quota` to ``prepare`` (or ``generate``), which reserves the
generation's most expensive outcome before any provider call and raises a
:class:`~spark.limits.LimitError` (HTTP 429) instead when a limit would be passed; nothing is
recorded for it. Before a fallback route is tried the reservation is extended by that
route's most expensive outcome at its own prices (the user's, the team's and that provider's
spend limits; no second request against the rate limits); when a limit refuses, the fallback
stops and the provider's error says so. ``generate`` settles the reservation at what every
attempt billed (each part at its own route's attempts) before the final event is recorded
(``finish``), also when the consumer stops early.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from spark import drafts
from spark.attempts import GenerationRun
from spark.caching import CachedScript, ResponseCache, cache_key, cacheable, report_from_dict
from spark.catalog import Catalog, load_catalog
from spark.config import Settings
from spark.drafts import Draft
from spark.errors import AIError, ErrorKind, SparkError, UsageError
from spark.estimate import DEFAULT_OUTPUT_TOKENS, CostReport, estimate_costs
from spark.events import (
    CompileEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    FallbackEvent,
    GenerationResult,
    RepairEvent,
    ValidationEvent,
)
from spark.fallback import Route, falls_back
from spark.instructions import Instructions, with_instructions
from spark.limits import LimitError, Quota, Reservation, charge, max_cost
from spark.models import ModelDirectory
from spark.plan import GenerationRequest, Plan, Stop
from spark.providers import OFFLINE, build_provider
from spark.providers.base import ChatMessage, Provider, StreamOptions
from spark.recording import GenerationRecorder, GenerationStart, Recording, log
from spark.retry import RetryPolicy
from spark.streaming import Sleep, stream_reply
from spark.text import redact
from spark.unity.extract import ExtractedCode, main_class_name
from spark.unity.prompts import SYSTEM_PROMPT_VERSION, build_repair_prompt, build_system_prompt
from spark.unity.target import UnityTarget, default_target
from spark.unity.workspace import Workspace, WorkspaceOptions

if TYPE_CHECKING:
    from spark.unity.compile import CompileReport
    from spark.unity.report import ValidationReport

__all__ = ["ChatMessage", "Engine", "GenerationRequest", "Plan", "Stop", "redact"]


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

    # --- the questions adapters ask ------------------------------------------------------

    def system_prompt(self, target: UnityTarget | None = None, prompt: str = "") -> str:
        """The system prompt sent for ``prompt`` in ``target`` (default: from settings)."""
        workspace = self.workspace(target)
        return build_system_prompt(
            unity_version=workspace.target.unity_version,
            input_system=workspace.target.input_system,
            project_context=workspace.prompt_context(prompt),
            render_pipeline=workspace.target.render_pipeline,
        )

    def estimate(
        self,
        *,
        prompt: str | None = None,
        prompt_tokens: int | None = None,
        output_tokens: int = DEFAULT_OUTPUT_TOKENS,
        provider: str | None = None,
        target: UnityTarget | None = None,
        include_retired: bool = False,
        instructions: Instructions | None = None,
    ) -> CostReport:
        """What the job would cost on every model (of ``provider``; retired ones too with
        ``include_retired``), the system prompt counted (with ``instructions``, as a
        generation sends them); UsageError for a prompt over the limit or an unknown
        provider."""
        limit = self.settings.max_prompt_chars
        if prompt and len(prompt) > limit:
            raise UsageError(
                f"The prompt is longer than {limit} characters.",
                hint="Pass its size in tokens instead (prompt_tokens).",
            )
        if provider is not None:
            self.catalog.provider(provider)  # an unknown name is a clear error
        return estimate_costs(
            catalog=self.catalog,
            prompt=prompt,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            system_prompt=with_instructions(self.system_prompt(target, prompt or ""), instructions),
            available=self.models.available_providers(),
            providers=None if provider is None else [provider],
            include_retired=include_retired,
        )

    def validate(
        self,
        code: str,
        *,
        file_name: str | None = None,
        target: UnityTarget | None = None,
        fix: bool = False,
    ) -> tuple[str, ValidationReport]:
        """Validate C# for ``target`` (default: from settings); with ``fix``, apply the
        automatic fixes first. The code (as fixed) and the report of what is left."""
        target = self.workspace(target).target
        name = file_name or f"{main_class_name(code)}.cs"
        if not fix:
            from spark.unity.validator import validate

            report = validate(
                code,
                file_name=name,
                unity_version=target.unity_version,
                input_system=target.input_system,
                **self._rule_switches(),
            )
            return code, report
        script = ExtractedCode(code, name.removesuffix(".cs"), from_fence=False, unterminated=False)
        fixed, report = drafts.validate(script, target, **self._rule_switches())
        return fixed.code, report

    def _rule_switches(self) -> dict[str, tuple[str, ...]]:
        """The validator rules switched on and off by the settings (SPARK_VALIDATOR_ENABLE /
        SPARK_VALIDATOR_DISABLE)."""
        from spark.unity.rules import parse_rule_ids

        return {
            "enable": parse_rule_ids(self.settings.validator_enable),
            "disable": parse_rule_ids(self.settings.validator_disable),
        }

    async def compile_check(
        self, code: str, *, file_name: str | None = None, target: UnityTarget | None = None
    ) -> CompileReport:
        """Compile C# in ``target``'s project (or against Unity's assemblies alone), in a
        thread; a ``skipped`` report says why when there is no compiler to do it with."""
        name = file_name or f"{main_class_name(code)}.cs"
        return await asyncio.to_thread(self.workspace(target).check, code, name)

    # --- a generation --------------------------------------------------------------------

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

    async def prepare(
        self,
        request: GenerationRequest,
        *,
        refusal: GenerationRecorder | None = None,
        quota: Quota | None = None,
        cache: ResponseCache | None = None,
    ) -> Plan:
        """Resolve ``request`` once, or raise a SparkError saying what to fix.

        An empty or over-long prompt is a mistake in the request and is never recorded; any
        other refusal (unknown provider or model, missing key) is recorded through ``refusal``,
        when given, as a failed generation (as :meth:`generate` records it) before it is raised.
        With a ``quota``, the plan holds a reservation of its most expensive outcome, or a
        LimitError is raised (not recorded) when a spend or rate limit would be passed.

        With a ``cache``, the plan is looked up first, before anything is written: a hit is
        recorded at once (the ``cached`` history row, one request against the rate limits; one
        transaction, :meth:`ResponseCache.answer`) and the plan carries it (``answered``:
        ``generate`` only yields it); no money is reserved for it (it costs $0).
        """
        self.check_prompt(request.prompt)
        try:
            provider, model = await self._resolve(request)
        except SparkError as exc:
            self._clean(exc)
            if refusal is not None:
                await self.record_refusal(request, exc, refusal)
            raise
        workspace = self.workspace(request.target)
        options = StreamOptions(
            system=with_instructions(
                self.system_prompt(workspace.target, request.prompt), request.instructions
            ),
            max_tokens=self._max_tokens(provider, model),
            temperature=self.settings.temperature,
        )
        fallbacks = self._fallbacks(request.fallback, Route(provider, model))
        plan = Plan(request, provider, model, options, workspace, fallbacks=fallbacks)
        if cache is not None:
            plan = await self._answer(plan, cache, quota)
            if plan.answered is not None:
                return plan
        if quota is None:
            return plan
        reservation = await quota.reserve(
            provider=provider, model=model, amount=self.max_cost(plan)
        )
        reservation.quota = quota
        return replace(plan, reservation=reservation)

    async def _answer(self, plan: Plan, cache: ResponseCache, quota: Quota | None) -> Plan:
        """``plan`` answered from ``cache`` and recorded, or ``plan`` with its key (a miss: the
        generation will not look again). A LimitError is raised; any other failure to read or
        record is logged and leaves ``plan`` as it was (``generate`` tries again, recording
        the way it records any generation)."""
        started = self._clock()
        key = cache_key(plan)
        run = GenerationRun(started=started, cost_of=self.catalog.cost)
        try:
            result = await cache.take(
                key, plan.start, lambda hit: self._cached(plan, hit, run), quota
            )
            if result is None:
                return replace(plan, cache_key=key)
        except LimitError:
            raise
        except Exception:
            log.warning("could not answer from the response cache", exc_info=True)
            return plan
        return replace(plan, answered=result, cache_key=key)

    def _max_tokens(self, provider: str, model: str) -> int:
        info = self.catalog.find(provider, model)
        max_tokens = self.settings.max_output_tokens
        if info is not None and info.max_output_tokens:
            max_tokens = min(max_tokens, info.max_output_tokens)
        return max_tokens

    def _fallbacks(self, routes: tuple[Route, ...], chosen: Route) -> tuple[Route, ...]:
        """The routes of a fallback list this server can use (provider known and configured),
        models resolved without any I/O, the chosen route and repeats left out."""
        usable: list[Route] = []
        for route in routes:
            try:
                self.catalog.provider(route.provider)
                self.provider(route.provider)
                model = route.model or self.catalog.default_model(route.provider).id
            except (SparkError, StopIteration):
                continue  # not configured on this server: skipped, as documented
            known = self.catalog.find(route.provider, model)
            resolved = Route(route.provider, known.id if known is not None else model)
            if resolved != chosen and resolved not in usable:
                usable.append(resolved)
        return tuple(usable)

    def _on_route(self, plan: Plan, route: Route) -> Plan:
        """``plan`` sent to another provider and model (a fallback route)."""
        assert route.model is not None
        options = dataclasses.replace(
            plan.options, max_tokens=self._max_tokens(route.provider, route.model)
        )
        return dataclasses.replace(
            plan, provider=route.provider, model=route.model, options=options, fallbacks=()
        )

    def max_cost(self, plan: Plan) -> Decimal:
        """The most ``plan`` can cost: the first reply and every repair round at
        ``max_tokens`` each, the input estimated, an unknown price at the provider's dearest."""
        replies = 1 if plan.provider == OFFLINE else 1 + self.settings.repair_rounds
        return max_cost(
            self.catalog,
            provider=plan.provider,
            model=plan.model,
            texts=[plan.system_prompt, *(m.content for m in plan.messages)],
            max_tokens=plan.options.max_tokens,
            replies=replies,
        )

    async def _resolve(self, request: GenerationRequest) -> tuple[str, str]:
        name, model_id = self.models.requested(request.provider, request.model)
        self.catalog.provider(name)  # raises UsageError naming the known providers
        self.provider(name)  # raises ConfigError when the key or URL is missing
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

    async def generate(
        self,
        job: Plan | GenerationRequest,
        *,
        recorder: GenerationRecorder | None = None,
        stop: Stop | None = None,
        quota: Quota | None = None,
        cache: ResponseCache | None = None,
    ) -> AsyncGenerator[Event]:
        """Run one generation (a request is prepared first; its refusal is the final
        ``ErrorEvent``); see the module docstring for the order of events.

        With a ``cache`` (:mod:`spark.caching`), a hit is the only event (a ``DoneEvent``,
        ``cached``, $0), and a successful, valid, recorded result is stored in it.

        With a ``recorder``, ``start`` is awaited before the provider is called and ``finish``
        with the final event before it is yielded; if ``finish`` fails, the final event is an
        ``ErrorEvent`` of kind ``record``. A consumer that stops iterating (closes the
        generator, or its task is cancelled) still gets ``finish``, with an ``ErrorEvent`` of
        kind ``cancelled`` (or ``stop.reason``) and the figures so far. Recording runs shielded
        from cancellation; a failure of ``start`` is logged and the generation goes on.

        A request with a ``quota`` is prepared first: a LimitError is the only event. A plan's
        reservation is settled before the final event is recorded.
        """
        if quota is not None and not isinstance(job, Plan):
            try:
                job = await self.prepare(job, refusal=recorder, quota=quota, cache=cache)
            except SparkError as exc:
                self._clean(exc)
                yield ErrorEvent(exc, provider=job.provider, model=job.model)
                return
        if isinstance(job, Plan) and job.answered is not None:
            yield DoneEvent(job.answered)  # a cache hit, recorded by prepare
            return
        request = job.request if isinstance(job, Plan) else job
        held = job.reservation if isinstance(job, Plan) else None
        run = GenerationRun(started=self._clock(), cost_of=self.catalog.cost)
        run.provider, run.model = request.provider, request.model
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
                await recording.start(job.start if isinstance(job, Plan) else self.planned(job))
            async with aclosing(self._generate(job, run, cache)) as events:
                async for event in events:
                    if isinstance(event, DoneEvent | ErrorEvent):
                        finished = True
                        await self._settle(held, event)
                        if recording is not None:
                            event = await recording.finish(event)
                        if cache is not None and isinstance(event, DoneEvent):
                            await self._keep(cache, run, event.result)
                    yield event
        finally:
            if not finished:
                cancelled = self._cancelled(run, stop.reason if stop is not None else None)
                if stop is not None:
                    stop.outcome = cancelled
                await self._settle(held, cancelled)
                if recording is not None:
                    await recording.finish(cancelled)

    async def record_refusal(
        self, request: GenerationRequest, error: SparkError, recorder: GenerationRecorder
    ) -> ErrorEvent:
        """Record a request refused before any provider call (unknown provider or model,
        missing key) as a failed generation, as :meth:`generate` does; returns its event."""
        self._clean(error)
        recording = Recording(recorder, self._recordings)
        await recording.start(self.planned(request))
        recorded = await recording.finish(
            ErrorEvent(error, provider=request.provider, model=request.model)
        )
        assert isinstance(recorded, ErrorEvent)
        return recorded

    def planned(self, request: GenerationRequest) -> GenerationStart:
        """Provider and model as :meth:`prepare` will most likely pick them, without any I/O."""
        provider, model = self.models.requested(request.provider, request.model)
        if model is None:
            try:
                model = self.catalog.default_model(provider).id
            except (SparkError, StopIteration):
                model = ""
        return GenerationStart(request.prompt, provider, model, SYSTEM_PROMPT_VERSION)

    async def release(self, plan: Plan) -> None:
        """Give back the reservation of a plan that will not be generated (nothing billed)."""
        held = plan.reservation
        if held is not None and held.quota is not None and held.settled_usd is None:
            await held.quota.settle(held, Decimal(0))

    async def _settle(self, held: Reservation | None, event: DoneEvent | ErrorEvent) -> None:
        """Settle ``held`` at what every attempt of ``event`` billed (an unknown price at the
        provider's dearest), shielded from cancellation; a failure is logged and the
        reservation is left to expire. A fallback route's extension is settled at what was
        billed on that route, the first part at the rest."""
        if held is None or held.quota is None or held.settled_usd is not None:
            return
        details = event.result.attempt_details if isinstance(event, DoneEvent) else ()
        if isinstance(event, ErrorEvent):
            details = event.attempt_details
        parts = [held, *held.extensions]
        billed = [Decimal(0)] * len(parts)
        for attempt in details:
            billed[_part_of(parts, attempt.provider, attempt.model)] += charge(
                self.catalog, attempt.provider, attempt.model, attempt.usage
            )
        task = asyncio.ensure_future(_settle_parts(parts, billed))
        self._recordings.add(task)
        task.add_done_callback(self._recordings.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not settle the spend reservation %s", held.id)

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

    async def _keep(
        self, cache: ResponseCache, run: GenerationRun, result: GenerationResult
    ) -> None:
        """Store ``result`` in ``cache`` when it may be (a failure is only logged: the user
        has the script and its history row)."""
        if run.cache_key is None or not cacheable(result):
            return
        try:
            await asyncio.shield(cache.store(run.cache_key, result))
        except Exception:
            log.warning("could not store the generation in the response cache", exc_info=True)

    def _cached(self, plan: Plan, hit: CachedScript, run: GenerationRun) -> GenerationResult:
        """A cache hit as the generation's result: the stored script at $0."""
        return GenerationResult(
            provider=hit.provider,
            model=hit.model,
            reply=hit.reply,
            code=hit.code,
            class_name=hit.class_name,
            file_name=hit.file_name,
            usage=run.usage,
            cost_usd=Decimal(0),
            duration_ms=round((self._clock() - run.started) * 1000),
            attempts=0,
            stop_reason=None,
            validation=report_from_dict(hit.validation),
            cached=True,
            saved_usd=hit.cost_usd,
            cached_from=hit.generation_id,
        )

    async def _generate(
        self, job: Plan | GenerationRequest, run: GenerationRun, cache: ResponseCache | None = None
    ) -> AsyncGenerator[Event]:
        """A cache hit, or the first reply, then repair rounds while errors remain, each
        through one step (:meth:`_reply`); the best draft is the result."""
        try:
            plan = job if isinstance(job, Plan) else await self.prepare(job)
        except SparkError as exc:
            yield self._failure(run, exc)
            return
        run.provider, run.model = plan.provider, plan.model
        if cache is not None and plan.cache_key is not None:
            run.cache_key = plan.cache_key  # looked up by prepare: a miss
        elif cache is not None:
            run.cache_key = cache_key(plan)
            hit = await cache.lookup(run.cache_key)
            if hit is not None:
                yield DoneEvent(self._cached(plan, hit, run))
                return
        messages = plan.messages
        best: Draft | None = None
        first: ValidationReport | None = None  # the first reply's report
        rounds = 0
        while True:
            draft: Draft | None = None
            reply: AsyncGenerator[Event | Draft | Plan] = (
                self._first_reply(plan, messages, run)
                if rounds == 0
                else self._reply(plan, messages, run, rounds)
            )
            try:
                async with aclosing(reply) as step:
                    async for item in step:
                        if isinstance(item, Draft):
                            draft = item
                        elif isinstance(item, Plan):
                            plan = item  # a fallback route answered: repairs stay on it
                        else:
                            yield item
            except AIError as exc:
                yield self._failure(run, exc)
                return
            if best is None:
                if draft is None:
                    yield self._failure(run, _no_code(plan.provider))
                    return
                best, first = draft, draft.report
            elif draft is not None and draft.errors <= best.errors:
                best = draft
            if (
                draft is None  # a repair round without a script: keep the best one
                or not best.errors
                or rounds >= self.settings.repair_rounds
                or plan.provider == OFFLINE
            ):
                break
            rounds += 1
            findings = best.findings()
            yield RepairEvent(rounds, findings)
            messages = [
                *plan.messages,
                ChatMessage("assistant", best.reply),
                ChatMessage("user", build_repair_prompt(findings)),
            ]
        yield DoneEvent(self._result(plan, run, best, first if rounds else None, rounds))

    async def _first_reply(
        self, plan: Plan, messages: list[ChatMessage], run: GenerationRun
    ) -> AsyncGenerator[Event | Draft | Plan]:
        """The first reply from ``plan``'s route, else from each fallback route in turn
        (:mod:`spark.fallback`): a route is left only for an error :func:`falls_back` allows,
        after the retry policy gave up on it. Yields what :meth:`_reply` yields and, when a
        fallback route answered, that route's :class:`Plan`; raises the last route's error."""
        routes = [plan, *(self._on_route(plan, route) for route in plan.fallbacks)]
        for index, route in enumerate(routes):
            run.provider, run.model = route.provider, route.model
            try:
                async with aclosing(self._reply(route, messages, run, 0)) as step:
                    async for item in step:
                        yield item
            except AIError as exc:
                if index + 1 == len(routes) or not falls_back(exc):
                    raise
                after = routes[index + 1]
                await self._extend(plan, after, exc)
                run.retried()  # the call is tried again, elsewhere
                yield FallbackEvent(
                    attempt=len(run.calls) + 1,
                    max_attempts=self.policy.max_attempts,
                    delay=0.0,
                    error=exc,
                    to_provider=after.provider,
                    to_model=after.model,
                    from_provider=route.provider,
                    from_model=route.model,
                )
                continue
            if index:
                yield route
            return

    async def _extend(self, plan: Plan, route: Plan, error: AIError) -> None:
        """Before the fallback ``route`` is tried: extend ``plan``'s reservation by the most
        ``route`` can cost at its own prices (spend limits of the user, the team and
        ``route``'s provider; no request counted against the rate limits). When a limit
        refuses, the fallback stops: ``error`` (the provider's) is raised with a note saying
        which limit stopped it."""
        held = plan.reservation
        if held is None or held.quota is None:
            return
        try:
            await held.quota.extend(
                held, provider=route.provider, model=route.model, amount=self.max_cost(route)
            )
        except LimitError as refused:
            self._clean(refused)
            error.message = (
                f"{error.message.rstrip()} SPARK did not fall back to {route.provider} "
                f"{route.model}: {refused.message}"
            )
            error.hint = refused.hint
            raise error from refused

    async def _reply(
        self, plan: Plan, messages: list[ChatMessage], run: GenerationRun, repair_round: int
    ) -> AsyncGenerator[Event | Draft]:
        """One reply from ``plan``'s provider and model, streamed with retries, then checked:
        extract, validate (with automatic fixes), compile. Yields the events, then the
        :class:`Draft` (none when the reply holds no script); raises the final AIError when no
        reply could be had.

        The provider is called through :meth:`_attempt`.
        """
        reply = self._attempt(plan, messages, run, repair_round)
        try:
            async with aclosing(reply) as stream:
                async for event in stream:
                    yield event
        except AIError as exc:
            if exc.kind is ErrorKind.NOT_FOUND and not exc.retryable:
                exc.hint = self._suggestion(exc.provider, plan.model)
            raise
        script = drafts.extract(run.reply)
        if script is None:
            return
        script, report = drafts.validate(script, plan.target, **self._rule_switches())
        yield ValidationEvent(report)
        compiled = await drafts.compile_check(plan.workspace, script, plan.request.destination)
        if compiled is not None:
            yield CompileEvent(compiled)
        yield Draft(run.reply, script, report, compiled)

    def _attempt(
        self, plan: Plan, messages: list[ChatMessage], run: GenerationRun, repair_round: int
    ) -> AsyncGenerator[Event]:
        """The per-attempt step: ``plan``'s provider and model asked for one reply, streamed
        with SPARK's retry policy (:func:`spark.streaming.stream_reply`). Every provider call of
        a generation starts here - the first reply on the chosen route and on each fallback
        route, and every repair round. A fallback route's reservation is extended before it is
        reached (:meth:`_extend`, from :meth:`_first_reply`)."""
        return stream_reply(
            self.provider(plan.provider),
            messages,
            plan.model,
            plan.options,
            run,
            repair_round=repair_round,
            policy=self.policy,
            sleep=self._sleep,
            clean=self._clean,
        )

    def _result(
        self,
        plan: Plan,
        run: GenerationRun,
        best: Draft,
        before: ValidationReport | None,
        rounds: int,
    ) -> GenerationResult:
        return GenerationResult(
            provider=plan.provider,
            model=plan.model,
            reply=best.reply,
            code=best.script.code,
            class_name=best.script.class_name,
            file_name=best.script.file_name,
            usage=run.usage,
            cost_usd=run.cost(),
            duration_ms=round((self._clock() - run.started) * 1000),
            attempts=run.attempts,
            stop_reason=run.stop_reason,
            validation=best.report,
            repair_rounds=rounds,
            validation_before_repair=before,
            attempt_details=run.details(),
            compile=best.compiled,
        )


def _part_of(parts: list[Reservation], provider: str, model: str) -> int:
    """The part of a reservation an attempt on ``provider``/``model`` is settled on: the
    part made for that route, else one made for that provider, else the first."""
    for index, part in enumerate(parts):
        if (part.provider, part.model) == (provider, model):
            return index
    for index, part in enumerate(parts):
        if part.provider == provider:
            return index
    return 0


async def _settle_parts(parts: list[Reservation], billed: list[Decimal]) -> None:
    for part, amount in zip(parts, billed, strict=True):
        if part.quota is not None and part.settled_usd is None:
            await part.quota.settle(part, amount)


def _no_code(provider: str) -> AIError:
    return AIError(
        "The model answered without a C# script.",
        hint="Rephrase the prompt as a request for a Unity script.",
        provider=provider,
        kind=ErrorKind.NO_CODE,
        retryable=False,
    )
