"""Spend and rate limits through the web API, with the fake upstream, on SQLite and PostgreSQL:
refused with 429 before the provider is called, reservations settled at what was billed."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from spark.db.limits import set_limits
from spark.db.types import utc_now
from spark.limits import TEAM, Limits, minute_key
from tests.fakes.upstream import FakeUpstream, Fault, Reply
from tests.web_support import WebClient

MakeClient = Callable[..., Awaitable[WebClient]]
MODEL = "claude-sonnet-5-5"


@pytest.fixture
def make_client(make_db_client: MakeClient) -> MakeClient:
    """Clients on apps sharing the test's database (the first one is the admin)."""
    return make_db_client


async def _limit(client: WebClient, scope: str, **limits: Any) -> None:
    async with (await client.db()).session() as session:
        await set_limits(session=session, admin_id=None, scope=scope, limits=Limits(**limits))


def _generate(client: WebClient, **body: Any) -> Any:
    return client.post(
        "/api/generate",
        json={"provider": "anthropic", "model": MODEL, "prompt": "a coin", "stream": False} | body,
    )


async def test_over_the_budget_is_a_429_before_the_provider_is_called(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    await _limit(client, TEAM, daily_usd=Decimal("0.01"))
    for stream in (False, True):
        response = await _generate(client, stream=stream)
        assert response.status_code == 429, response.text
        error = response.json()["error"]
        assert error["kind"] == "budget" and error["scope"] == "team"
        assert error["limit_usd"] == "0.01" and error["spent_usd"] == "0.00"
        assert Decimal(error["requested_usd"]) > Decimal("0.01")
        assert error["resets_at"].endswith("+00:00") and "resets at" in error["hint"]
        assert 0 < int(response.headers["Retry-After"]) <= 86400
    assert upstream.anthropic.history == []
    history = (await client.get("/api/history")).json()
    assert history["total"] == 0  # a refusal by a limit is not a generation
    # The offline templates cost nothing: never refused for money.
    free = await _generate(client, provider="offline", model=None)
    assert free.status_code == 200, free.text


async def test_the_reservation_is_settled_at_the_cost(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    await _limit(client, TEAM, daily_usd=Decimal(5))
    upstream.anthropic.enqueue(Reply(input_tokens=1000, output_tokens=500))
    response = await _generate(client)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    row = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert Decimal(row["reserved_usd"]) > Decimal(row["settled_usd"]) > 0
    assert Decimal(row["settled_usd"]) == Decimal(result["cost_usd"])
    listed = (await client.get("/api/history")).json()["items"][0]
    assert listed["settled_usd"] == row["settled_usd"]
    page = (await client.get(f"/history/{result['generation_id']}")).text
    assert (
        f"${row['reserved_usd']} reserved before the call, settled at ${row['settled_usd']}" in page
    )


async def test_a_failed_attempts_billed_tokens_are_settled(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client(max_retries=0)
    await _limit(client, TEAM, daily_usd=Decimal(5))
    billed = Reply(input_tokens=2000, output_tokens=300)
    upstream.anthropic.enqueue(Fault(kind="mid_stream_error", after_usage=True, reply=billed))
    response = await _generate(client)
    assert response.status_code == 502, response.text
    failed = response.json()
    row = (await client.get(f"/api/history/{failed['generation_id']}")).json()
    assert row["status"] == "failed"
    assert Decimal(row["settled_usd"]) == Decimal(row["cost_usd"]) > 0


async def test_requests_per_minute_is_a_429_with_retry_after(make_client: MakeClient) -> None:
    client = await make_client()
    await _limit(client, TEAM, requests_per_minute=2)
    minute = minute_key(utc_now())
    answers = [await _generate(client, provider="offline", model=None) for _ in range(3)]
    if minute_key(utc_now()) != minute:
        pytest.skip("the UTC minute turned during the test: the counter started again")
    assert [a.status_code for a in answers] == [200, 200, 429]
    error = answers[2].json()["error"]
    assert (error["kind"], error["rule"], error["limit"]) == (
        "rate_limited",
        "requests_per_minute",
        2,
    )
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


async def test_admins_set_limits_over_the_api(make_client: MakeClient) -> None:
    admin = await make_client()  # the first account: the admin
    other = await make_client()
    body = {"daily_usd": "5", "monthly_usd": 50, "requests_per_minute": 30, "concurrent": 2}
    put = await admin.put("/api/limits/team", json=body)
    assert put.status_code == 200, put.text
    assert put.json() | {"scope": "team"} == {
        "scope": "team",
        "name": "team",
        "daily_usd": "5.00",
        "monthly_usd": "50.00",
        "requests_per_minute": 30,
        "concurrent": 2,
    }
    put = await admin.put(f"/api/limits/user:{other.username}", json={"daily_usd": 1.25})
    assert put.status_code == 200 and put.json()["scope"].startswith("user:")
    listed = (await admin.get("/api/limits")).json()["limits"]
    assert {row["name"]: row["daily_usd"] for row in listed} == {
        "team": "5.00",
        other.username: "1.25",
    }
    # Not an admin: refused, and nothing changes.
    assert (await other.get("/api/limits")).status_code == 403
    refused = await other.put("/api/limits/team", json={"daily_usd": 1000})
    assert refused.status_code == 403 and refused.json()["error"]["kind"] == "forbidden"
    # An admin's API token works without a session (and its CSRF token).
    from spark.db.users import create_api_token, get_user_by_username

    database = await admin.db()
    async with database.session() as session:
        account = await get_user_by_username(session=session, username=admin.username)
        assert account is not None
    async with database.session(user_id=account.id) as session:
        _, token = await create_api_token(session=session, user_id=account.id, name="ci")
    import httpx2

    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=admin.app), base_url="http://testserver"
    ) as bare:
        auth = {"Authorization": f"Bearer {token}"}
        cleared = await bare.put("/api/limits/team", json={}, headers=auth)
        assert cleared.status_code == 200, cleared.text
        listed = (await bare.get("/api/limits", headers=auth)).json()["limits"]
    assert [row["name"] for row in listed] == [other.username]


class Receiver(ThreadingHTTPServer):
    """A local HTTP receiver for the webhook: keeps every JSON body POSTed to it."""

    def __init__(self, status: int = 204) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook?token=s3cret-hook-token"


async def _received(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    for _ in range(200):
        if len(receiver.bodies) >= count:
            break
        await asyncio.sleep(0.02)
    return receiver.bodies


async def test_budget_shows_what_is_left_and_the_80_percent_warning(
    make_client: MakeClient, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver()
    try:
        client = await make_client(limit_webhook_url=receiver.url)
        empty = (await client.get("/api/budget")).json()
        assert empty == {"lines": [], "left_usd": None, "warning": False}
        await _limit(client, TEAM, daily_usd=Decimal(1), monthly_usd=Decimal(100))
        # claude-sonnet-5-5 at $2 / $10 a million: 0.002 + 0.8 = $0.802 billed.
        upstream.anthropic.enqueue(Reply(input_tokens=1000, output_tokens=80_000))
        assert (await _generate(client)).status_code == 200
        budget = (await client.get("/api/budget")).json()
        day = next(line for line in budget["lines"] if line["period"] == "day")
        month = next(line for line in budget["lines"] if line["period"] == "month")
        assert day["label"] == "the team's daily limit"
        assert (day["spent_usd"], day["left_usd"], day["warning"]) == ("0.802", "0.198", True)
        assert month["warning"] is False and budget["left_usd"] == "0.198" and budget["warning"]
        [posted] = await _received(receiver, 1)
        assert posted["event"] == "spark.spend_warning"
        assert posted["warnings"] == [
            {"scope": "team", "period": "day", "limit_usd": "1.00", "spent_usd": "0.802"}
        ]
        # Once per window: the next generation sends nothing more.
        upstream.anthropic.enqueue(Reply(input_tokens=10, output_tokens=10))
        assert (await _generate(client)).status_code == 200
        await asyncio.sleep(0.2)
        assert len(receiver.bodies) == 1
    finally:
        receiver.shutdown()
        receiver.server_close()


async def test_a_failing_webhook_is_logged_without_its_url(
    make_client: MakeClient, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver(status=500)
    try:
        client = await make_client(limit_webhook_url=receiver.url)
        await _limit(client, TEAM, daily_usd=Decimal(1))
        upstream.anthropic.enqueue(Reply(input_tokens=1000, output_tokens=80_000))
        with caplog.at_level(logging.WARNING, logger="spark.webhook"):
            assert (await _generate(client)).status_code == 200  # not fatal
            await _received(receiver, 1)
            for _ in range(100):
                if "webhook" in caplog.text:
                    break
                await asyncio.sleep(0.02)
        assert "answered HTTP 500" in caplog.text
        assert "s3cret-hook-token" not in caplog.text and "127.0.0.1" not in caplog.text
    finally:
        receiver.shutdown()
        receiver.server_close()


async def test_the_limits_page(make_client: MakeClient) -> None:
    admin = await make_client()
    other = await make_client()
    page = await admin.get("/admin/limits")
    assert page.status_code == 200
    assert 'id="limits-link"' in page.text and other.username in page.text
    assert "The whole team" in page.text and "Anthropic" in page.text
    saved = await admin.form(
        "/admin/limits", {"scope": "team", "daily_usd": "7.5", "requests_per_minute": "20"}
    )
    assert saved.status_code == 303
    page = await admin.get("/admin/limits")
    assert (
        "Limits saved." in page.text and 'value="7.50"' in page.text and 'value="20"' in page.text
    )
    bad = await admin.form("/admin/limits", {"scope": "team", "daily_usd": "-3"})
    assert bad.status_code == 422 and "Daily USD cannot be negative." in bad.text
    listed = (await admin.get("/api/limits")).json()["limits"]
    assert listed[0]["daily_usd"] == "7.50"  # unchanged by the refused form
    # Not for other users: no link, no page, no form.
    assert 'id="limits-link"' not in (await other.get("/account")).text
    assert (await other.get("/admin/limits")).status_code == 403
    posted = await other.form("/admin/limits", {"scope": "team", "daily_usd": "1000"})
    assert posted.status_code == 403
    # Without the CSRF token the form is refused.
    forged = await admin.post("/admin/limits", data={"scope": "team", "daily_usd": "1"})
    assert forged.status_code == 403


async def test_the_dashboard_shows_spend_against_limits(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    assert 'id="spend-limits"' not in (await client.get("/dashboard")).text
    await _limit(client, TEAM, daily_usd=Decimal(1))
    upstream.anthropic.enqueue(Reply(input_tokens=1000, output_tokens=80_000))
    assert (await _generate(client)).status_code == 200
    page = (await client.get("/dashboard")).text
    assert 'id="spend-limits"' in page and 'id="spend-warning"' in page
    assert "The team&#39;s daily limit: $1.00" in page and "$0.802" in page and "$0.198" in page
