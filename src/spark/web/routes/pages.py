"""The HTML pages: the chat screen, the API reference, and the generated highlight stylesheet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from spark import __version__
from spark.estimate import estimate_tokens
from spark.web.auth import CurrentUser
from spark.web.deps import ConversationsDep, DatabaseDep, EngineDep, SettingsDep, TemplatesDep
from spark.web.highlight import stylesheet
from spark.web.preferences import initial_choice
from spark.web.routes.models import provider_out
from spark.web.routing import SparkRoute
from spark.web.security import csrf_token

router = APIRouter(include_in_schema=False, route_class=SparkRoute)


@router.get("/", response_class=HTMLResponse)
async def chat_page(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    database: DatabaseDep,
    conversations: ConversationsDep,
    user: CurrentUser,
    conversation: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    continued = (
        await conversations.get(owner=user.id, conversation_id=conversation)
        if conversation
        else None
    )
    context_tokens = (
        sum(estimate_tokens(t.prompt) + estimate_tokens(t.reply) for t in continued.turns)
        if continued
        else 0
    )
    provider, model, saved_models = await initial_choice(
        user=user, engine=engine, database=database
    )
    providers = [provider_out(p) for p in await engine.models.overview()]
    selected = next(p for p in providers if p.id == provider)
    system_tokens = estimate_tokens(engine.system_prompt())
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "providers": providers,
            "provider": provider,
            "model": model,
            "saved_models": saved_models,
            "models": selected.models,
            "max_prompt_chars": settings.max_prompt_chars,
            "system_tokens": system_tokens,
            "conversation": continued,
            "context_tokens": context_tokens,
            "version": __version__,
        },
    )


@router.get("/docs", response_class=HTMLResponse)
async def api_reference(request: Request, templates: TemplatesDep) -> Response:
    """The API reference, rendered from the OpenAPI schema (no Swagger UI: no CDN)."""
    schema: dict[str, Any] = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
    ]
    return templates.TemplateResponse(
        request,
        "docs.html",
        {
            "operations": operations,
            "schemas": schema.get("components", {}).get("schemas", {}),
            "version": __version__,
        },
    )


@router.get("/assets/highlight.css")
async def highlight_css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/healthz")
async def health() -> Response:
    return JSONResponse({"ok": True, "version": __version__})
