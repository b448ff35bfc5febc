"""``GET /api/history`` and the ``/history`` page: the user's generations, newest first.

A minimal list (the full history screen is issue 6): what was asked, with which model, how it
ended (a stopped generation is ``failed`` / ``cancelled``), and the export link of each script.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from spark import __version__
from spark.db import Database
from spark.db.history import list_generations
from spark.db.models import GenerationRecord, GenerationStatus
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, TemplatesDep
from spark.web.runner import export_url
from spark.web.schemas import ErrorBody, HistoryItemOut, HistoryOut
from spark.web.security import csrf_token

router = APIRouter(tags=["history"])


def _item(record: GenerationRecord) -> HistoryItemOut:
    succeeded = record.status == GenerationStatus.SUCCEEDED
    return HistoryItemOut(
        generation_id=str(record.id),
        conversation_id=record.conversation_id,
        created_at=record.created_at.isoformat(timespec="seconds"),
        status=str(record.status),
        error_kind=record.error_kind,
        provider=record.provider,
        model=record.model,
        prompt=record.prompt,
        class_name=record.class_name,
        success=record.success if succeeded else None,
        cost_usd=None if record.cost_usd is None else str(record.cost_usd),
        export_url=export_url(str(record.id)) if succeeded else None,
    )


async def _history(database: Database, user: WebUser, limit: int, offset: int) -> HistoryOut:
    async with database.session(user_id=user.id) as session:
        page = await list_generations(session=session, user_id=user.id, limit=limit, offset=offset)
        return HistoryOut(items=[_item(r) for r in page.items], total=page.total)


@router.get(
    "/api/history",
    summary="The user's generations, newest first",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}},
)
async def read_history(
    database: DatabaseDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HistoryOut:
    """One page of the signed-in user's history (every web and API generation is recorded)."""
    return await _history(database, user, limit, offset)


@router.get("/history", response_class=HTMLResponse, include_in_schema=False)
async def history_page(
    request: Request, database: DatabaseDep, templates: TemplatesDep, user: CurrentUser
) -> Response:
    history = await _history(database, user, 50, 0)
    return templates.TemplateResponse(
        request,
        "history.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "history": history,
            "version": __version__,
        },
    )
