"""The history recorder: a :class:`~spark.recording.GenerationRecorder` that writes the database.

Storage sits below the service: this module knows the recorder protocol and the events
(:mod:`spark.recording`, :mod:`spark.events`), never :mod:`spark.generation`.

One ``HistoryRecorder`` per generation: ``start`` writes the ``running`` row, ``finish`` turns
the final ``DoneEvent`` / ``ErrorEvent`` into the row's outcome. Each call is one short
transaction acting for the recorder's user, of Core statements (an ``INSERT``, an ``UPDATE``,
and whatever an adapter adds to the finish: :meth:`HistoryRecorder.finishing`): the ORM would
add a read of the row and its own bookkeeping, for nothing the recorder needs.

A row must never stay ``running`` silently. ``finish`` tries its write :data:`FINISH_TRIES`
times (waiting :data:`RETRY_DELAYS` in between; a ``start`` that had failed is made up for
first). If every try fails it marks the row ``failed`` with kind ``record`` and only numbers
(tokens, cost, time: the figures the statistics need), and raises: the orchestrator then tells
the user the outcome was not saved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from spark.db.engine import Database
from spark.db.history import GenerationOutcome, finish_generation_row, insert_generation
from spark.db.models import GenerationStatus
from spark.errors import AIError, ConfigError, ErrorKind, SparkError, UsageError
from spark.events import DoneEvent, ErrorEvent
from spark.limits import Reservation
from spark.recording import GenerationStart
from spark.unity.extract import prose_of

# More statements for the finishing transaction, given its connection.
Finishing = Callable[[AsyncConnection], Awaitable[None]]
FINISH_TRIES = 3
RETRY_DELAYS = (0.2, 1.0)  # seconds before the second and the third try
UNRECORDED_MESSAGE = "The outcome of this generation could not be saved."

log = logging.getLogger(__name__)


def error_kind(error: SparkError) -> str:
    """The stable kind stored for an error (``ErrorKind`` values, plus usage/config)."""
    if isinstance(error, AIError):
        return error.kind.value
    if isinstance(error, UsageError):
        return "usage"
    if isinstance(error, ConfigError):
        return "config"
    return "unknown"


def outcome_of(event: DoneEvent | ErrorEvent) -> GenerationOutcome:
    """What a final event means for the history row."""
    if isinstance(event, DoneEvent):
        result = event.result
        report = result.validation
        return GenerationOutcome(
            status=GenerationStatus.CACHED if result.cached else GenerationStatus.SUCCEEDED,
            provider=result.provider,
            model=result.model,
            generated_code=result.code,
            class_name=result.class_name or None,
            success=report is None or bool(report.ok),
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            cache_read_tokens=result.usage.cache_read_tokens,
            cache_write_tokens=result.usage.cache_write_tokens,
            cost_usd=result.cost_usd,
            generation_ms=result.duration_ms,
            attempts=result.attempts,
            repair_rounds=result.repair_rounds,
            validation_summary=None if report is None else str(report.summary()),
            validation_errors=None if report is None else len(report.errors),
            validation_warnings=None if report is None else len(report.warnings),
            attempt_details=[a.to_dict() for a in result.attempt_details],
            explanation=prose_of(result.reply) or None,
            findings=None if report is None else _findings(report),
            compile_report=None if result.compile is None else dict(result.compile.to_dict()),
            cached_from=result.cached_from,
            saved_usd=result.saved_usd,
        )
    return GenerationOutcome(
        status=GenerationStatus.FAILED,
        provider=event.provider,
        model=event.model,
        error_kind=error_kind(event.error),
        error_message=event.error.message,
        input_tokens=event.usage.input_tokens,
        output_tokens=event.usage.output_tokens,
        cache_read_tokens=event.usage.cache_read_tokens,
        cache_write_tokens=event.usage.cache_write_tokens,
        cost_usd=event.cost_usd,
        generation_ms=event.duration_ms,
        attempts=event.attempts,
        repair_rounds=0 if event.result is None else event.result.repair_rounds,
        attempt_details=[a.to_dict() for a in event.attempt_details],
    )


def _findings(report: Any) -> dict[str, Any]:
    """The validation report as stored: its JSON, and the script before the automatic fixes
    (so the fixes can be shown as a diff later)."""
    return {**report.to_dict(), "before_fixes": getattr(report, "before_fixes", None)}


def reservation_parts(held: Reservation) -> list[dict[str, Any]]:
    """The parts of a generation's spend reservation as the history stores them: the chosen
    route's, then each fallback route's extension, with what each held and was settled at
    (None: not settled)."""
    return [
        {
            "provider": part.provider,
            "model": part.model,
            "reserved_usd": str(part.reserved_usd),
            "settled_usd": None if part.settled_usd is None else str(part.settled_usd),
        }
        for part in (held, *held.extensions)
    ]


def unrecorded(outcome: GenerationOutcome) -> GenerationOutcome:
    """The smallest honest finish for a row whose outcome could not be written: failed, with
    the figures (numbers only) but none of the text."""
    return GenerationOutcome(
        status=GenerationStatus.FAILED,
        error_kind=ErrorKind.RECORD.value,
        error_message=UNRECORDED_MESSAGE,
        input_tokens=outcome.input_tokens,
        output_tokens=outcome.output_tokens,
        cache_read_tokens=outcome.cache_read_tokens,
        cache_write_tokens=outcome.cache_write_tokens,
        cost_usd=outcome.cost_usd,
        generation_ms=outcome.generation_ms,
        attempts=outcome.attempts,
        repair_rounds=outcome.repair_rounds,
        reserved_usd=outcome.reserved_usd,
        settled_usd=outcome.settled_usd,
        reservation_parts=outcome.reservation_parts,
    )


class HistoryRecorder:
    """Records one generation of one user in ``spark_generation_history``."""

    def __init__(
        self,
        database: Database,
        *,
        user_id: int,
        conversation_id: str | None = None,
        unity_target: dict[str, Any] | None = None,
        base_generation_id: int | None = None,
        eval_run_id: str | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.database = database
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.unity_target = unity_target
        self.base_generation_id = base_generation_id
        self.eval_run_id = eval_run_id
        self.record_id: int | None = None  # set once the row exists
        self._started: GenerationStart | None = None
        self._sleep = sleep

    async def start(self, started: GenerationStart) -> None:
        self._started = started
        held = started.reservation
        async with self.database.transaction(user_id=self.user_id, statements=1) as connection:
            self.record_id = await insert_generation(
                connection=connection,
                user_id=self.user_id,
                provider=started.provider,
                model=started.model,
                prompt=started.prompt,
                system_prompt_version=started.system_prompt_version,
                conversation_id=self.conversation_id,
                unity_target=self.unity_target,
                base_generation_id=self.base_generation_id,
                reserved_usd=None if held is None else held.reserved_usd,
                eval_run_id=self.eval_run_id,
                team_instructions_version=started.team_instructions_version,
                personal_instructions_version=started.personal_instructions_version,
            )

    def outcome(self, event: DoneEvent | ErrorEvent) -> GenerationOutcome:
        """What the row records for ``event`` (an adapter may add what only it knows)."""
        figures = outcome_of(event)
        held = None if self._started is None else self._started.reservation
        if held is not None:
            figures = replace(
                figures,
                reserved_usd=held.held_usd,
                settled_usd=held.settled_total_usd,
                reservation_parts=reservation_parts(held),
            )
        return figures

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        """Write ``outcome`` into the row (see the module docstring for what happens when the
        database refuses)."""
        figures = self.outcome(outcome)
        failure: Exception | None = None
        for attempt in range(FINISH_TRIES):
            if attempt:
                await self._sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])
            try:
                await self._write(figures)
                return
            except Exception as exc:  # any database failure: try again, then give up loudly
                # Each try is a detail: the engine logs the final failure (and tells the user).
                log.info(
                    "could not finish history row %s (try %d of %d): %s",
                    self.record_id,
                    attempt + 1,
                    FINISH_TRIES,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
                failure = exc
        with suppress(Exception):
            await self._write(unrecorded(figures))
            log.info("history row %s marked failed: its outcome could not be saved", self.record_id)
        assert failure is not None
        raise failure

    async def _write(self, figures: GenerationOutcome) -> None:
        if self.record_id is None:  # the start could not be recorded: make up for it now
            if self._started is None:
                raise RuntimeError("finish() before start()")
            await self.start(self._started)
        assert self.record_id is not None
        more = self.finishing(figures)
        async with self.database.transaction(
            user_id=self.user_id, statements=1 if more is None else 2
        ) as connection:
            found = await finish_generation_row(
                connection=connection,
                user_id=self.user_id,
                record_id=self.record_id,
                outcome=figures,
            )
            if more is not None:
                await more(connection)
        if not found:  # the user deleted it while it ran: nothing left to finish
            log.info("history row %s was deleted before it finished", self.record_id)

    def finishing(self, figures: GenerationOutcome) -> Finishing | None:
        """What else the transaction that writes ``figures`` does (an adapter's own
        bookkeeping, so that a generation finishes in one transaction); here nothing."""
        return None
