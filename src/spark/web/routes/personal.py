"""What a user sets for themselves besides their password: the colour theme (``POST
/account/theme``, from the switch in every page's top bar).

The theme is stored in the user's preferences (so it follows them to another browser at the
next sign-in) and copied into the session cookie, so drawing a page costs no query.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from spark.db.preferences import THEMES, update_preferences
from spark.web.auth import CurrentUser, set_theme
from spark.web.deps import DatabaseDep
from spark.web.errors import ApiError
from spark.web.routes.account import local_path, read_form
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
