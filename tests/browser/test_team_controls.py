"""Fallback and the response cache as a user sees them, in Chromium against a real `spark
serve` with the fake upstream: the Account form, the chat's result panel and turn, the history
page, at desktop and phone size."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot
from tests.browser.test_chat import choose, send, wait_done
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.serve_support import SparkServer

ANSWERED = "answered by OpenAI gpt-6.2-sol after Anthropic Claude was overloaded"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_answered_by_the_fallback(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    page.goto(spark_url + "/account")
    page.select_option("#fallback-mode", "mine")
    page.fill("#fallback-entries", "openai:gpt-6.2-sol")
    page.click("#save-fallback")
    expect(page.locator("#fallback-message")).to_be_visible()
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    page.goto(spark_url)
    choose(page, "anthropic", "claude-sonnet-5-5")
    send(page, "a coin that spins")
    wait_done(page)
    expect(page.locator("#stats")).to_contain_text(ANSWERED)
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.reload()
        expect(page.locator(".turn-figures").last).to_contain_text(ANSWERED)
        expect(page.locator("#stats")).to_contain_text(ANSWERED)
        _fits(page)
        shot(page, f"60-fallback-chat-{name}")
    page.goto(spark_url + "/history")
    page.locator("#history a[href^='/history/']").first.click()
    expect(page.locator("#generation-answered")).to_have_text(ANSWERED)
    expect(page.locator("#generation-calls")).to_contain_text("overloaded")
    _fits(page)
    shot(page, "61-fallback-history-phone")


def test_a_cached_answer(
    page: Any,
    spark_url: str,
    upstream: FakeUpstream,
    launched: dict[str, SparkServer],
    shot: Shot,
) -> None:
    switched = subprocess.run(
        [sys.executable, "-m", "spark", "cache", "set", "--on"],
        env=launched["keys"].env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert switched.returncode == 0, switched.stdout + switched.stderr
    upstream.openai.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    page.goto(spark_url)
    choose(page, "openai", "gpt-6.2-sol")
    send(page, "a lamp that flickers")
    wait_done(page)
    page.click("#new-script")
    send(page, "a lamp that flickers")
    wait_done(page)
    expect(page.locator("#stats")).to_contain_text("cached — saved $0.022")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.reload()
        expect(page.locator(".turn-figures").last).to_contain_text("cached — saved $0.022")
        _fits(page)
        shot(page, f"62-cached-chat-{name}")
    # Regenerate asks the model anew.
    page.set_viewport_size(SIZES["desktop"])
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    page.click("#regenerate")
    wait_done(page)
    expect(page.locator("#stats")).not_to_contain_text("cached")
    page.set_viewport_size(SIZES["phone"])
    page.goto(spark_url + "/history?status=cached")
    page.locator("#history a[href^='/history/']").first.click()
    expect(page.locator("#generation-answered")).to_contain_text("cached — saved $0.022")
    shot(page, "63-cached-history-phone")
    subprocess.run(
        [sys.executable, "-m", "spark", "cache", "reset"],
        env=launched["keys"].env,
        capture_output=True,
        timeout=120,
        check=True,
    )
