"""Team and personal instructions: ``GET /api/instructions``, ``PUT``/``DELETE``
``/api/instructions/team`` (admins) and ``/api/instructions/me``, and the Account page's forms
(``POST /account/instructions`` and ``/account/team-instructions``).

Each save is a new version (clearing saves an empty one); the next generation is sent the
newest of each, appended to the system prompt (:mod:`spark.instructions`), and records their
versions. Too long, or text with a NUL or a lone surrogate: 422 with the reason.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from spark.config import Settings
from spark.db import Database
from spark.db.instructions import (
    read_instructions_in_force,
    save_team_instructions,
    save_user_instructions,
)
from spark.db.site import NotAdminError
from spark.errors import UsageError
from spark.instructions import Instructions, InstructionsVersion, Scope, check_instructions
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, SettingsDep
from spark.web.errors import ApiError
from spark.web.routes.account import AccountPageDep, read_form
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, RequestBody
from spark.web.security import CsrfProtected

router = APIRouter(tags=["instructions"], route_class=SparkRoute)


class InstructionsVersionOut(BaseModel):
    version: int
    text: str


class InstructionsOut(BaseModel):
    """The instructions in force: the next generation is sent these."""

    team: InstructionsVersionOut | None = Field(description="The team's (null: never set).")
    personal: InstructionsVersionOut | None = Field(description="Yours (null: never set).")
    max_chars: int = Field(description="The longest text accepted, for each.")


class InstructionsBody(RequestBody):
    """New instructions (an empty text clears them; either way it is a new version)."""

    text: str = Field(max_length=20_000)


def _version_out(version: InstructionsVersion | None) -> InstructionsVersionOut | None:
    return InstructionsVersionOut(version=version.version, text=version.text) if version else None


def _out(instructions: Instructions, settings: Settings) -> InstructionsOut:
    return InstructionsOut(
        team=_version_out(instructions.team),
        personal=_version_out(instructions.personal),
        max_chars=settings.max_instructions_chars,
    )


async def load_instructions(database: Database, user: WebUser) -> Instructions:
    """The instructions in force for ``user`` (for a generation, or a page)."""
    return await read_instructions_in_force(database=database, user_id=user.id)


async def save_instructions(
    database: Database, settings: Settings, user: WebUser, scope: Scope, text: str
) -> InstructionsVersion:
    """Check and save ``text`` as the next version of ``scope``'s instructions; ApiError 422
    for bad text, 403 for a non-admin's team instructions, 409 for a save that raced."""
    try:
        cleaned = check_instructions(text, limit=settings.max_instructions_chars, scope=scope)
    except UsageError as exc:
        raise ApiError(422, "invalid_input", exc.message, exc.hint) from None
    if scope == "team" and not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can change the team's instructions.")
    try:
        async with database.session(user_id=user.id) as session:
            if scope == "team":
                return await save_team_instructions(session=session, admin_id=user.id, text=cleaned)
            return await save_user_instructions(session=session, user_id=user.id, text=cleaned)
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except IntegrityError:
        raise ApiError(
            409, "conflict", "Someone saved these instructions at the same moment.", "Try again."
        ) from None


_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Not signed in."},
    403: {"model": ErrorBody, "description": "Not an admin (team), or no CSRF token."},
    409: {"model": ErrorBody, "description": "Saved by someone else at the same moment."},
    422: {"model": ErrorBody, "description": "Too long, or not plain text."},
}


@router.get(
    "/api/instructions",
    summary="The team's and your instructions in force",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}},
)
async def read_instructions(
    database: DatabaseDep, settings: SettingsDep, user: CurrentUser
) -> InstructionsOut:
    """The newest version of the team's and of your instructions (each null if never set)."""
    return _out(await load_instructions(database, user), settings)


async def _put(
    scope: Scope, text: str, database: Database, settings: Settings, user: WebUser
) -> InstructionsOut:
    await save_instructions(database, settings, user, scope, text)
    return _out(await load_instructions(database, user), settings)


@router.put("/api/instructions/{scope}", summary="Save new instructions", responses=_RESPONSES)
async def put_instructions(
    scope: Literal["team", "me"],
    body: InstructionsBody,
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> InstructionsOut:
    """Save `text` as the next version of the team's (`team`, admins only) or your (`me`)
    instructions; an empty text clears them."""
    return await _put(
        "team" if scope == "team" else "personal", body.text, database, settings, user
    )


@router.delete("/api/instructions/{scope}", summary="Clear instructions", responses=_RESPONSES)
async def clear_instructions(
    scope: Literal["team", "me"],
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> InstructionsOut:
    """Clear the team's (admins only) or your instructions: saves an empty version."""
    return await _put("team" if scope == "team" else "personal", "", database, settings, user)


# --- the Account page's forms ---------------------------------------------------------------


@router.post("/account/instructions", include_in_schema=False)
async def save_personal_form(page: AccountPageDep) -> Response:
    """Save (or, with the Clear button, clear) your instructions from the Account page."""
    return await _form(page, "personal")


@router.post("/account/team-instructions", include_in_schema=False)
async def save_team_form(page: AccountPageDep) -> Response:
    """Admins save (or clear) the team's instructions from the Account page."""
    return await _form(page, "team")


async def _form(page: AccountPageDep, scope: Scope) -> Response:
    form = await read_form(page.request)
    text = "" if form.get("action") == "clear" else form.get("text", "")
    key = "team_instructions" if scope == "team" else "instructions"
    try:
        saved = await save_instructions(page.database, page.settings, page.user, scope, text)
    except ApiError as exc:
        if exc.status == 403:
            raise
        failed: dict[str, Any] = {f"{key}_error": exc.message, f"{key}_draft": text}
        return await page(exc.status, **failed)
    what = "The team's instructions" if scope == "team" else "Your instructions"
    done = "cleared" if not saved.text else f"saved as version {saved.version}"
    message: dict[str, Any] = {f"{key}_message": f"{what} {done}: the next script follows them."}
    return await page(200, **message)
