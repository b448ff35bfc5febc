"""The history recorder: the orchestrator's :class:`~spark.generation.GenerationRecorder` for
the database.

One ``HistoryRecorder`` per generation: ``start`` writes the ``running`` row, ``finish`` turns
the final ``DoneEvent`` / ``ErrorEvent`` into the row's outcome. Each call is its own short
transaction acting for the recorder's user.
"""

from __future__ import annotations

from spark.db.engine import Database
from spark.db.history import GenerationOutcome, finish_generation, start_generation
from spark.db.models import GenerationStatus
from spark.errors import AIError, ConfigError, SparkError, UsageError
from spark.events import DoneEvent, ErrorEvent
from spark.generation import GenerationStart


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
            status=GenerationStatus.SUCCEEDED,
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
    )


class HistoryRecorder:
    """Records one generation of one user in ``spark_generation_history``."""

    def __init__(
        self, database: Database, *, user_id: int, conversation_id: str | None = None
    ) -> None:
        self.database = database
        self.user_id = user_id
        self.conversation_id = conversation_id
        self.record_id: int | None = None  # set once the row exists

    async def start(self, started: GenerationStart) -> None:
        async with self.database.session(user_id=self.user_id) as session:
            record = await start_generation(
                session=session,
                user_id=self.user_id,
                provider=started.provider,
                model=started.model,
                prompt=started.prompt,
                system_prompt_version=started.system_prompt_version,
                conversation_id=self.conversation_id,
            )
            self.record_id = record.id

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        if self.record_id is None:  # the start could not be recorded
            return
        async with self.database.session(user_id=self.user_id) as session:
            await finish_generation(
                session=session,
                user_id=self.user_id,
                record_id=self.record_id,
                outcome=outcome_of(outcome),
            )
