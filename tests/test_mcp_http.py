"""MCP over Streamable HTTP: the SDK's client against a real ``spark serve`` at ``/mcp``.

Through the fake upstream, on SQLite and on PostgreSQL (the app role, under row-level
security): every tool the HTTP server has, progress notifications while a reply streams and on
a retry, a permanent provider error as ``isError`` with SPARK's hint, cancellation (the row ends
``failed: cancelled``), and a second user's token that can neither list nor read the first
user's generations, resources or conversations. ``/mcp`` is not one of the JSON API's
``SparkRoute`` routes (tests/test_hostile.py enumerates those): its hostile input - no token, a
wrong one, another site's page, bodies that are not JSON-RPC, too large, text that is not text
- is tested here, and must get clean answers, never a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY

from spark.config import Settings
from tests.db_fixtures import BACKENDS, PostgresServer, _migrate
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.mcp_support import (
    CALL_TIMEOUT,
    HTTP_TOOLS,
    call,
    cancel_mid_stream,
    http_client,
    payload,
    rows,
    upstream_env,
    wait_for_rows,
)
from tests.serve_support import SparkServer, create_account, server_env

BAD_DOOR = """using UnityEngine;

public class Door : MonoBehaviour
{
    private void OnTriggerEnter(Collider other)
    {
        if (other.tag == "Player") { Debug.Log("open"); }
    }
}
"""


@dataclass
class Served:
    url: str
    settings: Settings
    reader: Settings  # reads every user's rows (PostgreSQL: as the superuser, past RLS)
    alice: str  # API tokens
    bob: str
    server: SparkServer


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    upstream_server: FakeUpstream,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """One ``spark serve`` per backend for this module, with two users and their tokens."""
    home = tmp_path_factory.mktemp("mcp-http")
    variables = upstream_env(upstream_server)
    settings = reader = Settings(data_dir=home / "spark")
    if request.param == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = f"{postgres.database}_mcp"  # dropped with the run's other databases
        postgres.create_database(name)
        asyncio.run(_migrate(postgres.url("owner", name), postgres.app))
        variables["SPARK_DATABASE_URL"] = postgres.url("app", name)
        settings = Settings(data_dir=home / "spark", database_url=postgres.url("app", name))
        reader = Settings(data_dir=home / "spark", database_url=postgres.url("admin", name))
    alice, bob = create_account(settings, "alice"), create_account(settings, "bob")
    server = SparkServer(server_env(home, **variables), home / "serve.log")
    try:
        yield Served(server.wait_ready(timeout=90), settings, reader, alice, bob, server)
    finally:
        server.stop()
    log = server.output()
    assert "Traceback" not in log and "unexpected" not in log, log[-5000:]
    assert not re.search(r'" 5\d\d ', log), log[-5000:]


async def test_every_tool_over_http(served: Served, upstream: FakeUpstream) -> None:
    async with http_client(served.url, served.alice) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == HTTP_TOOLS  # write_to_project exists over stdio only
        generate = tools["generate_unity_script"].input_schema["properties"]
        assert generate["prompt"]["maxLength"] == 20_000
        assert "project" not in generate  # no path of the server is ever read over HTTP
        assert "path" not in tools["validate_csharp"].input_schema["properties"]

        # A slow stream: progress while it streams, then the validated script and its figures.
        upstream.anthropic.enqueue(Reply(chunk_size=20, chunk_delay=0.05, input_tokens=300))
        first = await call(
            client,
            "generate_unity_script",
            {"prompt": "a coin that spins", "provider": "anthropic"},
        )
        assert not first.is_error, first.text
        data = first.data
        assert data == payload(first)  # the text is the same JSON, for text-only clients
        assert data["ok"] is True and data["file_name"] == "CoinSpinner.cs"
        assert data["code"] in DEFAULT_TEXT and data["model"] == "claude-sonnet-5-5"
        assert data["usage"]["input_tokens"] == 300 and data["cost_usd"] is not None
        assert data["validation"]["ok"] is True
        assert data["resource_uri"] == f"spark://generations/{data['generation_id']}"
        messages = [m for _, m in first.progress]
        assert any(m and m.startswith("Writing the script") for m in messages), messages
        assert any(m and m.startswith("Validation: OK") for m in messages), messages
        values = [v for v, _ in first.progress]
        assert values == sorted(set(values))  # progress only grows

        # A retried fault: a progress notification says so, the answer counts the attempts.
        upstream.anthropic.enqueue(Fault.overloaded(), Reply())
        retried = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
        assert not retried.is_error and retried.data["attempts"] == 2
        assert any("retrying" in (m or "") for _, m in retried.progress), retried.progress
        assert retried.data["retries"] and "attempt 2 of 4" in retried.data["retries"][0]

        # A permanent error: isError, SPARK's message and hint, no secret; the row is failed.
        upstream.anthropic.enqueue(Fault.auth())
        refused = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
        assert refused.is_error
        assert "Anthropic rejected the API key (401)" in refused.text and "\nHint: " in refused.text
        assert refused.data["error"]["kind"] == "auth" and refused.data["generation_id"]
        assert "SECRET" not in refused.text and "Traceback" not in refused.text
        unknown = await call(
            client,
            "generate_unity_script",
            {"prompt": "a coin", "provider": "anthropic", "model": "claude-nope"},
        )
        assert unknown.is_error and unknown.text.startswith("Unknown model 'claude-nope'")
        assert "Try claude-" in unknown.text and "list_models" in unknown.text

        # The other tools.
        checked = await call(client, "validate_csharp", {"code": BAD_DOOR})
        assert not checked.is_error and checked.data["file_name"] == "Door.cs"
        assert [d["rule_id"] for d in checked.data["diagnostics"]] == ["SPK009"]
        fixed = await call(client, "validate_csharp", {"code": BAD_DOOR, "fix": True})
        assert [f["rule_id"] for f in fixed.data["fixed"]] == ["SPK009"]
        assert 'CompareTag("Player")' in fixed.data["fixed_code"] and fixed.data["changed"]
        broken = await call(
            client, "validate_csharp", {"code": "class A { void F() { int x = 1 } }"}
        )
        assert broken.data["ok"] is False and broken.data["counts"]["error"] >= 1
        no_path = await call(client, "validate_csharp", {"path": "/etc/passwd"})
        assert no_path.is_error and "only accepted over stdio" in no_path.text
        compiled = await call(client, "compile_check", {"code": BAD_DOOR})
        assert not compiled.is_error and compiled.data["status"] == "skipped"
        assert compiled.data["why_skipped"]  # no Unity assemblies on this server: it says why
        models = await call(client, "list_models", {"provider": "anthropic"})
        assert {m["id"] for m in models.data["models"]} >= {"claude-sonnet-5-5"}
        assert all(m["available"] for m in models.data["models"])
        cost = await call(client, "estimate_cost", {"prompt": "a coin", "provider": "openai"})
        assert cost.data["models"] and all(m["provider"] == "openai" for m in cost.data["models"])
        history = await call(client, "list_history", {"provider": "anthropic"})
        assert history.data["total"] == 4  # succeeded, retried, refused by the key, unknown model
        assert [i["status"] for i in history.data["items"]] == ["failed", "failed"] + [
            "succeeded"
        ] * 2
        assert "code" not in history.data["items"][0]
        found = await call(client, "get_generation", {"generation_id": data["generation_id"]})
        assert found.data["code"] == data["code"] and found.data["status"] == "succeeded"
        stats = await call(client, "usage_stats", {"days": 7})
        assert stats.data["total_generations"] == 4 and stats.data["input_tokens"] >= 300
        script = await client.read_resource(data["resource_uri"])
        assert script.contents[0].text == data["code"]  # type: ignore[union-attr]
        rules = await client.read_resource("spark://rules")
        assert '"id": "SPK001"' in rules.contents[0].text  # type: ignore[union-attr]
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert prompts == {"monobehaviour", "scriptable_object", "editor_window"}
    assert "SECRET" not in served.server.output()


async def test_a_second_user_sees_nothing_of_the_first(
    served: Served, upstream: FakeUpstream
) -> None:
    async with http_client(served.url, served.alice) as alice:
        mine = await call(alice, "generate_unity_script", {"prompt": "a private coin"})
        assert not mine.is_error, mine.text
    generation, conversation = mine.data["generation_id"], mine.data["conversation_id"]
    async with http_client(served.url, served.bob) as bob:
        listed = await call(bob, "list_history", {"search": "private"})
        assert listed.data["total"] == 0 and listed.data["items"] == []
        read = await call(bob, "get_generation", {"generation_id": generation})
        assert read.is_error and f"no generation {generation}" in read.text
        with pytest.raises(MCPError, match="no script for generation"):
            await bob.read_resource(f"spark://generations/{generation}")
        follow = await call(
            bob, "generate_unity_script", {"prompt": "more", "conversation_id": conversation}
        )
        assert follow.is_error and "no conversation" in follow.text
        stats = await call(bob, "usage_stats")
        assert stats.data["total_generations"] == 0
        own = await call(bob, "generate_unity_script", {"prompt": "bob's own rotator"})
        assert not own.is_error
    all_rows = await asyncio.to_thread(rows, served.reader)
    owners = {row["id"]: row["user_id"] for row in all_rows}
    assert owners[generation] != owners[own.data["generation_id"]]
    async with http_client(served.url, served.alice) as alice:
        again = await call(alice, "list_history", {"search": "rotator"})
        assert again.data["total"] == 0


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_cancelling_a_call_stops_the_generation(
    served: Served, upstream: FakeUpstream, mode: str
) -> None:
    upstream.anthropic.enqueue(Reply(chunk_size=4, chunk_delay=0.5, input_tokens=420))
    before = len(await asyncio.to_thread(rows, served.reader))
    async with http_client(served.url, served.alice, mode=mode) as client:
        seen = await cancel_mid_stream(
            client, {"prompt": "a coin to cancel", "provider": "anthropic"}
        )
    assert any(m and m.startswith("Writing the script") for m in seen)
    found = await wait_for_rows(
        served.reader, lambda r: len(r) > before and r[-1]["status"] != "running"
    )
    assert (found[-1]["status"], found[-1]["error_kind"]) == ("failed", "cancelled")
    assert found[-1]["input_tokens"] == 420  # billed before the cancel: counted


def _post(url: str, body: bytes, **headers: str) -> httpx2.Response:
    base = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
    }
    return httpx2.post(url + "/mcp", content=body, headers=base | headers, timeout=60)


def test_hostile_requests_get_clean_answers(served: Served) -> None:
    url, bearer = served.url, f"Bearer {served.alice}"
    anonymous = _post(url, b"{}")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"]["kind"] == "unauthenticated"
    assert "spark tokens create" in anonymous.json()["error"]["hint"]
    wrong = _post(url, b"{}", authorization="Bearer spark_not-a-token")
    assert wrong.status_code == 401
    latin = httpx2.post(url + "/mcp", headers={"Authorization": b"Bearer spark_\xe9\xff"})
    assert latin.status_code == 401
    other_site = _post(url, b"{}", authorization=bearer, origin="https://evil.example")
    assert other_site.status_code == 403 and other_site.json()["error"]["kind"] == "cross_site"
    for body in (b'{"jsonrpc": "2.0", "id": 1, "method"', b"[1, 2]", b"\xff\xfe", b"[" * 5000):
        answer = _post(url, body, authorization=bearer)
        assert 400 <= answer.status_code < 500, (body[:20], answer.status_code, answer.text)
    huge = b'{"x": "' + b"x" * 400_000 + b'"}'
    declared = _post(url, huge, authorization=bearer)
    assert declared.status_code == 413 and declared.json()["error"]["kind"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once past the limit
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    chunked = httpx2.post(
        url + "/mcp",
        content=chunks(),
        headers={"authorization": bearer, "content-type": "application/json"},
        timeout=60,
    )
    assert chunked.status_code == 413, (chunked.headers, chunked.text)
    assert chunked.json()["error"]["kind"] == "too_large"
    for method in ("GET", "DELETE", "PUT"):
        other = httpx2.request(method, url + "/mcp", headers={"Authorization": bearer}, timeout=60)
        assert other.status_code == 405 and other.headers["allow"] == "POST", method


def _raw_call(url: str, token: str, arguments: bytes) -> dict[str, object]:
    """A tools/call of generate_unity_script written by hand (the SDK's client cannot send a
    lone surrogate): the 2026-07-28 envelope, JSON arguments as given."""
    meta = {PROTOCOL_VERSION_META_KEY: "2026-07-28", CLIENT_CAPABILITIES_META_KEY: {}}
    head = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call"})[:-1]
    params = f', "params": {{"name": "generate_unity_script", "_meta": {json.dumps(meta)}, '
    body = (head + params).encode() + b'"arguments": ' + arguments + b"}}"
    answer = _post(
        url,
        body,
        authorization=f"Bearer {token}",
        **{"mcp-method": "tools/call", "mcp-name": "generate_unity_script"},
    )
    assert answer.status_code == 200, answer.text
    data = answer.text if answer.text.startswith("{") else answer.text.split("data: ")[-1]
    result: dict[str, object] = json.loads(data)["result"]
    return result


def test_text_that_is_not_text_is_refused_by_name(served: Served) -> None:
    for arguments, named in (
        (b'{"prompt": "a\\ud800coin"}', "prompt"),
        (b'{"prompt": "a coin", "model": "\\udfff"}', "model"),
        (b'{"prompt": "a coin", "conversation_id": "c\\u0000"}', "conversation_id"),
    ):
        result = _raw_call(served.url, served.alice, arguments)
        text = result["content"][0]["text"]  # type: ignore[index]
        assert result["isError"] is True and named in text and "\nHint: " in text, text


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"prompt": "a\x00coin"}, "prompt"),
        ({"prompt": "a coin", "model": "m\x00"}, "model"),
        ({"prompt": 5}, "prompt"),
        ({"prompt": "x" * 20_001}, "20,000"),
        ({"prompt": "   "}, "empty"),
        ({"prompt": "a coin", "provider": "nope"}, "Unknown provider 'nope'"),
    ],
    ids=["NUL", "NUL in model", "not a string", "too long", "empty", "provider"],
)
async def test_bad_arguments_are_tool_errors_that_name_them(
    served: Served, arguments: dict[str, object], named: str
) -> None:
    async with http_client(served.url, served.alice) as client:
        answer = await call(client, "generate_unity_script", arguments)
        assert answer.is_error and named in answer.text, answer.text
        assert "\nHint: " in answer.text and "Traceback" not in answer.text
        unknown = await client.call_tool("no_such_tool", {})
        assert unknown.is_error


async def test_sigterm_stops_a_call_with_a_shutdown_error_and_finishes_its_row(
    tmp_path: Path, upstream_server: FakeUpstream, upstream: FakeUpstream
) -> None:
    """A real `spark serve`, an MCP call in the middle of a reply, SIGTERM: the call answers
    with a tool error of kind `shutdown` (not a cut connection), and the row is finished as
    failed/shutdown with what the provider had billed - as the web app's streams do."""
    upstream.anthropic.enqueue(Reply(chunk_size=4, chunk_delay=0.5, input_tokens=420))
    settings = Settings(data_dir=tmp_path / "spark")
    token = await asyncio.to_thread(create_account, settings, "carol")
    server = SparkServer(server_env(tmp_path, **upstream_env(upstream_server)), tmp_path / "s.log")
    progress: list[str | None] = []
    try:
        url = server.wait_ready(timeout=90)
        async with http_client(url, token) as client:

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append(message)
                if message and message.startswith("Writing the script"):
                    server.process.send_signal(signal.SIGTERM)

            with anyio.fail_after(CALL_TIMEOUT):
                result = await client.call_tool(
                    "generate_unity_script",
                    {"prompt": "a coin that spins", "provider": "anthropic"},
                    progress_callback=on_progress,
                )
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM), server.output()
    assert result.is_error, result
    error = (result.structured_content or {}).get("error") or json.loads(result.content[0].text)
    error = error.get("error", error)
    assert error["kind"] == "shutdown", error
    assert "shutting down" in error["message"]
    found = await asyncio.to_thread(rows, settings)
    assert [(r["status"], r["error_kind"], r["input_tokens"]) for r in found] == [
        ("failed", "shutdown", 420)
    ]
    assert "Traceback" not in server.output()
