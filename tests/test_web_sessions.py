"""Sessions end when they should, on every instance (issue 10: a cookie saved before sign-out
kept working for 14 days).

In-process (httpx on the ASGI app, SQLite): what the cookie holds, replaying it after
sign-out, "sign out everywhere" and its feedback. Real ``spark serve`` processes on SQLite and
PostgreSQL: two instances on one database, sign out on one and the cookie fails on the other.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import httpx2
import pytest
from sqlalchemy import select

from spark.db.models import WebSession
from tests.auth_support import Browser, Deployment, deployment
from tests.web_support import PASSWORD, MakeClient, WebClient

__all__ = ["deployment"]

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def cookie_data(cookie: str) -> dict[str, object]:
    """What a session cookie holds (it is signed, not encrypted: anyone can read it)."""
    payload = cookie.split(".")[0]
    return dict(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))))


async def replay(client: WebClient, cookie: str, path: str = "/api/history") -> httpx2.Response:
    """``path`` requested with a saved cookie, from a browser that has no other."""
    client.cookies.clear()
    return await client.get(path, headers={"cookie": f"spark_session={cookie}"})


async def test_the_cookie_holds_a_random_session_id_the_database_only_its_hash(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    data = cookie_data(client.cookies["spark_session"])
    assert set(data) == {"sid", "csrf"}  # no user id, no password digest
    async with (await client.db()).session() as session:
        stored = list(await session.scalars(select(WebSession.id)))
    assert stored == [hashlib.sha256(str(data["sid"]).encode()).hexdigest()]


async def test_a_cookie_saved_before_sign_out_no_longer_works(make_client: MakeClient) -> None:
    client = await make_client()
    saved = client.cookies["spark_session"]
    assert (await replay(client, saved)).status_code == 200
    client.cookies.set("spark_session", saved)
    signed_out = await client.form("/signout", {})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin"
    notice = await client.get("/signin")
    assert 'role="status" id="form-notice">You are signed out.' in notice.text
    assert "You are signed out." not in (await client.get("/signin")).text  # shown once
    api = await replay(client, saved)
    assert api.status_code == 401 and api.json()["error"]["kind"] == "unauthenticated"
    page = await replay(client, saved, "/account")
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/account"


async def test_sign_out_everywhere_ends_every_session_of_the_account_only(
    make_client: MakeClient,
) -> None:
    laptop = await make_client()
    desktop = await make_client(signed_in=False)
    assert (await desktop.sign_in(laptop.username)).status_code == 303
    phone = await make_client(signed_in=False)
    assert (await phone.sign_in(laptop.username.upper())).status_code == 303
    someone_else = await make_client()
    page = await laptop.get("/account")
    assert 'action="/account/signout-everywhere"' in page.text
    assert "Sign out everywhere</button>" in page.text

    forged = await laptop.post("/account/signout-everywhere", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert (await desktop.get("/api/history")).status_code == 200  # nothing ended

    ended = await laptop.form("/account/signout-everywhere", {})
    assert ended.status_code == 303 and ended.headers["location"] == "/signin"
    notice = (await laptop.get("/signin")).text
    assert "You are signed out everywhere: 2 other sessions ended too." in notice
    for client in (laptop, desktop, phone):
        assert (await client.get("/api/history")).status_code == 401
    assert (await someone_else.get("/api/history")).status_code == 200
    assert (await laptop.sign_in(laptop.username)).status_code == 303  # signing in again works
    assert (await laptop.get("/api/history")).status_code == 200


async def test_sign_out_everywhere_with_one_session_says_so(make_client: MakeClient) -> None:
    client = await make_client()
    await client.form("/account/signout-everywhere", {})
    assert "no other session was open." in (await client.get("/signin")).text


async def test_a_password_change_says_the_other_sessions_are_signed_out(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    before = client.cookies["spark_session"]
    new = "a brand new passphrase"
    changed = await client.form(
        "/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert "Every other session of this account is signed out." in changed.text
    assert cookie_data(client.cookies["spark_session"])["sid"] != cookie_data(before)["sid"]
    assert (await client.get("/api/history")).status_code == 200
    assert (await replay(client, before)).status_code == 401  # the old session ended too


async def test_a_sign_in_over_a_session_ends_the_old_one(make_client: MakeClient) -> None:
    client = await make_client()
    before = client.cookies["spark_session"]
    assert (await client.sign_in(client.username)).status_code == 303
    assert (await client.get("/api/history")).status_code == 200
    assert (await replay(client, before)).status_code == 401


# --- real servers: two instances on one database -------------------------------------------------


async def _status(url: str, cookie: str, path: str = "/api/history") -> int:
    async with httpx2.AsyncClient(base_url=url, timeout=60) as fresh:
        response = await fresh.get(path, headers={"cookie": f"spark_session={cookie}"})
        return response.status_code


def test_sessions_end_on_every_instance(deployment: Deployment) -> None:
    """Sign out on one instance: a saved cookie fails on the other. A password change and
    "sign out everywhere" on one instance end the account's sessions on the other, and leave
    another account's alone."""

    async def scenario(a: str, b: str) -> None:
        on_a, other_user, on_b, second_b = Browser(a), Browser(a), Browser(b), Browser(b)
        try:
            assert (await on_a.sign_up("ada")).status_code == 303
            assert (await other_user.sign_up("bob")).status_code == 303
            assert (await on_b.sign_in("ada")).status_code == 303
            assert (await second_b.sign_in("ada")).status_code == 303
            saved = on_b.session_cookie
            assert await _status(a, saved) == 200  # one database, one key: any instance

            assert (await on_b.form("/signout", {})).status_code == 303
            assert await _status(a, saved) == 401
            assert await _status(b, saved) == 401
            assert await _status(a, saved, "/account") == 303

            new = "a brand new passphrase"
            changed = await on_a.form(
                "/account/password", {"current": PASSWORD, "password": new, "confirm": new}
            )
            assert changed.status_code == 200
            assert await _status(b, second_b.session_cookie) == 401
            assert await _status(a, on_a.session_cookie) == 200

            assert (await on_b.sign_in("ada", new)).status_code == 303
            assert (await on_a.form("/account/signout-everywhere", {})).status_code == 303
            assert await _status(b, on_b.session_cookie) == 401
            assert await _status(a, on_a.session_cookie) == 401
            assert await _status(b, other_user.session_cookie) == 200
        finally:
            await asyncio.gather(*(c.aclose() for c in (on_a, other_user, on_b, second_b)))

    with deployment.instances(2) as (a, b):
        asyncio.run(scenario(a, b))
