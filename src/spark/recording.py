"""Recording a generation while it runs: the recorder interface and the calls made to it.

An adapter that keeps records hands the orchestrator a :class:`GenerationRecorder`
(``spark.db.recorder`` writes history rows). :class:`Recording` makes its calls: each runs as a
task of its own, so that a consumer cancelled mid-generation (a closed tab, Ctrl-C) cannot cut a
write short, and the engine's ``aclose`` waits for the ones still running. A failed ``start`` is
logged and the generation goes on; a failed ``finish`` (after the recorder's own retries) turns
the final event into the error that says the outcome was not saved (:func:`unrecorded`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from spark.errors import AIError, ErrorKind
from spark.events import DoneEvent, ErrorEvent
from spark.limits import Reservation

log = logging.getLogger("spark.generation")


@dataclass(frozen=True, slots=True)
class GenerationStart:
    """What a recorder learns when a generation begins (provider and model as planned)."""

    prompt: str
    provider: str
    model: str
    system_prompt_version: str
    # The spend reservation held for it (when limits were checked); ``settled_usd`` is set on
    # it before ``finish`` is called.
    reservation: Reservation | None = None


class GenerationRecorder(Protocol):
    """Keeps a durable record of one generation (one recorder per generation)."""

    async def start(self, started: GenerationStart) -> None:
        """Called once, before any provider is called."""

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        """Called once with the final event, before it is yielded; when the consumer stopped
        early (disconnect, Ctrl-C), with an ``ErrorEvent`` of kind ``cancelled``. Raises when
        the outcome could not be saved."""


class Recording:
    """The recorder calls of one generation; ``tasks`` is the engine's set of running ones."""

    def __init__(self, recorder: GenerationRecorder, tasks: set[asyncio.Future[None]]) -> None:
        self._recorder = recorder
        self._tasks = tasks
        self._starting: asyncio.Future[None] | None = None

    async def start(self, started: GenerationStart) -> None:
        """``start`` the recorder and wait for it (a failure is only logged)."""
        self._starting = self._run(self._recorder.start(started))
        await _wait(self._starting)

    async def finish(self, event: DoneEvent | ErrorEvent) -> DoneEvent | ErrorEvent:
        """``finish`` the recorder with ``event``; the event to show: ``event``, or the error
        saying it could not be saved."""
        failure = await _wait(self._run(self._after_start(event)))
        return event if failure is None else unrecorded(event)

    async def _after_start(self, event: DoneEvent | ErrorEvent) -> None:
        # ``start`` may still be running when a cancelled consumer finishes early.
        if self._starting is not None and not self._starting.done():
            await asyncio.wait([self._starting])
        await self._recorder.finish(event)

    def _run(self, call: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(call)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not record the generation", exc_info=task.exception())


async def _wait(task: asyncio.Future[None]) -> Exception | None:
    """Wait for a recorder call, shielded; cancellation passes, a failure is returned (and
    logged when the task ends)."""
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return exc
    return None


def unrecorded(event: DoneEvent | ErrorEvent) -> ErrorEvent:
    """What the user is told when ``event`` could not be saved in the history: a failure
    stays that failure, with a note; a success becomes an error of kind ``record`` that still
    carries the result (the script is not lost)."""
    if isinstance(event, ErrorEvent):
        error = event.error
        error.hint = " ".join(filter(None, [error.hint, "It could not be saved in your history."]))
        return event
    result = event.result
    error = AIError(
        "The script was generated, but SPARK could not save it in your history.",
        hint="Check that the database can be written to (`spark db current`), then try again.",
        provider=result.provider,
        kind=ErrorKind.RECORD,
        retryable=False,
    )
    return ErrorEvent(
        error,
        provider=result.provider,
        model=result.model,
        attempts=result.attempts,
        usage=result.usage,
        cost_usd=result.cost_usd,
        duration_ms=result.duration_ms,
        attempt_details=result.attempt_details,
        result=result,
    )
