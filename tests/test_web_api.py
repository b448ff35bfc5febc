"""The JSON API against the ASGI app, with the providers' SDKs talking to the fake upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from spark.generation import Engine
from spark.web import runner
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.web_support import LAUNCH_MODELS, XSS, XSS_REPLY, WebClient, parse_sse, web_settings

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
FIXED = """```csharp
using UnityEngine;
public class Broken : MonoBehaviour
{
    [SerializeField] private int x = 1;
}
```"""

MakeClient = Callable[..., Awaitable[WebClient]]


@pytest.fixture
async def make_client(upstream: FakeUpstream) -> AsyncIterator[MakeClient]:
    clients: list[WebClient] = []
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def make(*, keys: bool = True, signed_in: bool = True, **overrides: Any) -> WebClient:
        settings = web_settings(upstream, keys=keys, **overrides)
        client = WebClient(Engine(settings, sleep=no_sleep), settings)
        clients.append(client)
        if signed_in:
            await client.sign_up()
        return client

    yield make
    for client in clients:
        await client.aclose()
        await client.engine.aclose()


@pytest.fixture
async def client(make_client: MakeClient) -> WebClient:
    return await make_client()


async def generate(client: WebClient, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    response = await client.post("/api/generate", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


def kinds(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [k for k, _ in events if k != "token"]


# --- models ------------------------------------------------------------------------------------


async def test_models_lists_every_provider_with_availability(make_client: MakeClient) -> None:
    client = await make_client(keys=False)
    response = await client.get("/api/models")
    assert response.status_code == 200
    providers = {p["id"]: p for p in response.json()["providers"]}
    assert set(providers) == {"anthropic", "openai", "openai_compat", "offline"}
    assert providers["offline"]["available"] is True
    assert providers["anthropic"]["available"] is False
    assert "set ANTHROPIC_API_KEY" in providers["anthropic"]["hint"]
    assert "set OPENAI_API_KEY" in providers["openai"]["hint"]


async def test_models_for_one_provider_show_status_and_price(client: WebClient) -> None:
    response = await client.get("/api/models", params={"provider": "anthropic"})
    (provider,) = response.json()["providers"]
    assert provider["available"] is True
    assert provider["live"] is True
    models = {m["id"]: m for m in provider["models"]}
    launch = models["claude-3-5-sonnet-20241022"]
    assert launch["status"] == "retired"
    assert launch["label"].endswith("(retired)")
    assert launch["price"]["input"] == "3"
    assert launch["price_hint"] == "$3 in / $15 out per M tokens"
    assert [m["id"] for m in provider["models"] if m["default"]] == ["claude-sonnet-5-5"]


async def test_models_for_an_unknown_provider_is_422(client: WebClient) -> None:
    response = await client.get("/api/models", params={"provider": "skynet"})
    assert response.status_code == 422
    assert response.json()["error"]["kind"] == "invalid_input"
    assert "Unknown provider" in response.json()["error"]["message"]


# --- generation --------------------------------------------------------------------------------


async def test_offline_generation_streams_and_exports(make_client: MakeClient) -> None:
    client = await make_client(keys=False)
    events = await generate(client, provider="offline", prompt="a coin that spins", html=True)
    assert kinds(events) == ["start", "validation", "done"]
    assert any(k == "token" for k, _ in events)
    start = events[0][1]
    result = events[-1][1]["result"]
    assert result["conversation_id"] == start["conversation_id"]
    assert result["generation_id"] == start["generation_id"]
    assert result["provider"] == "offline"
    assert result["file_name"] == "SpinningCoin.cs"
    assert result["cost_usd"] == "0.000000"
    assert result["validation"]["ok"] is True
    assert 'id="line-1"' in result["html"]
    assert result["export_url"] == f"/api/export/{result['generation_id']}"

    download = await client.get(result["export_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/x-csharp; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="SpinningCoin.cs"'
    assert download.text == result["code"]


async def test_api_clients_get_no_html_unless_they_ask(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Highlighting, Markdown and the fixes diff are computed for the page only (issue 15)."""
    client = await make_client(keys=False)
    rendered: list[str] = []
    original = runner.highlight_csharp

    def highlight(code: str) -> str:
        rendered.append(code)
        return original(code)

    monkeypatch.setattr(runner, "highlight_csharp", highlight)
    plain = (await generate(client, provider="offline", prompt="a coin"))[-1][1]["result"]
    assert (plain["html"], plain["explanation_html"], plain["fixes_diff_html"]) == ("", "", None)
    assert plain["code"] and rendered == []
    asked = (await generate(client, provider="offline", prompt="a coin", html=True))[-1][1]
    assert 'id="line-1"' in asked["result"]["html"] and rendered == [asked["result"]["code"]]


@pytest.mark.parametrize(("provider", "model"), LAUNCH_MODELS)
async def test_launch_models_generate(
    client: WebClient, upstream: FakeUpstream, provider: str, model: str
) -> None:
    events = await generate(client, provider=provider, model=model, prompt="a coin that spins")
    result = events[-1][1]["result"]
    assert events[-1][0] == "done"
    assert (result["provider"], result["model"]) == (provider, model)
    assert result["file_name"] == "CoinSpinner.cs"
    assert "".join(d["text"] for k, d in events if k == "token") == DEFAULT_TEXT
    api = upstream.anthropic if provider == "anthropic" else upstream.openai
    assert api.last.model == model
    assert api.last.stream is True


def token_texts(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [d["text"] for k, d in events if k == "token"]


async def test_token_events_are_coalesced_the_first_sent_at_once(
    client: WebClient, upstream: FakeUpstream
) -> None:
    """Deltas arriving together share events; the first text is never held back (issue 15)."""
    reply = Reply(chunk_size=4, ttft=0.0, chunk_delay=0.0)
    upstream.anthropic.enqueue(reply)
    texts = token_texts(await generate(client, provider="anthropic", prompt="a coin"))
    assert "".join(texts) == DEFAULT_TEXT
    assert texts[0] == reply.chunks[0]
    assert 2 <= len(texts) < len(reply.chunks) / 4


async def test_token_events_hold_about_a_kilobyte_at_most(
    client: WebClient, upstream: FakeUpstream
) -> None:
    text = "```csharp\n" + "// a comment line of the script\n" * 150 + "```"
    upstream.anthropic.enqueue(Reply(text=text, chunk_size=8, ttft=0.0, chunk_delay=0.0))
    texts = token_texts(await generate(client, provider="anthropic", prompt="a coin"))
    assert "".join(texts) == text
    assert len(texts) >= len(text) // (runner.FLUSH_CHARS + 8)
    assert max(len(t) for t in texts) < runner.FLUSH_CHARS + 8


async def test_sparse_tokens_are_each_sent_as_they_come(
    client: WebClient, upstream: FakeUpstream
) -> None:
    """Deltas further apart than the flush interval are not delayed into one event."""
    reply = Reply(chunk_size=len(DEFAULT_TEXT) // 3 + 1, ttft=0.0, chunk_delay=0.15)
    upstream.anthropic.enqueue(reply)
    texts = token_texts(await generate(client, provider="anthropic", prompt="a coin"))
    assert texts == reply.chunks


async def test_stream_false_returns_one_json_result(client: WebClient) -> None:
    response = await client.post(
        "/api/generate",
        json={"provider": "openai", "model": "gpt-4", "prompt": "a coin", "stream": False},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["model"] == "gpt-4"
    assert body["result"]["usage"]["input_tokens"] == 42


async def test_retry_event_says_what_happened(client: WebClient, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Fault.rate_limit(retry_after=2), Reply())
    events = await generate(client, provider="anthropic", prompt="a coin that spins")
    assert kinds(events) == ["start", "retry", "validation", "done"]
    retry = events[[k for k, _ in events].index("retry")][1]
    assert retry["message"] == "Rate limited — retrying in 2 s (attempt 2 of 4)"
    assert retry["error"]["kind"] == "rate_limit"
    result = events[-1][1]["result"]
    assert result["attempts"] == 2
    assert result["retries"] == [retry["message"]]


async def test_invalid_key_is_a_clear_error(client: WebClient, upstream: FakeUpstream) -> None:
    upstream.anthropic.api_keys = {"some-other-key"}
    events = await generate(client, provider="anthropic", prompt="a coin that spins")
    assert kinds(events) == ["start", "error"]
    error = events[-1][1]["error"]
    assert error["kind"] == "auth"
    assert error["status"] == 401
    assert "rejected the API key" in error["message"]
    assert error["hint"]

    response = await client.post(
        "/api/generate", json={"provider": "anthropic", "prompt": "a coin", "stream": False}
    )
    assert response.status_code == 502
    assert response.json()["error"]["kind"] == "auth"


async def test_repair_round_is_reported(client: WebClient, upstream: FakeUpstream) -> None:
    upstream.openai.enqueue(Reply(BROKEN), Reply(FIXED))
    events = await generate(client, provider="openai", prompt="a broken script")
    assert kinds(events) == ["start", "validation", "repair", "validation", "done"]
    result = events[-1][1]["result"]
    assert result["repair_rounds"] == 1
    assert result["validation"]["ok"] is True
    assert result["validation_before_repair"]["ok"] is False
    assert result["validation_before_repair"]["diagnostics"][0]["line"] == 6


async def test_follow_up_sends_the_conversation(client: WebClient, upstream: FakeUpstream) -> None:
    first = await generate(client, provider="anthropic", prompt="a coin that spins")
    conversation_id = first[0][1]["conversation_id"]
    second = await generate(
        client, provider="anthropic", prompt="also make it bob", conversation_id=conversation_id
    )
    assert second[0][1]["conversation_id"] == conversation_id
    messages = upstream.anthropic.last.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "a coin that spins" in str(messages[0]["content"])
    assert "CoinSpinner" in str(messages[1]["content"])
    assert "also make it bob" in str(messages[2]["content"])

    fresh = await generate(client, provider="anthropic", prompt="a door")
    assert fresh[0][1]["conversation_id"] != conversation_id
    assert len(upstream.anthropic.last.body["messages"]) == 1


async def test_generated_code_is_escaped(client: WebClient, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Reply(XSS_REPLY))
    events = await generate(client, provider="anthropic", prompt="anything", html=True)
    result = events[-1][1]["result"]
    assert XSS in result["code"]  # the code itself is kept as written
    assert "<img" not in result["html"]
    assert "</script>" not in result["html"]
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in result["html"]


# --- bad input: always 4xx with the error body -------------------------------------------------

BAD_REQUESTS: list[tuple[str, Any, int, str]] = [
    ("empty prompt", {"provider": "offline", "prompt": ""}, 422, "invalid_input"),
    ("blank prompt", {"provider": "offline", "prompt": "   \n"}, 422, "invalid_input"),
    ("long prompt", {"provider": "offline", "prompt": "x" * 101}, 422, "invalid_input"),
    ("unknown provider", {"provider": "skynet", "prompt": "a coin"}, 422, "invalid_input"),
    (
        "unknown model",
        {"provider": "offline", "model": "gpt-9", "prompt": "a"},
        422,
        "invalid_input",
    ),
    ("no key", {"provider": "anthropic", "prompt": "a coin"}, 409, "not_configured"),
    ("missing prompt", {"provider": "offline"}, 422, "invalid_request"),
    ("wrong type", {"provider": "offline", "prompt": 42}, 422, "invalid_request"),
    ("extra field", {"provider": "offline", "prompt": "a", "temp": 2}, 422, "invalid_request"),
    ("not an object", ["a coin"], 422, "invalid_request"),
    (
        "unknown conversation",
        {"prompt": "a", "conversation_id": "c_nope"},
        404,
        "unknown_conversation",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "kind"), [b[1:] for b in BAD_REQUESTS], ids=[b[0] for b in BAD_REQUESTS]
)
async def test_bad_input_is_4xx_json(
    make_client: MakeClient, body: Any, status: int, kind: str
) -> None:
    client = await make_client(keys=False, max_prompt_chars=100)
    response = await client.post("/api/generate", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["kind"] == kind
    assert error["message"]
    if status in (409, 422) and kind != "invalid_request":
        assert error["hint"]


async def test_no_key_error_says_how_to_enable(make_client: MakeClient) -> None:
    client = await make_client(keys=False)
    response = await client.post("/api/generate", json={"provider": "openai", "prompt": "a"})
    assert "set OPENAI_API_KEY" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b'{"prompt": "a coin"', "application/json"), (b"\xff\xfe", "application/json")],
    ids=["truncated", "not utf-8"],
)
async def test_malformed_json_is_400(client: WebClient, content: bytes, content_type: str) -> None:
    response = await client.post(
        "/api/generate", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["error"]["kind"] == "invalid_json"


async def test_unknown_export_and_route_are_404_json(client: WebClient) -> None:
    response = await client.get("/api/export/999999")
    assert response.status_code == 404
    assert response.json()["error"]["kind"] == "unknown_generation"
    for not_an_id in ("g_missing", "²", "0", str(2**63)):
        response = await client.get(f"/api/export/{not_an_id}")
        assert response.status_code == 422, not_an_id
        assert response.json()["error"]["kind"] == "invalid_request"
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["kind"] == "http_404"


async def test_openapi_documents_the_api(client: WebClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/api/generate", "/api/models", "/api/export/{generation_id}"} <= set(schema["paths"])
    generate_op = schema["paths"]["/api/generate"]["post"]
    assert "text/event-stream" in generate_op["responses"]["200"]["content"]
    assert {"400", "409", "422"} <= set(generate_op["responses"])
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/api/generate" in page.text
    assert "cdn" not in page.text.lower()


async def test_an_oversized_body_is_413_json(make_client: MakeClient) -> None:
    client = await make_client(keys=False, max_prompt_chars=100)
    response = await client.post(
        "/api/generate", json={"provider": "offline", "prompt": "x" * 200_000}
    )
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too_large"
    assert "x" * 1000 not in response.text


async def test_an_oversized_body_without_a_length_is_cut_off(make_client: MakeClient) -> None:
    client = await make_client(keys=False, max_prompt_chars=100)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(200):
            yield b"x" * 10_000

    response = await client.post(
        "/api/generate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too_large"
