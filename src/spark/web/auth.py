"""Who is asking: accounts, the signed session cookie and API tokens.

A request is signed in by the session cookie (Starlette's ``SessionMiddleware``: signed with
the secret key, HttpOnly, SameSite=Lax; it holds a random session id, the CSRF token and the
user's colour theme, nothing else) or by ``Authorization: Bearer <api token>``. The session id
is looked up in the database on every request (``spark.db.web_sessions``: one query on a
primary key, joined to the account), so signing out, "sign out everywhere", a password change,
a disabled account or a revoked token stop a session on every instance at once: a cookie saved
before is worth nothing.
Anyone else gets 401 JSON from the API and a redirect to the sign-in page from pages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import User
from spark.db.preferences import get_preferences
from spark.db.users import token_owner
from spark.db.web_sessions import end_web_session, start_web_session, user_for_web_session
from spark.web.deps import DatabaseDep

SESSION_ID = "sid"
SESSION_CSRF = "csrf"
SESSION_NOTICE = "notice"  # a message for the next page (e.g. "You are signed out.")
SESSION_THEME = "theme"  # the user's colour theme, copied from their preferences at sign-in
SESSION_LIFETIME = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class WebUser:
    """The signed-in user as the web layer sees it."""

    id: int
    name: str
    is_admin: bool = False
    by_token: bool = False  # signed in with an API token (no cookie, so no CSRF check)


class NotSignedIn(Exception):
    """Raised by :func:`current_user`; answered with 401 JSON or a redirect to sign-in."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def sign_in_url(next_path: str) -> str:
    if next_path in ("", "/") or not next_path.startswith("/") or next_path.startswith("//"):
        return "/signin"
    return f"/signin?next={quote(next_path, safe='/')}"


def _web_user(user: User, *, by_token: bool = False) -> WebUser:
    return WebUser(id=user.id, name=user.username, is_admin=user.is_admin, by_token=by_token)


async def optional_user(request: Request, database: DatabaseDep) -> WebUser | None:
    """The user making ``request``, or None."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        owner = await token_owner(database=database, token=token.strip())
        if owner is None:
            raise NotSignedIn(request.url.path)  # a wrong token is never silently ignored
        return WebUser(id=owner.id, name=owner.username, is_admin=owner.is_admin, by_token=True)
    session_id = request.session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    async with database.session() as session:
        found = await user_for_web_session(session=session, session_id=session_id)
    if found is None:  # signed out (here or on another instance), expired, or disabled
        request.session.pop(SESSION_ID, None)
        return None
    return _web_user(found)


async def current_user(
    request: Request, user: Annotated[WebUser | None, Depends(optional_user)]
) -> WebUser:
    """The signed-in user; :class:`NotSignedIn` otherwise."""
    if user is None:
        raise NotSignedIn(request.url.path)
    return user


async def start_session(request: Request, session: AsyncSession, user: User) -> None:
    """Sign ``user`` in: a fresh session (new id, new CSRF token) stored through ``session``,
    which must act for the user. A session the cookie held before is ended."""
    await end_session(request, session, user.id)
    request.session[SESSION_ID] = await start_web_session(
        session=session, user_id=user.id, lifetime=SESSION_LIFETIME
    )
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    prefs = await get_preferences(session=session, user_id=user.id)
    set_theme(request, prefs.theme)


def set_theme(request: Request, theme: str | None) -> None:
    """Draw this browser's pages in ``theme`` (None: the browser's preference)."""
    if theme is None:
        request.session.pop(SESSION_THEME, None)
    else:
        request.session[SESSION_THEME] = theme


async def end_session(request: Request, session: AsyncSession, user_id: int) -> None:
    """Sign this browser out: its session ends in the database (so on every instance) and
    the cookie is emptied. ``session`` acts for ``user_id``, the signed-in user."""
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        await end_web_session(session=session, user_id=user_id, session_id=session_id)
    request.session.clear()


def set_notice(request: Request, message: str) -> None:
    """Show ``message`` on the page this browser opens next (kept in the cookie): the sign-in
    page after signing out, History after a delete, the account page after revoking a token."""
    request.session[SESSION_NOTICE] = message


def take_notice(request: Request) -> str | None:
    """The message left by :func:`set_notice`, once."""
    notice = request.session.pop(SESSION_NOTICE, None)
    return notice if isinstance(notice, str) else None


OptionalUser = Annotated[WebUser | None, Depends(optional_user)]
CurrentUser = Annotated[WebUser, Depends(current_user)]
