"""Events of one generation, shared by the web SSE stream, the CLI display and the MCP tool.

``spark.generation.Engine.generate`` yields these in order: any number of ``TokenEvent`` (with
a ``RetryEvent`` in between when a failed attempt is retried: displays must clear the partial
text), then ``ValidationEvent`` when code was produced (and, if it had errors, a
``RepairEvent``, the corrected script's tokens and a second ``ValidationEvent``), and exactly
one final ``DoneEvent`` or ``ErrorEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spark.errors import AIError, SparkError
from spark.usage import Usage


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
        }.get(self.error.kind.value, "Provider error")
        return (
            f"{what} — retrying in {self.delay:g} s (attempt {self.attempt} of {self.max_attempts})"
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
    report: Any  # spark.unity.validator.ValidationReport once the validator lands
    type: str = field(default="validation", init=False)


@dataclass(frozen=True, slots=True)
class GenerationResult:
    """What a finished generation produced."""

    provider: str
    model: str
    reply: str  # the full reply text as the model wrote it
    code: str  # the extracted C# script
    class_name: str
    file_name: str
    usage: Usage
    cost_usd: Decimal | None  # None when the model's price is unknown
    duration_ms: int
    attempts: int
    stop_reason: str | None
    validation: Any = None
    repair_rounds: int = 0
    validation_before_repair: Any = None  # the first report, when a repair round ran


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
    type: str = field(default="error", init=False)


Event = TokenEvent | RetryEvent | RepairEvent | ValidationEvent | DoneEvent | ErrorEvent
