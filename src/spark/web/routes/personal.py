"""What a user sets for themselves besides their password: the colour theme (``POST
/account/theme``, from the switch in every page's top bar) and the Unity target (``POST
/account/unity-target``, the Account page's form: version, input system, render pipeline, and a
project folder on the server only where ``SPARK_ALLOW_PROJECT_PATHS=1``).

The theme is stored in the user's preferences (so it follows them to another browser at the
next sign-in) and copied into the session cookie, so drawing a page costs no query.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from spark.db.preferences import (
    INPUT_SYSTEMS,
    RENDER_PIPELINES,
    THEMES,
    UNSET,
    update_preferences,
)
from spark.errors import UsageError
from spark.unity.project import read_project
from spark.unity.target import check_unity_version
from spark.web.auth import CurrentUser, set_theme
from spark.web.deps import DatabaseDep
from spark.web.errors import ApiError
from spark.web.routes.account import AccountPageDep, local_path, read_form
from spark.web.routing import SparkRoute

router = APIRouter(include_in_schema=False, route_class=SparkRoute)


@router.post("/account/theme")
async def switch_theme(request: Request, database: DatabaseDep, user: CurrentUser) -> Response:
    """Set the theme (``light``, ``dark``, or ``auto`` to follow the browser) and go back."""
    form = await read_form(request)
    choice = form.get("theme", "")
    if choice not in (*THEMES, "auto"):
        raise ApiError(422, "invalid_request", "theme: choose light, dark or auto.")
    theme = None if choice == "auto" else choice
    async with database.session(user_id=user.id) as session:
        await update_preferences(session=session, user_id=user.id, theme=theme)
    set_theme(request, theme)
    return RedirectResponse(local_path(form.get("next")), status_code=303)


@router.post("/account/unity-target")
async def save_unity_target(page: AccountPageDep) -> Response:
    """Save the Unity target from the Account page's form (blank fields: the server's)."""
    form = await read_form(page.request)
    version = form.get("unity_version", "").strip()
    input_system = form.get("input_system", "")
    pipeline = form.get("render_pipeline", "")
    project = form.get("unity_project", "").strip()
    try:
        if version:
            version = check_unity_version(version)
        if input_system and input_system not in INPUT_SYSTEMS:
            raise UsageError(f"Input system: choose one of {', '.join(INPUT_SYSTEMS)}.")
        if pipeline and pipeline not in RENDER_PIPELINES:
            raise UsageError(f"Render pipeline: choose one of {', '.join(RENDER_PIPELINES)}.")
        if project and not page.settings.allow_project_paths:
            raise UsageError(
                "This server does not read project folders (SPARK_ALLOW_PROJECT_PATHS is off)."
            )
        if project:  # a clear error for a folder that is not a Unity project
            await asyncio.to_thread(lambda: read_project(Path(project).expanduser()))
    except UsageError as exc:
        return await page(422, target_error=exc.message)
    async with page.database.session(user_id=page.user.id) as session:
        await update_preferences(
            session=session,
            user_id=page.user.id,
            unity_version=version or None,
            input_system=input_system or None,
            render_pipeline=pipeline or None,
            unity_project=(project or None) if page.settings.allow_project_paths else UNSET,
        )
    return await page(target_message="Unity target saved: the next script is written for it.")
