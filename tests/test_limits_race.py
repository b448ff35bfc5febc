"""Two real ``spark serve`` processes on one database, many parallel requests: the limits hold
across instances, on SQLite and on PostgreSQL.

- Spend: however the requests interleave, what was spent never passes the limit, every
  request is answered 200 or 429 ``budget``, the provider is called exactly once per 200, and
  the counters, the reservations and the history agree to the micro dollar.
- Requests per minute: exactly the limit is admitted, the rest get 429 with ``Retry-After``.
- Concurrency: the provider never sees more generations at once than the limit allows.
"""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from spark.config import Settings
from spark.db import Database
from spark.db.limits import set_limits, spend_lines
from spark.db.models import GenerationRecord, LimitCounter, LimitReservation
from spark.db.types import utc_now
from spark.db.users import get_user_by_username
from spark.limits import TEAM, Limits, minute_key
from tests.auth_support import Deployment, deployment
from tests.fakes.upstream import FakeUpstream, Reply
from tests.serve_support import create_account
from tests.web_support import ANTHROPIC_KEY

__all__ = ["deployment"]  # the fixture
MODEL = "claude-sonnet-5-5"
GENERATE = {"provider": "anthropic", "model": MODEL, "prompt": "a coin", "stream": False}


def _env(upstream: FakeUpstream) -> dict[str, str]:
    return {
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "ANTHROPIC_BASE_URL": upstream.anthropic_base_url,
        "SPARK_MAX_RETRIES": "0",
    }


def _account(deployment: Deployment) -> str:
    return create_account(
        Settings(database_url=deployment.database_url, data_dir=deployment.folder / "spark")
    )


def _run(work: Any) -> Any:
    return asyncio.run(work)


async def _limit(url: str, **limits: Any) -> None:
    async with Database(url) as database, database.session() as session:
        await set_limits(session=session, admin_id=None, scope=TEAM, limits=Limits(**limits))


async def _burst(
    urls: list[str], token: str, count: int, body: dict[str, Any]
) -> list[httpx2.Response]:
    """``count`` requests at once, alternating between the instances."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(timeout=120, headers=headers) as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(f"{urls[n % len(urls)]}/api/generate", json=body)
                    for n in range(count)
                )
            )
        )


class InFlight:
    """Counts the generation requests the fake Anthropic API is serving at once."""

    def __init__(self, upstream: FakeUpstream) -> None:
        self.api = upstream.anthropic
        self.now = self.most = self.total = 0
        self._lock = threading.Lock()
        self._handle = self.api.handle

    def __enter__(self) -> InFlight:
        def handle(ex: Any, route: str) -> None:
            with self._lock:
                self.now += 1
                self.total += 1
                self.most = max(self.most, self.now)
            try:
                self._handle(ex, route)
            finally:
                with self._lock:
                    self.now -= 1

        self.api.handle = handle  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.api.handle = self._handle  # type: ignore[method-assign]


async def _books(url: str) -> dict[str, Any]:
    """What the database says: counters, reservations, history (of the account "ci")."""
    async with Database(url) as database, database.session() as session:
        account = await get_user_by_username(session=session, username="ci")
        assert account is not None
        user_id = account.id
        lines = await spend_lines(session=session, user_id=user_id)
        day = next((x for x in lines if x.scope == TEAM and x.period == "day"), None)
        live = await session.scalar(
            select(LimitCounter.count).where(
                LimitCounter.scope == TEAM, LimitCounter.window == "live"
            )
        )
    # Reservations and history are the user's own (row-level security on PostgreSQL).
    async with Database(url) as database, database.session(user_id=user_id) as session:
        rows = (await session.scalars(select(GenerationRecord))).all()
        reservations = (await session.scalars(select(LimitReservation))).all()
    active = sum(r.state == "active" for r in reservations)
    settled = sum(r.settled_micros or 0 for r in reservations)
    return {
        "day": day,
        "active": active,
        "settled_micros": settled,
        "live": live,
        "rows": rows,
        "reservations": len(reservations),
    }


def test_spend_limit_holds_across_two_instances(
    deployment: Deployment,
    upstream: FakeUpstream,
) -> None:
    token = _account(deployment)
    # Each generation bills about half of what it reserves: without the limit, 24 of them
    # would spend about three times the limit.
    upstream.anthropic.default_reply = Reply(input_tokens=500, output_tokens=4000, latency=0.3)
    with deployment.instances(2, **_env(upstream)) as urls:
        [first] = _run(_burst(urls, token, 1, GENERATE))
        assert first.status_code == 200, first.text
        before = _run(_books(deployment.database_url))
        row = before["rows"][0]
        reserved, cost = row.reserved_usd, row.settled_usd
        assert reserved > 2 * cost > 0
        # No limit applied yet: nothing was held, but what it billed is counted.
        assert before["reservations"] == 0 and before["day"] is None
        limit = (cost + 4 * reserved + reserved / 2).quantize(Decimal("0.01"))
        _run(_limit(deployment.database_url, daily_usd=limit))
        with InFlight(upstream) as calls:
            answers = _run(_burst(urls, token, 24, GENERATE))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 429}, [a.text for a in answers if a.status_code not in (200, 429)]
    admitted, refused = codes.count(200), codes.count(429)
    assert admitted + refused == 24 and refused > 0
    assert admitted >= 4  # four reservations fit at once
    assert calls.total == admitted  # a refusal never reached the provider
    for answer in answers:
        if answer.status_code == 429:
            assert answer.json()["error"]["kind"] == "budget"
            assert answer.headers["Retry-After"].isdigit()
    books = _run(_books(deployment.database_url))
    spent = books["day"].spent_usd
    assert spent <= limit
    # The first generation, run before the limit was set, counts too.
    assert spent == (admitted + 1) * cost
    assert books["day"].reserved_usd == 0 and books["active"] == 0 and books["live"] == 0
    assert (
        books["reservations"] == admitted
    )  # one per generation under the limit, none for a refusal
    assert Decimal(books["settled_micros"]) / 1_000_000 == spent - cost
    succeeded = [r for r in books["rows"] if r.status == "succeeded"]
    assert len(succeeded) == admitted + 1 == len(books["rows"])
    assert sum((r.settled_usd for r in succeeded), Decimal(0)) == spent


def test_rate_limits_hold_across_two_instances(
    deployment: Deployment,
    upstream: FakeUpstream,
) -> None:
    token = _account(deployment)
    with deployment.instances(2, **_env(upstream)) as urls:
        # Requests per minute: exactly the limit, whichever instance they reach.
        _run(_limit(deployment.database_url, requests_per_minute=5))
        if utc_now().second > 45:  # a burst must not straddle two UTC minutes
            time.sleep(61 - utc_now().second)
        minute = minute_key(utc_now())
        offline = GENERATE | {"provider": "offline", "model": None}
        answers = _run(_burst(urls, token, 16, offline))
        if minute_key(utc_now()) != minute:
            pytest.skip("the burst straddled two UTC minutes")
        codes = [a.status_code for a in answers]
        assert (codes.count(200), codes.count(429)) == (5, 11)
        for answer in answers:
            if answer.status_code == 429:
                error = answer.json()["error"]
                assert (error["kind"], error["rule"]) == ("rate_limited", "requests_per_minute")
                assert 1 <= int(answer.headers["Retry-After"]) <= 60
        # Generations at once: the provider never serves more than the limit.
        _run(_limit(deployment.database_url, concurrent=3))
        upstream.anthropic.default_reply = Reply(latency=1.0)
        with InFlight(upstream) as calls:
            answers = _run(_burst(urls, token, 12, GENERATE))
        codes = [a.status_code for a in answers]
        assert set(codes) <= {200, 429}
        assert 3 <= codes.count(200) == calls.total and calls.most <= 3
        busy = [a for a in answers if a.status_code == 429]
        assert busy and all(a.json()["error"]["rule"] == "concurrent" for a in busy)
        assert all(a.headers["Retry-After"] == "2" for a in busy)
    assert _run(_books(deployment.database_url))["live"] == 0
