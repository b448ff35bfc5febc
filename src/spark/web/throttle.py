"""Sign-in throttling: after repeated failures for one username from one address, wait.

The counts live in the database (``spark.db.sign_in``), so every app instance behind a load
balancer sees the same failures and a restart forgets nothing. 5 failures in a row lock the
(username, address) pair out for 30 s, the right password included; a success clears the count.
Each attempt is counted before its password is checked, in one atomic statement (reserve, then
verify), so concurrent guesses cannot slip past the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.sign_in import Limits, clear_sign_in_failures, reserve_sign_in_attempt
from spark.db.types import utc_now


class SignInThrottle:
    """The sign-in route's view of the shared counts (limits and clock set here)."""

    def __init__(
        self, *, limits: Limits | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock

    async def reserve(self, session: AsyncSession, username: str, address: str) -> float:
        """Count this attempt as failed before the password is checked; 0 means go on, else
        the seconds to wait (the attempt is refused and not checked)."""
        return await reserve_sign_in_attempt(
            session=session,
            username=username,
            address=address,
            now=self.clock(),
            limits=self.limits,
        )

    async def succeeded(self, session: AsyncSession, username: str, address: str) -> None:
        await clear_sign_in_failures(session=session, username=username, address=address)
