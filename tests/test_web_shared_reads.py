"""``POST /api/generate`` reads in one transaction (``Database.sharing``), as a client meets it:
the app over ASGI on SQLite and on PostgreSQL (the app role, row-level security), the provider
behind the fake upstream, an API token and a signed-in browser session.

A cache hit by token is one pool checkout and one transaction on PostgreSQL (the token check,
the context, the lookup and the record; on SQLite the record keeps a write transaction of its
own); a refused request (bad token, unknown conversation, bad provider) leaves nothing held and
the next request is answered; a miss streams after the shared transaction ended; two tokens'
hits at once each see only their own user's entries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from spark.db.users import create_api_token, get_user_by_username
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Reply
from tests.web_support import MakeClient, WebClient, parse_sse

ASK = {"provider": "anthropic", "model": "claude-sonnet-5-5", "prompt": "a coin that spins"}


async def _token(client: WebClient) -> str:
    database = await client.db()
    async with database.session() as session:
        account = await get_user_by_username(session=session, username=client.username)
        assert account is not None
    async with database.session(user_id=account.id) as session:
        return (await create_api_token(session=session, user_id=account.id, name="ci"))[1]


def _bare(client: WebClient, token: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=client.app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


async def _cache_on(admin: WebClient) -> None:
    response = await admin.put("/api/cache", json={"enabled": True, "ttl_seconds": 600})
    assert response.status_code == 200, response.text


def _count(client: WebClient) -> dict[str, int]:
    engine = client.database.engine.sync_engine
    seen = {"checkout": 0, "begin": 0, "statements": 0}

    def bump(name: str) -> Any:
        return lambda *_: seen.__setitem__(name, seen[name] + 1)

    event.listen(engine.pool, "checkout", bump("checkout"))
    event.listen(engine, "begin", bump("begin"))
    event.listen(engine, "before_cursor_execute", bump("statements"))
    return seen


async def test_a_hit_by_token_shares_its_reads(
    make_db_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_db_client()
    await _cache_on(admin)
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=100, output_tokens=200))
    token = await _token(admin)
    async with _bare(admin, token) as api:
        first = await api.post("/api/generate", json=ASK | {"stream": False})
        assert first.status_code == 200 and first.json()["result"]["cached"] is False
        await api.post("/api/generate", json=ASK | {"stream": False})  # warm (a minute's stamp)
        seen = _count(admin)
        hit = await api.post("/api/generate", json=ASK | {"stream": False})
        counts = dict(seen)
    result = hit.json()["result"]
    assert hit.status_code == 200 and result["cached"] is True, hit.text
    detail = (await admin.get(f"/api/history/{result['generation_id']}")).json()
    assert detail["status"] == "cached" and detail["generation_id"] == result["generation_id"]
    if admin.database.is_postgresql:
        # Token (with set_config), context, lookup, record: one checkout, one transaction.
        assert counts == {"checkout": 1, "begin": 1, "statements": 4}, counts
    else:
        # The reads on one connection; the record a write transaction of its own.
        assert counts["checkout"] == 2 and counts["statements"] == 4, counts


async def test_refusals_in_the_scope_leave_nothing_held(
    make_db_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_db_client()
    token = await _token(admin)
    async with _bare(admin, token) as api:
        bad = await api.post(
            "/api/generate", json=ASK, headers={"Authorization": "Bearer spark_nope"}
        )
        assert bad.status_code == 401
        unknown = await api.post("/api/generate", json=ASK | {"conversation_id": "c_nope"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["kind"] == "unknown_conversation"
        model = await api.post("/api/generate", json=ASK | {"model": "no-such-model"})
        assert model.status_code == 422, model.text
        pool = admin.database.engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedout() == 0  # every shared connection went back
        upstream.anthropic.enqueue(Reply(DEFAULT_TEXT))
        streamed = await api.post("/api/generate", json=ASK | {"stream": True})
    events = parse_sse(streamed.text)
    assert events[0][0] == "start" and events[-1][0] == "done", events[-1]
    listed = (await admin.get("/api/history")).json()["items"]
    # The unknown model was recorded as a failed generation (its own transaction), the
    # streamed one as succeeded; the bad token and the unknown conversation left no row.
    assert sorted(item["status"] for item in listed) == ["failed", "succeeded"]


async def test_two_users_hits_at_once_each_get_their_own(
    make_db_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_db_client()
    await _cache_on(admin)
    other = await make_db_client()
    tokens = [await _token(admin), await _token(other)]
    texts = [DEFAULT_TEXT, DEFAULT_TEXT.replace("CoinSpinner", "CoinTwirler")]
    clients = [_bare(admin, tokens[0]), _bare(admin, tokens[1])]
    for api, text in zip(clients, texts, strict=True):
        upstream.anthropic.enqueue(Reply(text))
        stored = await api.post("/api/generate", json=ASK | {"stream": False})
        assert stored.json()["result"]["cached"] is False, stored.text

    async def hit(api: httpx2.AsyncClient) -> str:
        response = await api.post("/api/generate", json=ASK | {"stream": False})
        result = response.json()["result"]
        assert result["cached"] is True, response.text
        return str(result["class_name"])

    names = await asyncio.gather(*(hit(clients[i % 2]) for i in range(20)))
    for api in clients:
        await api.aclose()
    first, second = names[0], names[1]
    assert first != second
    assert names == [first, second] * 10
