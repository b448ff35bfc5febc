"""What every MCP tool works with: the engine, the database, who is calling, and the answers.

One :class:`McpService` per server (it is the MCP server's lifespan state, so a tool reads it
from its ``Context``). Over **stdio** (``spark mcp``) the caller is the local user
(``SPARK_CLI_USER``, as for the CLI) and the configured Unity project (``--project`` /
``SPARK_UNITY_PROJECT``) may be read and written; over **HTTP** (``/mcp`` in the web app) the
caller is the user of the request's API token (:mod:`spark.mcp.http` puts them in the request),
every call is isolated under that user, and no tool reads or writes a path on the server.

Answers: :func:`tool_result` (the data as structured content and as JSON text) and
:func:`tool_error` (``isError`` with SPARK's own message and hint - never a traceback, never
a secret).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent

from spark.config import Settings
from spark.db import Database
from spark.errors import ConfigError, SparkError, UsageError, error_json
from spark.generation import Engine
from spark.text import redact, text_problem
from spark.unity.target import UnityTarget, resolve_target

log = logging.getLogger(__name__)

Transport = Literal["stdio", "http"]
# Where :mod:`spark.mcp.http` leaves the signed-in caller in the ASGI scope of a request.
CALLER_SCOPE_KEY = "spark.mcp.caller"


@dataclass(frozen=True, slots=True)
class Caller:
    """The SPARK user a tool call acts for."""

    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class McpService:
    """The state the tools share (see the module docstring)."""

    settings: Settings
    engine: Engine
    database: Callable[[], Awaitable[Database]]  # the database, its schema ready
    transport: Transport
    local_user: Caller | None = None  # stdio: SPARK_CLI_USER
    project: Path | None = None  # stdio: the configured Unity project folder, if any
    # HTTP inside ``spark serve``: returns once the server begins to stop (SIGTERM), so that a
    # running generation is stopped and recorded as ``shutdown`` rather than cut off.
    stopping: Callable[[], Awaitable[None]] | None = None

    @property
    def local(self) -> bool:
        """Whether the tools run for someone on this machine (stdio), who may name paths."""
        return self.transport == "stdio"

    def caller(self, ctx: Context[Any, Any]) -> Caller:
        """Who makes this call: the local user, or the API token's user of the HTTP request."""
        if self.local_user is not None:
            return self.local_user
        request = ctx.request_context.request
        scope = getattr(request, "scope", None) or {}
        caller = scope.get(CALLER_SCOPE_KEY)
        if not isinstance(caller, Caller):  # the HTTP app lets no request through without one
            raise ConfigError("This MCP call has no signed-in user.", hint=TOKEN_HINT)
        return caller

    def target(self, project: str | None = None) -> UnityTarget:
        """The Unity target of a call: over stdio the named project folder, else the
        configured one; over HTTP the server's defaults (no folder is ever read)."""
        if project and not self.local:
            raise UsageError(
                "The project argument is only accepted over stdio (spark mcp): over HTTP, "
                "SPARK never reads folders on the server.",
                hint="Leave it out; the script is written for the server's Unity version.",
            )
        if not self.local:
            return resolve_target(self.settings, allow_project=False)
        return resolve_target(self.settings, project=project or self.project)


TOKEN_HINT = (
    "Send `Authorization: Bearer <api token>` (create one with `spark tokens create NAME "
    "--user YOU` or on the Account page)."
)


def check_text(**fields: str | None) -> None:
    """Refuse (UsageError naming the argument) text SPARK cannot store: a NUL character or a
    lone surrogate, as the web app refuses them."""
    for name, value in fields.items():
        if value is not None and (problem := text_problem(value)) is not None:
            raise UsageError(
                f"The argument {name} {problem}.",
                hint="Send plain text: remove the character and call the tool again.",
            )


# Hints written for the terminal name commands; an agent has the tools instead.
_TOOLS_FOR_COMMANDS = (("`spark models`", "list_models"), ("`spark history`", "list_history"))


def error_payload(error: SparkError, settings: Settings | None = None) -> dict[str, Any]:
    """``{"kind", "message", "hint"}`` (and the provider's details), secrets removed."""
    secrets = settings.secret_values() if settings is not None else []
    payload = error_json(error)
    payload["message"] = redact(payload["message"], secrets)
    hint = redact(payload["hint"], secrets)
    for command, tool in _TOOLS_FOR_COMMANDS:
        hint = hint.replace(command, tool) if hint else hint
    payload["hint"] = hint
    return payload


def tool_result(data: dict[str, Any]) -> CallToolResult:
    """A successful answer: ``data`` as structured content, and as JSON text for clients that
    read only text."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def tool_error(error: SparkError, settings: Settings | None = None, **extra: Any) -> CallToolResult:
    """A failed call (``isError``): SPARK's message, its hint on the next line, and the same
    as structured data (``{"error": {...}, **extra}``)."""
    payload = error_payload(error, settings)
    text = payload["message"] + (f"\nHint: {payload['hint']}" if payload["hint"] else "")
    data = {"error": payload, **extra}
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=data, is_error=True
    )
