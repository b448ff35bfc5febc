"""``generate_unity_script``: one generation for an MCP caller, with progress and cancellation.

The request is resolved once (``Engine.prepare``: an empty or over-long prompt, an unknown
provider or model, a missing key come back as a tool error with SPARK's hint; all but the
prompt's mistakes are recorded as failed, as the web app and the CLI do), then
``Engine.generate`` runs it with a history recorder of the caller (a row per generation, in a
conversation: a ``conversation_id`` from an earlier answer sends the earlier scripts along, so
the model revises its script). Its events become MCP progress notifications
(:class:`Progress`); the final one the tool's answer.

The engine runs in a task of its own, as in the web app (:mod:`spark.web.runner`): when the
client cancels the call (``notifications/cancelled`` over stdio, a closed response stream over
HTTP), the task is cancelled and awaited, shielded, while the engine finishes the history row
as ``failed: cancelled`` with the tokens billed so far.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from spark.caching import ResponseCache
from spark.db import Database
from spark.db.cache import DatabaseCache
from spark.db.limits import quota_for
from spark.db.recorder import HistoryRecorder
from spark.db.team_controls import generation_context
from spark.errors import SparkError, UsageError, shutdown_error
from spark.events import (
    CompileEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    RepairEvent,
    RetryEvent,
    TokenEvent,
    ValidationEvent,
)
from spark.fallback import route_summary
from spark.generation import ChatMessage, GenerationRequest, Plan, Stop
from spark.mcp.service import McpService, check_text, tool_error, tool_result

log = logging.getLogger(__name__)

# Longest wait for a cancelled generation to finish its history row.
CLEANUP_SECONDS = 5.0
# Streaming progress is sent at most this often (retries, repairs and checks always are).
PROGRESS_INTERVAL = 0.5


def generation_uri(generation_id: int | str) -> str:
    return f"spark://generations/{generation_id}"


class Progress:
    """The MCP progress notifications of one generation: ``progress`` counts notifications
    (it only grows, as the protocol asks); ``message`` says what is happening."""

    def __init__(self, ctx: Context[Any, Any], clock: Callable[[], float] = time.monotonic):
        self._ctx = ctx
        self._clock = clock
        self._count = 0
        self._chars = 0
        self._last = float("-inf")
        self.retries: list[str] = []

    async def send(self, message: str) -> None:
        self._count += 1
        self._last = self._clock()
        try:
            await self._ctx.report_progress(self._count, None, message)
        except Exception as exc:  # a client that went away must not stop the generation
            log.debug("could not send progress: %s", exc)

    async def on(self, event: Event) -> None:
        """Tell the client about ``event``, when it is news."""
        if isinstance(event, TokenEvent):
            first = self._chars == 0
            self._chars += len(event.text)
            if first or self._clock() - self._last >= PROGRESS_INTERVAL:
                await self.send(f"Writing the script: {self._chars:,} characters so far")
        elif isinstance(event, RetryEvent):
            self._chars = 0
            self.retries.append(event.message)
            await self.send(event.message)
        elif isinstance(event, RepairEvent):
            self._chars = 0
            await self.send(f"Repair round {event.round}: asking the model to fix what is left")
        elif isinstance(event, ValidationEvent):
            await self.send(f"Validation: {event.report.summary()}")
        elif isinstance(event, CompileEvent):
            await self.send(event.report.summary())


async def generate_script(
    service: McpService,
    ctx: Context[Any, Any],
    *,
    prompt: str,
    provider: str | None,
    model: str | None,
    conversation_id: str | None,
    project: str | None,
) -> CallToolResult:
    """Run one generation for the caller and answer with its script and figures."""
    recorder: HistoryRecorder | None = None
    try:
        check_text(
            prompt=prompt,
            provider=provider,
            model=model,
            conversation_id=conversation_id,
            project=project,
        )
        caller = service.caller(ctx)
        database = await service.database()
        history: tuple[ChatMessage, ...] = ()
        if conversation_id:
            history = await _conversation(database, caller.user_id, conversation_id)
        else:
            conversation_id = f"c_{secrets.token_hex(12)}"  # as the web app names them
        target = service.target(project)
        recorder = HistoryRecorder(
            database, user_id=caller.user_id, conversation_id=conversation_id
        )
        # The team controls (docs/teams.md) apply to an MCP caller as to a web user; read
        # with the instructions and the limits in one transaction.
        context = await generation_context(
            settings=service.settings, database=database, user_id=caller.user_id
        )
        caching = context.caching
        cache = (
            DatabaseCache(database, user_id=caller.user_id, settings=caching, recorder=recorder)
            if caching.enabled
            else None
        )
        request = GenerationRequest(
            prompt,
            provider or None,
            model or None,
            history,
            target,
            instructions=context.instructions,
            fallback=context.fallback,
        )
        quota = quota_for(database, service.settings, user_id=caller.user_id, known=context.limits)
        plan = await service.engine.prepare(request, refusal=recorder, quota=quota, cache=cache)
    except SparkError as exc:
        # A refused provider, model or key was recorded as a failed generation: name its row.
        recorded = recorder.record_id if recorder is not None else None
        extra = {} if recorded is None else {"generation_id": recorded}
        return tool_error(exc, service.settings, **extra)
    progress = Progress(ctx)
    await progress.send(f"Generating with {plan.provider}/{plan.model}")
    outcome = await _run(service, plan, recorder, progress, cache)
    return _answer(service, outcome, recorder, conversation_id, progress.retries)


async def _conversation(
    database: Database, user_id: int, conversation_id: str
) -> tuple[ChatMessage, ...]:
    """The earlier turns of the caller's conversation (UsageError when it has none)."""
    # The web app's conversation memory, so a follow-up reads the same turns everywhere.
    from spark.web.conversations import DatabaseConversationStore

    conversation = await DatabaseConversationStore(database).get(
        owner=user_id, conversation_id=conversation_id
    )
    if conversation is None:
        raise UsageError(
            f"SPARK has no conversation {conversation_id!r} in your history.",
            hint="Pass the conversation_id of an earlier answer, or leave it out to start anew.",
        )
    return conversation.history()


async def _run(
    service: McpService,
    plan: Plan,
    recorder: HistoryRecorder,
    progress: Progress,
    cache: ResponseCache | None = None,
) -> DoneEvent | ErrorEvent:
    """The generation's final event; cancelled with the call (see the module docstring).
    When the server begins to stop meanwhile, the generation is stopped and its final event
    is the ``shutdown`` error the engine recorded."""
    stop = Stop()
    running = asyncio.create_task(_consume(service, plan, recorder, progress, stop, cache))
    watching = (
        asyncio.create_task(_stop_on_shutdown(service, plan, running, stop))
        if service.stopping is not None
        else None
    )
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if stop.reason is not None and not (task is not None and task.cancelling()):
            # Stopped by the shutdown, not by the client: answer with what was recorded.
            with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
                await asyncio.wait([running])
            if isinstance(stop.outcome, ErrorEvent):
                return stop.outcome
            raise
        running.cancel()
        log.info("generation %s cancelled by the client", recorder.record_id)
        with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
            await asyncio.wait([running])
        raise
    finally:
        if watching is not None:
            watching.cancel()


async def _stop_on_shutdown(
    service: McpService, plan: Plan, running: asyncio.Task[DoneEvent | ErrorEvent], stop: Stop
) -> None:
    """Stop ``running`` with a ``shutdown`` error once the server begins to stop."""
    assert service.stopping is not None
    await service.stopping()
    if running.done():
        return
    stop.reason = shutdown_error(plan.provider)
    running.cancel()


async def _consume(
    service: McpService,
    plan: Plan,
    recorder: HistoryRecorder,
    progress: Progress,
    stop: Stop,
    cache: ResponseCache | None = None,
) -> DoneEvent | ErrorEvent:
    generation = service.engine.generate(plan, recorder=recorder, stop=stop, cache=cache)
    async with aclosing(generation) as events:
        async for event in events:
            if isinstance(event, DoneEvent | ErrorEvent):
                return event
            await progress.on(event)
    raise RuntimeError("the generation ended without a final event")  # pragma: no cover


def _answer(
    service: McpService,
    outcome: DoneEvent | ErrorEvent,
    recorder: HistoryRecorder,
    conversation_id: str,
    retries: list[str],
) -> CallToolResult:
    ids: dict[str, Any] = {"generation_id": recorder.record_id, "conversation_id": conversation_id}
    if recorder.record_id is not None:
        ids["resource_uri"] = generation_uri(recorder.record_id)
    if isinstance(outcome, ErrorEvent):
        figures = {
            "attempts": outcome.attempts,
            "usage": outcome.usage.to_json(),
            "cost_usd": None if outcome.cost_usd is None else str(outcome.cost_usd),
            "duration_ms": outcome.duration_ms,
            "retries": retries,
        }
        if outcome.result is not None:  # generated, but not saved: the script is not lost
            figures |= {"file_name": outcome.result.file_name, "code": outcome.result.code}
        return tool_error(outcome.error, service.settings, **ids, **figures)
    result = outcome.result
    report, compiled = result.validation, result.compile
    before = result.validation_before_repair
    return tool_result(
        {
            "ok": (report is None or report.ok) and (compiled is None or compiled.ok),
            **ids,
            "file_name": result.file_name,
            "class_name": result.class_name,
            "code": result.code,
            "provider": result.provider,
            "model": result.model,
            "validation": None if report is None else report.to_dict(),
            "validation_before_repair": None if before is None else before.summary(),
            "compile": None if compiled is None else compiled.to_dict(),
            "usage": result.usage.to_json(),
            "cost_usd": None if result.cost_usd is None else str(result.cost_usd),
            "duration_ms": result.duration_ms,
            "attempts": result.attempts,
            "repair_rounds": result.repair_rounds,
            "stop_reason": result.stop_reason,
            "retries": retries,
            "cached": result.cached,
            "saved_usd": None if result.saved_usd is None else str(result.saved_usd),
            "answered_by": route_summary(
                [a.to_dict() for a in result.attempt_details], _label(service)
            ),
        }
    )


def _label(service: McpService) -> Callable[[str], str]:
    def label(provider: str) -> str:
        try:
            return service.engine.catalog.provider(provider).display_name
        except SparkError:
            return provider

    return label
