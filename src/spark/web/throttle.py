"""Sign-in throttling: after repeated failures for one username from one address, wait.

The counts live in the database (``spark.db.sign_in``), so every app instance behind a load
balancer sees the same failures and a restart forgets nothing. 5 failures in a row lock the
(username, address) pair out for 30 s, the right password included; a success clears the count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.sign_in import (
    Limits,
    clear_sign_in_failures,
    record_sign_in_failure,
    sign_in_wait,
)
from spark.db.types import utc_now


class SignInThrottle:
    """The sign-in route's view of the shared counts (limits and clock set here)."""

    def __init__(
        self, *, limits: Limits | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock

    async def retry_after(self, session: AsyncSession, username: str, address: str) -> float:
        """Seconds until this pair may try again (0: now)."""
        return await sign_in_wait(
            session=session,
            username=username,
            address=address,
            now=self.clock(),
            limits=self.limits,
        )

    async def failed(self, session: AsyncSession, username: str, address: str) -> None:
        await record_sign_in_failure(
            session=session,
            username=username,
            address=address,
            now=self.clock(),
            limits=self.limits,
        )

    async def succeeded(self, session: AsyncSession, username: str, address: str) -> None:
        await clear_sign_in_failures(session=session, username=username, address=address)
