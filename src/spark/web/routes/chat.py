"""The chat screen: ``/`` for a new script, ``/c/{id}`` for a conversation (its URL survives a
reload), the conversation's turns as a fragment for the page's script, and what a user does to
a conversation: rename it, delete it, restore an earlier revision as current.

Every route acts for the signed-in user; another user's conversation is answered exactly like
an unknown one (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from spark import __version__
from spark.config import Settings
from spark.db import Database
from spark.db.conversations import (
    delete_conversation,
    list_conversations,
    rename_conversation,
    set_current_revision,
)
from spark.db.instructions import instructions_in_force
from spark.errors import UsageError
from spark.estimate import estimate_tokens
from spark.generation import Engine
from spark.instructions import with_instructions
from spark.unity.target import default_target
from spark.web.auth import CurrentUser, WebUser, set_notice, take_notice
from spark.web.chat_view import current_view, turn_views
from spark.web.conversations import Conversation, ConversationStore
from spark.web.deps import ConversationsDep, DatabaseDep, EngineDep, SettingsDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.params import ConversationId, GenerationId
from spark.web.preferences import initial_choice
from spark.web.routes.account import read_form
from spark.web.routes.models import provider_out
from spark.web.routing import SparkRoute
from spark.web.security import csrf_token
from spark.web.target import INPUT_CHOICES, PIPELINE_CHOICES, user_target

router = APIRouter(include_in_schema=False, route_class=SparkRoute)

_UNKNOWN = (
    404,
    "unknown_conversation",
    "SPARK has no conversation with this id in your history.",
    "Start a new script, or open one from History.",
)


async def _conversation(
    store: ConversationStore, user: WebUser, conversation_id: str
) -> Conversation:
    conversation = await store.get(owner=user.id, conversation_id=conversation_id)
    if conversation is None:
        raise ApiError(*_UNKNOWN)
    return conversation


@dataclass(frozen=True, slots=True)
class ChatPage:
    """The chat screen for the signed-in user, drawn for a conversation or a new script."""

    request: Request
    engine: Engine
    settings: Settings
    templates: Jinja2Templates
    database: Database
    user: WebUser

    async def __call__(self, conversation: Conversation | None) -> Response:
        engine, settings, database, user = self.engine, self.settings, self.database, self.user
        provider, model, saved_models = await initial_choice(
            user=user, engine=engine, database=database
        )
        providers = [provider_out(p) for p in await engine.models.overview()]
        selected = next(p for p in providers if p.id == provider)
        target_problem = None
        try:
            target = await user_target(settings=settings, database=database, user=user)
        except UsageError as exc:
            target, target_problem = default_target(settings), exc.message
        context_tokens = 0
        if conversation is not None:
            for message in conversation.history():
                context_tokens += estimate_tokens(message.content)
        async with database.session(user_id=user.id) as session:
            recent = await list_conversations(session=session, user_id=user.id)
            instructions = await instructions_in_force(session=session, user_id=user.id)
        system = with_instructions(engine.system_prompt(target), instructions)
        return self.templates.TemplateResponse(
            self.request,
            "index.html",
            {
                "user": user,
                "csrf_token": csrf_token(self.request),
                "providers": providers,
                "provider": provider,
                "model": model,
                "saved_models": saved_models,
                "models": selected.models,
                "max_prompt_chars": settings.max_prompt_chars,
                "system_tokens": estimate_tokens(system),
                # What a request reserves against the spend limits (Engine.max_cost).
                "max_output_tokens": settings.max_output_tokens,
                "replies": 1 + settings.repair_rounds,
                "conversation": conversation,
                "turns": turn_views(conversation) if conversation else [],
                "current": current_view(conversation.current) if conversation else None,
                "context_tokens": context_tokens,
                "recent": recent,
                "target": target,
                "target_problem": target_problem,
                "input_choices": INPUT_CHOICES,
                "pipeline_choices": PIPELINE_CHOICES,
                "notice": take_notice(self.request),
                "version": __version__,
            },
        )


async def _chat_page(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    database: DatabaseDep,
    user: CurrentUser,
) -> ChatPage:
    return ChatPage(request, engine, settings, templates, database, user)


ChatPageDep = Annotated[ChatPage, Depends(_chat_page)]


@router.get("/", response_class=HTMLResponse)
async def chat_page(
    page: ChatPageDep,
    conversation: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A new script; ``?conversation=`` (the old "continue" link) moves to ``/c/{id}``."""
    if conversation:
        return RedirectResponse(f"/c/{quote(conversation, safe='')}", status_code=303)
    return await page(None)


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    conversation_id: ConversationId, page: ChatPageDep, conversations: ConversationsDep
) -> Response:
    """The conversation: its turns, its current script, and the prompt box to continue it."""
    return await page(await _conversation(conversations, page.user, conversation_id))


@router.get("/c/{conversation_id}/turns", response_class=HTMLResponse)
async def conversation_turns(
    request: Request,
    conversation_id: ConversationId,
    templates: TemplatesDep,
    conversations: ConversationsDep,
    user: CurrentUser,
) -> Response:
    """The conversation's turns as an HTML fragment (the chat screen refreshes them)."""
    conversation = await _conversation(conversations, user, conversation_id)
    return templates.TemplateResponse(
        request,
        "_turns.html",
        {
            "conversation": conversation,
            "turns": turn_views(conversation),
            "csrf_token": csrf_token(request),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/c/{conversation_id}/rename")
async def rename(
    request: Request,
    conversation_id: ConversationId,
    database: DatabaseDep,
    conversations: ConversationsDep,
    user: CurrentUser,
) -> Response:
    form = await read_form(request)
    await _conversation(conversations, user, conversation_id)
    async with database.session(user_id=user.id) as session:
        title = await rename_conversation(
            session=session,
            user_id=user.id,
            conversation_id=conversation_id,
            title=form.get("title", ""),
        )
    set_notice(
        request, f"Renamed to “{title}”." if title else "The title is the first prompt again."
    )
    return RedirectResponse(f"/c/{conversation_id}", status_code=303)


@router.post("/c/{conversation_id}/delete")
async def delete(
    request: Request,
    conversation_id: ConversationId,
    database: DatabaseDep,
    conversations: ConversationsDep,
    user: CurrentUser,
) -> Response:
    await read_form(request)
    conversation = await _conversation(conversations, user, conversation_id)
    async with database.session(user_id=user.id) as session:
        count = await delete_conversation(
            session=session, user_id=user.id, conversation_id=conversation_id
        )
    plural = "" if count == 1 else "s"
    set_notice(request, f"Deleted “{conversation.title}” and its {count} generation{plural}.")
    return RedirectResponse("/", status_code=303)


@router.post("/c/{conversation_id}/restore/{generation_id}")
async def restore(
    request: Request,
    conversation_id: ConversationId,
    generation_id: GenerationId,
    database: DatabaseDep,
    conversations: ConversationsDep,
    user: CurrentUser,
) -> Response:
    """Make an earlier revision the current script (the next follow-up revises it)."""
    await read_form(request)
    conversation = await _conversation(conversations, user, conversation_id)
    revisions = conversation.revisions
    numbers = {r.id: n for n, r in enumerate(revisions, start=1)}
    if generation_id not in numbers:
        raise ApiError(
            404,
            "unknown_generation",
            "This conversation has no revision with this id.",
            "Pick one of the revisions listed in the conversation.",
        )
    async with database.session(user_id=user.id) as session:
        await set_current_revision(
            session=session,
            user_id=user.id,
            conversation_id=conversation_id,
            generation_id=generation_id,
        )
    set_notice(request, f"Revision {numbers[generation_id]} is the current script again.")
    return RedirectResponse(f"/c/{conversation_id}", status_code=303)
