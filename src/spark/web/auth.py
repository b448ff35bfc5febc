"""Who is asking: accounts, the signed session cookie and API tokens.

A request is signed in by the session cookie (Starlette's ``SessionMiddleware``: signed with
the secret key, HttpOnly, SameSite=Lax; it holds the user id and the CSRF token, nothing else)
or by ``Authorization: Bearer <api token>``. :func:`current_user` loads the account on every
request, so a disabled account or a revoked token stops working at once. The session also
holds a stamp of the password hash: changing the password (on any instance) signs out every
other session of that account at its next request. Anyone else gets 401
JSON from the API and a redirect to the sign-in page from pages.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from spark.db.models import User
from spark.db.users import get_user, user_for_token
from spark.web.deps import DatabaseDep

SESSION_USER = "user_id"
SESSION_CSRF = "csrf"
SESSION_STAMP = "pw"


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
        async with database.session() as session:
            user = await user_for_token(session=session, token=token.strip())
        if user is None:
            raise NotSignedIn(request.url.path)  # a wrong token is never silently ignored
        return _web_user(user, by_token=True)
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    async with database.session() as session:
        found = await get_user(session=session, user_id=user_id)
    if (
        found is None
        or found.disabled
        or found.password_hash is None
        or request.session.get(SESSION_STAMP) != _password_stamp(found.password_hash)
    ):
        request.session.pop(SESSION_USER, None)
        return None
    return _web_user(found)


def _password_stamp(password_hash: str) -> str:
    """A short digest of the password hash: it changes with the password, reveals nothing."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


async def current_user(
    request: Request, user: Annotated[WebUser | None, Depends(optional_user)]
) -> WebUser:
    """The signed-in user; :class:`NotSignedIn` otherwise."""
    if user is None:
        raise NotSignedIn(request.url.path)
    return user


def start_session(request: Request, user: User) -> None:
    """Sign ``user`` in: a fresh session (new CSRF token) holding their id and password stamp."""
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_STAMP] = _password_stamp(user.password_hash or "")
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    request.session.clear()


OptionalUser = Annotated[WebUser | None, Depends(optional_user)]
CurrentUser = Annotated[WebUser, Depends(current_user)]
