"""Signed-in browser sessions in ``spark_sessions``: started at sign-in, ended at sign-out.

The web layer keeps a random session id in its signed cookie; this module stores the id's
SHA-256 with the user and an expiry. A request's cookie is resolved to its account in one
indexed lookup (:func:`user_for_web_session`); deleting the row ends the session on every
instance at once (:func:`end_web_session`, :func:`end_user_web_sessions`).

PostgreSQL: the table has row-level security (revision 0006). Starting and ending sessions
happens in a transaction acting for the user (``Database.session(user_id=...)``; the functions
here refuse a session that does not); resolving a cookie, before anyone is known, goes through
the SECURITY DEFINER function ``spark_user_id_for_session``, and the clean-up of expired rows
through ``spark_forget_expired_sessions``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import User, WebSession
from spark.db.types import utc_now

_USER_OF_SESSION = text(
    "SELECT users.* FROM spark_user_id_for_session(:digest) AS found(user_id) "
    "JOIN users ON users.id = found.user_id"
)


def _digest(session_id: str) -> str:
    # Session ids carry 256 random bits, so a fast hash is enough (as for API tokens).
    return hashlib.sha256(session_id.encode()).hexdigest()


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _check_acting_for(session: AsyncSession, user_id: int) -> None:
    # Under row-level security a transaction acting for nobody would silently change nothing.
    if session.info.get("spark_user_id") != user_id:
        raise ValueError("open the database session for this user: Database.session(user_id=...)")


async def start_web_session(
    *, session: AsyncSession, user_id: int, lifetime: timedelta, now: datetime | None = None
) -> str:
    """A new session for the user, valid for ``lifetime``; returns its id (for the cookie only:
    the database keeps its SHA-256)."""
    _check_acting_for(session, user_id)
    session_id = secrets.token_urlsafe(32)
    expires_at = (now or utc_now()) + lifetime
    session.add(WebSession(id=_digest(session_id), user_id=user_id, expires_at=expires_at))
    await session.flush()
    return session_id


async def user_for_web_session(*, session: AsyncSession, session_id: str) -> User | None:
    """The enabled account a live session belongs to, else None (signed out, expired, unknown,
    or the account was disabled). One query on the table's primary key, joined to ``users``."""
    digest = _digest(session_id)
    query: Any
    if _is_postgresql(session):
        query = select(User).from_statement(_USER_OF_SESSION.bindparams(digest=digest))
    else:
        query = (
            select(User)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.id == digest, WebSession.expires_at > utc_now())
        )
    user: User | None = (await session.execute(query)).scalar_one_or_none()
    if user is None or user.disabled or user.password_hash is None:
        return None
    return user


async def end_web_session(*, session: AsyncSession, user_id: int, session_id: str) -> bool:
    """Sign one session of the user out, on every instance; False if it had already ended."""
    _check_acting_for(session, user_id)
    result = await session.execute(
        delete(WebSession).where(
            WebSession.id == _digest(session_id), WebSession.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def end_user_web_sessions(*, session: AsyncSession, user_id: int) -> int:
    """Sign every session of the user out, on every instance; returns how many there were."""
    _check_acting_for(session, user_id)
    result = await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_expired_web_sessions(*, session: AsyncSession) -> int:
    """Delete every user's expired sessions (the daily clean-up); returns how many."""
    if _is_postgresql(session):
        deleted = await session.scalar(text("SELECT spark_forget_expired_sessions()"))
        return int(deleted or 0)
    result = await session.execute(delete(WebSession).where(WebSession.expires_at <= utc_now()))
    return int(getattr(result, "rowcount", 0) or 0)
