"""The sign-in throttle's counts in ``spark_sign_in_failures``, shared by every app instance.

``Limits.max_failures`` failed sign-ins in a row for one username from one address lock that
pair out for ``Limits.lockout``; the next attempt after a lockout starts a fresh series.

Reserve, then verify: every attempt is counted as a failure by
:func:`reserve_sign_in_attempt` *before* its password is checked, in one atomic statement that
also refuses a locked-out pair, and a success then clears the count. So the throttle holds
under any concurrency, on any number of instances: no more than ``max_failures`` attempts in a
row are ever checked (checking before counting let 24 of 40 simultaneous guesses through).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import SignInFailure


@dataclass(frozen=True)
class Limits:
    """How many failures in a row lock a pair out, and for how long."""

    max_failures: int = 5
    lockout: timedelta = timedelta(seconds=30)


def _key(username: str, address: str) -> tuple[str, str]:
    return username.strip().lower()[:64], address[:64]


async def sign_in_wait(
    *,
    session: AsyncSession,
    username: str,
    address: str,
    now: datetime,
    limits: Limits,
) -> float:
    """Seconds until this username may try again from this address (0: now)."""
    name, addr = _key(username, address)
    row = await session.get(SignInFailure, (name, addr))
    if row is None or row.failures < limits.max_failures:
        return 0.0
    return max(0.0, (row.last_failed_at + limits.lockout - now).total_seconds())


async def reserve_sign_in_attempt(
    *,
    session: AsyncSession,
    username: str,
    address: str,
    now: datetime,
    limits: Limits,
) -> float:
    """Count this attempt as a failure *before* its password is checked; 0 when it may go on.

    The check and the count are one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` statement,
    so however many attempts arrive at once, on however many instances, at most
    ``limits.max_failures`` in a row get through: the row is locked while one statement raises
    it, and a locked-out pair is left unchanged (the attempt is refused, not counted). Returns
    the seconds to wait (> 0) when the pair is locked out. A later success clears the count
    (:func:`clear_sign_in_failures`); a failure needs nothing more, it was counted here.
    """
    name, addr = _key(username, address)
    failures, last = SignInFailure.failures, SignInFailure.last_failed_at
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Any = dialect.insert(SignInFailure).values(
        username=name, address=addr, failures=1, last_failed_at=now
    )
    full = failures >= limits.max_failures
    locked_out = full & (last > now - limits.lockout)
    statement = statement.on_conflict_do_update(
        index_elements=[SignInFailure.username, SignInFailure.address],
        set_={
            # The first attempt after a lockout starts a fresh series.
            "failures": case((full, 1), else_=failures + 1),
            "last_failed_at": statement.excluded.last_failed_at,
        },
        where=~locked_out,
    ).returning(SignInFailure.failures)
    if (await session.execute(statement)).first() is not None:
        return 0.0
    wait = await sign_in_wait(
        session=session, username=username, address=address, now=now, limits=limits
    )
    return max(wait, 1.0)  # the lockout may have ended since the statement ran: still refused


async def clear_sign_in_failures(*, session: AsyncSession, username: str, address: str) -> None:
    """A successful sign-in ends the series."""
    name, addr = _key(username, address)
    await session.execute(
        delete(SignInFailure).where(SignInFailure.username == name, SignInFailure.address == addr)
    )


async def forget_old_sign_in_failures(*, session: AsyncSession, before: datetime) -> int:
    """Delete counts last raised before ``before`` (the daily clean-up); returns how many."""
    result = await session.execute(
        delete(SignInFailure).where(SignInFailure.last_failed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_sign_in_failures(*, session: AsyncSession, username: str, address: str) -> int:
    """The current count for one pair (0 when none)."""
    name, addr = _key(username, address)
    found = await session.scalar(
        select(SignInFailure.failures).where(
            SignInFailure.username == name, SignInFailure.address == addr
        )
    )
    return int(found or 0)
