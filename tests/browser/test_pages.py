"""Every page at desktop (1280×800) and phone (390×844) size, light and dark: nothing wider
than the window, a screenshot of each, and in both themes no serious or critical
accessibility violation (axe-core, through axe-playwright-python; run at phone size, where the
layout is the most cramped). Also: the empty dashboard, styled 404 and 422
pages inside the layout, the theme switch, numbers and token estimates that agree between the
server and the page, and tables that turn into cards on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from spark.estimate import estimate_tokens
from spark.web.formatting import usd
from tests.browser.conftest import Shot, sign_up
from tests.web_support import csrf_of, unique_name

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on ``page``, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n.get("target")) for n in v["nodes"][:4])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def overflow(page: Any) -> int:
    """How far the page scrolls sideways (0: it fits the window)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.fixture(scope="module")
def busy_account(servers: dict[str, str]) -> Iterator[dict[str, Any]]:
    """An account with a conversation of two generations (a follow-up), made over HTTP."""
    url = servers["keys"]
    username = unique_name("pages")
    cookie = sign_up(url, username)
    with httpx2.Client(base_url=url, timeout=60, cookies={"spark_session": cookie}) as client:
        csrf = csrf_of(client.get("/account").text)
        headers = {"X-CSRF-Token": csrf}
        first = client.post(
            "/api/generate",
            json={"provider": "offline", "prompt": "a coin that spins", "stream": False},
            headers=headers,
        ).json()["result"]
        client.post(
            "/api/generate",
            json={
                "provider": "offline",
                "prompt": "also make it bob up and down",
                "conversation_id": first["conversation_id"],
                "stream": False,
            },
            headers=headers,
        )
    yield {"username": username, "cookie": cookie, "first": first}


def _pages(first: dict[str, Any]) -> dict[str, str]:
    """Every page a signed-in user can open, by name."""
    return {
        "chat": "/",
        "conversation": f"/c/{first['conversation_id']}",
        "history": "/history",
        "history-filtered": "/history?provider=offline&q=coin",
        "generation": f"/history/{first['generation_id']}",
        "dashboard": "/dashboard",
        "costs": "/estimate?prompt=a+coin+that+spins",
        "account": "/account",
        "api": "/docs",
        "not-found": "/no/such/page",
        "bad-input": "/history/not-a-number",
    }


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_passes_axe_and_is_photographed(
    browser: Any,
    servers: dict[str, str],
    busy_account: dict[str, Any],
    size: str,
    theme: str,
    shot: Shot,
) -> None:
    url = servers["keys"]
    problems: list[str] = []
    for signed_in in (True, False):
        context = browser.new_context(viewport=SIZES[size], color_scheme=theme)
        if signed_in:
            context.add_cookies(
                [{"name": "spark_session", "value": busy_account["cookie"], "url": url}]
            )
            pages = _pages(busy_account["first"])
        else:
            pages = {"sign-in": "/signin", "sign-up": "/signup"}
        page = context.new_page()
        try:
            for name, path in pages.items():
                page.goto(url + path)
                page.wait_for_load_state("load")
                if name in ("chat", "conversation"):
                    expect(page.locator("#model-info")).not_to_be_empty()
                dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
                assert dark == (theme == "dark")
                if (wide := overflow(page)) > 0:
                    problems.append(f"{name}: {wide}px wider than the {size} window")
                if size == "phone":  # axe once per page and theme (colours do not change
                    problems += [f"{name}: {v}" for v in axe_violations(page)]  # with width)
                shot(page, f"pages-{name}-{size}-{theme}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_dark_mode_follows_the_browser_and_the_switch(
    page: Any, spark_url: str, shot: Shot
) -> None:
    background = "getComputedStyle(document.documentElement).backgroundColor"
    page.goto(spark_url + "/history")
    light = page.evaluate(background)
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(background)
    assert light != dark and dark == "rgb(13, 17, 23)"
    code_css = page.request.get(spark_url + "/assets/highlight.css").text()
    assert "prefers-color-scheme: dark" in code_css
    # The switch: auto → dark → light → auto, remembered by the server for this user.
    page.emulate_media(color_scheme="light")
    expect(page.locator("#theme-switch")).to_have_text("Theme: auto")
    page.click("#theme-switch")
    expect(page).to_have_url(re.compile(r"/history$"))
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(background) == dark
    page.goto(spark_url + "/dashboard")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shot(page, "pages-theme-switched-dark")
    page.click("#theme-switch")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == light  # the choice wins over the browser's
    page.click("#theme-switch")
    expect(page.locator("#theme-switch")).to_have_text("Theme: auto")
    assert page.evaluate(background) == dark


@pytest.mark.parametrize("size", list(SIZES))
def test_the_empty_dashboard_has_a_proper_empty_state(
    page: Any, spark_url: str, size: str, shot: Shot
) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto(spark_url + "/dashboard")
    empty = page.locator("#dashboard-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No generations in the last 30 days")
    assert page.locator("svg.spark-chart").count() == 0
    expect(page.locator("#card-generations .value")).to_have_text("0")
    assert overflow(page) <= 0
    shot(page, f"pages-dashboard-empty-{size}")
    empty.locator("a", has_text="Generate a script").click()
    expect(page.locator("#composer")).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_404_and_422_are_styled_pages_inside_the_layout(
    page: Any, spark_url: str, size: str, shot: Shot
) -> None:
    page.set_viewport_size(SIZES[size])
    for path, status, title in (
        ("/history/999999", 404, "Not found"),
        ("/history/abc", 422, "This input cannot be used"),
        ("/history?date_from=yesterday", 422, "History"),
    ):
        response = page.goto(spark_url + path)
        assert response is not None and response.status == status
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("#account-link")).to_be_visible()  # the layout, signed in
        expect(page.locator("[role=alert]").first).to_be_visible()
        assert "application/json" not in (response.headers.get("content-type") or "")
        assert overflow(page) <= 0
    shot(page, f"pages-422-{size}")
    api = page.request.get(spark_url + "/api/history/abc")
    assert api.status == 422 and api.json()["error"]["kind"] == "invalid_request"


def test_tables_become_cards_on_a_phone(
    browser: Any, servers: dict[str, str], busy_account: dict[str, Any]
) -> None:
    url = servers["keys"]
    context = browser.new_context(viewport=SIZES["phone"])
    context.add_cookies([{"name": "spark_session", "value": busy_account["cookie"], "url": url}])
    page = context.new_page()
    try:
        page.goto(url + "/history")
        row = page.locator("#history .history-row").first
        assert page.evaluate("getComputedStyle(document.querySelector('#history tr')).display") == (
            "block"
        )
        assert row.bounding_box()["width"] <= SIZES["phone"]["width"]
        label = page.evaluate(
            "getComputedStyle(document.querySelector('#history td[data-label=Prompt]'), "
            "'::before').content"
        )
        assert label == '"Prompt: "'
        page.goto(url + f"/history/{busy_account['first']['generation_id']}")
        code = page.locator("#generation-code")
        box = code.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES["phone"]["width"]
        # The code scrolls inside its block; the page does not.
        assert (
            page.evaluate("document.querySelector('#generation-code').scrollWidth") > box["width"]
            or page.evaluate("document.querySelector('#generation-code').scrollHeight")
            > box["height"]
        )
        assert overflow(page) <= 0
    finally:
        context.close()


def test_numbers_and_token_estimates_agree_with_the_server(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    values = ["0", "0.5", "0.123", "0.0456", "0.0999", "0.000015", "0.00269", "0.995", "1",
              "1.005", "1234.5", "1234567.891", "3e-7"]  # fmt: skip
    shown = page.evaluate("(values) => values.map((v) => window.SparkFormat.usd(v))", values)
    assert shown == [usd(v) for v in values]
    prompts = ["a coin", "x" * 4001, "fix this:\n```csharp\nclass A { int x; }\n```\nplease",
               "unterminated ```cs\nclass B {", "emoji 😀 count"]  # fmt: skip
    estimated = page.evaluate(
        "(texts) => texts.map((t) => window.SparkFormat.estimateTokens(t))", prompts
    )
    assert estimated == [estimate_tokens(p) for p in prompts]
    # The same prompt: the chat's estimate line, its model comparison and the cost calculator.
    prompt = prompts[2]
    page.fill("#prompt", prompt)
    page.click("#compare-panel summary")
    note = page.locator("#compare-note")
    expect(note).to_contain_text(" input")
    page.select_option("#provider", "anthropic")
    expect(page.locator("#estimate")).to_contain_text("input tokens")
    chat_line = page.locator("#estimate").inner_text()
    compared = re.search(r"≈([\d,]+) input", note.inner_text())
    in_line = re.search(r"≈([\d,]+) input tokens", chat_line)
    assert compared and in_line and compared.group(1) == in_line.group(1)
    page.goto(spark_url + "/estimate")
    page.fill("#estimate-form textarea", prompt)
    page.click("#estimate-form button")
    sizes = page.locator("#estimate-sizes").inner_text()
    assert f"Input ≈ {compared.group(1)} tokens" in sizes


def test_the_comparison_includes_retired_models_the_user_can_pick(
    page: Any, spark_url: str
) -> None:
    page.goto(spark_url)
    page.fill("#prompt", "a coin that spins")
    page.click("#compare-panel summary")
    rows = page.locator("#compare-table .compare-row")
    expect(rows.filter(has_text="Claude 3.5 Sonnet")).not_to_have_count(0)
    expect(rows.filter(has_text="GPT-3.5 Turbo")).not_to_have_count(0)


def test_signup_and_sign_out_say_where_you_are(
    browser: Any, page: Any, spark_url: str, account: dict[str, str]
) -> None:
    page.goto(spark_url + "/signup")
    expect(page).to_have_url(spark_url + "/")  # signed in already: no sign-up form
    page.click("#signout")
    expect(page.locator("#form-notice")).to_have_text("You are signed out.")


def test_deleting_asks_first_and_says_so(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    page.fill("#prompt", "a coin that spins")
    page.press("#prompt", "Control+Enter")
    expect(page.locator("#status")).to_contain_text("Done in")
    page.goto(spark_url + "/history")
    page.locator("#history .history-row a").first.click()
    expect(page.locator("#generation-delete-confirm")).to_be_hidden()
    page.click("#generation-delete summary")
    expect(page.locator("#generation-delete")).to_contain_text("cannot be undone")
    page.click("#generation-delete-confirm")
    expect(page.locator("#form-notice")).to_contain_text("deleted")
    expect(page.locator("#history-empty")).to_be_visible()


def test_the_generation_page_lists_findings_and_copies(
    page: Any, spark_url: str, busy_account: dict[str, Any]
) -> None:
    page.goto(spark_url)
    page.fill("#prompt", "a coin that spins")
    page.press("#prompt", "Control+Enter")
    expect(page.locator("#status")).to_contain_text("Done in")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spark_url)
    page.goto(spark_url + "/history")
    page.locator("#history .history-row a").first.click()
    expect(page.locator("#findings-summary")).to_be_visible()
    page.wait_for_load_state("load")  # page.js (deferred) listens for the click
    page.click("#generation-copy")
    expect(page.locator("#generation-copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("using UnityEngine;") and "public class " in copied  # no line numbers


def test_a_new_account_starts_on_the_first_configured_provider(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    expect(page.locator("#provider")).to_have_value("anthropic")
