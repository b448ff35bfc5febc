"""The team's spend-warning webhook: a JSON POST when a spend limit passes 80%.

``SPARK_LIMIT_WEBHOOK_URL`` names it (optional). The POST runs in the background so that no
generation waits for it; a failure is logged - without the URL, which may carry a token - and
never fails anything else. Each limit's window warns once (see :mod:`spark.db.limits`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import httpx2 as httpx

log = logging.getLogger(__name__)
TIMEOUT = 10.0
_SENDING: set[asyncio.Task[bool]] = set()


class Warned(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def payload(warnings: Sequence[Warned]) -> dict[str, Any]:
    """The JSON body: ``{"event": "spark.spend_warning", "threshold": 0.8, "warnings": [...]}``."""
    return {
        "event": "spark.spend_warning",
        "threshold": 0.8,
        "warnings": [w.to_json() for w in warnings],
    }


async def post(url: str, warnings: Sequence[Warned], *, seconds: float = TIMEOUT) -> bool:
    """POST the warnings to ``url``; whether it was accepted (2xx). Never raises."""
    try:
        async with httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client:
            response = await client.post(url, json=payload(warnings))
    except httpx.HTTPError as exc:
        log.warning("the spend-warning webhook could not be reached: %s", type(exc).__name__)
        return False
    if response.status_code >= 300:
        log.warning("the spend-warning webhook answered HTTP %d", response.status_code)
        return False
    return True


def sender(url: str | None) -> Callable[[Sequence[Warned]], Awaitable[None]] | None:
    """A callback that posts warnings to ``url`` in the background (None without a URL)."""
    if not url:
        return None
    target = url

    async def send(warnings: Sequence[Warned]) -> None:
        task = asyncio.create_task(post(target, warnings))
        _SENDING.add(task)
        task.add_done_callback(_SENDING.discard)

    return send
