"""The MCP server in-process (the SDK's client connected to it directly): the schemas it
publishes and its answers to failures. (That the rest of the CLI does not load it:
tests/test_web_serve.py.)"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from spark.config import Settings
from spark.db import Database
from spark.errors import ConfigError
from spark.generation import Engine
from spark.mcp.server import build_server
from spark.mcp.service import Caller, McpService, Transport, error_payload
from tests.db_fixtures import fresh_sqlite


@pytest.fixture
async def database(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(fresh_sqlite(sqlite_template, tmp_path)) as db:
        yield db


def service(
    settings: Settings, database: Database, transport: Transport, **options: Any
) -> McpService:
    async def ready() -> Database:
        return database

    return McpService(
        settings=settings,
        engine=Engine(settings),
        database=ready,
        transport=transport,
        local_user=Caller(1, "local") if transport == "stdio" else None,
        **options,
    )


async def schemas(svc: McpService) -> dict[str, dict[str, Any]]:
    async with Client(build_server(svc)) as client:
        return {t.name: t.input_schema for t in (await client.list_tools()).tools}


async def test_schemas_state_this_servers_constraints(tmp_path: Path, database: Database) -> None:
    settings = Settings(data_dir=tmp_path / "spark", max_prompt_chars=500, anthropic_api_key="k")
    local = await schemas(service(settings, database, "stdio"))
    prompt = local["generate_unity_script"]["properties"]["prompt"]
    assert (prompt["minLength"], prompt["maxLength"]) == (1, 500)
    assert local["generate_unity_script"]["required"] == ["prompt"]
    provider = local["generate_unity_script"]["properties"]["provider"]
    assert provider["anyOf"][0]["enum"] == ["anthropic", "openai", "openai_compat", "offline"]
    assert "Available on this server: anthropic, offline." in provider["description"]
    model = local["generate_unity_script"]["properties"]["model"]["description"]
    assert "anthropic: claude-sonnet-5-5" in model  # the default first
    assert local["estimate_cost"]["properties"]["prompt"]["anyOf"][0]["maxLength"] == 500
    assert local["list_history"]["properties"]["limit"]["maximum"] == 100
    status = local["list_history"]["properties"]["status"]["anyOf"][0]["enum"]
    assert set(status) == {"running", "succeeded", "failed", "interrupted", "cached"}
    assert "project" in local["generate_unity_script"]["properties"]
    assert "path" in local["validate_csharp"]["properties"]
    assert "write_to_project" in local
    remote = await schemas(service(settings, database, "http"))
    assert "project" not in remote["generate_unity_script"]["properties"]
    assert "path" not in remote["validate_csharp"]["properties"]
    assert "write_to_project" not in remote


async def test_an_unexpected_failure_is_a_generic_tool_error(
    tmp_path: Path, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    svc = service(Settings(data_dir=tmp_path / "spark"), database, "stdio")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail that must stay on the server")

    svc.engine.validate = broken  # type: ignore[method-assign]
    async with Client(build_server(svc)) as client:
        with caplog.at_level(logging.ERROR, logger="spark.mcp.server"):
            answer = await client.call_tool("validate_csharp", {"code": "class A {}"})
    text = answer.content[0].text  # type: ignore[union-attr]
    assert answer.is_error and text.startswith("SPARK failed unexpectedly while running")
    assert "internal detail" not in text and "Hint: " in text
    assert "validate_csharp failed unexpectedly" in caplog.text


async def test_an_http_call_without_a_caller_is_refused(tmp_path: Path, database: Database) -> None:
    svc = service(Settings(data_dir=tmp_path / "spark"), database, "http")
    async with Client(build_server(svc)) as client:  # in-process: no HTTP request, no token
        answer = await client.call_tool("usage_stats", {})
    assert answer.is_error and "no signed-in user" in answer.content[0].text  # type: ignore[union-attr]


def test_error_answers_never_carry_a_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, anthropic_api_key="sk-ant-very-secret")
    error = ConfigError(
        "bad key sk-ant-very-secret", hint="`spark models` lists sk-ant-very-secret"
    )
    payload = error_payload(error, settings)
    assert "very-secret" not in str(payload) and "[redacted]" in payload["message"]
    assert payload["hint"].startswith("list_models")  # an agent has the tool, not the command
