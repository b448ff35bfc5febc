"""Conversations in Chromium, at desktop (1280×800) and phone (390×844) size: a conversation's
URL survives a reload; Continue from History shows the turns; a failed follow-up keeps the
current script; revisions with their diff, restore and export; the model's prose as Markdown
with hostile markup inert; prose and code apart while streaming; Regenerate with another model
and Edit; Stop keeps the partial text; leaving mid-generation asks first; the sidebar (rename,
delete, folded on a phone); downloads of a conversation and of a History selection; the Unity
target on the Account page and the chat screen."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

from tests.browser.conftest import Shot
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SIZE = pytest.mark.parametrize("size", list(SIZES))
HAIKU = "claude-haiku-5-5"
BOB = DEFAULT_TEXT.replace("degreesPerSecond = 180f", "degreesPerSecond = 90f").replace(
    "Here is a script", "Here is the slower script"
)
HOSTILE_PROSE = (
    "Here you go. **Setup:** add a `Rigidbody2D`, then:\n\n1. set the *Ground* layer\n"
    "2. assign the prefab\n\n<script>window.__pwned = 1</script>\n"
    '<img src=x onerror="window.__pwned = 2">\n[click](javascript:window.__pwned=3)\n\n'
    + DEFAULT_TEXT.split("\n\n", 1)[1]
)


def start(page: Any, url: str, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto(url)
    page.select_option("#provider", "anthropic")
    expect(page.locator(f'#model option[value="{HAIKU}"]')).to_have_count(1)
    page.select_option("#model", HAIKU)


def send(page: Any, prompt: str, turns: int | None = None) -> None:
    page.fill("#prompt", prompt)
    page.press("#prompt", "Control+Enter")
    expect(page.locator("#send")).to_be_enabled()
    if turns is not None:
        expect(page.locator("#turns > li.turn")).to_have_count(turns)


def fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@SIZE
def test_reload_keeps_the_conversation(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str, shot: Shot
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    expect(page).to_have_url(re.compile(r"/c/c_[0-9a-f]+$"))
    upstream.anthropic.enqueue(Reply(BOB, for_model=HAIKU))
    send(page, "slower please", turns=2)
    url = page.url
    page.reload()
    assert page.url == url
    expect(page.locator("#turns > li.turn")).to_have_count(2)
    expect(page.locator("#turns > li.turn").nth(0)).to_contain_text("a coin that spins")
    expect(page.locator("#turns > li.turn.current")).to_contain_text("slower please")
    expect(page.locator("#result-file")).to_have_text("CoinSpinner.cs")
    expect(page.locator("#code")).to_contain_text("90f")
    expect(page.locator("#explanation")).to_contain_text("slower script")
    expect(page.locator("#composer-title")).to_have_text("a coin that spins")
    fits(page)
    shot(page, f"conv-reloaded-{size}")
    # The next prompt continues it: the earlier turns are sent along.
    send(page, "and make it glow", turns=3)
    assert len(upstream.anthropic.last.body["messages"]) == 5


@SIZE
def test_continue_from_history_shows_the_turns(
    page: Any, spark_url: str, size: str, shot: Shot
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    send(page, "also make it bob", turns=2)
    page.goto(spark_url + "/history")
    page.locator("#history .history-row a").first.click()
    page.click("#generation-continue")
    expect(page).to_have_url(re.compile(r"/c/c_"))
    expect(page.locator("#turns > li.turn")).to_have_count(2)
    expect(page.locator("#result")).to_be_visible()
    fits(page)
    shot(page, f"conv-continued-{size}")


@SIZE
def test_a_failed_follow_up_keeps_the_current_script(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    upstream.anthropic.enqueue(Fault.auth())
    send(page, "now break it", turns=2)
    expect(page.locator("#error-message")).to_contain_text("rejected the API key")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-file")).to_have_text("CoinSpinner.cs")
    expect(page.locator("#status")).to_have_text("Failed. The current script is unchanged.")
    expect(page.locator("#turns > li.turn").nth(1)).to_contain_text("failed")
    page.reload()
    expect(page.locator("#result-file")).to_have_text("CoinSpinner.cs")


@SIZE
def test_revisions_diff_restore_and_export(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str, shot: Shot
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    upstream.anthropic.enqueue(Reply(BOB, for_model=HAIKU))
    send(page, "slower please", turns=2)
    second = page.locator("#turns > li.turn").nth(1)
    second.locator(".turn-diff summary").click()
    expect(second.locator(".d-del")).to_contain_text("180f")
    expect(second.locator(".d-add")).to_contain_text("90f")
    expect(second.locator(".diff-count")).to_have_text("1 line added, 1 removed.")
    fits(page)
    shot(page, f"conv-diff-{size}")
    first = page.locator("#turns > li.turn").nth(0)
    with page.expect_download() as info:
        first.locator(".turn-export").click()
    with open(info.value.path(), encoding="utf-8") as handle:
        assert "180f" in handle.read()
    first.locator(".turn-restore").click()
    expect(page.locator("#form-notice")).to_have_text("Revision 1 is the current script again.")
    expect(page.locator("#code")).to_contain_text("180f")
    expect(page.locator("#turns > li.turn").nth(0)).to_have_class(re.compile("current"))
    send(page, "make it glow", turns=3)
    messages = upstream.anthropic.last.body["messages"]
    assert "90f" not in str(messages)  # built on the restored v1


@SIZE
def test_markdown_prose_is_rendered_and_hostile_markup_is_inert(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str, shot: Shot
) -> None:
    upstream.anthropic.enqueue(Reply(HOSTILE_PROSE, for_model=HAIKU))
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    prose = page.locator("#explanation")
    expect(prose.locator("strong")).to_have_text("Setup:")
    expect(prose.locator("ol li")).to_have_count(2)
    expect(prose.locator("code").first).to_have_text("Rigidbody2D")
    expect(prose).to_contain_text("<script>window.__pwned = 1</script>")  # shown as text
    assert page.locator("#explanation img, #explanation script").count() == 0
    assert page.locator('#explanation a[href^="javascript"]').count() == 0
    page.reload()
    expect(page.locator("#explanation strong")).to_have_text("Setup:")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    shot(page, f"conv-markdown-{size}")


def test_streaming_shows_prose_as_prose_and_code_as_code(
    page: Any, spark_url: str, upstream: FakeUpstream
) -> None:
    start(page, spark_url, "desktop")
    upstream.anthropic.chunk_delay = 0.05
    try:
        page.fill("#prompt", "a coin that spins")
        page.press("#prompt", "Control+Enter")
        expect(page.locator("#preview-parts .stream-prose").first).to_contain_text("Here is")
        expect(page.locator("#preview-parts pre.stream-code")).to_contain_text("using UnityEngine;")
        assert "```" not in page.locator("#preview-parts").inner_text()
    finally:
        upstream.anthropic.chunk_delay = 0.0
    expect(page.locator("#status")).to_contain_text("Done in")


@SIZE
def test_stop_keeps_the_partial_text_marked_incomplete(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str, shot: Shot
) -> None:
    start(page, spark_url, size)
    upstream.anthropic.chunk_delay = 0.15
    try:
        page.fill("#prompt", "a coin that spins")
        page.press("#prompt", "Control+Enter")
        expect(page.locator("#preview-parts pre.stream-code")).to_contain_text("SerializeField")
        page.click("#stop")
    finally:
        upstream.anthropic.chunk_delay = 0.0
    expect(page.locator("#status")).to_have_text("Stopped.")
    expect(page.locator("#preview-stopped")).to_be_visible()
    expect(page.locator("#preview-parts")).to_contain_text("SerializeField")
    shot(page, f"conv-stopped-{size}")
    expect(page.locator("#turns > li.turn")).to_contain_text("stopped (incomplete)")
    with page.expect_download() as info:
        page.click("#preview-export")
    with open(info.value.path(), encoding="utf-8") as handle:
        partial = handle.read()
    assert "public class CoinSpinner" in partial and "Time.deltaTime" not in partial
    page.reload()
    expect(page.locator("#turns > li.turn")).to_contain_text("stopped (incomplete)")


def test_leaving_mid_generation_asks_first(
    browser: Any, spark_url: str, upstream: FakeUpstream, account: dict[str, str]
) -> None:
    from tests.browser.conftest import sign_up

    context = browser.new_context(viewport=SIZES["desktop"])
    cookie = sign_up(spark_url, account["username"] + "x")
    context.add_cookies([{"name": "spark_session", "value": cookie, "url": spark_url}])
    page = context.new_page()
    asked: list[str] = []

    def on_dialog(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", on_dialog)
    upstream.anthropic.chunk_delay = 0.2
    try:
        start(page, spark_url, "desktop")
        page.fill("#prompt", "a coin that spins")
        page.press("#prompt", "Control+Enter")
        expect(page.locator("#preview-parts")).to_contain_text("Here is")
        page.locator("#preview-parts").click()  # a user gesture, which beforeunload needs
        page.evaluate("window.location.href = '/history'")
        page.wait_for_timeout(300)
        assert asked == ["beforeunload"]
        assert "/history" not in page.url
        page.click("#stop")
        expect(page.locator("#status")).to_have_text("Stopped.")
    finally:
        upstream.anthropic.chunk_delay = 0.0
        context.close()


def test_leaving_once_the_script_is_done_does_not_ask(
    browser: Any, spark_url: str, account: dict[str, str]
) -> None:
    """The outcome is in with the `done` event; the stream may close a moment later (the
    server's last bytes), and leaving in between must not ask. The page's stream reader is
    held open after the real stream ends, to make that moment last."""
    from tests.browser.conftest import sign_up

    context = browser.new_context(viewport=SIZES["desktop"])
    cookie = sign_up(spark_url, account["username"] + "y")
    context.add_cookies([{"name": "spark_session", "value": cookie, "url": spark_url}])
    page = context.new_page()
    asked: list[str] = []

    def on_dialog(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        start(page, spark_url, "desktop")
        page.evaluate(
            """() => {
              const read = window.SparkStream.readEvents;
              window.SparkStream.readEvents = async (body, onEvent) => {
                await read(body, onEvent);
                await new Promise((release) => { window.releaseStream = release; });
              };
            }"""
        )
        page.fill("#prompt", "a coin that spins")
        page.press("#prompt", "Control+Enter")
        expect(page.locator("#status")).to_contain_text("Done in")
        expect(page.locator("#stop")).to_be_enabled()  # the stream is still open
        page.locator("#status").click()  # a user gesture, which beforeunload needs
        page.evaluate("window.location.href = '/history'")
        page.wait_for_url("**/history")
        assert asked == []
    finally:
        context.close()


@SIZE
def test_regenerate_with_another_model_and_edit_the_last_prompt(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    page.select_option("#model", "claude-3-haiku-20240307")
    page.click("#regenerate")
    expect(page.locator("#turns > li.turn")).to_have_count(2)
    assert upstream.anthropic.last.model == "claude-3-haiku-20240307"
    assert len(upstream.anthropic.last.body["messages"]) == 1  # the same prompt, afresh
    expect(page.locator("#turns > li.turn").nth(1)).to_contain_text("claude-3-haiku-20240307")
    page.click("#edit-last")
    expect(page.locator("#prompt")).to_have_value("a coin that spins")
    expect(page.locator("#edit-banner")).to_be_visible()
    send(page, "a coin that spins twice as fast", turns=3)
    assert len(upstream.anthropic.last.body["messages"]) == 1
    expect(page.locator("#edit-banner")).to_be_hidden()
    expect(page.locator("#prompt")).to_have_value("")


@SIZE
def test_the_sidebar_lists_renames_and_deletes_conversations(
    page: Any, spark_url: str, size: str, shot: Shot
) -> None:
    start(page, spark_url, size)
    send(page, "a coin that spins", turns=1)
    sidebar = page.locator("#sidebar")
    if size == "phone":
        expect(sidebar).not_to_have_attribute("open", "")
        sidebar.locator("summary").click()
    expect(page.locator("#conversation-list a").first).to_have_text("a coin that spins")
    page.click("#new-script")
    send(page, "a door that opens", turns=1)
    page.reload()
    if size == "phone":
        page.locator("#sidebar summary").click()
    expect(page.locator("#conversation-list li")).to_have_count(2)
    page.click("#rename summary")
    page.fill("#rename-title", "Door work")
    page.click("#rename-save")
    expect(page.locator("#composer-title")).to_have_text("Door work")
    if size == "phone":
        page.locator("#sidebar summary").click()
    expect(page.locator("#conversation-list a").first).to_have_text("Door work")
    fits(page)
    shot(page, f"conv-sidebar-{size}")
    page.click("#delete-conversation summary")
    expect(page.locator("#delete-conversation")).to_contain_text("cannot be undone")
    page.click("#delete-conversation-confirm")
    expect(page.locator("#form-notice")).to_contain_text("Deleted “Door work”")
    if size == "phone":
        page.locator("#sidebar summary").click()
    expect(page.locator("#conversation-list li")).to_have_count(1)


def test_download_a_conversation_and_a_history_selection(
    page: Any, spark_url: str, upstream: FakeUpstream
) -> None:
    start(page, spark_url, "desktop")
    send(page, "a coin that spins", turns=1)
    with page.expect_download() as info:
        page.click("#export-zip")
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert names == [
        "Assets/Scripts/SPARK/CoinSpinner.cs",
        "Assets/Scripts/SPARK/CoinSpinner.cs.meta",
    ]
    with page.expect_download() as info:
        page.click("#export-unitypackage")
    assert info.value.suggested_filename.endswith(".unitypackage")
    page.select_option("#provider", "offline")
    page.click("#new-script")
    send(page, "a door that opens", turns=1)
    page.goto(spark_url + "/history")
    for box in page.locator('#history input[name="ids"]').all():
        box.check()
    with page.expect_download() as info:
        page.click("#download-zip")
    with open(info.value.path(), "rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert len(names) == 4 and "Assets/Scripts/SPARK/CoinSpinner.cs" in names


@SIZE
def test_the_unity_target_on_the_account_page_and_the_chat(
    page: Any, spark_url: str, upstream: FakeUpstream, size: str, shot: Shot
) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto(spark_url + "/account")
    expect(page.locator("#account-project-off")).to_be_visible()  # not on a shared server
    page.fill("#account-unity-version", "2022.3")
    page.select_option("#account-input-system", "legacy")
    page.select_option("#account-render-pipeline", "urp")
    page.click("#save-unity-target")
    expect(page.locator("#target-message")).to_be_visible()
    shot(page, f"conv-account-target-{size}")
    page.fill("#account-unity-version", "twenty")
    page.click("#save-unity-target")
    expect(page.locator("#form-error")).to_contain_text("not a Unity version")
    start(page, spark_url, size)
    expect(page.locator("#target-summary")).to_have_text("Unity 2022.3, input legacy, URP")
    page.click("#target-panel summary")
    with page.expect_response(lambda r: r.url.endswith("/api/preferences")) as saved:
        page.select_option("#target-input", "new")
    assert saved.value.status == 200
    expect(page.locator("#target-summary")).to_have_text("Unity 2022.3, input new, URP")
    send(page, "a coin that spins", turns=1)
    expect(page.locator("#target-used")).to_have_text("Written for Unity 2022.3, input new, URP.")
    assert "2022.3" in str(upstream.anthropic.last.body["system"])
    fits(page)
    shot(page, f"conv-target-{size}")


def test_the_automatic_fixes_show_as_a_diff(
    page: Any, spark_url: str, upstream: FakeUpstream, shot: Shot
) -> None:
    from tests.test_web_conversations import MOVER

    upstream.anthropic.enqueue(Reply(MOVER, for_model=HAIKU))
    start(page, spark_url, "desktop")
    send(page, "move it up", turns=1)
    expect(page.locator("#report-summary")).to_contain_text("2 fixed")
    page.click("#fixes summary")
    expect(page.locator("#fixes-diff .d-add")).to_contain_text(['CompareTag("Player")'])
    expect(page.locator("#fixes-diff .d-del").first).to_be_visible()
    shot(page, "conv-fixes-diff")
    page.reload()  # the same view from the stored findings
    page.click("#fixes summary")
    expect(page.locator("#fixes-diff .d-add").last).to_contain_text("CompareTag")
