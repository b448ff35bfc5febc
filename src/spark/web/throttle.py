"""Sign-in throttling: after repeated failures for one username from one address, wait.

Kept in the process's memory (per worker, forgotten on restart): enough to make guessing
passwords slow, with no shared state to run. Several instances each count on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FAILURES = 5
LOCKOUT_SECONDS = 30.0
_MAX_KEYS = 10_000


class SignInThrottle:
    """Counts failed sign-ins per ``(username, address)``; ``max_failures`` in a row lock that
    pair out for ``lockout`` seconds."""

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        lockout: float = LOCKOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.lockout = lockout
        self.clock = clock
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}

    @staticmethod
    def _key(username: str, address: str) -> tuple[str, str]:
        return username.strip().lower(), address

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until this pair may try again (0: now)."""
        count, last = self._failures.get(self._key(username, address), (0, 0.0))
        if count < self.max_failures:
            return 0.0
        return max(0.0, last + self.lockout - self.clock())

    def failed(self, username: str, address: str) -> None:
        key = self._key(username, address)
        count, last = self._failures.get(key, (0, 0.0))
        if count >= self.max_failures and self.clock() >= last + self.lockout:
            count = 0  # the lockout is over: a fresh series of attempts
        if len(self._failures) >= _MAX_KEYS and key not in self._failures:
            self._failures.pop(next(iter(self._failures)))
        self._failures[key] = (count + 1, self.clock())

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop(self._key(username, address), None)
