"""Fallback and the response cache through the web API, as a client meets them: the fake
upstream behind real SDKs, the app over ASGI, SQLite in a temporary data folder."""

from __future__ import annotations

from typing import Any

from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.web_support import MakeClient, parse_sse

ASK = {"provider": "anthropic", "model": "claude-sonnet-5-5", "prompt": "a coin that spins"}


async def generate(client: Any, **extra: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/generate", json=ASK | {"stream": False} | extra)
    return response.status_code, response.json()


async def test_fallback_lists_team_and_mine(make_client: MakeClient) -> None:
    admin = await make_client()  # the first account: admin
    user = await make_client()
    nothing = {"team": [], "mine": None, "effective": []}
    assert (await user.get("/api/fallback")).json() == nothing
    saved = await admin.put(
        "/api/fallback", json={"scope": "team", "entries": ["openai:gpt-6.2-sol"]}
    )
    assert saved.status_code == 200, saved.text
    assert (await user.get("/api/fallback")).json()["effective"] == ["openai:gpt-6.2-sol"]
    refused = await user.put("/api/fallback", json={"scope": "team", "entries": []})
    assert refused.status_code == 403 and refused.json()["error"]["kind"] == "forbidden"
    mine = await user.put("/api/fallback", json={"entries": []})  # off, for me only
    assert mine.json() == {"team": ["openai:gpt-6.2-sol"], "mine": [], "effective": []}
    cleared = await user.delete("/api/fallback")
    assert cleared.json()["effective"] == ["openai:gpt-6.2-sol"]
    bad = await user.put("/api/fallback", json={"entries": ["openai;gpt"]})
    assert bad.status_code == 422 and "not a fallback entry" in bad.json()["error"]["message"]


async def test_an_overloaded_provider_is_answered_by_the_fallback(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    await client.put("/api/fallback", json={"scope": "team", "entries": ["openai:gpt-6.2-sol"]})
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=100, output_tokens=200))
    response = await client.post("/api/generate", json=ASK | {"stream": True})
    events = parse_sse(response.text)
    retries = [data for kind, data in events if kind == "retry"]
    assert retries[-1]["fallback"] == {
        "from_provider": "anthropic",
        "from_model": "claude-sonnet-5-5",
        "to_provider": "openai",
        "to_model": "gpt-6.2-sol",
    }
    kind, done = events[-1]
    assert kind == "done", events[-1]
    result = done["result"]
    expected = "answered by OpenAI gpt-6.2-sol after Anthropic Claude was overloaded"
    assert result["answered_by"] == expected and result["provider"] == "openai"
    assert [a["provider"] for a in result["attempt_details"]] == ["anthropic"] * 4 + ["openai"]
    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert detail["answered_by"] == expected and detail["status"] == "succeeded"
    assert detail["attempt_details"][-1]["input_tokens"] == 100
    page = await client.get(f"/c/{result['conversation_id']}")
    assert expected in page.text


async def test_the_cache_is_off_until_an_admin_turns_it_on(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_client()
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000)] * 3)
    await generate(admin)
    status, again = await generate(admin)
    assert status == 200 and again["result"]["cached"] is False  # off by default
    settings = await admin.put("/api/cache", json={"enabled": True, "ttl_seconds": 600})
    assert settings.json() == {"enabled": True, "scope": "user", "ttl_seconds": 600}
    first = (await generate(admin))[1]["result"]
    assert first["cached"] is False  # nothing stored while it was off
    hit = (await generate(admin))[1]["result"]
    assert hit["cached"] is True and hit["cost_usd"] == "0" and hit["saved_usd"] == "0.022000"
    assert hit["cached_from"] == first["generation_id"]
    assert len([r for r in upstream.anthropic.history if "/models" not in r.path]) == 3
    detail = (await admin.get(f"/api/history/{hit['generation_id']}")).json()
    assert detail["status"] == "cached" and detail["cached"] is True
    assert detail["saved_usd"] == "0.022000" and detail["cached_from"] == first["generation_id"]
    stats = (await admin.get("/api/stats")).json()
    assert stats["cache_hits"] == 1 and stats["cache_saved_usd"] == "0.022000"
    dashboard = (await admin.get("/dashboard")).text
    assert 'id="card-cache"' in dashboard and "saved $0.022" in dashboard
    listed = (await admin.get("/api/history", params={"status": "cached"})).json()
    assert [i["generation_id"] for i in listed["items"]] == [hit["generation_id"]]
    # Regenerate (cache: false) asks the model anew.
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT))
    fresh = (await generate(admin, cache=False))[1]["result"]
    assert fresh["cached"] is False


async def test_cache_settings_are_for_admins_and_checked(make_client: MakeClient) -> None:
    admin = await make_client()
    user = await make_client()
    refused = await user.put("/api/cache", json={"enabled": True})
    assert refused.status_code == 403
    assert (await user.get("/api/cache")).json()["enabled"] is False
    short = await admin.put("/api/cache", json={"ttl_seconds": 5})
    assert short.status_code == 422 and short.json()["error"]["kind"] == "invalid_input"
    team = await admin.put("/api/cache", json={"enabled": True, "scope": "team"})
    assert team.json()["scope"] == "team"
    assert (await user.get("/api/cache")).json()["scope"] == "team"
    gone = await user.delete("/api/cache/entries")
    assert gone.status_code == 200 and gone.json() == {"deleted": 0}


async def test_a_team_cache_hit_is_shown_cached_in_the_stream(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    admin = await make_client()
    user = await make_client()
    await admin.put("/api/cache", json={"enabled": True, "scope": "team"})
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT))
    await generate(admin)
    response = await user.post("/api/generate", json=ASK | {"stream": True})
    events = parse_sse(response.text)
    assert [kind for kind, _ in events] == ["start", "done"]
    result = events[-1][1]["result"]
    assert result["cached"] is True and result["code"].startswith("using UnityEngine;")
    page = await user.get(f"/c/{result['conversation_id']}")
    assert "cached — saved" in page.text


async def test_account_page_forms(make_client: MakeClient) -> None:
    admin = await make_client()
    user = await make_client()
    saved = await admin.form("/account/team-fallback", {"entries": "openai:gpt-6.2-sol"})
    assert saved.status_code == 200 and "team&#39;s fallback list is saved" in saved.text
    page = (await user.get("/account")).text
    assert 'id="team-fallback">openai:gpt-6.2-sol<' in page and "Team controls" not in page
    mine = await user.form("/account/fallback", {"mode": "mine", "entries": "offline"})
    assert mine.status_code == 200
    assert (await user.get("/api/fallback")).json()["effective"] == ["offline"]
    bad = await user.form("/account/fallback", {"mode": "mine", "entries": "a;b"})
    assert bad.status_code == 422 and "is not a fallback entry" in bad.text
    refused = await user.form("/account/cache", {"enabled": "on", "scope": "team", "ttl": "60"})
    assert refused.status_code == 403
    cache = await admin.form("/account/cache", {"enabled": "on", "scope": "team", "ttl": "600"})
    assert cache.status_code == 200
    assert (await user.get("/api/cache")).json() == {
        "enabled": True,
        "scope": "team",
        "ttl_seconds": 600,
    }
    for ttl in ("5", "x", "9" * 30, ""):
        short = await admin.form("/account/cache", {"scope": "team", "ttl": ttl})
        assert short.status_code == 422, ttl
    assert (await user.get("/api/cache")).json()["enabled"] is True  # nothing changed
