"""Sign-up and sign-in under real concurrency, against real ``spark serve`` processes.

Issue 10: concurrent first sign-ups all became admins, concurrent wrong passwords slipped past
the throttle, and a spoofed ``X-Forwarded-For`` dodged the per-address limit. Each test here
fires real concurrent HTTP requests at real server processes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx2
import pytest

from spark.db import Database
from spark.db.sign_in import count_sign_in_failures
from tests.auth_support import Browser, Deployment, deployment
from tests.web_support import PASSWORD, csrf_of

__all__ = ["deployment"]

WRONG = "not the password"


async def _close(browsers: list[Browser]) -> None:
    await asyncio.gather(*(browser.aclose() for browser in browsers))


def test_concurrent_first_sign_ups_make_exactly_one_admin(deployment: Deployment) -> None:
    """12 browsers sign up at the same moment on a fresh database, across two instances."""

    async def race(urls: list[str]) -> list[httpx2.Response]:
        browsers = [Browser(urls[n % len(urls)]) for n in range(12)]
        try:
            tokens = await asyncio.gather(*(b.csrf("/signup") for b in browsers))
            return await asyncio.gather(
                *(
                    b.form(
                        "/signup",
                        {"username": f"racer{n}", "password": PASSWORD, "confirm": PASSWORD},
                        csrf=token,
                    )
                    for n, (b, token) in enumerate(zip(browsers, tokens, strict=True))
                )
            )
        finally:
            await _close(browsers)

    with deployment.instances(2) as urls:
        responses = asyncio.run(race(urls))
    assert [r.status_code for r in responses] == [303] * 12, [r.text for r in responses]
    assert len(deployment.admins()) == 1, deployment.admins()


def test_concurrent_wrong_passwords_are_evaluated_at_most_five_times(
    deployment: Deployment,
) -> None:
    """40 wrong passwords for one account at once (20 on each of two instances): only the
    throttle's limit of them reach the password check; the rest are refused unverified."""

    async def attack(urls: list[str]) -> tuple[list[int], int]:
        owner = Browser(urls[0])
        browsers = [Browser(url) for url in urls]
        try:
            assert (await owner.sign_up("victim")).status_code == 303
            tokens = await asyncio.gather(*(b.csrf() for b in browsers))
            guesses = [
                b.form("/signin", {"username": "victim", "password": WRONG}, csrf=token)
                for b, token in zip(browsers, tokens, strict=True)
                for _ in range(20)
            ]
            statuses = [r.status_code for r in await asyncio.gather(*guesses)]
            late = await browsers[0].sign_in("victim")  # even the right password must wait
            return statuses, late.status_code
        finally:
            await _close([owner, *browsers])

    with deployment.instances(2) as urls:
        statuses, late = asyncio.run(attack(urls))
    assert Counter(statuses) == {401: 5, 429: 35}, Counter(statuses)
    assert late == 429
    assert _failures(deployment, "victim", "127.0.0.1") == 5


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_spoofed_forwarded_for_does_not_dodge_the_throttle(deployment: Deployment) -> None:
    """Without SPARK_TRUSTED_PROXIES, X-Forwarded-For (and -Proto) from a client is ignored."""

    async def spoof(url: str) -> tuple[list[int], str]:
        async with Browser(url) as browser:
            # A fresh browser's first page sets the cookie: not Secure, it came over http.
            page = await browser.get("/signin", headers={"X-Forwarded-Proto": "https"})
            token = csrf_of(page.text)
            responses = [
                await browser.post(
                    "/signin",
                    data={"csrf_token": token, "username": "ada", "password": WRONG},
                    headers={"X-Forwarded-For": f"10.0.0.{n}", "X-Forwarded-Proto": "https"},
                )
                for n in range(7)
            ]
            return [r.status_code for r in responses], page.headers["set-cookie"]

    with deployment.instances() as [url]:
        statuses, cookie = asyncio.run(spoof(url))
    assert statuses == [401] * 5 + [429] * 2
    assert "secure" not in cookie.lower()
    assert _failures(deployment, "ada", "127.0.0.1") == 5
    assert _failures(deployment, "ada", "10.0.0.0") == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_forwarded_headers_are_trusted_from_listed_proxies(deployment: Deployment) -> None:
    """With the proxy's address in SPARK_TRUSTED_PROXIES, the client it names is counted."""

    async def through_proxy(url: str) -> tuple[list[int], int, str]:
        async with Browser(url) as browser:
            token = await browser.csrf()

            async def guess(client: str) -> httpx2.Response:
                return await browser.post(
                    "/signin",
                    data={"csrf_token": token, "username": "ada", "password": WRONG},
                    headers={"X-Forwarded-For": f"{client}, 127.0.0.1"},
                )

            first = [(await guess("10.0.0.1")).status_code for _ in range(6)]
            other = await guess("10.0.0.2")  # another client behind the same proxy
        async with Browser(url) as fresh:  # the proxy says the browser came over HTTPS
            https = await fresh.get("/signin", headers={"X-Forwarded-Proto": "https"})
        return first, other.status_code, https.headers["set-cookie"]

    with deployment.instances(SPARK_TRUSTED_PROXIES="127.0.0.0/8, ::1") as [url]:
        first, other, cookie = asyncio.run(through_proxy(url))
    assert first == [401] * 5 + [429]
    assert other == 401
    assert "; secure" in cookie.lower()
    assert _failures(deployment, "ada", "10.0.0.1") == 5
    assert _failures(deployment, "ada", "127.0.0.1") == 0


def _failures(deployment: Deployment, username: str, address: str) -> int:
    async def read() -> int:
        async with Database(deployment.database_url) as database, database.session() as session:
            return await count_sign_in_failures(session=session, username=username, address=address)

    return asyncio.run(read())
