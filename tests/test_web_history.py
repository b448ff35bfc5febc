"""Issue 6 in the web app: history (API, pages, CSV), stats, dashboard and cost calculator.

A fixture history is written straight into the database (fixed times, tokens and costs), so the
dashboard's figures can be checked against values computed by hand. Every history route is
tried with another user's generation id: always 404, never the row.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from spark.db.models import GenerationRecord
from spark.db.types import utc_now
from spark.db.users import get_user_by_username
from tests.web_support import MakeClient, WebClient

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

OFFLINE = {"provider": "offline", "prompt": "a coin that spins", "stream": False}


# Hand-made rows: (days ago, provider, model, status, in, out, cache read, cost, ms, prompt).
FIXTURE = [
    (0, "anthropic", "claude-3-5-sonnet-20241022", "succeeded", 1000, 500, 200, "0.0105", 4000,
     "a spinning coin"),
    (0, "openai", "gpt-4", "failed", 800, 0, 0, "0.024", None, "a door that opens"),
    (1, "anthropic", "claude-3-5-sonnet-20241022", "succeeded", 2000, 1000, 0, "0.021", 6000,
     "a bouncing ball"),
    (2, "openai", "gpt-4", "succeeded", 500, 300, 0, "0.033", 2000, "a health bar"),
    (40, "openai", "gpt-4", "succeeded", 9000, 9000, 0, "1.000", 1000, "an old one"),
]  # fmt: skip


async def user_id(client: WebClient) -> int:
    database = await client.db()
    async with database.session() as session:
        user = await get_user_by_username(session=session, username=client.username)
        assert user is not None
        return user.id


async def add_fixture(client: WebClient) -> list[int]:
    owner = await user_id(client)
    database = await client.db()
    now = utc_now()
    ids = []
    async with database.session(user_id=owner) as session:
        for n, (ago, provider, model, status, i, o, c, cost, ms, prompt) in enumerate(FIXTURE):
            record = GenerationRecord(
                user_id=owner,
                provider=provider,
                model=model,
                prompt=prompt,
                status=status,
                success=status == "succeeded",
                generated_code=f"public class Fixture{n} : MonoBehaviour {{ }}"
                if status == "succeeded"
                else None,
                class_name=f"Fixture{n}" if status == "succeeded" else None,
                error_kind="auth" if status == "failed" else None,
                error_message="The key was refused." if status == "failed" else None,
                input_tokens=i,
                output_tokens=o,
                cache_read_tokens=c,
                cost_usd=Decimal(cost),
                generation_ms=ms,
                attempts=1,
                repair_rounds=1 if n == 2 else 0,
                conversation_id=f"c_fixture{n}",
                created_at=now - timedelta(days=ago, minutes=n),
            )
            session.add(record)
            await session.flush()
            ids.append(record.id)
    return ids


# --- the history API ---------------------------------------------------------------------------


async def test_history_api_filters_and_pages(make_client: MakeClient) -> None:
    client = await make_client()
    await add_fixture(client)
    everything = (await client.get("/api/history")).json()
    assert everything["total"] == 5
    assert [i["prompt"] for i in everything["items"]][:2] == [
        "a spinning coin",
        "a door that opens",
    ]
    page = (await client.get("/api/history", params={"limit": 2, "offset": 2})).json()
    assert [i["prompt"] for i in page["items"]] == ["a bouncing ball", "a health bar"]
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 2

    async def prompts(**params: Any) -> list[str]:
        response = await client.get("/api/history", params=params)
        assert response.status_code == 200, response.text
        return [i["prompt"] for i in response.json()["items"]]

    assert await prompts(provider="openai") == ["a door that opens", "a health bar", "an old one"]
    assert await prompts(model="claude-3-5-sonnet-20241022") == [
        "a spinning coin",
        "a bouncing ball",
    ]
    assert await prompts(status="failed") == ["a door that opens"]
    assert await prompts(q="BALL") == ["a bouncing ball"]
    assert await prompts(q="Fixture3") == ["a health bar"]  # the class name and code
    assert await prompts(q="MonoBehaviour {") == [
        "a spinning coin",
        "a bouncing ball",
        "a health bar",
        "an old one",
    ]
    old = (utc_now() - timedelta(days=40)).date().isoformat()
    assert await prompts(date_to=old) == ["an old one"]
    assert await prompts(date_from=old, date_to=old) == ["an old one"]
    assert "an old one" not in await prompts(date_from=(utc_now() - timedelta(days=3)).date())
    assert await prompts(q="100%_") == []  # LIKE wildcards are literal


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1000},
        {"offset": -1},
        {"offset": 10**20},
        {"status": "nope"},
        {"date_from": "yesterday"},
        {"date_from": "2026-02-02", "date_to": "2026-01-01"},
        {"q": "x" * 201},
    ],
)
async def test_bad_history_parameters_are_4xx_json(
    make_client: MakeClient, params: dict[str, Any]
) -> None:
    client = await make_client()
    response = await client.get("/api/history", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["kind"] == "invalid_request"


async def test_one_generation_and_its_deletion(make_client: MakeClient) -> None:
    client = await make_client()
    ids = await add_fixture(client)
    detail = (await client.get(f"/api/history/{ids[2]}")).json()
    assert detail["prompt"] == "a bouncing ball" and detail["repair_rounds"] == 1
    assert detail["generated_code"].startswith("public class Fixture2")
    assert (
        detail["input_tokens"] == 2000
        and detail["cost_usd"] == "0.021000"[: len(detail["cost_usd"])]
    )
    failed = (await client.get(f"/api/history/{ids[1]}")).json()
    assert failed["error_message"] == "The key was refused." and failed["export_url"] is None
    no_csrf = await client.delete(f"/api/history/{ids[2]}", headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["kind"] == "csrf"
    assert (await client.delete(f"/api/history/{ids[2]}")).status_code == 204
    assert (await client.get(f"/api/history/{ids[2]}")).status_code == 404
    assert (await client.delete(f"/api/history/{ids[2]}")).status_code == 404
    for bad in ("nope", "0", "-1", "99999999999999999999"):
        response = await client.get(f"/api/history/{bad}")
        assert response.status_code == 422 and response.json()["error"]["kind"] == "invalid_request"
        assert (await client.delete(f"/api/history/{bad}")).status_code == 422


async def test_every_history_route_is_404_for_another_users_generation(
    make_client: MakeClient,
) -> None:
    alice = await make_client()
    ids = await add_fixture(alice)
    mallory = await make_client()
    target = ids[0]
    assert (await mallory.get(f"/api/history/{target}")).status_code == 404
    assert (await mallory.delete(f"/api/history/{target}")).status_code == 404
    page = await mallory.get(f"/history/{target}")
    assert page.status_code == 404 and "a spinning coin" not in page.text
    form = await mallory.form(f"/history/{target}/delete", {})
    assert form.status_code == 404
    assert (await mallory.get("/api/history")).json()["total"] == 0
    assert "a spinning coin" not in (await mallory.get("/history.csv")).text
    assert (await mallory.get("/api/stats")).json()["total_generations"] == 0
    assert (await alice.get(f"/api/history/{target}")).status_code == 200  # still there


async def test_history_csv_is_the_users_history(make_client: MakeClient) -> None:
    client = await make_client()
    await add_fixture(client)
    response = await client.get("/history.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["prompt"] for r in rows][:2] == ["a spinning coin", "a door that opens"]
    assert len(rows) == 5


# --- history pages -----------------------------------------------------------------------------


async def test_history_page_lists_filters_and_pages(make_client: MakeClient) -> None:
    client = await make_client()
    ids = await add_fixture(client)
    page = (await client.get("/history")).text
    assert page.count('class="history-row"') == 5
    assert "anthropic / claude-3-5-sonnet-20241022" in page and "$0.011" in page  # formatted
    assert "4.0 s" in page and f'href="/history/{ids[0]}"' in page
    filtered = (await client.get("/history", params={"q": "door", "status": "failed"})).text
    assert filtered.count('class="history-row"') == 1 and "a door that opens" in filtered
    # Provider and model filters ignore letter case (the model is typed, the provider chosen).
    mixed = {"provider": "Anthropic", "model": "CLAUDE-3-5-SONNET-20241022"}
    by_model = (await client.get("/history", params=mixed)).text
    exact = await client.get(
        "/api/history", params={"model": "claude-3-5-sonnet-20241022", "provider": "anthropic"}
    )
    assert by_model.count('class="history-row"') == exact.json()["total"] > 0
    assert '<option value="anthropic" selected>' in by_model
    assert (await client.get("/history", params={"date_from": "bad"})).status_code == 422
    empty = (await client.get("/history", params={"q": "zzz"})).text
    assert "No generation matches" in empty


async def test_history_page_is_paged(make_client: MakeClient) -> None:
    client = await make_client()
    for _ in range(6):
        await add_fixture(client)  # 30 rows: two pages of 25
    first = (await client.get("/history", params={"provider": "openai"})).text
    assert first.count('class="history-row"') == 18 and 'id="history-next"' not in first
    first = (await client.get("/history")).text
    assert first.count('class="history-row"') == 25
    next_url = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_url is not None
    second = (await client.get(next_url.group(1).replace("&amp;", "&"))).text
    assert second.count('class="history-row"') == 5 and 'rel="prev"' in second


async def test_generation_page_shows_everything(make_client: MakeClient) -> None:
    client = await make_client()
    result = (await client.post("/api/generate", json=OFFLINE)).json()["result"]
    page = await client.get(f"/history/{result['generation_id']}")
    assert page.status_code == 200
    html = page.text
    assert "a coin that spins" in html and 'id="line-1"' in html  # highlighted by Pygments
    assert "SpinningCoin.cs" in html and result["export_url"] in html
    assert f'href="/c/{result["conversation_id"]}" id="generation-continue"' in html
    assert 'id="generation-attempts"' in html and 'id="generation-repairs"' in html
    chat = (await client.get(f"/c/{result['conversation_id']}")).text
    assert f'data-conversation-id="{result["conversation_id"]}"' in chat
    old_link = await client.get("/", params={"conversation": result["conversation_id"]})
    assert old_link.headers["location"] == f"/c/{result['conversation_id']}"
    unknown = await client.get("/c/c_nope")
    assert unknown.status_code == 404 and "no conversation with this id" in unknown.text
    deleted = await client.form(f"/history/{result['generation_id']}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/history"
    assert (await client.get(f"/history/{result['generation_id']}")).status_code == 404


async def test_a_failed_generation_page_shows_the_error(make_client: MakeClient) -> None:
    client = await make_client()
    ids = await add_fixture(client)
    html = (await client.get(f"/history/{ids[1]}")).text
    assert "The key was refused." in html and "generation-export" not in html


async def test_prompts_are_escaped_on_the_pages(make_client: MakeClient) -> None:
    client = await make_client()
    hostile = "<script>alert(1)</script>"
    result = (await client.post("/api/generate", json=OFFLINE | {"prompt": hostile})).json()
    generation = result["result"]["generation_id"]
    for path in ("/history", f"/history/{generation}"):
        html = (await client.get(path)).text
        assert hostile not in html and "&lt;script&gt;" in html


# --- stats and dashboard -----------------------------------------------------------------------


async def test_stats_match_hand_computed_figures(make_client: MakeClient) -> None:
    client = await make_client()
    await add_fixture(client)
    stats = (await client.get("/api/stats", params={"days": 30})).json()
    # The 40-day-old row is outside the window: four generations, three succeeded, one failed.
    assert stats["total_generations"] == 4
    assert stats["succeeded"] == 3 and stats["failed"] == 1
    assert stats["success_rate"] == "75.0" and stats["failure_rate"] == "25.0"
    assert stats["input_tokens"] == 1000 + 800 + 2000 + 500
    assert stats["output_tokens"] == 500 + 1000 + 300
    assert stats["cache_read_tokens"] == 200
    assert stats["total_tokens"] == 4300 + 1800 + 200
    assert Decimal(stats["total_cost_usd"]) == Decimal("0.0885")
    assert stats["avg_generation_ms"] == 4000  # (4000 + 6000 + 2000) / 3
    assert stats["provider_counts"] == {"anthropic": 2, "openai": 2}
    ninety = (await client.get("/api/stats", params={"days": 90})).json()
    assert ninety["total_generations"] == 5
    assert Decimal(ninety["total_cost_usd"]) == Decimal("1.0885")
    series = (await client.get("/api/stats/series", params={"days": 7})).json()["series"]
    # Oldest first; the rows of "today" are minutes apart, so they may straddle midnight UTC.
    assert [d["day"] for d in series] == sorted(d["day"] for d in series)
    assert sum(d["generations"] for d in series) == 4 and len(series) in (3, 4)
    assert sum(Decimal(d["total_cost_usd"]) for d in series) == Decimal("0.0885")


@pytest.mark.parametrize("days", ["0", "-3", "abc", "100000"])
async def test_bad_windows_are_422_json(make_client: MakeClient, days: str) -> None:
    client = await make_client()
    for path in ("/api/stats", "/api/stats/series"):
        response = await client.get(path, params={"days": days})
        assert response.status_code == 422 and response.json()["error"]["kind"] == "invalid_request"


async def test_dashboard_shows_the_figures_and_charts(make_client: MakeClient) -> None:
    admin = await make_client()  # the first account is the admin
    await add_fixture(admin)
    user = await make_client()
    await add_fixture(user)
    page = await user.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    cards = {
        key: re.sub(r"\s+", " ", value)
        for key, value in re.findall(r'id="card-(\w+)"><span class="label">[^<]*</span> '
                                     r'<span class="value">([^<]*)</span>', html)
    }  # fmt: skip
    assert (
        cards
        == {
            "generations": "4",
            "success": "75.0%",
            "failure": "25.0%",
            "tokens": "6,300",  # one formatter: thousands separators
            "cost": "$" + cards["cost"][1:],
            "time": "4.0 s",
        }
    )
    assert cards["cost"] == "$0.089"  # $0.0885 to two significant digits
    assert "4,300 in · 1,800 out · 200 cache" in html
    assert html.count("<svg") == 5 and html.count("<details>") == 5
    assert "<script" not in html and " style=" not in html  # the CSP refuses inline styles
    assert 'id="team"' not in html
    assert "/assets/charts.css" in html
    css = await user.get("/assets/charts.css")
    assert css.status_code == 200 and "svg.spark-chart" in css.text
    week = (await user.get("/dashboard", params={"days": 7})).text
    assert 'aria-current="page" class="current">7 days' in week
    assert (await user.get("/dashboard", params={"days": 12})).status_code == 422
    team = (await admin.get("/dashboard")).text
    assert 'id="team"' in team
    assert re.search(r'id="team-generations">8<', team)
    assert user.username in team and admin.username in team
    assert 'id="team-more"' not in team


async def test_the_team_table_lists_the_biggest_spenders_only(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spark.web.routes import dashboard

    admin = await make_client()
    await add_fixture(admin)
    user = await make_client()
    for _ in range(2):  # twice the admin's spend
        await add_fixture(user)
    monkeypatch.setattr(dashboard, "TEAM_ROWS", 1)
    team = (await admin.get("/dashboard")).text
    rows = re.search(r'<table class="[^"]*" id="team-users">(.*?)</table>', team, re.S)
    assert rows is not None and rows.group(1).count("<tr>") == 2  # header + one user
    assert user.username in rows.group(1) and admin.username not in rows.group(1)
    assert "The 1 biggest spenders of 2 users" in team
    assert re.search(r'id="team-generations">12<', team)  # the cards count everyone


async def test_an_empty_dashboard_renders(make_client: MakeClient) -> None:
    client = await make_client()
    html = (await client.get("/dashboard")).text
    assert (
        'id="card-generations"><span class="label">Generations</span> <span class="value">0<'
        in html
    )
    # A proper empty state instead of five empty charts.
    assert html.count("<svg") == 0 and 'id="dashboard-empty"' in html
    assert "No generations in the last 30 days" in html and 'href="/dashboard?days=90"' in html
    assert (await client.get("/api/stats")).json()["avg_generation_ms"] is None
    assert (await client.get("/api/stats/series")).json()["series"] == []


# --- cost calculator ---------------------------------------------------------------------------


async def test_estimate_api_prices_every_model(make_client: MakeClient) -> None:
    client = await make_client()
    report = (
        await client.get("/api/estimate", params={"prompt_tokens": 1000, "output_tokens": 2000})
    ).json()
    assert report["prompt_tokens"] == 1000 and report["output_tokens"] == 2000
    models = report["models"]
    assert {m["provider"] for m in models} >= {"anthropic", "openai", "offline"}
    assert any(m["cheapest"] for m in models)
    assert all(m["price_checked"] for m in models if m["cost_usd"] not in (None, "0"))
    by_prompt = (await client.get("/api/estimate", params={"prompt": "a coin " * 100})).json()
    assert by_prompt["prompt_tokens"] > 0 and by_prompt["output_tokens"] == 1500


@pytest.mark.parametrize(
    "params", [{"prompt_tokens": -1}, {"output_tokens": "x"}, {"output_tokens": 10**9}]
)
async def test_bad_estimate_parameters_are_422_json(
    make_client: MakeClient, params: dict[str, Any]
) -> None:
    client = await make_client()
    response = await client.get("/api/estimate", params=params)
    assert response.status_code == 422 and response.json()["error"]["kind"] == "invalid_request"


async def test_estimate_page_marks_the_cheapest(make_client: MakeClient) -> None:
    client = await make_client()
    html = (await client.get("/estimate", params={"prompt": "a coin", "output_tokens": "800"})).text
    assert 'data-cheapest="true"' in html and "cheapest" in html
    assert re.search(r"<td[^>]*>20\d\d-\d\d-\d\d</td>", html)  # the price checked dates
    assert "output ≈ 800 tokens" in html
    assert (await client.get("/estimate", params={"prompt_tokens": "lots"})).status_code == 422


async def test_new_pages_need_a_session(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    for path in ("/dashboard", "/estimate", "/history/1", "/history.csv"):
        response = await client.get(path)
        assert response.status_code == 303, path
    for path in ("/api/stats", "/api/stats/series", "/api/estimate", "/api/history/1"):
        assert (await client.get(path)).status_code == 401, path
