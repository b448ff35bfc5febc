"""The user's history: ``/api/history`` (list, one, delete), ``/history.csv``, and the pages.

Every route acts for the signed-in user only: a generation id of another user is answered
exactly like an unknown one (404), so ids reveal nothing. The list is newest first, paged, and
filtered by provider, model, status, a date range (UTC days, inclusive) and a search in the
prompt, the class name and the generated code (:class:`spark.db.history.HistoryFilters`, the
search ``spark history`` and MCP use too).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup

from spark import __version__
from spark.catalog import load_catalog
from spark.db import Database
from spark.db.export import history_csv_lines
from spark.db.history import (
    HistoryFilters,
    delete_generation,
    get_generation,
    list_generations,
    used_models,
)
from spark.db.instructions import instructions_used
from spark.db.models import ANSWERED, GenerationRecord, GenerationStatus
from spark.unity.target import UnityTarget
from spark.web.auth import CurrentUser, WebUser, set_notice, take_notice
from spark.web.chat_view import fixes_diff
from spark.web.deps import DatabaseDep, EngineDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.highlight import highlight_csharp
from spark.web.markdown import render_markdown
from spark.web.notes import notes
from spark.web.params import FirstDay, GenerationId, LastDay
from spark.web.routes.account import read_form
from spark.web.routes.export import safe_file_name
from spark.web.routing import SparkRoute
from spark.web.runner import export_url
from spark.web.schemas import ErrorBody, HistoryDetailOut, HistoryItemOut, HistoryOut
from spark.web.security import CsrfProtected, csrf_token

router = APIRouter(tags=["history"], route_class=SparkRoute)

PAGE_SIZE = 25
MAX_SEARCH_CHARS = 200
STATUSES = tuple(str(s) for s in GenerationStatus)
EVAL_CHOICES = ("exclude", "only")  # `spark eval` generations: leave out, or only them

_NOT_FOUND = (
    404,
    "unknown_generation",
    "SPARK has no generation with this id in your history.",
    "See GET /api/history for your generations.",
)


def _query_string(filters: HistoryFilters, **extra: Any) -> str:
    """The filters (and ``extra``) as the history page's query string."""
    values: dict[str, Any] = {
        "provider": filters.provider,
        "model": filters.model,
        "status": filters.status,
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
        "q": filters.search,
        "evals": filters.evals,
        **extra,
    }
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _filters(
    provider: str | None,
    model: str | None,
    status: str | None,
    date_from: date | None,
    date_to: date | None,
    search: str | None,
    evals: str | None = None,
) -> tuple[HistoryFilters, str | None]:
    """The filters, and what was wrong with them (a wrong filter is left out)."""
    problem = None
    if evals and evals not in EVAL_CHOICES:
        problem = f"Unknown evals filter {evals!r}: use one of {', '.join(EVAL_CHOICES)}."
        evals = None
    if status and status not in STATUSES:
        problem = f"Unknown status {status!r}: use one of {', '.join(STATUSES)}."
        status = None
    if date_from and date_to and date_from > date_to:
        problem = "date_from is after date_to."
        date_from = date_to = None
    filters = HistoryFilters(
        provider=provider or None,
        model=model or None,
        status=status or None,
        date_from=date_from,
        date_to=date_to,
        search=(search or "").strip() or None,
        evals=evals or None,
    )
    return filters, problem


def _item(record: GenerationRecord) -> HistoryItemOut:
    succeeded = record.status in ANSWERED
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
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cache_read_tokens=record.cache_read_tokens,
        cache_write_tokens=record.cache_write_tokens,
        total_tokens=record.total_tokens,
        cost_usd=None if record.cost_usd is None else str(record.cost_usd),
        generation_ms=record.generation_ms,
        export_url=export_url(str(record.id)) if succeeded and record.generated_code else None,
        reserved_usd=None if record.reserved_usd is None else str(record.reserved_usd),
        settled_usd=None if record.settled_usd is None else str(record.settled_usd),
    )


def _detail(record: GenerationRecord) -> HistoryDetailOut:
    return HistoryDetailOut(
        **_item(record).model_dump(),
        generated_code=record.generated_code,
        error_message=record.error_message,
        attempts=record.attempts,
        repair_rounds=record.repair_rounds,
        attempt_details=list(record.attempt_details or []),
        reservation_parts=list(record.reservation_parts or []),
        validation_summary=record.validation_summary,
        validation_errors=record.validation_errors,
        validation_warnings=record.validation_warnings,
        finished_at=None
        if record.finished_at is None
        else record.finished_at.isoformat(timespec="seconds"),
        explanation=record.explanation,
        findings=record.findings,
        compile_report=record.compile_report,
        unity_target=record.unity_target,
        partial=record.partial,
        team_instructions_version=record.team_instructions_version,
        personal_instructions_version=record.personal_instructions_version,
        **notes(
            load_catalog(),
            cached=record.status == GenerationStatus.CACHED,
            saved_usd=record.saved_usd,
            cached_from=record.cached_from,
            attempt_details=record.attempt_details,
        ),
    )


async def _history(
    database: Database, user: WebUser, filters: HistoryFilters, limit: int, offset: int
) -> HistoryOut:
    async with database.session(user_id=user.id) as session:
        page = await list_generations(
            session=session, user_id=user.id, filters=filters, limit=limit, offset=offset
        )
        return HistoryOut(
            items=[_item(r) for r in page.items], total=page.total, limit=limit, offset=offset
        )


async def _record(database: Database, user: WebUser, generation_id: int) -> GenerationRecord:
    async with database.session(user_id=user.id) as session:
        record = await get_generation(session=session, user_id=user.id, record_id=generation_id)
        if record is None:
            raise ApiError(*_NOT_FOUND)
        session.expunge(record)
        return record


SearchQuery = Annotated[
    str | None, Query(alias="q", max_length=MAX_SEARCH_CHARS, description="Search text.")
]


@router.get(
    "/api/history",
    summary="The user's generations, newest first",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        422: {"model": ErrorBody, "description": "A bad parameter."},
    },
)
async def read_history(
    database: DatabaseDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=128)] = None,
    status: GenerationStatus | None = None,
    date_from: FirstDay = None,
    date_to: LastDay = None,
    q: SearchQuery = None,
    evals: Annotated[
        Literal["exclude", "only"] | None,
        Query(description="`spark eval` generations: leave them out, or show only them."),
    ] = None,
) -> HistoryOut:
    """One page of the signed-in user's history, filtered; ``q`` searches prompts and code."""
    kind = None if status is None else status.value
    filters, problem = _filters(provider, model, kind, date_from, date_to, q, evals)
    if problem:
        raise ApiError(422, "invalid_request", problem, "See GET /api/history at /docs.")
    return await _history(database, user, filters, limit, offset)


@router.get(
    "/api/history/{generation_id}",
    summary="One generation of the user's history",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        404: {"model": ErrorBody, "description": "No such generation of yours."},
    },
)
async def read_generation(
    generation_id: GenerationId, database: DatabaseDep, user: CurrentUser
) -> HistoryDetailOut:
    """Everything recorded about one generation: prompt, code, validation, figures."""
    return _detail(await _record(database, user, generation_id))


@router.delete(
    "/api/history/{generation_id}",
    summary="Delete one generation from the user's history",
    status_code=204,
    response_class=Response,
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        403: {"model": ErrorBody, "description": "No CSRF token (cookie sessions)."},
        404: {"model": ErrorBody, "description": "No such generation of yours."},
    },
)
async def remove_generation(
    generation_id: GenerationId, database: DatabaseDep, user: CurrentUser, _csrf: CsrfProtected
) -> Response:
    """Delete the generation (its script can no longer be exported)."""
    async with database.session(user_id=user.id) as session:
        deleted = await delete_generation(session=session, user_id=user.id, record_id=generation_id)
    if not deleted:
        raise ApiError(*_NOT_FOUND)
    return Response(status_code=204)


@router.get(
    "/history.csv",
    summary="The user's history as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "A CSV attachment."}},
)
async def history_csv(database: DatabaseDep, user: CurrentUser) -> StreamingResponse:
    """Every generation of the user, newest first (cells that look like formulas are quoted)."""

    async def lines() -> Any:
        async with database.session(user_id=user.id) as session:
            async for line in history_csv_lines(session=session, user_id=user.id):
                yield line.encode("utf-8")

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="spark-history.csv"'},
    )


# --- pages ------------------------------------------------------------------------------


def _page_date(value: str | None, name: str) -> tuple[date | None, str | None]:
    """A date field of the filter form, or what is wrong with it."""
    if not value:
        return None, None
    try:
        return date.fromisoformat(value), None
    except ValueError:
        shown = value if len(value) <= 20 else f"{value[:20]}…"
        return None, f"{name}: {shown!r} is not a date from 0001-01-01 to 9999-12-31 (YYYY-MM-DD)."


@router.get("/history", response_class=HTMLResponse, include_in_schema=False)
async def history_page(
    request: Request,
    database: DatabaseDep,
    engine: EngineDep,
    templates: TemplatesDep,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=128)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    date_from: Annotated[str | None, Query(max_length=100)] = None,
    date_to: Annotated[str | None, Query(max_length=100)] = None,
    q: SearchQuery = None,
    evals: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The history page; a wrong filter is left out and the page says what was wrong (422)."""
    first, first_problem = _page_date(date_from, "date_from")
    last, last_problem = _page_date(date_to, "date_to")
    filters, problem = _filters(provider, model, status, first, last, q, evals)
    error = first_problem or last_problem or problem
    history = await _history(database, user, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-history.total // PAGE_SIZE))
    async with database.session(user_id=user.id) as session:
        models = await used_models(session=session, user_id=user.id)
    return templates.TemplateResponse(
        request,
        "history.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "history": history,
            "filters": filters,
            "statuses": STATUSES,
            "providers": engine.catalog.providers,
            "models": models,
            "notice": take_notice(request),
            "page": page,
            "pages": pages,
            "error": error,
            "prev_url": f"/history?{_query_string(filters, page=page - 1)}" if page > 1 else None,
            "next_url": (
                f"/history?{_query_string(filters, page=page + 1)}" if page < pages else None
            ),
            "version": __version__,
        },
        status_code=422 if error else 200,
    )


@router.get("/history/{generation_id}", response_class=HTMLResponse, include_in_schema=False)
async def generation_page(
    request: Request,
    generation_id: GenerationId,
    database: DatabaseDep,
    templates: TemplatesDep,
    user: CurrentUser,
) -> Response:
    record = await _record(database, user, generation_id)
    detail = _detail(record)
    target = UnityTarget.from_dict(record.unity_target) if record.unity_target else None
    async with database.session(user_id=user.id, read_only=True) as session:
        instructions = await instructions_used(
            session=session,
            user_id=user.id,
            team_version=record.team_instructions_version,
            personal_version=record.personal_instructions_version,
        )
    return templates.TemplateResponse(
        request,
        "generation.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "item": detail,
            "findings": record.findings,
            "explanation_html": Markup(render_markdown(record.explanation or "")),
            "fixes_diff": fixes_diff(record),
            "target_text": target.describe() if target is not None else None,
            "instructions": instructions,
            "code_html": highlight_csharp(record.generated_code) if record.generated_code else None,
            "file_name": safe_file_name(f"{record.class_name or 'GeneratedScript'}.cs"),
            "version": __version__,
        },
    )


@router.post("/history/{generation_id}/delete", include_in_schema=False)
async def delete_page(
    request: Request, generation_id: GenerationId, database: DatabaseDep, user: CurrentUser
) -> Response:
    await read_form(request)
    async with database.session(user_id=user.id) as session:
        deleted = await delete_generation(session=session, user_id=user.id, record_id=generation_id)
    if not deleted:
        raise ApiError(*_NOT_FOUND)
    set_notice(request, f"Generation {generation_id} deleted.")
    return RedirectResponse("/history", status_code=303)
