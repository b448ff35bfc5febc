"""Site-wide settings and facts, stored in ``spark_site_settings``.

- ``signup_open``: whether open sign-up is allowed. The database value, once an admin has set
  it, wins over ``SPARK_ALLOW_SIGNUP`` (which is the default until then), so every app instance
  sees the same answer without a restart.
- ``first_admin``: which account became the admin as the first to sign up. The row's primary
  key is what makes that decision atomic (:func:`claim_first_admin`).
- Team controls an admin sets (:func:`site_setting` / :func:`set_site_setting`): ``fallback``
  (the team's fallback list), ``cache``, ``cache_scope`` and ``cache_ttl`` (the response
  cache); each wins over its ``SPARK_`` setting once set (docs/teams.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import SiteSetting, User
from spark.db.types import UTCDateTime, utc_now

SIGNUP_OPEN = "signup_open"
FIRST_ADMIN = "first_admin"


class NotAdminError(PermissionError):
    """Only an enabled admin may change site settings."""


async def signup_open(*, session: AsyncSession, default: bool) -> bool:
    """Whether anyone may create an account (``default`` until an admin has chosen)."""
    row = await session.get(SiteSetting, SIGNUP_OPEN)
    return default if row is None else row.value == "true"


async def set_signup_open(*, session: AsyncSession, admin: User, open_: bool) -> None:
    """Open or close sign-up; raises :class:`NotAdminError` unless ``admin`` is an admin."""
    current = await session.scalar(select(User).where(User.id == admin.id))
    if current is None or not current.is_admin or current.disabled:
        raise NotAdminError("Only an admin can change who may sign up.")
    row = await session.get(SiteSetting, SIGNUP_OPEN)
    value = "true" if open_ else "false"
    if row is None:
        session.add(SiteSetting(key=SIGNUP_OPEN, value=value, updated_by=admin.id))
    else:
        row.value, row.updated_by, row.updated_at = value, admin.id, utc_now()
    await session.flush()


async def site_setting(*, session: AsyncSession, key: str) -> str | None:
    """The stored value of site setting ``key`` (None: not set, the environment's applies)."""
    row = await session.get(SiteSetting, key)
    return None if row is None else row.value


async def site_settings(*, session: AsyncSession, keys: tuple[str, ...]) -> dict[str, str]:
    """The stored values of ``keys`` that are set, in one query."""
    rows = await session.execute(
        select(SiteSetting.key, SiteSetting.value).where(SiteSetting.key.in_(keys))
    )
    return {key: value for key, value in rows}


async def set_site_setting(
    *, session: AsyncSession, admin: User | None, key: str, value: str | None
) -> None:
    """Set (or with None, forget) site setting ``key``; raises :class:`NotAdminError` unless
    ``admin`` is an enabled admin. ``admin`` None: the server's operator (the CLI, which holds
    the database's own credentials)."""
    if admin is not None:
        current = await session.scalar(select(User).where(User.id == admin.id))
        if current is None or not current.is_admin or current.disabled:
            raise NotAdminError("Only an admin can change the team's settings.")
    by = None if admin is None else admin.id
    row = await session.get(SiteSetting, key)
    if value is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(SiteSetting(key=key, value=value, updated_by=by))
    else:
        row.value, row.updated_by, row.updated_at = value, by, utc_now()
    await session.flush()


async def claim_first_admin(*, session: AsyncSession, username: str) -> bool:
    """Whether the account about to be added in this transaction is the first that can sign
    in, and so the admin.

    Decided by the database in one statement, whatever the concurrency and however many
    instances: ``INSERT`` the ``first_admin`` row ``WHERE NOT EXISTS`` an account with a
    password, ``ON CONFLICT DO NOTHING``. Of simultaneous sign-ups only one insert can succeed
    (on PostgreSQL the others wait on the primary key, then do nothing; SQLite runs one writer at
    a time); if its transaction rolls back, so does its claim.
    """
    anyone_can_sign_in = select(User.id).where(User.password_hash.is_not(None)).exists()
    row = select(literal(FIRST_ADMIN), literal(username), literal(utc_now(), UTCDateTime)).where(
        ~anyone_can_sign_in
    )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Any = (
        dialect.insert(SiteSetting)
        .from_select(["key", "value", "updated_at"], row)
        .on_conflict_do_nothing(index_elements=[SiteSetting.key])
        .returning(SiteSetting.key)
    )
    return (await session.execute(statement)).first() is not None
