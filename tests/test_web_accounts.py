"""Accounts, sessions, CSRF, API tokens, preferences and history in the web app (on SQLite).

httpx against the ASGI app, with the SDKs talking to the fake upstream; each test has its own
data folder (so its own SQLite database and session key).
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from datetime import timedelta
from typing import Any

import pytest

from spark.config import Settings
from spark.db.types import utc_now
from spark.db.users import count_users, create_api_token, create_user, get_or_create_user
from spark.errors import ConfigError
from spark.web.secret import secret_key
from tests.fakes.upstream import FakeUpstream, Fault
from tests.web_support import (
    PASSWORD,
    MakeClient,
    csrf_of,
    parse_sse,
    unique_name,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

OFFLINE = {"provider": "offline", "prompt": "a coin that spins", "stream": False}


def is_admin_on_page(html: str) -> bool:
    return "(admin)</h1>" in html


# --- sign-up, sign-in, sign-out ----------------------------------------------------------------


async def test_the_first_account_is_admin_and_the_cli_user_does_not_count(
    make_client: MakeClient,
) -> None:
    client = await make_client(signed_in=False)
    async with (await client.db()).session() as session:  # what `spark generate` creates
        await get_or_create_user(session=session, username="local")
    await client.sign_up("ada")
    assert is_admin_on_page((await client.get("/account")).text)
    second = await make_client(signed_in=False)
    await second.sign_up("bob")
    page = (await second.get("/account")).text
    assert not is_admin_on_page(page) and "Create account" not in page
    async with (await client.db()).session() as session:
        assert await count_users(session=session, can_sign_in=True) == 2


async def test_session_cookie_is_signed_httponly_lax(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    response = await client.form(
        "/signup", {"username": "ada", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("spark_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    tampered = client.cookies["spark_session"][:-4] + "AAAA"
    client.cookies.clear()
    client.cookies.set("spark_session", tampered)
    assert (await client.get("/api/models")).status_code == 401


async def test_cookies_are_secure_over_https(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    client.base_url = "https://testserver"
    response = await client.get("/signin")
    assert "; secure" in response.headers["set-cookie"].lower()


async def test_sign_in_and_out(make_client: MakeClient) -> None:
    client = await make_client()
    name = client.username
    await client.form("/signout", {})
    assert (await client.get("/api/models")).status_code == 401
    wrong = await client.sign_in(name, "not the password")
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    right = await client.sign_in(name.upper())  # usernames match in any case
    assert right.status_code == 303
    assert (await client.get("/api/models")).status_code == 200


async def test_sign_in_returns_to_the_page_asked_for(make_client: MakeClient) -> None:
    client = await make_client()
    await client.form("/signout", {})
    page = await client.get("/history")
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/history"
    response = await client.form(
        "/signin", {"username": client.username, "password": PASSWORD, "next": "/history"}
    )
    assert response.headers["location"] == "/history"
    evil = await client.form(
        "/signin", {"username": client.username, "password": PASSWORD, "next": "//evil.example"}
    )
    assert evil.headers["location"] == "/"


async def test_unauthenticated_api_is_401_json_and_pages_redirect(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    for method, path in [
        ("GET", "/api/models"),
        ("POST", "/api/generate"),
        ("GET", "/api/preferences"),
        ("PUT", "/api/preferences"),
        ("GET", "/api/history"),
        ("GET", "/api/export/1"),
    ]:
        response = await client.request(method, path, json={"prompt": "x"})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["kind"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    for path in ("/", "/history", "/account"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert (await client.get("/signin")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200


async def test_closed_sign_up_and_admins_creating_accounts(make_client: MakeClient) -> None:
    admin = await make_client()  # open sign-up: the first account
    closed = await make_client(signed_in=False, allow_signup=False)
    assert (await closed.get("/signup")).status_code == 403
    refused = await closed.form(
        "/signup", {"username": "mallory", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert refused.status_code == 403 and "Sign-up is closed" in refused.text
    created = await admin.form(
        "/account/users", {"username": "carol", "password": PASSWORD, "is_admin": ""}
    )
    assert created.status_code == 200 and "Account &#39;carol&#39; created." in created.text
    assert (await closed.sign_in("carol")).status_code == 303
    denied = await closed.form("/account/users", {"username": "dave", "password": PASSWORD})
    assert denied.status_code == 403


async def test_sign_up_rejects_bad_input(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    short = await client.form(
        "/signup", {"username": "ada", "password": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text
    differ = await client.form(
        "/signup", {"username": "ada", "password": PASSWORD, "confirm": PASSWORD + "x"}
    )
    assert differ.status_code == 422 and "differ" in differ.text
    await client.sign_up("ada")
    other = await make_client(signed_in=False)
    taken = await other.form(
        "/signup", {"username": "ADA", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert taken.status_code == 422 and "already exists" in taken.text


async def test_sign_in_is_throttled_after_repeated_failures(make_client: MakeClient) -> None:
    client = await make_client()
    name = client.username
    await client.form("/signout", {})
    now = [utc_now()]
    client.app.state.spark.throttle.clock = lambda: now[0]
    for _ in range(5):
        assert (await client.sign_in(name, "wrong password")).status_code == 401
    locked = await client.sign_in(name)  # even the right password waits
    assert locked.status_code == 429 and "Try again in 30 s" in locked.text
    other = await client.sign_in(unique_name("nobody"), "wrong password")
    assert other.status_code == 401  # another username is not locked out
    now[0] += timedelta(seconds=31)
    assert (await client.sign_in(name)).status_code == 303


async def test_the_throttle_counts_failures_on_every_instance(make_client: MakeClient) -> None:
    """Behind a load balancer, guesses spread over instances add up (the counts are shared)."""
    owner = await make_client()
    name = owner.username
    first, second = await make_client(signed_in=False), await make_client(signed_in=False)
    for _ in range(3):
        assert (await first.sign_in(name, "wrong password")).status_code == 401
    for _ in range(2):
        assert (await second.sign_in(name, "wrong password")).status_code == 401
    for instance in (first, second):
        locked = await instance.sign_in(name)
        assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    assert (await owner.get("/api/history")).status_code == 200  # signed-in sessions go on


async def test_change_password(make_client: MakeClient) -> None:
    client = await make_client()
    new = "a brand new passphrase"
    wrong = await client.form(
        "/account/password", {"current": "nope nope", "password": new, "confirm": new}
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    ok = await client.form(
        "/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert ok.status_code == 200 and "Password changed." in ok.text
    await client.form("/signout", {})
    assert (await client.sign_in(client.username)).status_code == 401
    assert (await client.sign_in(client.username, new)).status_code == 303


async def test_changing_the_password_signs_out_the_other_sessions(make_client: MakeClient) -> None:
    laptop = await make_client()  # two instances of the app, one database, one session key
    desktop = await make_client(signed_in=False)
    assert (await desktop.sign_in(laptop.username)).status_code == 303
    assert (await desktop.get("/api/history")).status_code == 200
    new = "a brand new passphrase"
    changed = await laptop.form(
        "/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert changed.status_code == 200 and "Password changed." in changed.text
    assert (await laptop.get("/api/history")).status_code == 200  # this session goes on
    assert (await desktop.get("/api/history")).status_code == 401  # the other one is out
    page = await desktop.get("/account")
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")
    assert (await desktop.sign_in(laptop.username, new)).status_code == 303
    assert (await desktop.get("/api/history")).status_code == 200


# --- CSRF ---------------------------------------------------------------------------------------


async def test_csrf_token_is_required_for_cookie_sessions(make_client: MakeClient) -> None:
    client = await make_client()
    token = client.headers.pop("X-CSRF-Token")
    missing = await client.post("/api/generate", json=OFFLINE)
    assert missing.status_code == 403 and missing.json()["error"]["kind"] == "csrf"
    wrong = await client.post("/api/generate", json=OFFLINE, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    prefs = await client.put("/api/preferences", json={"provider": "offline"})
    assert prefs.status_code == 403
    form = await client.post("/account/tokens", data={"name": "ci"})
    assert form.status_code == 403
    signout = await client.post("/signout", data={"csrf_token": "forged"})
    assert signout.status_code == 403
    assert signout.headers["content-type"].startswith("text/html") and "CSRF" in signout.text
    accepted = await client.post("/api/generate", json=OFFLINE, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and accepted.json()["ok"] is True


async def test_the_csrf_token_is_in_a_meta_tag_not_a_script(make_client: MakeClient) -> None:
    client = await make_client()
    html = (await client.get("/")).text
    assert csrf_of(html) == client.headers["X-CSRF-Token"]
    assert "<script>" not in html


async def test_a_fresh_sign_in_rotates_the_csrf_token(make_client: MakeClient) -> None:
    client = await make_client()
    before = client.headers["X-CSRF-Token"]
    await client.form("/signout", {})
    await client.sign_in(client.username)
    assert client.headers["X-CSRF-Token"] != before


# --- API tokens ---------------------------------------------------------------------------------


async def test_bearer_tokens_from_the_account_page(make_client: MakeClient) -> None:
    owner = await make_client()
    page = await owner.form("/account/tokens", {"name": "ci"})
    token = re.search(r'<code id="new-token">(spark_[^<]+)</code>', page.text)
    assert token, page.text
    listed = (await owner.get("/account")).text
    assert token.group(1) not in listed  # shown once
    assert token.group(1)[:12] in listed

    api = await make_client(signed_in=False)
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert (await api.get("/api/models", headers=headers)).status_code == 200
    # No cookie, no CSRF token: a bearer call is exempt.
    result = await api.post("/api/generate", json=OFFLINE, headers=headers)
    assert result.status_code == 200 and result.json()["ok"] is True
    history = (await api.get("/api/history", headers=headers)).json()
    assert history["total"] == 1
    bad = await api.get("/api/models", headers={"Authorization": "Bearer spark_nope"})
    assert bad.status_code == 401

    token_id = re.search(r'action="/account/tokens/(\d+)/delete"', listed)
    assert token_id
    revoked = await owner.form(f"/account/tokens/{token_id.group(1)}/delete", {})
    assert revoked.status_code == 303
    assert (await api.get("/api/models", headers=headers)).status_code == 401


async def test_tokens_from_the_command_line_work(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)
    async with (await client.db()).session() as session:  # what `spark tokens create` does
        user = await create_user(session=session, username="ci-bot")
        _, token = await create_api_token(session=session, user_id=user.id, name="ci")
    response = await client.get("/api/preferences", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


# --- preferences --------------------------------------------------------------------------------


def selected(html: str, select_id: str) -> str:
    block = html.split(f'<select id="{select_id}"', 1)[1].split("</select>", 1)[0]
    match = re.search(r'<option value="([^"]+)"[^>]*\sselected', block)
    assert match, block
    return match.group(1)


async def test_preferences_are_saved_and_restored_after_sign_in(make_client: MakeClient) -> None:
    client = await make_client()
    fresh = (await client.get("/api/preferences")).json()
    assert (fresh["provider"], fresh["models"], fresh["unity_version"]) == (None, {}, None)
    assert fresh["target"] == "Unity 6000.0, input both"  # the server's settings
    # A new account starts on the first provider with a key, not on the offline templates.
    assert selected((await client.get("/")).text, "provider") == "anthropic"
    saved = await client.put(
        "/api/preferences", json={"provider": "openai", "model": "gpt-3.5-turbo"}
    )
    assert saved.status_code == 200
    assert saved.json()["provider"] == "openai"
    assert saved.json()["models"] == {"openai": "gpt-3.5-turbo"}
    await client.put("/api/preferences", json={"provider": "anthropic"})
    await client.put("/api/preferences", json={"provider": "openai"})
    await client.form("/signout", {})
    await client.sign_in(client.username)
    html = (await client.get("/")).text
    assert selected(html, "provider") == "openai"
    assert selected(html, "model") == "gpt-3.5-turbo"
    assert (await client.get("/api/preferences")).json()["models"] == {"openai": "gpt-3.5-turbo"}


async def test_the_unity_target_is_saved_and_used(make_client: MakeClient, upstream: Any) -> None:
    client = await make_client()
    body = {"provider": "anthropic", "unity_version": "2022.3", "input_system": "legacy"}
    saved = await client.put("/api/preferences", json=body | {"render_pipeline": "urp"})
    assert saved.status_code == 200
    assert saved.json()["target"] == "Unity 2022.3, input legacy, URP"
    # Fields left out stay; null goes back to the server's setting.
    again = await client.put(
        "/api/preferences", json={"provider": "anthropic", "unity_version": None}
    )
    assert again.json()["target"] == "Unity 6000.0, input legacy, URP"
    await client.put("/api/preferences", json=body)
    result = (
        await client.post(
            "/api/generate", json={"provider": "anthropic", "prompt": "a coin", "stream": False}
        )
    ).json()["result"]
    assert result["target"] == "Unity 2022.3, input legacy, URP"
    system = str(upstream.anthropic.last.body["system"])
    assert "2022.3" in system  # the prompt is written for the user's Unity
    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert detail["unity_target"]["unity_version"] == "2022.3"
    page = (await client.get(f"/history/{result['generation_id']}")).text
    assert "Unity 2022.3, input legacy, URP" in page
    bad = await client.put("/api/preferences", json={"provider": "anthropic", "unity_version": "x"})
    assert bad.status_code == 422 and "not a Unity version" in bad.json()["error"]["message"]


async def test_preferences_reject_unknown_choices(make_client: MakeClient) -> None:
    client = await make_client()
    for body in (
        {"provider": "nope"},
        {"provider": "openai", "model": "no-such-model"},
        {"provider": "openai", "extra": 1},
    ):
        response = await client.put("/api/preferences", json=body)
        assert response.status_code == 422, body


async def test_a_saved_provider_without_a_key_falls_back(make_client: MakeClient) -> None:
    client = await make_client()
    await client.put("/api/preferences", json={"provider": "openai", "model": "gpt-4"})
    keyless = await make_client(signed_in=False, keys=False)
    await keyless.sign_in(client.username)
    assert selected((await keyless.get("/")).text, "provider") == "offline"


# --- history and conversations ------------------------------------------------------------------


async def test_each_generation_is_recorded(make_client: MakeClient, upstream: FakeUpstream) -> None:
    client = await make_client()
    ok = (await client.post("/api/generate", json=OFFLINE)).json()["result"]
    upstream.anthropic.enqueue(Fault.status(401))
    failed = await client.post(
        "/api/generate", json={"provider": "anthropic", "prompt": "a door", "stream": False}
    )
    assert failed.status_code == 502
    history = (await client.get("/api/history")).json()
    assert history["total"] == 2
    newest, oldest = history["items"]
    assert oldest["generation_id"] == ok["generation_id"]
    assert oldest["conversation_id"] == ok["conversation_id"]
    assert oldest["status"] == "succeeded" and oldest["class_name"] == "SpinningCoin"
    assert oldest["export_url"] == ok["export_url"]
    assert newest["status"] == "failed" and newest["error_kind"] == "auth"
    assert newest["export_url"] is None
    page = (await client.get("/history")).text
    assert "a coin that spins" in page and "SpinningCoin.cs" in page and "(auth)" in page


async def test_a_follow_up_works_on_another_instance(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    first = await make_client()
    events = parse_sse(
        (await first.post("/api/generate", json={"provider": "anthropic", "prompt": "a coin"})).text
    )
    start = dict(events)["start"]
    second = await make_client(signed_in=False)  # another app on the same database and key
    await second.sign_in(first.username)
    follow = await second.post(
        "/api/generate",
        json={
            "provider": "anthropic",
            "prompt": "also make it bounce",
            "conversation_id": start["conversation_id"],
            "stream": False,
        },
    )
    assert follow.status_code == 200, follow.text
    messages = upstream.anthropic.last.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "```csharp" in str(messages[1]["content"])
    assert follow.json()["result"]["conversation_id"] == start["conversation_id"]


async def test_another_users_conversation_and_script_are_404(make_client: MakeClient) -> None:
    alice = await make_client()
    result = (await alice.post("/api/generate", json=OFFLINE)).json()["result"]
    mallory = await make_client()
    follow = await mallory.post(
        "/api/generate", json=OFFLINE | {"conversation_id": result["conversation_id"]}
    )
    assert follow.status_code == 404
    assert follow.json()["error"]["kind"] == "unknown_conversation"
    export = await mallory.get(result["export_url"])
    assert export.status_code == 404 and export.json()["error"]["kind"] == "unknown_generation"
    assert (await mallory.get("/api/history")).json()["total"] == 0
    assert (await alice.get(result["export_url"])).status_code == 200


# --- the session key ----------------------------------------------------------------------------


def test_the_session_key_is_generated_once_with_mode_0600(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = secret_key(settings)
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key) >= 32 and secret_key(settings) == key
    assert secret_key(Settings(data_dir=tmp_path, session_key="k" * 40)) == "k" * 40
    with pytest.raises(ConfigError, match="at least 32"):
        secret_key(Settings(data_dir=tmp_path, session_key="short"))


async def test_the_history_clean_up_runs_while_the_app_runs(make_client: MakeClient) -> None:
    client = await make_client(signed_in=False)

    def retention_tasks() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if "retention_loop" in repr(t.get_coro())]

    async with client.app.router.lifespan_context(client.app):
        running = retention_tasks()
        assert len(running) == 1 and not running[0].done()
    assert running[0].cancelled() and retention_tasks() == []


async def test_admin_closes_and_reopens_sign_up_for_every_instance(make_client: MakeClient) -> None:
    admin = await make_client()  # the first account is the admin
    other_instance = await make_client(signed_in=False)  # SPARK_ALLOW_SIGNUP=true there
    assert "Close sign-up" in (await admin.get("/account")).text
    closed = await admin.form("/account/signup", {"open": "false"})
    assert closed.status_code == 200 and "Sign-up is closed" in closed.text
    assert "Open sign-up" in closed.text
    assert (await other_instance.get("/signup")).status_code == 403
    refused = await other_instance.form(
        "/signup", {"username": "mallory", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert refused.status_code == 403
    reopened = await admin.form("/account/signup", {"open": "true"})
    assert reopened.status_code == 200 and "Sign-up is open." in reopened.text
    assert (await other_instance.get("/signup")).status_code == 200


async def test_only_admins_switch_sign_up(make_client: MakeClient) -> None:
    await make_client()  # the admin
    member = await make_client()  # a second, ordinary account
    denied = await member.form("/account/signup", {"open": "false"})
    assert denied.status_code == 403
    assert "Close sign-up" not in (await member.get("/account")).text
    assert (await member.get("/signup")).status_code in (200, 303)  # still open
