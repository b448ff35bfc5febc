"""Admin → Limits and the chat's pre-send budget warning in Chromium, at desktop and phone size.

The module's first account is the server's admin: this module has one test, so its page's
account is that admin.
"""

from __future__ import annotations

from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot

PHONE = {"width": 390, "height": 844}


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"))


def test_limits_page_and_the_pre_send_warning(page: Any, spark_url: str, shot: Shot) -> None:
    page.goto(f"{spark_url}/admin/limits")
    expect(page.locator("#limits-title")).to_be_visible()
    team = page.locator("#row-team")
    team.locator('input[name="daily_usd"]').fill("0.01")
    team.locator('input[name="monthly_usd"]').fill("")
    team.locator("button").click()
    expect(page.locator("#form-notice")).to_have_text("Limits saved.")
    expect(page.locator('#row-team input[name="daily_usd"]')).to_have_value("0.01")
    shot(page, "60-limits-desktop")
    # A bad value: the page says why, and keeps the saved limit.
    page.locator('#row-team input[name="daily_usd"]').fill("-5")
    page.locator("#row-team button").click()
    expect(page.locator("#form-error")).to_contain_text("cannot be negative")

    page.set_viewport_size(PHONE)
    page.goto(f"{spark_url}/admin/limits")
    expect(page.locator('#row-team input[name="daily_usd"]')).to_have_value("0.01")
    expect(page.locator("#row-team button")).to_be_visible()
    assert _fits(page), "the Limits page scrolls sideways on a phone"
    shot(page, "61-limits-phone")

    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(spark_url)
    page.select_option("#provider", "anthropic")
    expect(page.locator("#model option").first).to_be_attached()
    page.fill("#prompt", "a coin that spins")
    note = page.locator("#budget-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("SPARK will refuse it")
    expect(note).to_contain_text("the team's daily limit")
    shot(page, "62-chat-over-budget")
    page.press("#prompt", "Control+Enter")
    expect(page.locator("#status")).to_have_text("Failed.")
    expect(page.locator("main")).to_contain_text("resets at")
    # Free models are never refused for money: no warning for the offline templates.
    page.select_option("#provider", "offline")
    page.fill("#prompt", "a door that opens")
    expect(note).to_be_hidden()

    page.set_viewport_size(PHONE)
    page.select_option("#provider", "anthropic")
    page.fill("#prompt", "a light that blinks")
    expect(note).to_be_visible()
    assert _fits(page), "the chat scrolls sideways on a phone"
    shot(page, "63-chat-over-budget-phone")
