"""The one retry policy for every provider call (the SDKs' own retries are always off).

Schedule: up to ``max_retries`` (3) retries after the first attempt, waiting 1 s, 2 s, 4 s
(``base_delay * 2**(n-1)``), each capped at ``max_delay`` (10 s). When the provider says how long
to wait (``retry-after-ms`` or ``retry-after``), that replaces the computed delay; if it asks for
longer than the cap, SPARK gives up at once rather than hang ("rate limited for N s").
``x-should-retry: true|false`` from the provider overrides the status-code table; providers apply
it when they build the :class:`~spark.errors.AIError`, so this module only reads ``retryable``.

The orchestrator owns the loop (it must emit ``retry`` events and restart streams); this module
decides. A hand-written decision function rather than tenacity: tenacity cannot re-enter an
async generator that has already yielded tokens, which is exactly the case we must handle.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from spark.errors import AIError

GiveUpReason = Literal["not_retryable", "exhausted", "retry_after_too_long"]


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Whether to try again, after how long, and if not, why not."""

    retry: bool
    delay: float = 0.0
    reason: GiveUpReason | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """SPARK's retry schedule; ``jitter`` adds up to that fraction of the delay at random."""

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 10.0
    jitter: float = 0.0

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def backoff(self, retry_number: int) -> float:
        """The computed delay before retry ``retry_number`` (1-based), without jitter."""
        return float(min(self.base_delay * 2 ** (retry_number - 1), self.max_delay))

    def decide(
        self, error: AIError, retry_number: int, *, rng: random.Random | None = None
    ) -> RetryDecision:
        """Decide about retry ``retry_number`` (1 for the first retry) after ``error``."""
        if not error.retryable:
            return RetryDecision(False, reason="not_retryable")
        if retry_number > self.max_retries:
            return RetryDecision(False, reason="exhausted")
        if error.retry_after is not None:
            if error.retry_after > self.max_delay:
                return RetryDecision(False, delay=error.retry_after, reason="retry_after_too_long")
            return RetryDecision(True, delay=max(0.0, error.retry_after))
        delay = self.backoff(retry_number)
        if self.jitter:
            delay = min(delay * (1 + (rng or random).uniform(0, self.jitter)), self.max_delay)
        return RetryDecision(True, delay=delay)


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds the provider asked us to wait, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be seconds (integer or, non-standard, float) or an HTTP date.
    Returns None when neither header is present or parseable.
    """
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if (ms := lowered.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    when = email.utils.mktime_tz(parsed)
    return max(0.0, when - (time.time() if now is None else now))


def should_retry_header(headers: Mapping[str, str] | None) -> bool | None:
    """The provider's explicit ``x-should-retry`` verdict, if it gave one."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "x-should-retry":
            if value.strip().lower() == "true":
                return True
            if value.strip().lower() == "false":
                return False
    return None
