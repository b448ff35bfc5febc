"""The pages' rough edges, server side: one number formatter, the colour theme remembered per
user, error pages inside the layout, sign-up for someone signed in, deletes that say so, the
offline reply that does not ask for keys already set."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from spark.providers import build_provider
from spark.providers.template_fill import render_template_for_prompt
from spark.providers.templates import TemplateProvider, compose_reply
from spark.web.formatting import seconds, tokens, usd
from tests.web_support import MakeClient, web_settings


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unknown"),
        (0, "$0.00"),
        ("0.5", "$0.50"),
        ("0.123", "$0.12"),
        ("0.0456", "$0.046"),
        ("0.0999", "$0.10"),  # two significant digits, not "$0.100"
        ("0.000015", "$0.000015"),
        (Decimal("0.002690"), "$0.0027"),
        ("0.995", "$1.00"),
        ("1", "$1.00"),
        ("1.005", "$1.01"),  # half up, as money is rounded
        ("1234.5", "$1,234.50"),
        ("-0.5", "-$0.50"),
        ("NaN", "unknown"),
    ],
)
def test_money_is_to_the_cent_above_a_dollar_and_two_digits_below(
    value: object, shown: str
) -> None:
    assert usd(value) == shown  # type: ignore[arg-type]


def test_tokens_and_seconds() -> None:
    assert (tokens(1234567), tokens(0), tokens(None)) == ("1,234,567", "0", "—")
    assert (seconds(2449), seconds(2450), seconds(50), seconds(None)) == (
        "2.4 s",
        "2.5 s",
        "0.1 s",
        "—",
    )


def test_the_offline_reply_names_the_configured_providers_instead_of_asking_for_keys() -> None:
    render = render_template_for_prompt("a coin that spins")
    assert "set ANTHROPIC_API_KEY" in compose_reply(render)
    with_keys = compose_reply(render, ["anthropic", "openai"])
    assert "API_KEY" not in with_keys and "choose Claude or OpenAI" in with_keys
    provider = build_provider("offline", web_settings(None, anthropic_api_key="sk-ant-x"))
    assert isinstance(provider, TemplateProvider)
    assert provider._configured == ("anthropic",)


async def test_the_theme_is_remembered_for_the_user(make_client: MakeClient) -> None:
    client = await make_client()
    page = (await client.get("/history")).text
    assert "data-theme" not in page.split(">", 2)[1]  # follows the browser until chosen
    assert 'id="theme-switch"' in page and "Theme: auto" in page
    answer = await client.form("/account/theme", {"theme": "dark", "next": "/history?q=x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/history?q=x"
    assert '<html lang="en" data-theme="dark">' in (await client.get("/")).text
    # Another browser of the same user gets it at sign-in; signing out keeps it on that page.
    second = await make_client(signed_in=False)
    await second.sign_in(client.username)
    assert 'data-theme="dark"' in (await second.get("/account")).text
    assert (await second.form("/signout", {})).status_code == 303
    assert 'data-theme="dark"' in (await second.get("/signin")).text
    back = await client.form("/account/theme", {"theme": "auto", "next": "//evil.example/"})
    assert back.headers["location"] == "/"  # never another site
    assert "data-theme" not in (await client.get("/")).text.split(">", 2)[1]
    bad = await client.form("/account/theme", {"theme": "neon"})
    assert bad.status_code == 422 and "choose light, dark or auto" in bad.text


async def test_error_pages_are_inside_the_layout_and_the_api_keeps_json(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    missing = await client.get("/history/999999")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert 'id="error-title"' in missing.text and 'href="/history"' in missing.text
    assert 'id="account-link"' in missing.text  # the menu of the signed-in user
    unknown = await client.get("/no/such/page")
    assert unknown.status_code == 404 and 'id="error-status">Error 404' in unknown.text
    bad = await client.get("/history/abc")
    assert bad.status_code == 422 and 'id="error-title"' in bad.text
    assert (await client.get("/api/history/abc")).json()["error"]["kind"] == "invalid_request"
    assert (await client.get("/api/history/999999")).json()["error"]["kind"] == (
        "unknown_generation"
    )


async def test_signup_sends_a_signed_in_user_home(make_client: MakeClient) -> None:
    client = await make_client()
    answer = await client.get("/signup")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    stranger = await make_client(signed_in=False)
    assert (await stranger.get("/signup")).status_code == 200


async def test_deleting_says_so(make_client: MakeClient) -> None:
    client = await make_client()
    result = (
        await client.post(
            "/api/generate", json={"provider": "offline", "prompt": "a coin", "stream": False}
        )
    ).json()["result"]
    detail = (await client.get(f"/history/{result['generation_id']}")).text
    assert 'class="confirm"' in detail and 'id="generation-copy"' in detail
    answer = await client.form(f"/history/{result['generation_id']}/delete", {})
    assert answer.status_code == 303
    history = (await client.get("/history")).text
    assert re.search(r'id="form-notice">Generation \d+ deleted\.<', history)
    assert 'id="form-notice"' not in (await client.get("/history")).text  # shown once
    await client.form("/account/tokens", {"name": "ci"})
    token_id = re.search(r"/account/tokens/(\d+)/delete", (await client.get("/account")).text)
    assert token_id is not None
    await client.form(f"/account/tokens/{token_id.group(1)}/delete", {})
    assert "Token deleted" in (await client.get("/account")).text


async def test_the_generation_page_lists_the_findings(make_client: MakeClient) -> None:
    client = await make_client()
    result = (
        await client.post(
            "/api/generate", json={"provider": "offline", "prompt": "a coin", "stream": False}
        )
    ).json()["result"]
    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert detail["findings"]["summary"] == result["validation"]["summary"]
    assert detail["findings"]["diagnostics"] == result["validation"]["diagnostics"]
    page = (await client.get(f"/history/{result['generation_id']}")).text
    assert 'id="findings-summary"' in page
