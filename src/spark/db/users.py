"""Accounts and API tokens: create, look up, sign in.

Passwords are hashed with argon2 (pwdlib). API tokens are 256 random bits shown once; only their
SHA-256 is stored. ``users`` has no row-level security (sign-in must find an account before
anyone is known); ``api_tokens`` has, so a token is resolved to its user on PostgreSQL by the
SECURITY DEFINER function ``spark_user_id_for_token`` (see docs/database.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import ApiToken, User
from spark.db.site import claim_first_admin
from spark.db.types import utc_now
from spark.db.web_sessions import end_user_web_sessions
from spark.errors import UsageError

if TYPE_CHECKING:
    from pwdlib import PasswordHash

    from spark.db.engine import Database

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
TOKEN_PREFIX = "spark_"
MIN_PASSWORD_LENGTH = 8
# How often a token's last use is written on SQLite (the Account page shows it to the minute).
STAMP_EVERY = timedelta(minutes=1)


@cache
def _hasher() -> PasswordHash:
    from pwdlib import PasswordHash

    return PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    # Verified against when a username is unknown, so both cases take the same time.
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2 hash of ``password`` (raises UsageError if it is too short)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    return _hasher().verify(password, password_hash)


def check_username(username: str) -> str:
    """``username`` stripped, or a UsageError saying what a username may contain."""
    username = username.strip()
    if not USERNAME.match(username):
        raise UsageError(
            f"Invalid username {username!r}.",
            hint="Use 1-64 letters, digits and . _ @ + - (starting with a letter or digit).",
        )
    return username


async def create_user(
    *,
    session: AsyncSession,
    username: str,
    password: str | None = None,
    email: str | None = None,
    is_admin: bool = False,
) -> User:
    """A new account; UsageError if the username (any case) or email is taken."""
    user = User(
        username=check_username(username),
        email=email.strip() if email else None,
        password_hash=hash_password(password) if password is not None else None,
        is_admin=is_admin,
    )
    await _add_user(session, user)
    return user


async def _add_user(session: AsyncSession, user: User) -> None:
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise UsageError(
            f"A user called {user.username!r} (or with that email) already exists."
        ) from None


async def sign_up_user(*, session: AsyncSession, username: str, password: str) -> User:
    """A new account made through open sign-up. The first account that can sign in becomes the
    admin (the CLI's passwordless user does not count): :func:`claim_first_admin` decides that
    atomically, so simultaneous first sign-ups make exactly one admin.

    The claim is the transaction's first write and the account is added in the same transaction,
    so a sign-up that fails (the name is taken) gives its claim back. The slow password hash is
    computed before, so no lock is held while it runs.
    """
    user = User(username=check_username(username), password_hash=hash_password(password))
    user.is_admin = await claim_first_admin(session=session, username=user.username)
    await _add_user(session, user)
    return user


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    """The account with this id."""
    return await session.get(User, user_id)


async def get_user_by_username(*, session: AsyncSession, username: str) -> User | None:
    """The account with this username, in any letter case."""
    query = select(User).where(func.lower(User.username) == username.strip().lower())
    return (await session.execute(query)).scalar_one_or_none()


async def get_or_create_user(*, session: AsyncSession, username: str) -> User:
    """The account called ``username``, created (without password) if missing."""
    existing = await get_user_by_username(session=session, username=username)
    if existing is not None:
        return existing
    try:
        return await create_user(session=session, username=username)
    except UsageError:  # created meanwhile by another process
        found = await get_user_by_username(session=session, username=username)
        if found is None:
            raise
        return found


async def list_users(*, session: AsyncSession) -> list[User]:
    """Every account, oldest first."""
    return list((await session.execute(select(User).order_by(User.id))).scalars())


async def count_users(*, session: AsyncSession, can_sign_in: bool | None = None) -> int:
    """How many accounts exist (``can_sign_in``: only those with / without a password).

    "The first account is the admin" should count ``can_sign_in=True``: the CLI's local user
    has no password and must not take that place.
    """
    query = select(func.count()).select_from(User)
    if can_sign_in is not None:
        has_password = User.password_hash.is_not(None)
        query = query.where(has_password if can_sign_in else ~has_password)
    return int((await session.execute(query)).scalar_one())


async def authenticate(*, session: AsyncSession, username: str, password: str) -> User | None:
    """The enabled account matching ``username`` and ``password``, else None."""
    user = await get_user_by_username(session=session, username=username)
    # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests and
    # open streams go on meanwhile.
    if user is None or user.password_hash is None:
        await asyncio.to_thread(verify_password, password, _dummy_hash())
        return None
    if not await asyncio.to_thread(verify_password, password, user.password_hash):
        return None
    return None if user.disabled else user


async def set_password(*, session: AsyncSession, user_id: int, password: str) -> None:
    """Replace the account's password and sign out every session of it, on every instance.

    ``session`` must act for the user (``Database.session(user_id=...)``: row-level security
    guards the sessions on PostgreSQL)."""
    password_hash = await asyncio.to_thread(hash_password, password)
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )
    await end_user_web_sessions(session=session, user_id=user_id)


async def set_disabled(*, session: AsyncSession, user_id: int, disabled: bool) -> None:
    """Disable (or re-enable) an account: it can no longer sign in or use its tokens."""
    await session.execute(update(User).where(User.id == user_id).values(disabled=disabled))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(
    *, session: AsyncSession, user_id: int, name: str
) -> tuple[ApiToken, str]:
    """A new token for the user: the row, and the token itself (shown once, never stored).

    On PostgreSQL the session must act for ``user_id`` (row-level security).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise UsageError("A token needs a name of 1-100 characters.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name, token_hash=_token_hash(token), prefix=token[:12])
    session.add(row)
    await session.flush()
    return row, token


async def list_api_tokens(*, session: AsyncSession, user_id: int) -> list[ApiToken]:
    """The user's tokens (their hashes and prefixes, never the tokens), newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list((await session.execute(query)).scalars())


async def delete_api_token(*, session: AsyncSession, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens; False if it is not theirs or does not exist."""
    row = await session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def user_for_token(*, session: AsyncSession, token: str) -> User | None:
    """The enabled account a token belongs to (and the token's last use is stamped), else None.

    Works in a session acting for nobody: on PostgreSQL the lookup goes through a SECURITY
    DEFINER function, the only way past row-level security on ``api_tokens``.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(token)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        user_id = (
            await session.execute(
                text("SELECT spark_user_id_for_token(:digest)"), {"digest": digest}
            )
        ).scalar()
    else:
        user_id = (
            await session.execute(
                update(ApiToken)
                .where(ApiToken.token_hash == digest)
                .values(last_used_at=utc_now())
                .returning(ApiToken.user_id)
            )
        ).scalar()
    if user_id is None:
        return None
    user = await session.get(User, int(user_id))
    return None if user is None or user.disabled else user


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """The account an API token belongs to, as a request needs it."""

    id: int
    username: str
    is_admin: bool


# Statements built once per process (each request only binds the token's digest).
_SQLITE_OWNER = (
    select(User.id, User.username, User.is_admin, User.disabled, ApiToken.last_used_at)
    .join_from(ApiToken, User, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_SQLITE_STAMP = (
    update(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .values(last_used_at=bindparam("now"))
)
# The function stamps the token (at most once a minute) and passes row-level security;
# called once, in FROM. The transaction then acts for the enabled owner (its ``set_config``
# rides along), so the request's reads after it in a shared transaction need no round trip
# to say who they are for.
_POSTGRESQL_OWNER = text(
    "SELECT u.id, u.username, u.is_admin, u.disabled, "
    "set_config('spark.user_id', CASE WHEN u.disabled THEN '' ELSE u.id::text END, true) "
    "FROM (SELECT spark_user_id_for_token(:digest) AS id) AS t JOIN users AS u ON u.id = t.id"
)


async def token_owner(*, database: Database, token: str) -> TokenOwner | None:
    """What :func:`user_for_token` answers, in one statement where it can be: the enabled
    account ``token`` belongs to, else None. The token's last use is written only when the
    stamp is older than :data:`STAMP_EVERY` (so a client calling many times a second does not
    queue for the write lock, or the token's row lock, on every call): on SQLite the lookup
    only reads and a second statement stamps; on PostgreSQL ``spark_user_id_for_token`` does
    both (revision 0016), and in a :meth:`~spark.db.engine.Database.sharing` scope the check
    joins the shared transaction and makes it act for the owner."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(token)
    if database.is_postgresql:
        async with database.transaction(statements=1, joins=True) as connection:
            row = (await connection.execute(_POSTGRESQL_OWNER, {"digest": digest})).first()
            if row is not None and not row.disabled:
                database.acting_for(connection, row.id)
    else:
        async with database.transaction(read_only=True, statements=1) as connection:
            row = (await connection.execute(_SQLITE_OWNER, {"digest": digest})).first()
        now = utc_now()
        if row is not None and (row.last_used_at is None or now - row.last_used_at >= STAMP_EVERY):
            async with database.transaction(statements=1) as connection:
                await connection.execute(_SQLITE_STAMP, {"digest": digest, "now": now})
    if row is None or row.disabled:
        return None
    return TokenOwner(id=row.id, username=row.username, is_admin=bool(row.is_admin))
