"""``POST /api/generate``: a prompt in, a Server-Sent Events stream (or one JSON result) out.

Everything a request can get wrong (JSON, prompt, provider, model, key, conversation) is checked
before the stream starts (``Engine.prepare`` resolves the request once into the ``Plan`` that
the history row, the ``start`` event and the generation share), so it is answered with a 4xx
and SPARK's error body; once the stream has started, failures arrive as an ``error`` event.
Stream events, each ``data`` a JSON object: ``start`` (conversation and generation ids),
``token``, ``retry`` (the preview must clear), ``repair``, ``validation``, ``compile``, and one
final ``done`` or ``error`` (kind ``shutdown`` when the server stops meanwhile).

As in the CLI, a request refused for an unknown provider or model or a missing key is recorded
in the history as a failed generation (it still gets its 4xx); a bad prompt or an unknown
conversation is a mistake in the request and leaves no row.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse, format_sse_event

from spark.db.cache import DatabaseCache
from spark.db.limits import quota_for
from spark.db.team_controls import generation_context
from spark.errors import UsageError
from spark.generation import ChatMessage, GenerationRequest
from spark.web.auth import CurrentUser
from spark.web.conversations import NO_BASE, Conversation, new_id, parse_generation_id
from spark.web.deps import StateDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute, shares_reads
from spark.web.runner import CLEANUP_SECONDS, WebGeneration
from spark.web.schemas import ErrorBody, GenerateBody, GenerateResult
from spark.web.security import CsrfProtected
from spark.web.target import context_target

router = APIRouter(prefix="/api", tags=["generate"], route_class=SparkRoute)

_STREAM_EXAMPLE = (
    'event: start\ndata: {"conversation_id": "c_…", "generation_id": "g_…", ...}\n\n'
    'event: token\ndata: {"text": "using UnityEngine;"}\n\n'
    'event: retry\ndata: {"attempt": 2, "max_attempts": 4, "delay": 2, '
    '"message": "Rate limited — retrying in 2 s (attempt 2 of 4)", "error": {...}}\n\n'
    'event: validation\ndata: {"report": {"ok": true, "diagnostics": [...]}}\n\n'
    'event: done\ndata: {"result": {"file_name": "CoinSpinner.cs", "code": "...", ...}}\n\n'
)


class _ClosingEventStream(EventSourceResponse):
    """An SSE response that always closes its event source (so a generation stops with it)."""

    async def stream_response(self, send: Any) -> None:
        try:
            await super().stream_response(send)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                # Shielded: after a disconnect the scope is cancelled, and the generation still
                # has to close the provider's stream (and, later, finish its history row).
                with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
                    await aclose()


async def _sse(generation: WebGeneration) -> AsyncIterator[bytes]:
    async for kind, payload in generation.events():
        yield format_sse_event(event=kind, data_str=json.dumps(payload, ensure_ascii=False))


def _base(conversation: Conversation, generation_id: str | None) -> int | None:
    """The revision a prompt builds on (None: the current one); 404 for another id."""
    if generation_id is None:
        return None
    record_id = parse_generation_id(generation_id)
    if record_id is None or not conversation.knows(record_id):
        raise ApiError(
            404,
            "unknown_generation",
            "This conversation has no generation with this id.",
            "Leave base_generation_id out to build on the current revision.",
        )
    return record_id


@router.post(
    "/generate",
    summary="Generate a Unity C# script",
    response_model=GenerateResult,
    responses={
        200: {
            "description": "With `stream: true` (the default) a `text/event-stream`; with "
            "`stream: false` one JSON result.",
            "content": {"text/event-stream": {"example": _STREAM_EXAMPLE}},
        },
        400: {"model": ErrorBody, "description": "Malformed JSON."},
        401: {"model": ErrorBody, "description": "Not signed in (session or API token)."},
        403: {"model": ErrorBody, "description": "No CSRF token, or another site's page."},
        404: {"model": ErrorBody, "description": "Unknown conversation or base generation."},
        409: {"model": ErrorBody, "description": "The provider has no key (not configured)."},
        429: {
            "model": ErrorBody,
            "description": "A spend limit (`budget`: the limit, what is spent and held, when it "
            "resets) or a rate limit (`rate_limited`) of SPARK's own; `Retry-After` says when "
            "to try again (docs/teams.md).",
        },
        422: {
            "model": ErrorBody,
            "description": "Empty or over-long prompt, unknown provider or model, bad field, "
            "or a saved Unity project folder that is no longer a Unity project.",
        },
        502: {
            "model": GenerateResult,
            "description": "`stream: false` only: the generation failed (`ok: false`, the "
            "error, and the generation's id).",
        },
        503: {
            "model": GenerateResult,
            "description": "`stream: false` only: the server shut down during the generation.",
        },
    },
)
@shares_reads
async def generate(
    body: GenerateBody,
    app: StateDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> Response:
    """Run one generation: check, stream with retries, validate, repair once if needed.

    A follow-up passes the `conversation_id` from the previous `start` event (or result): the
    turns that led to the conversation's current revision are sent along, and the model
    revises that script (`base_generation_id` names another revision to build on, `fresh`
    none). The user's Unity target shapes the prompt and the validation.
    """
    engine, settings, conversations = app.engine, app.settings, app.conversations
    database = app.database.database
    history: tuple[ChatMessage, ...] = ()
    conversation = None
    base = NO_BASE
    if body.conversation_id is not None:
        conversation = await conversations.get(owner=user.id, conversation_id=body.conversation_id)
        if conversation is None:
            raise ApiError(
                404,
                "unknown_conversation",
                "SPARK has no conversation with this id in your history.",
                "Start a new script.",
            )
        base = conversation.base_for(_base(conversation, body.base_generation_id), fresh=body.fresh)
        history = conversation.history(base)
    # One read for all of it: target, fallback, cache settings, instructions, limits.
    context = await generation_context(settings=settings, database=database, user_id=user.id)
    try:
        target = context_target(context, settings)
    except UsageError as exc:  # the saved project folder is no longer a Unity project
        raise ApiError(
            422, "invalid_target", exc.message, "Fix the Unity target on the Account page."
        ) from None
    caching = context.caching
    conversation_id = conversation.id if conversation is not None else new_id("c")
    recorder = conversations.recorder(
        owner=user.id,
        conversation_id=conversation_id,
        unity_target=target.to_dict(),
        base_generation_id=base,
        new_conversation=conversation is None,
    )
    cache = (
        DatabaseCache(database, user_id=user.id, settings=caching, recorder=recorder)
        if caching.enabled and body.cache
        else None
    )
    # Resolved once: a bad prompt is a 422 with no history row; any other refusal (unknown
    # provider or model, missing key) is recorded as a failed generation, then answered 4xx.
    # A cache hit is recorded by prepare (one transaction) and needs no reservation.
    plan = await engine.prepare(
        GenerationRequest(
            prompt=body.prompt,
            provider=body.provider,
            model=body.model,
            history=history,
            target=target,
            instructions=context.instructions,
            fallback=context.fallback,
        ),
        refusal=recorder,
        quota=quota_for(database, settings, user_id=user.id, known=context.limits),
        cache=cache,
    )
    # The reads so far (token, conversation, context, a cache lookup; on PostgreSQL a hit's
    # record) shared one transaction: it ends here, before the generation.
    await database.end_sharing()
    try:
        await recorder.start(plan.start)  # the running row: the `start` event names it
    except Exception:
        await engine.release(plan)  # not generated: its reservation must not wait to expire
        raise
    generation = WebGeneration(
        engine=engine,
        recorder=recorder,
        user=user,
        conversation_id=conversation_id,
        plan=plan,
        shutdown=app.shutdown,
        cache=cache,
        html=body.html,
    )
    if plan.answered is not None and not body.stream:
        # A cache hit, recorded by prepare: its result at once, no generation to run.
        result = await generation.result_payload(plan.answered)
        return JSONResponse({"ok": True, "result": result})
    if body.stream:
        return _ClosingEventStream(
            _sse(generation), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
    outcome: dict[str, Any] = {"ok": False}
    status = 502
    async for kind, payload in generation.events():
        if kind == "done":
            outcome, status = {"ok": True, "result": payload["result"]}, 200
        elif kind == "error":
            outcome = {
                "ok": False,
                "error": payload["error"],
                "conversation_id": payload["conversation_id"],
                "generation_id": payload["generation_id"],
            }
            status = 503 if payload["error"]["kind"] == "shutdown" else 502
    return JSONResponse(outcome, status_code=status)
