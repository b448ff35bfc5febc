"""Running a suite against models: one generation per (model, item, run), through the Engine.

Every prompt goes the way ``spark generate`` goes (``Engine.generate``: validation, automatic
fixes, the compile check when a compiler and project are at hand, repair rounds, spend limits),
so an eval measures what a user would get. Models run at the same time, at most
``concurrency`` of them; each model's prompts run one after another in suite order (a model's
rate limits are not hammered, and its results come in a reproducible order).

An :class:`EvalStore` keeps each finished item the moment it is known; a run that is started
again with the same store (``--resume``) skips the items already there. A budget error (spend
limit reached) ends that model's lane: its remaining items stay unfinished, so a resume after
the limit is raised picks them up. A refusal by SPARK's own rate limit (``rate_limited``) is
waited out as it asks and the prompt asked again. Any other failure - whatever its kind, known
or not - is a failure of that one prompt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from spark.errors import ConfigError, SparkError, UsageError
from spark.eval.suite import Suite, SuiteItem
from spark.events import DoneEvent, ErrorEvent, TokenEvent
from spark.generation import Engine, GenerationRequest
from spark.recording import GenerationRecorder
from spark.unity.target import UnityTarget

BUDGET_KINDS = frozenset({"budget"})  # spend limits (issue 16): stop scheduling that model
# SPARK's own rate limits (issue 16): wait as told, then ask again (at most RATE_LIMIT_TRIES).
RATE_LIMIT_KINDS = frozenset({"rate_limited"})
RATE_LIMIT_TRIES = 5
MAX_RATE_LIMIT_WAIT = 60.0  # seconds
MAX_FINDINGS = 20  # findings kept per item in the report


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """``provider:model`` as given on the command line (the model resolved to the catalog's id)."""

    provider: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_models(text: str, engine: Engine) -> list[ModelChoice]:
    """``anthropic:claude-sonnet-5-5,openai:gpt-6.2-sol`` (a provider alone: its default model)
    as checked choices; UsageError/ConfigError naming the first problem (unknown provider,
    missing key, a model listed twice)."""
    choices: list[ModelChoice] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        provider, _, model = part.partition(":")
        provider, model = provider.strip().lower(), model.strip()
        engine.catalog.provider(provider)  # an unknown provider names the known ones
        engine.provider(provider)  # a missing key is a ConfigError before anything runs
        if not model:
            model = engine.catalog.default_model(provider).id
        known = engine.catalog.find(provider, model)
        choice = ModelChoice(provider, known.id if known is not None else model)
        if choice in choices:
            raise UsageError(f"The model {choice.label} is listed twice in --models.")
        choices.append(choice)
    if not choices:
        raise UsageError(
            "No model to evaluate.",
            hint="Pass --models provider:model[,provider:model...], e.g. offline:templates.",
        )
    return choices


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What one generation of one suite item on one model produced (stored, and reported)."""

    model: str  # the ModelChoice label
    item_id: str
    run: int  # 1..runs
    ok: bool  # a script came back (it may still have errors)
    error_kind: str | None = None
    error_message: str | None = None
    history_id: int | None = None
    class_name: str | None = None
    errors: int = 0  # the validator's, on the final script
    warnings: int = 0
    findings: tuple[str, ...] = ()  # "error SPK001 line 3: message", at most MAX_FINDINGS
    fixes: int = 0  # automatic fixes applied to the final script
    repair_rounds: int = 0
    compile: str = "not checked"  # ok | failed | incomplete | not checked
    compile_errors: int = 0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal | None = None
    ttft_ms: int | None = None  # time to the first token (None: no token came)
    total_ms: int = 0
    # How long a refusal asked to wait (a rate limit's retry_after); not stored.
    retry_after: float | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.model, self.item_id, self.run)

    @property
    def valid(self) -> bool:
        """A script without validator errors."""
        return self.ok and self.errors == 0

    @property
    def usable(self) -> bool:
        """Valid, and compiled when it was compile-checked (the report's "good script")."""
        return self.valid and self.compile != "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "item_id": self.item_id,
            "run": self.run,
            "ok": self.ok,
            "error_kind": self.error_kind,
            "error_message": self.error_message,
            "history_id": self.history_id,
            "class_name": self.class_name,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": list(self.findings),
            "fixes": self.fixes,
            "repair_rounds": self.repair_rounds,
            "compile": self.compile,
            "compile_errors": self.compile_errors,
            "attempts": self.attempts,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "ttft_ms": self.ttft_ms,
            "total_ms": self.total_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemResult:
        values = dict(data)
        values["findings"] = tuple(values.get("findings") or ())
        cost = values.get("cost_usd")
        values["cost_usd"] = None if cost is None else Decimal(str(cost))
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in names})


class EvalStore(Protocol):
    """Where a run keeps its finished items (``spark.db.evals`` keeps them in the database)."""

    async def finished(self) -> set[tuple[str, str, int]]:
        """The (model, item, run) keys already finished."""

    async def save(self, result: ItemResult) -> None:
        """Keep ``result`` (called once per item, as soon as it is known)."""


class MemoryStore:
    """An :class:`EvalStore` in memory (for a run without a database)."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, str, int], ItemResult] = {}

    async def finished(self) -> set[tuple[str, str, int]]:
        return set(self.results)

    async def save(self, result: ItemResult) -> None:
        self.results[result.key] = result


RecorderFactory = Callable[[ModelChoice, SuiteItem, int], GenerationRecorder | None]


@dataclass(slots=True)
class EvalProgress:
    """Counts a display can show while a run goes on."""

    planned: dict[str, int]
    done: dict[str, int] = field(default_factory=dict)
    already: int = 0  # finished before this start (a resume)
    stopped: dict[str, str] = field(default_factory=dict)  # model -> why it stopped early


class EvalRunner:
    """Runs ``suite`` × ``models`` × ``runs`` through ``engine`` (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        suite: Suite,
        models: Sequence[ModelChoice],
        *,
        store: EvalStore,
        runs: int = 1,
        concurrency: int = 4,
        target: UnityTarget | None = None,
        recorder_for: RecorderFactory | None = None,
        on_result: Callable[[ItemResult], None] | None = None,
        on_start: Callable[[EvalProgress], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if runs < 1 or concurrency < 1:
            raise UsageError("--runs and --concurrency must be at least 1.")
        self.engine = engine
        self.suite = suite
        self.models = list(models)
        self.store = store
        self.runs = runs
        self.target = target
        self._pool = asyncio.Semaphore(concurrency)
        self._recorder_for = recorder_for
        self._on_result = on_result
        self._on_start = on_start
        self._clock = clock
        self._sleep = sleep
        per_model = len(suite.items) * runs
        self.progress = EvalProgress(planned={m.label: per_model for m in self.models})

    async def run(self) -> EvalProgress:
        """Run every unfinished item; returns the progress (who stopped early and why)."""
        finished = await self.store.finished()
        self.progress.already = len(finished)
        for model in self.models:
            self.progress.done[model.label] = sum(1 for key in finished if key[0] == model.label)
        if self._on_start is not None:
            self._on_start(self.progress)
        # A task group: when one lane fails (the database, say), the others are cancelled
        # rather than left running; the first failure is raised as itself.
        try:
            async with asyncio.TaskGroup() as group:
                for model in self.models:
                    group.create_task(self._lane(model, finished))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return self.progress

    async def _lane(self, model: ModelChoice, finished: set[tuple[str, str, int]]) -> None:
        async with self._pool:
            for run in range(1, self.runs + 1):
                for item in self.suite.items:
                    if (model.label, item.id, run) in finished:
                        continue
                    result = await self._patiently(model, item, run)
                    await self.store.save(result)
                    self.progress.done[model.label] += 1
                    if self._on_result is not None:
                        self._on_result(result)
                    if result.error_kind in BUDGET_KINDS:
                        self.progress.stopped[model.label] = result.error_message or "budget"
                        return

    async def _patiently(self, model: ModelChoice, item: SuiteItem, run: int) -> ItemResult:
        """:meth:`one`, asked again after the wait a rate limit of SPARK's asks for."""
        for _ in range(RATE_LIMIT_TRIES - 1):
            result = await self.one(model, item, run)
            if result.error_kind not in RATE_LIMIT_KINDS:
                return result
            await self._sleep(min(result.retry_after or 1.0, MAX_RATE_LIMIT_WAIT))
        return await self.one(model, item, run)

    async def one(self, model: ModelChoice, item: SuiteItem, run: int) -> ItemResult:
        """One generation of ``item`` on ``model``, measured."""
        request = GenerationRequest(
            item.prompt, provider=model.provider, model=model.model, target=self.target
        )
        recorder = self._recorder_for(model, item, run) if self._recorder_for else None
        started = self._clock()
        first_token: float | None = None
        final: DoneEvent | ErrorEvent | None = None
        async for event in self.engine.generate(request, recorder=recorder):
            if isinstance(event, TokenEvent) and first_token is None:
                first_token = self._clock()
            elif isinstance(event, DoneEvent | ErrorEvent):
                final = event
        assert final is not None  # generate always ends with one
        total_ms = round((self._clock() - started) * 1000)
        ttft_ms = None if first_token is None else round((first_token - started) * 1000)
        history_id = getattr(recorder, "record_id", None)
        common: dict[str, Any] = {
            "model": model.label,
            "item_id": item.id,
            "run": run,
            "history_id": history_id if isinstance(history_id, int) else None,
            "ttft_ms": ttft_ms,
            "total_ms": total_ms,
        }
        if isinstance(final, ErrorEvent):
            return ItemResult(
                ok=False,
                error_kind=kind_of(final.error),
                error_message=final.error.message[:500],
                attempts=final.attempts,
                input_tokens=final.usage.input_tokens,
                output_tokens=final.usage.output_tokens,
                cost_usd=final.cost_usd,
                repair_rounds=0 if final.result is None else final.result.repair_rounds,
                retry_after=_seconds(getattr(final.error, "retry_after", None)),
                **common,
            )
        result = final.result
        report = result.validation
        compiled = result.compile
        compile_status = "not checked"
        if compiled is not None and compiled.status != "skipped":
            compile_status = compiled.status
        findings = () if report is None else report.diagnostics
        return ItemResult(
            ok=True,
            class_name=result.class_name or None,
            errors=0 if report is None else len(report.errors),
            warnings=0 if report is None else len(report.warnings),
            findings=tuple(
                f"{d.severity} {d.rule_id} line {d.line}: {d.message}"[:300]
                for d in findings[:MAX_FINDINGS]
            ),
            fixes=0 if report is None else len(report.fixed),
            repair_rounds=result.repair_rounds,
            compile=compile_status,
            compile_errors=0 if compiled is None else len(compiled.errors),
            attempts=result.attempts,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            cost_usd=result.cost_usd,
            **common,
        )


def kind_of(error: SparkError) -> str:
    """The stable kind of ``error`` (an AIError's kind; else the kind it carries, or its
    class): a kind the report does not know is still counted under its own name."""
    kind = getattr(error, "kind", None)
    value = getattr(kind, "value", kind)
    if isinstance(value, str) and value:
        return value[:32]
    if isinstance(error, UsageError):
        return "usage"
    if isinstance(error, ConfigError):
        return "config"
    return type(error).__name__.lower()[:32]


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and value >= 0 else None
