"""The cost calculator: ``GET /api/estimate`` and the ``/estimate`` page.

A prompt (or its expected size in tokens) and an expected output length give the estimated cost
on every model of the catalog, side by side, cheapest marked, each price with the date it was
checked (``Engine.estimate``: SPARK's system prompt is added to the input, as the user's
generations send it: for their Unity target, with the team's and their instructions).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from spark import __version__
from spark.config import Settings
from spark.db import Database
from spark.db.team_controls import generation_context
from spark.errors import UsageError
from spark.estimate import DEFAULT_OUTPUT_TOKENS, report_json
from spark.instructions import Instructions
from spark.unity.target import UnityTarget
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, EngineDep, SettingsDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.params import MAX_QUERY_PROMPT_CHARS
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody
from spark.web.security import csrf_token
from spark.web.target import context_target

router = APIRouter(tags=["estimate"], route_class=SparkRoute)

MAX_TOKENS = 10_000_000
PromptText = Annotated[
    str | None, Query(max_length=MAX_QUERY_PROMPT_CHARS, description="The prompt to price.")
]
PromptTokens = Annotated[
    int | None, Query(ge=0, le=MAX_TOKENS, description="Or its expected size in tokens.")
]
OutputTokens = Annotated[
    int, Query(ge=0, le=MAX_TOKENS, description="The expected output length in tokens.")
]


@router.get(
    "/api/estimate",
    summary="Estimated cost of a job on every model",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        422: {"model": ErrorBody, "description": "A bad parameter."},
    },
)
async def read_estimate(
    engine: EngineDep,
    settings: SettingsDep,
    database: DatabaseDep,
    user: CurrentUser,
    prompt: PromptText = None,
    prompt_tokens: PromptTokens = None,
    output_tokens: OutputTokens = DEFAULT_OUTPUT_TOKENS,
) -> dict[str, Any]:
    """Every model's estimated cost, cheapest first (unknown prices last, as null). The
    system prompt is the one your generations send: for your Unity target, with the team's
    and your instructions."""
    target, instructions = await _prompt_parts(settings, database, user)
    return report_json(
        engine.estimate(
            prompt=prompt,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            include_retired=True,  # retired models stay selectable, so they are priced too
            target=target,
            instructions=instructions,
        )
    )


async def _prompt_parts(
    settings: Settings, database: Database, user: WebUser
) -> tuple[UnityTarget | None, Instructions]:
    """The user's Unity target (None when their saved project folder is gone: the server's
    default is priced) and the instructions in force, as a generation reads them."""
    context = await generation_context(settings=settings, database=database, user_id=user.id)
    try:
        target: UnityTarget | None = context_target(context, settings)
    except UsageError:
        target = None
    return target, context.instructions


@router.get("/estimate", response_class=HTMLResponse, include_in_schema=False)
async def estimate_page(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    database: DatabaseDep,
    templates: TemplatesDep,
    user: CurrentUser,
    prompt: PromptText = None,
    prompt_tokens: Annotated[str | None, Query(max_length=12)] = None,
    output_tokens: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    if prompt is not None:  # a form's textarea sends CRLF line ends; the chat sends LF
        prompt = prompt.replace("\r\n", "\n")
    tokens_in = _count(prompt_tokens, "prompt_tokens")
    tokens_out = _count(output_tokens, "output_tokens")
    target, instructions = await _prompt_parts(settings, database, user)
    report = engine.estimate(
        prompt=prompt,
        prompt_tokens=tokens_in,
        output_tokens=DEFAULT_OUTPUT_TOKENS if tokens_out is None else tokens_out,
        include_retired=True,
        target=target,
        instructions=instructions,
    )
    return templates.TemplateResponse(
        request,
        "estimate.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "report": report,
            "prompt": prompt or "",
            "prompt_tokens": "" if tokens_in is None else tokens_in,
            "output_tokens": report.output_tokens,
            "max_prompt_chars": MAX_QUERY_PROMPT_CHARS,
            "version": __version__,
        },
    )


def _count(value: str | None, name: str) -> int | None:
    """A form's optional token count (blank: not given)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_TOKENS:
        raise ApiError(422, "invalid_request", f"{name} is a whole number up to {MAX_TOKENS}.")
    return int(text)
