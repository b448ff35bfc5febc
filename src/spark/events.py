"""Events of one generation, shared by the web SSE stream, the CLI display and the MCP tool.

``spark.generation.Engine.generate`` yields these in order: any number of ``TokenEvent`` (with
a ``RetryEvent`` in between when a failed attempt is retried: displays must clear the partial
text), then ``ValidationEvent`` when code was produced, followed by a ``CompileEvent`` when the
script was compile-checked (a Unity project or a compiler with Unity's assemblies is at hand);
if either found errors, a ``RepairEvent``, the corrected script's tokens and a second
``ValidationEvent`` (and ``CompileEvent``); and exactly one final ``DoneEvent`` or
``ErrorEvent``. A ``FallbackEvent`` (a ``RetryEvent``) says the reply starts again on the next
route of the fallback list; a response-cache hit is a ``DoneEvent`` alone (``result.cached``).

Counting: ``attempts`` is 1 + the number of retries (provider calls that failed and were tried
again), over the whole generation; repair rounds are counted apart (``repair_rounds``). Every
provider call — each attempt of the first reply and of each repair round, failed, cancelled or
not — is an :class:`AttemptDetail` with the usage the provider reported for it, and the
generation's ``usage`` and ``cost_usd`` are the sums over those calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from spark.errors import AIError, SparkError
from spark.usage import Usage

if TYPE_CHECKING:  # the reports' modules stay unloaded until a script is checked
    from spark.unity.compile.report import CompileReport
    from spark.unity.report import ValidationReport


@dataclass(frozen=True, slots=True)
class AttemptDetail:
    """One provider call of a generation and what it was billed.

    ``usage`` is what the provider reported for this call, partial when the call broke off
    (Anthropic's ``message_start``/``message_delta`` usage, OpenAI's usage chunk): a failed call
    is billed too. ``error_kind`` is None for a call that completed.
    """

    number: int  # 1-based, over the whole generation
    repair_round: int  # 0: the first reply; n: repair round n
    provider: str
    model: str
    usage: Usage
    cost_usd: Decimal | None
    error_kind: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in history rows and sent to clients."""
        return {
            "number": self.number,
            "repair_round": self.repair_round,
            "provider": self.provider,
            "model": self.model,
            "outcome": "ok" if self.error_kind is None else self.error_kind,
            "error_message": self.error_message,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cache_read_tokens": self.usage.cache_read_tokens,
            "cache_write_tokens": self.usage.cache_write_tokens,
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
        }


@dataclass(frozen=True, slots=True)
class TokenEvent:
    text: str
    type: str = field(default="token", init=False)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """An attempt failed with a retryable error; the next one starts after ``delay`` seconds."""

    attempt: int  # the attempt about to start, 2..max_attempts
    max_attempts: int
    delay: float
    error: AIError
    type: str = field(default="retry", init=False)

    @property
    def message(self) -> str:
        what = {
            "rate_limit": "Rate limited",
            "overloaded": "Provider overloaded",
            "timeout": "Request timed out",
            "connection": "Connection failed",
            "stream": "Stream interrupted",
            "conflict": "Request conflicted",
        }.get(self.error.kind.value, "Provider error")
        return (
            f"{what} — retrying in {self.delay:g} s (attempt {self.attempt} of {self.max_attempts})"
        )


@dataclass(frozen=True, slots=True)
class FallbackEvent(RetryEvent):
    """The provider failed in a way another one may not (:mod:`spark.fallback`): the reply
    starts again from scratch on the next route of the fallback list. A ``RetryEvent`` to
    displays that only know those (they clear the partial text), with its own message."""

    to_provider: str = ""
    to_model: str = ""
    from_provider: str = ""
    from_model: str = ""

    @property
    def message(self) -> str:
        return (
            f"{self.from_provider} {self.from_model} failed ({self.error.kind.value}) — "
            f"switching to {self.to_provider} {self.to_model}"
        )


@dataclass(frozen=True, slots=True)
class RepairEvent:
    """The validator found errors; the model is asked once more to fix them.

    Displays clear the preview: the corrected script streams in as new ``TokenEvent``s.
    """

    round: int
    findings: str
    type: str = field(default="repair", init=False)


@dataclass(frozen=True, slots=True)
class ValidationEvent:
    report: ValidationReport
    type: str = field(default="validation", init=False)


@dataclass(frozen=True, slots=True)
class CompileEvent:
    """The script was compiled in the user's project (the report names the compiler it used)."""

    report: CompileReport
    type: str = field(default="compile", init=False)


@dataclass(frozen=True, slots=True)
class GenerationResult:
    """What a finished generation produced."""

    provider: str
    model: str
    reply: str  # the full reply text as the model wrote it
    code: str  # the extracted C# script
    class_name: str
    file_name: str
    usage: Usage  # every attempt's, failed ones included
    cost_usd: Decimal | None  # None when the model's price is unknown
    duration_ms: int
    attempts: int  # 1 + retries (see the module docstring)
    stop_reason: str | None
    validation: ValidationReport | None = None
    repair_rounds: int = 0
    validation_before_repair: ValidationReport | None = None  # when a repair round ran
    attempt_details: tuple[AttemptDetail, ...] = ()
    compile: CompileReport | None = None  # of the final script, when it was compile-checked
    # Answered from the response cache (:mod:`spark.caching`): nothing was billed, and
    # ``saved_usd`` is what the generation that stored it had cost.
    cached: bool = False
    saved_usd: Decimal | None = None
    cached_from: int | None = None  # the history id of the generation that stored it


@dataclass(frozen=True, slots=True)
class DoneEvent:
    result: GenerationResult
    type: str = field(default="done", init=False)


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """The generation failed; ``usage``/``cost_usd`` count what was billed before it did."""

    error: SparkError
    provider: str | None = None
    model: str | None = None
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    duration_ms: int = 0
    attempt_details: tuple[AttemptDetail, ...] = ()
    result: GenerationResult | None = None  # produced, but failed afterwards (not recorded)
    type: str = field(default="error", init=False)


Event = (
    TokenEvent | RetryEvent | RepairEvent | ValidationEvent | CompileEvent | DoneEvent | ErrorEvent
)
