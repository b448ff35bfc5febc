"""The launch checklist in a real browser: sign-up and sign-in, pickers, generation with every
launch model, retry notices, clear errors, the validation report, export, follow-ups, stop,
escaping, the provider preference kept across reload and sign-in, the generation in history,
offline use without keys, and a narrow window."""

from __future__ import annotations

import re
from typing import Any

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.web_support import LAUNCH_MODELS, PASSWORD, XSS, XSS_REPLY, unique_name

BROKEN = """```csharp
using UnityEngine;
public class Broken : MonoBehaviour
{
    void Update()
    {
        int x = 1
    }
}
```"""
COIN_CODE = DEFAULT_TEXT.split("```csharp\n")[1].split("```")[0]


def choose(page: Any, provider: str, model: str | None = None) -> None:
    page.select_option("#provider", provider)
    if model is not None:
        expect(page.locator(f'#model option[value="{model}"]')).to_have_count(1)
        page.select_option("#model", model)


def send(page: Any, prompt: str) -> None:
    page.fill("#prompt", prompt)
    page.press("#prompt", "Control+Enter")


def wait_done(page: Any, file_name: str = "CoinSpinner.cs") -> None:
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-file")).to_have_text(file_name)
    expect(page.locator("#status")).to_contain_text("Done in")


def sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#signin-button")


def test_sign_up_sign_out_and_sign_in(browser: Any, spark_url: str, shot: Shot) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(spark_url)
        expect(page).to_have_url(re.compile(r"/signin$"))
        expect(page.locator("h1")).to_have_text("Sign in")
        shot(page, "00-sign-in")
        page.click('a[href="/signup"]')
        name = unique_name("newcomer")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        page.fill("#confirm", PASSWORD)
        page.click("#signup-button")
        expect(page.locator("#composer")).to_be_visible()
        expect(page.locator("#account-link")).to_have_text(name)
        page.click("#signout")
        expect(page).to_have_url(re.compile(r"/signin$"))
        sign_in(page, name, "not the password")
        expect(page.locator("#form-error")).to_have_text("Wrong username or password.")
        sign_in(page, name, PASSWORD)
        expect(page.locator("#composer")).to_be_visible()
    finally:
        context.close()


def test_provider_selection_changes_model_options(page: Any, spark_url: str, shot: Shot) -> None:
    page.goto(spark_url)
    expect(page.locator("#provider")).to_have_value("anthropic")  # the first with a key
    compat = page.locator('#provider option[value="openai_compat"]')
    expect(compat).to_be_disabled()
    expect(compat).to_contain_text("set SPARK_OPENAI_COMPAT_BASE_URL")

    choose(page, "anthropic", "claude-3-5-sonnet-20241022")
    option = page.locator('#model option[value="claude-3-5-sonnet-20241022"]')
    expect(option).to_contain_text("(retired)")
    expect(option).to_contain_text("$3 in / $15 out per M tokens")
    expect(page.locator("#model-info")).to_contain_text("Retired model")
    page.fill("#prompt", "an enemy that patrols between waypoints")
    expect(page.locator("#estimate")).to_contain_text(re.compile(r"Estimated cost: about \$"))
    expect(page.locator("#estimate")).to_contain_text("estimate")
    shot(page, "01-anthropic-models")

    choose(page, "openai")
    for model in ("gpt-4", "gpt-4-turbo-preview", "gpt-3.5-turbo"):
        expect(page.locator(f'#model option[value="{model}"]')).to_have_count(1)
    expect(page.locator('#model option[value="claude-3-haiku-20240307"]')).to_have_count(0)
    choose(page, "offline")
    expect(page.locator("#model option")).to_have_count(1)
    page.fill("#prompt", "a coin")
    expect(page.locator("#estimate")).to_have_text("Estimated cost: free.")


def test_launch_models_generate(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    page.goto(spark_url)
    for provider, model in LAUNCH_MODELS:
        choose(page, provider, model)
        send(page, f"a coin that spins ({model})")
        wait_done(page)
        expect(page.locator("#stats")).to_contain_text(f"{provider} / {model}")
        expect(page.locator("#report-summary")).to_contain_text("OK")
        api = upstream.anthropic if provider == "anthropic" else upstream.openai
        assert api.last.model == model
        if model == LAUNCH_MODELS[0][1]:
            shot(page, "02-done")
        page.click("#new-script")
        expect(page.locator("#turns li")).to_have_count(0)


def test_retries_show_in_the_preview(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    upstream.anthropic.enqueue(Fault.drop(), Fault.rate_limit(retry_after=0.5), Reply())
    page.goto(spark_url)
    choose(page, "anthropic")
    send(page, "a coin that spins")
    notices = page.locator("#notices li")
    expect(notices.nth(0)).to_have_text("Connection failed — retrying in 0.2 s (attempt 2 of 4)")
    expect(notices.nth(1)).to_have_text("Rate limited — retrying in 0.5 s (attempt 3 of 4)")
    shot(page, "03-retrying")
    wait_done(page)
    expect(page.locator("#stats")).to_contain_text("3 attempts")


def test_errors_are_clear(page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot) -> None:
    page.goto(spark_url)
    page.click("#send")
    expect(page.locator("#error-message")).to_have_text("The prompt is empty.")

    upstream.anthropic.api_keys = {"a-different-key"}
    choose(page, "anthropic")
    send(page, "a coin that spins")
    expect(page.locator("#error-message")).to_contain_text("Anthropic rejected the API key (401)")
    expect(page.locator("#error-hint")).not_to_be_empty()
    expect(page.locator("#status")).to_have_text("Failed.")
    expect(page.locator("#provider")).to_be_enabled()
    shot(page, "04-invalid-key")

    upstream.openai.enqueue(Fault.insufficient_quota())
    choose(page, "openai")
    send(page, "a coin that spins")
    expect(page.locator("#error-message")).to_contain_text("no credit or quota left")


def test_validation_report_links_to_lines(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    # The repair round fails too.
    upstream.openai.enqueue(*[Reply(BROKEN, for_model="gpt-6.1-terra")] * 2)
    page.goto(spark_url)
    choose(page, "openai", "gpt-6.1-terra")
    send(page, "a broken script")
    wait_done(page, "Broken.cs")
    expect(page.locator("#report-summary")).to_contain_text("FAILED")
    expect(page.locator("#repair")).to_be_visible()
    expect(page.locator("#notices")).to_contain_text("repair round 1")
    link = page.locator("#report-list a").first
    expect(link).to_have_text(re.compile(r"line 6:\d+"))
    link.click()
    expect(page.locator("#line-6")).to_have_class(re.compile("flash"))
    shot(page, "05-validation-report")


def test_export_and_copy(page: Any, spark_url: str, upstream: FakeUpstream) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spark_url)
    page.goto(spark_url)
    choose(page, "anthropic", "claude-3-haiku-20240307")
    send(page, "a coin that spins")
    wait_done(page)
    page.click("#copy")
    expect(page.locator("#copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == COIN_CODE
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    assert download.suggested_filename == "CoinSpinner.cs"
    with open(download.path(), encoding="utf-8") as handle:
        assert handle.read() == COIN_CODE


def test_follow_up_stop_and_new_script(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    page.goto(spark_url)
    choose(page, "anthropic")
    send(page, "a coin that spins")
    wait_done(page)
    send(page, "also make it bob up and down")
    expect(page.locator("#turns li")).to_have_count(2)
    messages = upstream.anthropic.last.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "a coin that spins" in str(messages[0])
    shot(page, "06-follow-up")

    upstream.anthropic.chunk_delay = 0.25
    send(page, "and make it glow")
    expect(page.locator("#preview")).to_contain_text("Here is a script")
    expect(page.locator("#provider")).to_be_disabled()
    expect(page.locator("#model")).to_be_disabled()
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("Stopped.")
    expect(page.locator("#provider")).to_be_enabled()
    expect(page.locator("#turns > li")).to_have_count(3)  # the stopped one is listed too
    expect(page.locator("#turns > li").nth(2)).to_contain_text("cancelled")

    page.click("#new-script")
    expect(page.locator("#turns li")).to_have_count(0)
    upstream.anthropic.chunk_delay = 0.0
    send(page, "a door")
    wait_done(page)
    assert len(upstream.anthropic.last.body["messages"]) == 1


def test_generated_code_renders_as_text(page: Any, spark_url: str, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Reply(XSS_REPLY, for_model="claude-haiku-5-5"))
    page.goto(spark_url)
    choose(page, "anthropic", "claude-haiku-5-5")
    send(page, "anything")
    wait_done(page, "Hostile.cs")
    expect(page.locator("#code")).to_contain_text(XSS)
    assert page.locator("img").count() == 0
    assert page.evaluate("document.querySelectorAll('#result script').length") == 0


def test_offline_without_keys_in_a_narrow_window(page: Any, offline_url: str, shot: Shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(offline_url)
    for provider, variable in (("anthropic", "ANTHROPIC_API_KEY"), ("openai", "OPENAI_API_KEY")):
        option = page.locator(f'#provider option[value="{provider}"]')
        expect(option).to_be_disabled()
        expect(option).to_contain_text(f"set {variable} (environment or .env) to enable")
    send(page, "a coin that spins")
    wait_done(page, "SpinningCoin.cs")
    expect(page.locator("#stats")).to_contain_text("$0")
    with page.expect_download() as info:
        page.click("#export")
    assert info.value.suggested_filename == "SpinningCoin.cs"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px wide"
    shot(page, "07-offline-narrow")


def test_the_provider_preference_persists_across_reload_and_sign_in(
    page: Any, spark_url: str, account: dict[str, str]
) -> None:
    page.goto(spark_url)
    expect(page.locator("#provider")).to_have_value("anthropic")
    with page.expect_response(lambda r: r.url.endswith("/api/preferences")) as saved:
        choose(page, "openai")
    assert saved.value.status == 200
    with page.expect_response(lambda r: r.url.endswith("/api/preferences")) as saved:
        page.select_option("#model", "gpt-4")
    assert saved.value.status == 200
    page.reload()
    expect(page.locator("#provider")).to_have_value("openai")
    expect(page.locator("#model")).to_have_value("gpt-4")
    page.click("#signout")
    sign_in(page, account["username"], account["password"])
    expect(page.locator("#provider")).to_have_value("openai")
    expect(page.locator("#model")).to_have_value("gpt-4")
    # Back to another provider and again to OpenAI: the model chosen for it comes back too.
    choose(page, "anthropic")
    choose(page, "openai")
    expect(page.locator("#model")).to_have_value("gpt-4")


def test_the_generation_appears_in_history(page: Any, spark_url: str, shot: Shot) -> None:
    page.goto(spark_url)
    choose(page, "offline")
    send(page, "a coin that spins for the history")
    wait_done(page, "SpinningCoin.cs")
    page.click("text=History")
    rows = page.locator("#history .history-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("a coin that spins for the history")
    expect(rows.first).to_contain_text("succeeded")
    expect(rows.first).to_contain_text("offline")
    shot(page, "08-history")
    with page.expect_download() as info:
        rows.first.locator("a.export").click()
    assert info.value.suggested_filename == "SpinningCoin.cs"
