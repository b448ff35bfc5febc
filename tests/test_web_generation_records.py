"""What a web generation leaves in the history and tells the client, through the ASGI app.

Refused requests are recorded as the CLI records them; failed attempts' tokens and the per-call
details reach the stream, the ``stream: false`` answer, the history API and the page; text with
NUL or lone surrogates from the provider streams and exports; a model in the catalog costs no
``/v1/models`` request, and one that is not costs at most one per request.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.upstream import FakeUpstream, Fault, Reply
from tests.test_record_failures import HOSTILE_REPLY
from tests.web_support import MakeClient, WebClient, parse_sse


async def history(client: WebClient) -> list[dict[str, Any]]:
    response = await client.get("/api/history")
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    ("body", "status", "kind", "words"),
    [
        ({"provider": "anthropic", "model": "claude-nope-1"}, 422, "usage", "Unknown model"),
        ({"provider": "gemini"}, 422, "usage", "Unknown provider"),
        ({"provider": "openai_compat"}, 409, "config", "not configured"),
    ],
    ids=["unknown model", "unknown provider", "missing key"],
)
async def test_a_refused_request_is_answered_4xx_and_recorded_as_failed(
    make_client: MakeClient, upstream: FakeUpstream, body: Any, status: int, kind: str, words: str
) -> None:
    upstream.anthropic.models = ["claude-sonnet-5-5"]  # the live list does not know it either
    client = await make_client()
    response = await client.post("/api/generate", json={"prompt": "a coin", **body})
    assert response.status_code == status, response.text  # before any stream
    assert words in response.json()["error"]["message"]
    [row] = await history(client)
    assert (row["status"], row["error_kind"], row["provider"]) == ("failed", kind, body["provider"])
    detail = (await client.get(f"/api/history/{row['generation_id']}")).json()
    assert words in detail["error_message"]
    assert [r for r in upstream.anthropic.history if r.path == "/v1/messages"] == []


@pytest.mark.parametrize("prompt", ["", "   "])
async def test_a_bad_prompt_leaves_no_row(make_client: MakeClient, prompt: str) -> None:
    client = await make_client()
    response = await client.post("/api/generate", json={"provider": "offline", "prompt": prompt})
    assert response.status_code == 422
    assert await history(client) == []


async def test_stream_false_failure_names_the_generation(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(Fault.auth())
    client = await make_client()
    response = await client.post(
        "/api/generate", json={"provider": "anthropic", "prompt": "a coin", "stream": False}
    )
    assert response.status_code == 502
    body = response.json()
    assert body["ok"] is False and body["error"]["kind"] == "auth"
    [row] = await history(client)
    assert body["generation_id"] == row["generation_id"]
    assert body["conversation_id"] == row["conversation_id"]


async def test_failed_attempts_are_billed_in_the_stream_history_and_page(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(
        Fault.mid_stream_error(after_chunks=1, reply=Reply(input_tokens=420)),
        Reply(input_tokens=420, output_tokens=100),
    )
    client = await make_client()
    response = await client.post("/api/generate", json={"provider": "anthropic", "prompt": "a"})
    result = parse_sse(response.text)[-1][1]["result"]
    assert (result["attempts"], result["repair_rounds"]) == (2, 0)
    assert result["usage"]["input_tokens"] == 840 and result["usage"]["output_tokens"] == 101
    assert result["cost_usd"] == "0.002690"
    assert [a["outcome"] for a in result["attempt_details"]] == ["overloaded", "ok"]
    detail = (await client.get(f"/api/history/{result['generation_id']}")).json()
    assert (detail["input_tokens"], detail["output_tokens"], detail["cost_usd"]) == (
        840,
        101,
        "0.002690",
    )
    assert detail["attempt_details"] == result["attempt_details"]
    page = await client.get(f"/history/{result['generation_id']}")
    assert 'id="generation-calls"' in page.text
    assert "overloaded" in page.text and "$0.00085" in page.text


async def test_provider_text_with_nul_and_surrogates_streams_and_exports(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    upstream.anthropic.enqueue(Reply(HOSTILE_REPLY))
    client = await make_client()
    response = await client.post("/api/generate", json={"provider": "anthropic", "prompt": "a"})
    assert response.status_code == 200
    kind, data = parse_sse(response.text)[-1]
    assert kind == "done", data
    code = data["result"]["code"]
    assert "\x00" not in code and "\ufffd" in code
    export = await client.get(data["result"]["export_url"])
    assert export.status_code == 200 and export.text == code
    [row] = await history(client)
    assert row["status"] == "succeeded" and row["cost_usd"] is not None


def model_listings(upstream: FakeUpstream) -> list[Any]:
    return [r for r in upstream.openai.history if r.path.startswith("/v1/models")]


async def test_a_catalog_model_costs_no_model_list_request(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    upstream.openai.enqueue_models_fault(Fault.stall(20))  # would stall the request if asked
    client = await make_client()
    response = await client.post(
        "/api/generate", json={"provider": "openai", "model": "gpt-4", "prompt": "a"}
    )
    assert parse_sse(response.text)[-1][0] == "done"
    assert model_listings(upstream) == []


async def test_another_model_costs_at_most_one_model_list_request(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    """Even with no caching at all: the route checks the model, the engine trusts it."""
    upstream.openai.enqueue_models_fault(Fault.stall(20))
    client = await make_client(models_timeout=0.3, models_cache_seconds=0, read_timeout=30.0)
    response = await client.post(
        "/api/generate", json={"provider": "openai", "model": "gpt-7-preview", "prompt": "a"}
    )
    assert parse_sse(response.text)[-1][0] == "done"  # no list: the provider decided
    assert len(model_listings(upstream)) == 1
