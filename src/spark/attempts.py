"""What one generation has done so far: its provider calls, retries and reply.

The orchestrator (:mod:`spark.generation`) keeps one :class:`GenerationRun` per generation and
tells it when a provider call begins, what usage the provider reported during the call, and how
the call ended. Because usage is noted as it arrives, a run cut short at any moment (a broken
stream, a retry, Stop, Ctrl-C, SIGTERM) still knows every token the provider said it billed:
its :attr:`~GenerationRun.usage` and :meth:`~GenerationRun.cost` are sums over all calls, and
:meth:`~GenerationRun.details` lists each call as an :class:`~spark.events.AttemptDetail`.

``attempts`` counts 1 + the retries (provider calls that failed and were tried again) over the
whole generation; repair rounds are counted apart by the orchestrator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from spark.errors import ErrorKind, SparkError
from spark.events import AttemptDetail
from spark.usage import Usage

CostOf = Callable[[str, str, Usage], Decimal | None]


@dataclass(slots=True)
class _Call:
    """The provider call in progress."""

    repair_round: int
    usage: Usage = field(default_factory=Usage)


@dataclass(slots=True)
class GenerationRun:
    """A generation's figures so far (see the module docstring)."""

    started: float
    cost_of: CostOf
    provider: str | None = None
    model: str | None = None
    retries: int = 0
    reply: str = ""
    stop_reason: str | None = None
    calls: list[AttemptDetail] = field(default_factory=list)
    current: _Call | None = None
    cache_key: str | None = None  # the plan's response-cache key, when a cache was asked

    def begin_call(self, repair_round: int) -> None:
        self.current = _Call(repair_round)

    def report_usage(self, usage: Usage) -> None:
        """The provider's usage of the current call so far (replaces, never adds)."""
        if self.current is not None:
            self.current.usage = usage

    def end_call(self, error: SparkError | None = None) -> None:
        """The current call completed (``error`` None) or failed with ``error``."""
        if self.current is not None:
            self.calls.append(self._detail(self.current, error))
            self.current = None

    def retried(self) -> None:
        self.retries += 1

    @property
    def attempts(self) -> int:
        """1 + retries once any provider call was made, else 0."""
        return self.retries + 1 if self.calls or self.current is not None else 0

    def details(self, cut_short: SparkError | None = None) -> tuple[AttemptDetail, ...]:
        """Every call so far; a call still in progress is listed as ended by ``cut_short``."""
        if self.current is None:
            return tuple(self.calls)
        return (*self.calls, self._detail(self.current, cut_short))

    @property
    def usage(self) -> Usage:
        """Every call's usage added up, the call in progress included."""
        total = sum((call.usage for call in self.calls), Usage())
        return total + self.current.usage if self.current is not None else total

    def cost(self) -> Decimal | None:
        """The calls' costs added up; None when the model's price is unknown."""
        if self.provider is None or self.model is None:
            return None
        costs = [call.cost_usd for call in self.details()]
        if not costs:
            return self.cost_of(self.provider, self.model, Usage())
        if any(cost is None for cost in costs):
            return None
        return sum((cost for cost in costs if cost is not None), Decimal(0))

    def _detail(self, call: _Call, error: SparkError | None) -> AttemptDetail:
        provider, model = self.provider or "", self.model or ""
        kind: str | None = None
        if error is not None:
            value = getattr(error, "kind", None)
            kind = value.value if isinstance(value, ErrorKind) else type(error).__name__
        return AttemptDetail(
            number=len(self.calls) + 1,
            repair_round=call.repair_round,
            provider=provider,
            model=model,
            usage=call.usage,
            cost_usd=self.cost_of(provider, model, call.usage),
            error_kind=kind,
            error_message=None if error is None else error.message,
        )
