"""Who is asking: the one place the web app learns the current user.

Phase 1 has no accounts: every request is the single local user, so ``spark serve`` binds to
127.0.0.1 by default. When accounts land, :func:`current_user` reads the signed session cookie
or an ``Authorization: Bearer`` API token, loads the user from the database and answers 401
otherwise; every route already takes :data:`CurrentUser`, and stores are keyed by
``WebUser.id``, so nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request


@dataclass(frozen=True, slots=True)
class WebUser:
    """The signed-in user as the web layer sees it."""

    id: str
    name: str
    is_admin: bool = False


LOCAL_USER = WebUser(id="local", name="local", is_admin=True)


async def current_user(request: Request) -> WebUser:
    """The user making ``request`` (phase 1: always the local user)."""
    return LOCAL_USER


CurrentUser = Annotated[WebUser, Depends(current_user)]
