"""The chat's "Start from a template" picker in a real browser, at desktop and phone size:
choose a template, get a field per parameter, a value out of range is refused by the server
next to its field, a good one puts the structured prompt in the prompt box; the page fits the
window and has no serious accessibility violation with the picker open."""

from __future__ import annotations

from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot, sign_up
from tests.browser.test_pages import SIZES, axe_violations, overflow
from tests.web_support import unique_name

TURRET = """name = "turret"
title = "Turret"
description = "Shoots at the player."
prompt = "A turret that fires {rate} shots per second."

[[parameters]]
name = "rate"
label = "Shots per second"
kind = "float"
default = 2.0
min = 0.1
max = 20
"""


@pytest.fixture(scope="module", autouse=True)
def admin_cookie(servers: dict[str, str]) -> str:
    """The module's server's first account, so its admin (the tests' own accounts are not)."""
    return sign_up(servers["keys"], unique_name("lead"))


@pytest.mark.parametrize("size", list(SIZES))
def test_the_template_picker_fills_the_prompt_box(
    page: Any, spark_url: str, size: str, shot: Shot
) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto(spark_url)
    page.click("#template-picker > summary")
    expect(page.locator('#template-select option[value="health-and-damage"]')).to_have_count(1)
    page.select_option("#template-select", "health-and-damage")
    expect(page.locator("#template-description")).to_contain_text("health component")
    field = page.get_by_label("Maximum health")
    expect(field).to_have_value("100")
    expect(page.get_by_label("On death")).to_have_value("destroy the GameObject")
    # Out of range: the browser lets it through (the server is the judge), the error is shown
    # next to the field, which is marked invalid and focused.
    field.fill("0")
    page.click("#template-use")
    error = page.locator("#template-param-max_health-error")
    expect(error).to_have_text("must be at least 1")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#prompt")).to_have_value("")
    assert overflow(page) <= 0, f"the page scrolls sideways at {size} size"
    assert axe_violations(page) == []
    shot(page, f"templates-error-{size}")
    field.fill("250")
    page.select_option("#template-param-on_death", "only raise the event")
    page.click("#template-use")
    prompt = page.locator("#prompt")
    expect(prompt).to_have_value(
        "A Health component with 250 maximum health, TakeDamage(int) and Heal(int) methods, "
        "0.5 seconds of invulnerability after a hit, UnityEvents for damaged, healed and died, "
        "and on death: only raise the event. Regenerate 0 health per second after 3 seconds "
        "without damage (0: no regeneration)."
    )
    expect(prompt).to_be_focused()
    expect(page.locator("#template-picker")).not_to_have_attribute("open", "")
    assert overflow(page) <= 0
    shot(page, f"templates-filled-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_adds_a_team_template_that_the_team_picks(
    browser: Any, page: Any, spark_url: str, admin_cookie: str, size: str, shot: Shot
) -> None:
    context = browser.new_context(viewport=SIZES[size])
    context.add_cookies([{"name": "spark_session", "value": admin_cookie, "url": spark_url}])
    admin = context.new_page()
    try:
        admin.goto(spark_url + "/templates")
        name = f"turret-{size}"
        admin.get_by_label("Template (TOML").fill(TURRET.replace('"turret"', f'"{name}"'))
        admin.click("#save-template")
        expect(admin.locator("#form-notice")).to_contain_text(f"Template '{name}' saved")
        expect(admin.locator("#team-templates")).to_contain_text(name)
        assert overflow(admin) <= 0, f"/templates scrolls sideways at {size} size"
        assert axe_violations(admin) == []
        shot(admin, f"templates-admin-{size}")
        admin.get_by_label("Template (TOML").fill(TURRET.replace("{rate} ", ""))
        admin.click("#save-template")
        expect(admin.locator("#form-error")).to_contain_text("'rate' is not used in the prompt")
    finally:
        context.close()
    page.set_viewport_size(SIZES[size])
    page.goto(spark_url)
    page.click("#template-picker > summary")
    team = page.locator('#template-select optgroup[label="Your team\'s"]')
    expect(team.locator(f'option[value="{name}"]')).to_have_text("Turret")
    page.select_option("#template-select", name)
    page.get_by_label("Shots per second").fill("4")
    page.click("#template-use")
    expect(page.locator("#prompt")).to_have_value("A turret that fires 4 shots per second.")
