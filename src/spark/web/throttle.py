"""Sign-in throttling: after repeated failures for one username from one address, wait.

The counts live in the database (``spark.db.sign_in``), so every app instance behind a load
balancer sees the same failures and a restart forgets nothing. 5 failures in a row lock the
(username, address) pair out for 30 s, the right password included; a success clears the count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.sign_in import clear_sign_in_failures, record_sign_in_failure, sign_in_wait
from spark.db.types import utc_now

MAX_FAILURES = 5
LOCKOUT_SECONDS = 30.0


class SignInThrottle:
    """The sign-in route's view of the shared counts (limits and clock set here)."""

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        lockout: float = LOCKOUT_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.max_failures = max_failures
        self.lockout = timedelta(seconds=lockout)
        self.clock = clock

    async def retry_after(self, session: AsyncSession, username: str, address: str) -> float:
        """Seconds until this pair may try again (0: now)."""
        return await sign_in_wait(
            session=session,
            username=username,
            address=address,
            now=self.clock(),
            max_failures=self.max_failures,
            lockout=self.lockout,
        )

    async def failed(self, session: AsyncSession, username: str, address: str) -> None:
        await record_sign_in_failure(
            session=session,
            username=username,
            address=address,
            now=self.clock(),
            max_failures=self.max_failures,
            lockout=self.lockout,
        )

    async def succeeded(self, session: AsyncSession, username: str, address: str) -> None:
        await clear_sign_in_failures(session=session, username=username, address=address)
