"""The team controls' books as a client meets them, on SQLite and PostgreSQL, the providers
behind the fake upstream and the app over ASGI: a fallback's whole spend reservation in the
history (every part, the sums), and the admin's dashboard counting the team's cache hits and
what they saved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from spark.db.limits import set_limits
from spark.db.models import LimitReservation
from spark.db.users import get_user_by_username
from spark.limits import TEAM, Limits
from spark.web.formatting import usd
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.web_support import WebClient

MakeClient = Callable[..., Awaitable[WebClient]]
ASK = {"provider": "anthropic", "model": "claude-sonnet-5-5", "prompt": "a coin that spins"}
STORM = 4  # the first call and the retry policy's three retries


@pytest.fixture
def make_client(make_db_client: MakeClient) -> MakeClient:
    """Clients on apps sharing the test's database (the first one is the admin)."""
    return make_db_client


async def _generate(client: WebClient, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/generate", json=ASK | {"stream": False} | extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _reservations(client: WebClient) -> list[LimitReservation]:
    """The user's reservation rows, oldest first (read as that user: row-level security)."""
    database = await client.db()
    async with database.session() as session:
        account = await get_user_by_username(session=session, username=client.username)
        assert account is not None
    async with database.session(user_id=account.id) as session:
        rows = await session.scalars(select(LimitReservation).order_by(LimitReservation.id))
        return list(rows)


async def _with_a_team_limit(make_client: MakeClient) -> WebClient:
    """A signed-in client of a team with a daily spend limit ($50): reservations are held."""
    client = await make_client()
    async with (await client.db()).session() as session:
        await set_limits(
            session=session, admin_id=None, scope=TEAM, limits=Limits(daily_usd=Decimal(50))
        )
    return client


async def test_the_history_shows_every_part_of_a_fallback_reservation(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await _with_a_team_limit(make_client)
    saved = await client.put(
        "/api/fallback", json={"scope": "team", "entries": ["openai:gpt-6.2-sol"]}
    )
    assert saved.status_code == 200, saved.text
    # The storm bills one broken-off call on anthropic; openai answers.
    billed = Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=700))
    upstream.anthropic.enqueue(Fault.overloaded(), billed, Fault.overloaded(), Fault.overloaded())
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    result = (await _generate(client))["result"]
    assert result["provider"] == "openai" and result["answered_by"]

    # The database's own books: one reservation row per route, both settled.
    rows = await _reservations(client)
    assert [r.provider for r in rows] == ["anthropic", "openai"]
    assert all(r.state == "settled" for r in rows)
    held = sum((Decimal(r.reserved_micros).scaleb(-6) for r in rows), Decimal(0))
    settled = sum((Decimal(r.settled_micros or 0).scaleb(-6) for r in rows), Decimal(0))
    first = Decimal(rows[0].reserved_micros).scaleb(-6)
    assert rows[1].reserved_micros > 0 and rows[0].settled_micros and rows[1].settled_micros

    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert Decimal(detail["reserved_usd"]) == held > first  # the whole, not the first part
    assert Decimal(detail["settled_usd"]) == settled == Decimal(result["cost_usd"])
    parts = detail["reservation_parts"]
    assert [(p["provider"], p["model"]) for p in parts] == [
        ("anthropic", "claude-sonnet-5-5"),
        ("openai", "gpt-6.2-sol"),
    ]
    assert [Decimal(p["reserved_usd"]) for p in parts] == [
        Decimal(r.reserved_micros).scaleb(-6) for r in rows
    ]
    assert [Decimal(p["settled_usd"]) for p in parts] == [
        Decimal(r.settled_micros or 0).scaleb(-6) for r in rows
    ]
    on_openai = sum(
        (Decimal(a["cost_usd"]) for a in detail["attempt_details"] if a["provider"] == "openai"),
        Decimal(0),
    )
    assert Decimal(parts[1]["settled_usd"]) == on_openai  # each part at its own route's bill

    listed = (await client.get("/api/history")).json()["items"]
    assert listed[0]["reserved_usd"] == detail["reserved_usd"]
    assert listed[0]["settled_usd"] == detail["settled_usd"]

    page = (await client.get(f"/history/{result['generation_id']}")).text
    line = page.split('id="generation-reservation">', 1)[1].split("</dd>", 1)[0]
    assert f"${detail['reserved_usd']} reserved in all" in line
    assert f"${parts[0]['reserved_usd']} for anthropic / claude-sonnet-5-5" in line
    assert f"${parts[1]['reserved_usd']} for openai / gpt-6.2-sol" in line
    assert f"settled at ${detail['settled_usd']}" in line
    assert f"${parts[1]['settled_usd']} on openai" in line


async def test_a_generation_without_fallback_has_one_part(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await _with_a_team_limit(make_client)
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=100, output_tokens=200))
    result = (await _generate(client))["result"]
    (row,) = await _reservations(client)
    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert Decimal(detail["reserved_usd"]) == Decimal(row.reserved_micros).scaleb(-6)
    assert Decimal(detail["settled_usd"]) == Decimal(result["cost_usd"]) > 0
    assert [p["provider"] for p in detail["reservation_parts"]] == ["anthropic"]
    page = (await client.get(f"/history/{result['generation_id']}")).text
    assert f"${detail['reserved_usd']} reserved before the call, settled at" in page


async def test_the_admins_dashboard_shows_the_teams_cache_savings(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_client()
    ada = await make_client()
    page = (await admin.get("/dashboard")).text
    assert 'id="team-cache-hits">0<' in page and 'id="team-cache-saved">saved $0.00<' in page
    turned_on = await admin.put("/api/cache", json={"enabled": True, "scope": "team"})
    assert turned_on.status_code == 200, turned_on.text
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    first = (await _generate(ada))["result"]
    assert first["cached"] is False and Decimal(first["cost_usd"]) > 0
    hits = [(await _generate(c))["result"] for c in (admin, ada, ada)]
    assert all(h["cached"] for h in hits) and len(upstream.anthropic.history) == 1
    saved = sum((Decimal(h["saved_usd"]) for h in hits), Decimal(0))
    assert saved == 3 * Decimal(first["cost_usd"])

    page = (await admin.get("/dashboard?days=7")).text
    card = page.split('id="team-cache"', 1)[1].split("</li>", 1)[0]
    assert 'id="team-cache-hits">3<' in card
    assert f'id="team-cache-saved">saved {usd(saved)}<' in card, card
    # Each user's own card counts their own hits.
    assert 'id="card-cache"' in page and ">1<" in page.split('id="card-cache"', 1)[1][:200]
    mine = (await ada.get("/dashboard")).text
    assert 'id="team-cache"' not in mine and 'id="team"' not in mine  # not an admin
    assert ">2<" in mine.split('id="card-cache"', 1)[1][:200]
    stats = (await ada.get("/api/stats")).json()
    assert stats["cache_hits"] == 2 and Decimal(stats["cache_saved_usd"]) == 2 * Decimal(
        first["cost_usd"]
    )
