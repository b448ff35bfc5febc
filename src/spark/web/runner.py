"""One web generation: the engine's events as JSON payloads, recorded in the user's history.

Every adapter of the web app (the SSE stream and the ``stream: false`` answer) goes through
:class:`WebGeneration`. Its recorder's row (``running``) exists before the first event; the
engine finishes it as succeeded or failed, and as failed with kind ``cancelled`` when the
consumer stops early (Stop pressed, connection lost). The row is also the conversation's turn.

The engine runs in its own task, feeding a queue the stream reads from, so that a server
shutting down (:mod:`spark.web.shutdown`) can stop it at any moment: the generation is then
recorded as failed with kind ``shutdown`` and the stream's last event is an ``error`` of that
kind, with the figures so far.

Token events are coalesced (:class:`TokenCoalescer`): the first text of a reply goes out at
once, later texts at most every :data:`FLUSH_SECONDS` or when :data:`FLUSH_CHARS` wait, so one
``token`` event may carry several of the provider's deltas. Each event is a JSON payload, an
SSE frame and a socket write through every middleware, so under load this is most of what a
stream costs the server; a reader sees the same text, at most 15 ms later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any

import anyio

from spark.errors import shutdown_error
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
from spark.generation import Engine, Plan, Stop
from spark.unity.extract import prose_of
from spark.usage import Usage
from spark.web.auth import WebUser
from spark.web.conversations import WebRecorder
from spark.web.diffs import diff_html
from spark.web.errors import error_detail
from spark.web.highlight import highlight_csharp
from spark.web.markdown import render_markdown
from spark.web.notes import fallback_payload, outcome_notes
from spark.web.shutdown import ShutdownNotice

if TYPE_CHECKING:
    from spark.caching import ResponseCache
    from spark.unity.report import ValidationReport

log = logging.getLogger(__name__)

Payload = dict[str, Any]
Item = tuple[str, Payload]
# Longest wait for a stopped generation to finish its history row.
CLEANUP_SECONDS = 5.0
# Token texts wait at most this long after the last token event, or until this many characters.
FLUSH_SECONDS = 0.015
FLUSH_CHARS = 1024


def export_url(generation_id: str) -> str:
    return f"/api/export/{generation_id}"


def usage_payload(usage: Usage) -> Payload:
    return usage.to_json()


def _report(report: ValidationReport | None) -> Payload | None:
    return None if report is None else report.to_dict()


class TokenCoalescer:
    """Token texts into ``queue`` as few ``token`` events: a text goes out at once when the
    last token event is :data:`FLUSH_SECONDS` old (so the first one always does), else when
    that time comes, when :data:`FLUSH_CHARS` are waiting, or before any other event
    (:meth:`flush`)."""

    def __init__(self, queue: asyncio.Queue[Item | None]) -> None:
        self.queue = queue
        self._loop = asyncio.get_running_loop()
        self._texts: list[str] = []
        self._chars = 0
        self._sent_at = -FLUSH_SECONDS  # loop time of the last token event
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        self._texts.append(text)
        self._chars += len(text)
        due = self._sent_at + FLUSH_SECONDS
        if self._chars >= FLUSH_CHARS or self._loop.time() >= due:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_at(due, self.flush)

    def flush(self) -> None:
        """Send what waits now (nothing waiting: nothing sent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._texts:
            self.queue.put_nowait(("token", {"text": "".join(self._texts)}))
            self._texts.clear()
            self._chars = 0
            self._sent_at = self._loop.time()

    def discard(self) -> None:
        """Drop what waits and its timer (the stream is over)."""
        self._texts.clear()
        self._chars = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class WebGeneration:
    """Runs ``plan`` (from ``Engine.prepare``) for ``user`` in ``conversation_id``; iterate
    :meth:`events` once."""

    def __init__(
        self,
        *,
        engine: Engine,
        recorder: WebRecorder,
        user: WebUser,
        conversation_id: str,
        plan: Plan,
        shutdown: ShutdownNotice | None = None,
        cache: ResponseCache | None = None,
        html: bool = False,
    ) -> None:
        self.engine = engine
        self.recorder = recorder
        self.user = user
        self.conversation_id = conversation_id
        self.plan = plan
        self.shutdown = shutdown or ShutdownNotice()
        self.cache = cache
        self.html = html  # the caller renders HTML (SPARK's page): highlight, Markdown, diff
        self.generation_id = recorder.generation_id
        self.retries: list[str] = []
        self._repairing = False

    def start_payload(self) -> Payload:
        return {
            "conversation_id": self.conversation_id,
            "generation_id": self.generation_id,
            "provider": self.plan.provider,
            "model": self.plan.model,
            "target": self.plan.workspace.target.describe(),
        }

    async def events(self) -> AsyncIterator[Item]:
        """``(event type, JSON payload)`` pairs: ``start``, then the engine's events."""
        yield "start", self.start_payload()
        queue: asyncio.Queue[Item | None] = asyncio.Queue()
        stop = Stop()
        running = asyncio.create_task(self._run(queue, stop))
        watching = asyncio.create_task(self._stop_on_shutdown(running, stop))
        finished = False
        try:
            while (item := await queue.get()) is not None:
                finished = item[0] in ("done", "error")
                yield item
        finally:
            watching.cancel()
            running.cancel()  # a no-op once the generation is over
            if not finished:
                # Stop pressed or connection lost: the engine finishes the row as cancelled.
                log.info("generation %s cancelled before it finished", self.generation_id)
            # Wait while the engine finishes the row, shielded: after a disconnect the
            # server cancels this stream's scope, and every await would be cancelled again.
            with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
                await asyncio.wait([running, watching])

    async def _run(self, queue: asyncio.Queue[Item | None], stop: Stop) -> None:
        """The engine's events into ``queue`` (token texts coalesced), then None; when stopped
        by a shutdown, the ``error`` event the engine recorded instead."""
        tokens = TokenCoalescer(queue)
        try:
            async with aclosing(
                self.engine.generate(self.plan, recorder=self.recorder, stop=stop, cache=self.cache)
            ) as stream:
                async for event in stream:
                    if isinstance(event, TokenEvent):
                        self._token(event)
                        tokens.add(event.text)
                        continue
                    tokens.flush()
                    queue.put_nowait(await self._payload(event))
        except asyncio.CancelledError:
            tokens.flush()
            if stop.reason is not None and stop.outcome is not None:
                queue.put_nowait(await self._payload(stop.outcome))
            raise
        finally:
            tokens.discard()  # sent above unless the generation failed unexpectedly
            queue.put_nowait(None)

    async def _stop_on_shutdown(self, running: asyncio.Task[None], stop: Stop) -> None:
        await self.shutdown.wait()
        if running.done():
            return
        stop.reason = shutdown_error(self.plan.provider)
        running.cancel()
        with suppress(asyncio.CancelledError):
            await running

    def _token(self, event: TokenEvent) -> None:
        if not self._repairing:  # a stopped repair round keeps the first, whole reply
            self.recorder.partial_text += event.text

    async def _payload(self, event: Event) -> Item:
        """Any event but a token's, as its JSON payload."""
        if isinstance(event, RetryEvent):
            if not self._repairing:
                self.recorder.partial_text = ""  # the reply starts again
            self.retries.append(event.message)
            return "retry", {
                "attempt": event.attempt,
                "max_attempts": event.max_attempts,
                "delay": event.delay,
                "message": event.message,
                "error": error_detail(event.error),
                "fallback": fallback_payload(event),
            }
        if isinstance(event, RepairEvent):
            self._repairing = True
            return "repair", {"round": event.round, "findings": event.findings}
        if isinstance(event, ValidationEvent):
            return "validation", {"report": _report(event.report)}
        if isinstance(event, CompileEvent):
            return "compile", {"report": event.report.to_dict()}
        if isinstance(event, DoneEvent):
            return "done", {"result": await self.result_payload(event.result)}
        assert isinstance(event, ErrorEvent)
        return "error", {
            "error": error_detail(event.error),
            "conversation_id": self.conversation_id,
            "generation_id": self.generation_id,
            "attempts": event.attempts,
            "repair_rounds": 0 if event.result is None else event.result.repair_rounds,
            "usage": usage_payload(event.usage),
            "cost_usd": None if event.cost_usd is None else str(event.cost_usd),
            "duration_ms": event.duration_ms,
            "attempt_details": [a.to_dict() for a in event.attempt_details],
            "retries": list(self.retries),
        }

    async def result_payload(self, result: GenerationResult) -> Payload:
        """The ``result`` of a ``done`` event (and of a ``stream: false`` answer)."""
        explanation = prose_of(result.reply)
        report = result.validation
        fixes_diff = None
        if self.html and report is not None and report.fixed and report.before_fixes is not None:
            fixes_diff = str(diff_html(report.before_fixes, result.code, result.file_name))
        return {
            "conversation_id": self.conversation_id,
            "generation_id": self.generation_id,
            "provider": result.provider,
            "model": result.model,
            "class_name": result.class_name,
            "file_name": result.file_name,
            "code": result.code,
            "html": highlight_csharp(result.code) if self.html else "",
            "reply": result.reply,
            "usage": usage_payload(result.usage),
            "cost_usd": None if result.cost_usd is None else str(result.cost_usd),
            "duration_ms": result.duration_ms,
            "attempts": result.attempts,
            "stop_reason": result.stop_reason,
            "repair_rounds": result.repair_rounds,
            "attempt_details": [a.to_dict() for a in result.attempt_details],
            "validation": _report(result.validation),
            "validation_before_repair": _report(result.validation_before_repair),
            "compile": None if result.compile is None else result.compile.to_dict(),
            "explanation": explanation,
            "explanation_html": render_markdown(explanation) if self.html else "",
            "fixes_diff_html": fixes_diff,
            "target": self.plan.workspace.target.describe(),
            "export_url": export_url(self.generation_id),
            "retries": list(self.retries),
            **outcome_notes(self.engine, result),
        }
