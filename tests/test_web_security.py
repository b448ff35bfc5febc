"""Security of the web app: headers and CSP, cross-site requests, escaping, and API keys that
never leave the server (every page and API response of a full session is scanned for them)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from spark.generation import Engine
from tests.fakes.upstream import FakeUpstream, Fault, Reply
from tests.web_support import KEYS, XSS_REPLY, WebClient, parse_sse, web_settings


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[WebClient]:
    async def no_sleep(seconds: float) -> None:
        return None

    settings = web_settings(upstream)
    async with WebClient(Engine(settings, sleep=no_sleep), settings) as web:
        await web.sign_up()
        yield web
    await web.engine.aclose()


@pytest.mark.parametrize(
    "path", ["/", "/docs", "/openapi.json", "/api/models", "/static/app.js", "/nowhere"]
)
async def test_security_headers_everywhere(client: WebClient, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_pages_have_no_inline_scripts_or_styles(client: WebClient) -> None:
    for path in ("/", "/docs"):
        html = (await client.get(path)).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/static/' in tag, tag
        assert re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None  # no inline script bodies
        assert " style=" not in html and "<style" not in html
        assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
        assert re.search(r"""(src|href)=["']?(https?:)?//""", html) is None  # nothing external


async def test_api_responses_are_not_cached(client: WebClient) -> None:
    assert (await client.get("/api/models")).headers["cache-control"] == "no-store"


async def test_cross_site_posts_are_refused(client: WebClient) -> None:
    body = {"provider": "offline", "prompt": "a coin"}
    evil = await client.post("/api/generate", json=body, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    assert evil.json()["error"]["kind"] == "cross_site"
    fetch_meta = await client.post(
        "/api/generate", json=body, headers={"sec-fetch-site": "cross-site"}
    )
    assert fetch_meta.status_code == 403
    same = await client.post(
        "/api/generate",
        json=body | {"stream": False},
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    )
    assert same.status_code == 200


async def test_a_form_post_from_another_site_cannot_start_a_generation(client: WebClient) -> None:
    # A cross-site <form enctype="text/plain"> needs no CORS preflight; it must not be parsed.
    response = await client.post(
        "/api/generate",
        content=b'{"provider": "offline", "prompt": "a coin", "x": "=1"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 422


async def test_chat_page_escapes_and_lists_providers(client: WebClient) -> None:
    html = (await client.get("/")).text
    assert 'value="anthropic" selected' in html  # the first provider with a key
    assert 'id="prompt"' in html and 'for="prompt"' in html
    assert 'for="provider"' in html and 'for="model"' in html


async def test_keys_never_reach_the_browser(client: WebClient, upstream: FakeUpstream) -> None:
    """A full session — pages, static files, models, generations, errors, export — and every
    response (headers and body) is scanned for the configured keys."""
    for path in (
        "/",
        "/docs",
        "/openapi.json",
        "/static/app.js",
        "/static/app.css",
        "/assets/highlight.css",
        "/healthz",
        "/api/models",
    ):
        assert (await client.get(path)).status_code == 200
    for provider in ("anthropic", "openai", "openai_compat", "offline"):
        await client.get("/api/models", params={"provider": provider})
    export_urls = []
    for provider in ("anthropic", "openai", "offline"):
        response = await client.post("/api/generate", json={"provider": provider, "prompt": "a"})
        export_urls.append(parse_sse(response.text)[-1][1]["result"]["export_url"])
    # Failures whose text might echo a key: bad key, rate limit, quota, a fault quoting the key.
    upstream.anthropic.api_keys = {"another"}
    upstream.openai.enqueue(
        Fault.rate_limit(retry_after=1),
        Fault.insufficient_quota(),
    )
    upstream.openai.enqueue(Fault.bad_request(f"Incorrect API key provided: {KEYS[1]}"))
    upstream.openai.enqueue(Reply(XSS_REPLY))
    for provider in ("anthropic", "openai", "openai"):
        await client.post("/api/generate", json={"provider": provider, "prompt": "a"})
        await client.post(
            "/api/generate", json={"provider": provider, "prompt": "a", "stream": False}
        )
    await client.post("/api/generate", json={"provider": "openai_compat", "prompt": "a"})
    await client.post("/api/generate", content=b"{", headers={"content-type": "application/json"})
    for url in export_urls:
        assert (await client.get(url)).status_code == 200

    assert len(client.responses) > 25
    for response in client.responses:
        text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for key in KEYS:
            assert key not in text, f"{response.request.url} leaked a key"
            assert key[8:24] not in text, f"{response.request.url} leaked part of a key"
