"""Driving SPARK's MCP server with the SDK's own client, over stdio and over HTTP.

- :func:`stdio_client`: ``spark mcp`` as a subprocess (the way a desktop assistant starts it).
- :func:`http_client`: the SDK's Streamable HTTP client against a real ``spark serve``, with an
  API token.
- :class:`Calls`: a tool call's answer (its text, structured content, ``isError``) and the
  progress notifications it got.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from spark.config import Settings
from spark.db import Database
from spark.db.models import GenerationRecord
from tests.fakes.upstream import FakeUpstream
from tests.test_cli import fake_env

# Long enough for a slow machine: these are limits, not timings being measured.
CALL_TIMEOUT = 120


HTTP_TOOLS = {
    "generate_unity_script",
    "validate_csharp",
    "compile_check",
    "list_models",
    "estimate_cost",
    "list_history",
    "get_generation",
    "usage_stats",
}


def upstream_env(upstream: FakeUpstream) -> dict[str, str]:
    """Both providers pointed at the fake upstream, with quick retries and keys that a test
    can look for (they must never reach an answer or a log)."""
    return fake_env(
        upstream,
        ANTHROPIC_API_KEY="sk-ant-test-SECRET-KEY-4242",
        OPENAI_API_KEY="sk-openai-test-SECRET-KEY-4343",
    )


@asynccontextmanager
async def stdio_client(env: dict[str, str], *args: str, **options: Any) -> AsyncIterator[Client]:
    """``spark mcp ARGS`` started by the SDK's client, with exactly ``env``."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "spark", "mcp", *args], env=env
    )
    async with Client(params, read_timeout_seconds=CALL_TIMEOUT, **options) as client:
        yield client


@asynccontextmanager
async def http_client(url: str, token: str | None, **options: Any) -> AsyncIterator[Client]:
    """The SDK's Streamable HTTP client on ``url``/mcp with ``token``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT) as http,
        Client(
            streamable_http_client(url + "/mcp", http_client=http),
            read_timeout_seconds=CALL_TIMEOUT,
            **options,
        ) as client,
    ):
        yield client


@dataclass
class Answer:
    """One tool call's answer, and the progress notifications that came before it."""

    is_error: bool
    text: str
    data: dict[str, Any]
    progress: list[tuple[float, str | None]] = field(default_factory=list)


async def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> Answer:
    """Call ``tool`` and collect its progress notifications."""
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    with anyio.fail_after(CALL_TIMEOUT):
        result = await client.call_tool(tool, arguments or {}, progress_callback=on_progress)
    text = "".join(getattr(block, "text", "") for block in result.content)
    data = result.structured_content or {}
    return Answer(bool(result.is_error), text, data, progress)


async def cancel_mid_stream(client: Client, arguments: dict[str, Any]) -> list[str | None]:
    """Start ``generate_unity_script``, wait for the streaming to begin (a progress
    notification that says so), then cancel the call; the progress messages seen."""
    seen: list[str | None] = []
    streaming = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append(message)
        if message and message.startswith("Writing the script"):
            streaming.set()

    async def generate() -> None:
        await client.call_tool("generate_unity_script", arguments, progress_callback=on_progress)

    with anyio.fail_after(CALL_TIMEOUT):
        async with anyio.create_task_group() as group:
            group.start_soon(generate)
            await streaming.wait()
            group.cancel_scope.cancel()
    return seen


def rows(settings: Settings) -> list[dict[str, Any]]:
    """Every history row (status, error kind, user, tokens), oldest first."""

    async def read() -> list[dict[str, Any]]:
        async with Database.from_settings(settings) as database, database.session() as session:
            h = GenerationRecord
            found = await session.execute(
                select(h.id, h.user_id, h.status, h.error_kind, h.input_tokens).order_by(h.id)
            )
            return [dict(row._mapping) for row in found]

    return asyncio.run(read())


async def wait_for_rows(
    settings: Settings, ready: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The history rows once ``ready`` says they are as expected (a cancelled call's row is
    finished just after the call ends), else the last ones seen after a minute."""
    found: list[dict[str, Any]] = []
    with anyio.move_on_after(60):
        while True:
            found = await asyncio.to_thread(rows, settings)
            if ready(found):
                break
            await anyio.sleep(0.1)
    return found


def payload(answer: Answer) -> dict[str, Any]:
    """The answer's JSON text (what a client that reads only text gets)."""
    parsed: dict[str, Any] = json.loads(answer.text)
    return parsed


def stdio_env(base: dict[str, str], home: Path, **variables: str) -> dict[str, str]:
    """``base`` (a scrubbed environment) with SPARK's data folder under ``home``."""
    return {**base, "HOME": str(home), "SPARK_DATA_DIR": str(home / "spark"), **variables}
