"""Site-wide settings that an admin changes at run time, stored in ``spark_site_settings``.

Today one setting: whether open sign-up is allowed. The database value, once an admin has set
it, wins over ``SPARK_ALLOW_SIGNUP`` (which is the default until then), so every app instance
sees the same answer without a restart.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import SiteSetting, User
from spark.db.types import utc_now

SIGNUP_OPEN = "signup_open"


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
