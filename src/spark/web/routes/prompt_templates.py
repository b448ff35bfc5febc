"""Prompt templates: ``GET /api/templates`` (built-in and the team's), ``GET
/api/templates/{name}``, ``POST /api/templates/{name}/fill`` (the chat's "Start from a
template" picker: values checked here, the structured prompt back), and for admins ``POST
/api/templates``, ``PUT``/``DELETE /api/templates/{name}`` and the ``/templates`` page.

Definitions and values are checked by :mod:`spark.prompt_library`; a value that is wrong is a
422 ``invalid_request`` whose ``errors`` name the parameter (``loc``: body, values, name).
"""

from __future__ import annotations

import json
import tomllib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from spark import __version__
from spark.db import Database
from spark.db.site import NotAdminError
from spark.db.templates import (
    delete_team_template,
    find_template,
    save_team_template,
    team_templates,
)
from spark.errors import UsageError
from spark.prompt_library import PromptTemplate, TemplateValuesError, builtin_templates
from spark.web.auth import CurrentUser, WebUser, set_notice, take_notice
from spark.web.deps import DatabaseDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.routes.account import read_form
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, RequestBody
from spark.web.security import CsrfProtected, csrf_token

router = APIRouter(tags=["templates"], route_class=SparkRoute)

TemplateName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Value = str | int | float | bool


class ParameterIn(RequestBody):
    name: str = Field(max_length=32)
    kind: Literal["text", "int", "float", "bool", "choice"]
    default: Value
    label: str = Field(default="", max_length=200)
    help: str = Field(default="", max_length=200)
    min: float | None = None
    max: float | None = None
    allowed: list[str] = Field(default_factory=list, max_length=30)
    max_length: int | None = Field(default=None, ge=1, le=200)


class TemplateIn(RequestBody):
    """A team template (the same shape as the built-in files, see docs/prompts.md)."""

    name: str = Field(max_length=64)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    prompt: str = Field(max_length=10_000)
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=20)

    def definition(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        data["parameters"] = [p.model_dump(exclude_unset=True) for p in self.parameters]
        return data


class FillBody(RequestBody):
    """Values for the template's parameters (a parameter left out takes its default)."""

    values: dict[str, Value] = Field(default_factory=dict, max_length=20)


class FilledOut(BaseModel):
    name: str
    prompt: str = Field(description="The structured prompt, for the prompt box.")


class TemplatesOut(BaseModel):
    templates: list[dict[str, Any]] = Field(description="Built-in first, then the team's.")


Responses = dict[int | str, dict[str, Any]]
_NOT_ADMIN: Responses = {
    403: {"model": ErrorBody, "description": "Not an admin, or no CSRF token."}
}
_SIGNED_IN: Responses = {401: {"model": ErrorBody, "description": "Not signed in."}}
_UNKNOWN: Responses = {404: {"model": ErrorBody, "description": "No template of that name."}}
_INVALID: Responses = {422: {"model": ErrorBody, "description": "Not a valid template or value."}}


async def all_templates(database: Database, user: WebUser) -> list[PromptTemplate]:
    async with database.session(user_id=user.id, read_only=True) as session:
        team = await team_templates(session=session)
    return [*builtin_templates().values(), *team]


async def _find(database: Database, user: WebUser, name: str) -> PromptTemplate:
    async with database.session(user_id=user.id, read_only=True) as session:
        template = await find_template(session=session, name=name)
    if template is None:
        raise ApiError(404, "unknown_template", f"There is no template called '{name}'.")
    return template


@router.get("/api/templates", summary="Every prompt template", responses=_SIGNED_IN)
async def list_templates(database: DatabaseDep, user: CurrentUser) -> TemplatesOut:
    """The built-in templates and the team's, with their parameters."""
    return TemplatesOut(templates=[t.to_json() for t in await all_templates(database, user)])


@router.get("/api/templates/{name}", summary="One prompt template", responses=_SIGNED_IN | _UNKNOWN)
async def read_template(name: TemplateName, database: DatabaseDep, user: CurrentUser) -> Any:
    """A template with its prompt text and typed parameters."""
    return (await _find(database, user, name)).to_json()


@router.post(
    "/api/templates/{name}/fill",
    summary="Fill a template's parameters into a prompt",
    responses=_SIGNED_IN | _UNKNOWN | _INVALID | {403: _NOT_ADMIN[403]},
)
async def fill_template(
    name: TemplateName,
    body: FillBody,
    database: DatabaseDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> FilledOut:
    """Check `values` (type, range, allowed values) and return the structured prompt."""
    template = await _find(database, user, name)
    try:
        return FilledOut(name=template.name, prompt=template.fill(body.values))
    except TemplateValuesError as exc:
        raise RequestValidationError(
            [
                {"type": "invalid_value", "loc": ("body", "values", param), "msg": why}
                for param, why in exc.problems.items()
            ]
        ) from None


async def _save(
    database: Database, user: WebUser, definition: dict[str, Any], *, replace: bool
) -> PromptTemplate:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's templates.")
    try:
        async with database.session(user_id=user.id) as session:
            return await save_team_template(
                session=session, user_id=user.id, definition=definition, replace=replace
            )
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except IntegrityError:
        raise ApiError(409, "conflict", "A template of that name was saved meanwhile.") from None
    except UsageError as exc:
        status = 404 if replace and "has no template" in exc.message else 422
        kind = "unknown_template" if status == 404 else "invalid_input"
        raise ApiError(status, kind, exc.message, exc.hint) from None


_WRITE: Responses = (
    _SIGNED_IN | _NOT_ADMIN | _INVALID | {409: {"model": ErrorBody, "description": "Raced."}}
)


@router.post("/api/templates", summary="Add a team template", status_code=201, responses=_WRITE)
async def add_template(
    body: TemplateIn, database: DatabaseDep, user: CurrentUser, _: CsrfProtected
) -> Any:
    """Admins add a template the whole team sees (its name must be new)."""
    return (await _save(database, user, body.definition(), replace=False)).to_json()


@router.put("/api/templates/{name}", summary="Replace a team template", responses=_WRITE | _UNKNOWN)
async def replace_template(
    name: TemplateName,
    body: TemplateIn,
    database: DatabaseDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> Any:
    """Admins replace the team template `name` (the body's name must be the same)."""
    if body.name != name:
        raise ApiError(422, "invalid_input", "The body's name must be the template's name.")
    return (await _save(database, user, body.definition(), replace=True)).to_json()


@router.delete(
    "/api/templates/{name}",
    summary="Delete a team template",
    status_code=204,
    response_class=Response,
    responses=_SIGNED_IN | _NOT_ADMIN | _UNKNOWN,
)
async def remove_template(
    name: TemplateName, database: DatabaseDep, user: CurrentUser, _: CsrfProtected
) -> Response:
    """Admins delete a team template (built-in ones cannot be deleted)."""
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's templates.")
    async with database.session(user_id=user.id) as session:
        deleted = await delete_team_template(session=session, user_id=user.id, name=name)
    if not deleted:
        raise ApiError(404, "unknown_template", f"The team has no template called '{name}'.")
    return Response(status_code=204)


# --- the admin page ----------------------------------------------------------------------------


def to_toml(template: PromptTemplate) -> str:
    """A template as the TOML of a built-in file (what the admin page edits)."""
    data = template.to_json()
    lines = [f"{key} = {json.dumps(data[key])}" for key in ("name", "title", "description")]
    lines.append(f"prompt = {json.dumps(data['prompt'])}")
    for parameter in data["parameters"]:
        lines += ["", "[[parameters]]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in parameter.items()]
    return "\n".join(lines) + "\n"


async def _page(
    request: Request,
    templates: TemplatesDep,
    database: Database,
    user: WebUser,
    status: int = 200,
    **context: Any,
) -> Response:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's templates.")
    found = await all_templates(database, user)
    return templates.TemplateResponse(
        request,
        "templates.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "version": __version__,
            "builtin": [t for t in found if t.source == "built-in"],
            "team": [(t, to_toml(t)) for t in found if t.source == "team"],
            "notice": take_notice(request),
            **context,
        },
        status_code=status,
    )


@router.get("/templates", response_class=HTMLResponse, include_in_schema=False)
async def templates_page(
    request: Request, templates: TemplatesDep, database: DatabaseDep, user: CurrentUser
) -> Response:
    return await _page(request, templates, database, user)


@router.post("/templates", include_in_schema=False)
async def templates_form(
    request: Request, templates: TemplatesDep, database: DatabaseDep, user: CurrentUser
) -> Response:
    """Add or replace a team template from its TOML (the admin page's form)."""
    form = await read_form(request)
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's templates.")
    source = form.get("definition", "")
    try:
        definition = tomllib.loads(source)
        template = await _save(database, user, definition, replace=form.get("replace") == "on")
    except tomllib.TOMLDecodeError as exc:
        return await _page(
            request, templates, database, user, 422, error=f"Not valid TOML: {exc}.", draft=source
        )
    except ApiError as exc:
        if exc.status == 403:
            raise
        return await _page(
            request, templates, database, user, exc.status, error=exc.message, draft=source
        )
    set_notice(request, f"Template '{template.name}' saved: the team sees it in the chat.")
    return RedirectResponse("/templates", status_code=303)


@router.post("/templates/{name}/delete", include_in_schema=False)
async def templates_delete(
    request: Request, name: TemplateName, database: DatabaseDep, user: CurrentUser
) -> Response:
    await read_form(request)
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's templates.")
    async with database.session(user_id=user.id) as session:
        deleted = await delete_team_template(session=session, user_id=user.id, name=name)
    set_notice(request, f"Template '{name}' deleted." if deleted else "No such template.")
    return RedirectResponse("/templates", status_code=303)
