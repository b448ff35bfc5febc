"""Sessions in Chromium: "Sign out everywhere" on the Account page ends this browser's session
and another one's, and says so; signing out says so too."""

from __future__ import annotations

import re
from typing import Any

import httpx2

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot
from tests.web_support import csrf_of


def _signed_in_cookie(url: str, account: dict[str, str]) -> str:
    """A second session of the account (another computer), through the sign-in form."""
    with httpx2.Client(base_url=url, timeout=30) as client:
        csrf = csrf_of(client.get("/signin").text)
        response = client.post("/signin", data={"csrf_token": csrf, **account})
        assert response.status_code == 303, response.text
        return str(client.cookies["spark_session"])


def test_sign_out_everywhere_ends_the_other_browsers_session(
    page: Any, browser: Any, spark_url: str, account: dict[str, str], shot: Shot
) -> None:
    other = browser.new_context()
    other.add_cookies(
        [
            {
                "name": "spark_session",
                "value": _signed_in_cookie(spark_url, account),
                "url": spark_url,
            }
        ]
    )
    elsewhere = other.new_page()
    try:
        elsewhere.goto(spark_url)
        expect(elsewhere.locator("#composer")).to_be_visible()

        page.goto(spark_url + "/account")
        shot(page, "30-account-sessions")
        page.click("#signout-everywhere")
        expect(page).to_have_url(re.compile(r"/signin$"))
        expect(page.locator("#form-notice")).to_have_text(
            "You are signed out everywhere: 1 other session ended too."
        )
        elsewhere.reload()
        expect(elsewhere).to_have_url(re.compile(r"/signin$"))
        page.goto(spark_url + "/account")
        expect(page).to_have_url(re.compile(r"/signin\?next=/account$"))
    finally:
        other.close()


def test_signing_out_says_so(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    page.click("#signout")
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.locator("#form-notice")).to_have_text("You are signed out.")
    page.reload()  # shown once
    expect(page.locator("#form-notice")).to_have_count(0)
