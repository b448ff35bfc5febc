"""The usage dashboard in Chromium: after a few generations its totals are right and the charts
(SVG, with their table alternatives) are present; the history page leads to a generation."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot


def _generate(page: Any, prompt: str, turns: int) -> None:
    page.fill("#prompt", prompt)
    page.press("#prompt", "Control+Enter")
    expect(page.locator("#turns li")).to_have_count(turns)
    expect(page.locator("#status")).to_contain_text("Done in")


def test_the_dashboard_shows_the_totals_and_charts(page: Any, spark_url: str, shot: Shot) -> None:
    page.goto(spark_url)
    prompts = ["a coin that spins", "a door that opens", "a light that blinks"]
    for n, prompt in enumerate(prompts, start=1):
        _generate(page, prompt, n)
    page.click("text=Dashboard")
    expect(page.locator("#dashboard-title")).to_be_visible()
    expect(page.locator("#card-generations .value")).to_have_text("3")
    expect(page.locator("#card-success .value")).to_have_text("100.0%")
    expect(page.locator("#card-failure .value")).to_have_text("0.0%")
    expect(page.locator("svg.spark-chart")).to_have_count(5)
    expect(page.locator(".chart details")).to_have_count(5)
    first_table = page.locator(".chart details").first
    first_table.locator("summary").click()
    expect(first_table.locator("table")).to_be_visible()
    shot(page, "20-dashboard")
    page.click("text=7 days")
    expect(page.locator("#card-generations .value")).to_have_text("3")
    page.click("text=History")
    rows = page.locator("#history .history-row")
    expect(rows).to_have_count(3)
    rows.first.locator("a").first.click()
    expect(page.locator("#generation-prompt")).to_have_text(prompts[-1])
    expect(page.locator("#generation-code")).to_be_visible()
    page.click("text=Costs")
    expect(page.locator("#estimate .estimate-row").first).to_be_visible()
    assert re.search(r"\d", page.locator("#estimate-sizes").inner_text())


def test_the_chat_compares_every_models_cost(page: Any, spark_url: str, shot: Shot) -> None:
    page.goto(spark_url)
    page.fill("#prompt", "x" * 400)
    page.click("#compare-panel summary")
    rows = page.locator("#compare-table .compare-row")
    expect(rows.first).to_be_visible()
    cheapest = page.locator('#compare-table .compare-row[data-cheapest="true"]')
    expect(cheapest.first).to_contain_text("cheapest")
    expect(rows.filter(has_text="Claude")).not_to_have_count(0)
    expect(rows.filter(has_text="GPT")).not_to_have_count(0)
    note = page.locator("#compare-note")
    expect(note).to_contain_text("input")
    assert re.search(r"\d{4}-\d{2}-\d{2}", rows.first.inner_text())  # the price's checked date
    shot(page, "21-chat-cost-comparison")

    def input_tokens() -> int:
        return int(re.sub(r"\D", "", note.inner_text().split(" input")[0]))

    before = input_tokens()
    page.fill("#prompt", "x" * 4000)  # 3,600 more characters: ~900 more input tokens
    expect(note).not_to_contain_text(f"≈{before:,} input")
    expect(note).to_contain_text(" input")
    assert input_tokens() - before == 900


def test_the_chat_links_to_the_cost_calculator(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    page.fill("#prompt", "x" * 400)
    page.click("#compare-panel summary")
    expect(page.locator("#compare-costs")).to_have_attribute(
        "href", "/estimate?prompt_tokens=100&output_tokens=1500"
    )
    page.click("#compare-costs")
    expect(page.locator("#estimate-sizes")).to_contain_text("100 prompt")
    expect(page.locator("#estimate [data-cheapest=true]").first).to_be_visible()
