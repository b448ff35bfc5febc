"""The MCP server: SPARK's tools, resources and prompts on the SDK's ``MCPServer`` (FastMCP).

:func:`build_server` registers everything for one :class:`~spark.mcp.service.McpService`:
the tools of :mod:`spark.mcp.tools` (and, over stdio only, ``write_to_project``), the
resources and prompts of :mod:`spark.mcp.resources`. Each tool's JSON schema is then fitted
to this server, so that an agent can call it right the first time: the prompt's length limit
(``SPARK_MAX_PROMPT_CHARS``), the provider names (which of them are available here), model ids
to try, and no ``project``/``path`` argument over HTTP, where no tool reads server files.

Failures are SPARK's (:class:`SparkTool`): a SparkError raised by a tool, and arguments that
do not fit the schema, come back as ``isError`` with a message and a hint; anything
unexpected is logged and answered with a generic message (no traceback reaches the client).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations
from pydantic import ValidationError

from spark import __version__
from spark.catalog import Catalog
from spark.errors import SparkError, UsageError
from spark.mcp import project, resources, tools
from spark.mcp.service import McpService, tool_error

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
SPARK writes Unity C# scripts. Call generate_unity_script with what the script should do; the \
answer has the code, its file name (ClassName.cs), whether SPARK's validation and compile check \
passed (`ok`), tokens, cost and a generation_id. Pass the answer's conversation_id back to \
revise the same script. validate_csharp and compile_check check code you wrote yourself; \
list_models and estimate_cost help choose a model; list_history, get_generation and \
usage_stats read your history."""

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


class SparkTool(Tool):
    """A tool whose failures are answered in SPARK's words (see the module docstring)."""

    async def run(
        self, arguments: dict[str, Any], context: Any, convert_result: bool = False
    ) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            service: McpService = context.request_context.lifespan_context
            cause = exc.__cause__
            if isinstance(cause, SparkError):
                return tool_error(cause, service.settings)
            if isinstance(cause, ValidationError):
                return tool_error(invalid_arguments(self.name, cause))
            if isinstance(exc, UnexpectedToolError):
                log.error("MCP tool %s failed unexpectedly", self.name, exc_info=cause)
                return tool_error(
                    SparkError(
                        f"SPARK failed unexpectedly while running {self.name}.",
                        hint="The server's log has the details; try again, or report it.",
                    )
                )
            raise


def invalid_arguments(tool: str, error: ValidationError) -> UsageError:
    """Arguments that do not fit the schema, each named with what is wrong."""
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(f"{where}: {item['msg']}")
    return UsageError(
        f"The arguments do not fit {tool}: {'; '.join(problems)}.",
        hint="See the tool's input schema for each argument's type and limits.",
    )


def build_server(service: McpService) -> MCPServer[McpService]:
    """SPARK's MCP server for ``service`` (stdio or HTTP, as ``service.transport`` says)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[McpService]) -> AsyncIterator[McpService]:
        yield service  # the tools' state; its engine and database are the caller's to close

    registered = [_tool(fn, name, hints) for fn, name, hints in _TOOLS]
    if service.local:
        write = ToolAnnotations(destructive_hint=True, idempotent_hint=False, open_world_hint=False)
        registered.append(_tool(project.write_to_project, "write_to_project", write))
    for tool in registered:
        fit_schema(tool, service)
    # The SDK's constructor configures the root logger (a Rich handler) unless it already has a
    # handler; SPARK's processes set up their own logging, so it is given one to find.
    root, placeholder = logging.getLogger(), logging.NullHandler()
    root.addHandler(placeholder)
    try:
        server = MCPServer[McpService](
            "spark",
            title="SPARK",
            instructions=INSTRUCTIONS,
            version=__version__,
            tools=list(registered),
            lifespan=lifespan,
        )
    finally:
        root.removeHandler(placeholder)
    server.resource(
        resources.GENERATION_URI,
        name="generation",
        title="A generated script",
        description="The C# script of one of your generations (spark://generations/{id}).",
        mime_type="text/x-csharp",
    )(resources.generation_code)
    server.resource(
        resources.RULES_URI,
        name="rules",
        title="SPARK's validation rules",
        description="Every rule validate_csharp and generate_unity_script check, as JSON.",
        mime_type="application/json",
    )(resources.rules)
    for prompt in (resources.monobehaviour, resources.scriptable_object, resources.editor_window):
        server.prompt()(prompt)
    return server


_TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (
        tools.generate_unity_script,
        "generate_unity_script",
        ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True),
    ),
    (tools.validate_csharp, "validate_csharp", READ_ONLY),
    (tools.compile_check, "compile_check", READ_ONLY),
    (tools.list_models, "list_models", READ_ONLY),
    (tools.estimate_cost, "estimate_cost", READ_ONLY),
    (tools.list_history, "list_history", READ_ONLY),
    (tools.get_generation_by_id, "get_generation", READ_ONLY),
    (tools.usage_stats, "usage_stats", READ_ONLY),
]


def _tool(fn: Callable[..., Any], name: str, annotations: ToolAnnotations) -> Tool:
    return SparkTool.from_function(fn, name=name, annotations=annotations)


# --- schemas fitted to the server -------------------------------------------------------------

PROVIDER_ARGUMENTS = {
    "generate_unity_script": "provider",
    "list_models": "provider",
    "estimate_cost": "provider",
    "list_history": "provider",
}
LOCAL_ARGUMENTS = {"generate_unity_script": "project", "validate_csharp": "path"}


def fit_schema(tool: Tool, service: McpService) -> None:
    """Write this server's constraints into ``tool``'s input schema (see the module docstring)."""
    properties: dict[str, Any] = tool.parameters.get("properties", {})
    settings, catalog = service.settings, service.engine.catalog
    limit = settings.max_prompt_chars
    if tool.name == "generate_unity_script":
        _string(properties["prompt"]).update(minLength=1, maxLength=limit)
        properties["model"]["description"] += " " + model_hint(catalog, service)
    if tool.name == "estimate_cost":
        _string(properties["prompt"])["maxLength"] = limit
    if (argument := PROVIDER_ARGUMENTS.get(tool.name)) is not None:
        names = [p.id for p in catalog.providers]
        _string(properties[argument])["enum"] = names
        available = service.engine.models.available_providers()
        properties[argument]["description"] = (
            properties[argument].get("description", "")
            + f" Available on this server: {', '.join(available)}."
        ).strip()
    if not service.local and (argument := LOCAL_ARGUMENTS.get(tool.name)) is not None:
        properties.pop(argument, None)


def _string(schema: dict[str, Any]) -> dict[str, Any]:
    """The string branch of an optional string's schema (or the schema itself)."""
    for branch in schema.get("anyOf", ()):
        if branch.get("type") == "string":
            return branch  # type: ignore[no-any-return]
    return schema


def model_hint(catalog: Catalog, service: McpService) -> str:
    """A few current model ids of each available provider, the default first."""
    parts = []
    for provider in service.engine.models.available_providers():
        current = [m for m in catalog.models(provider) if m.status == "current"]
        current.sort(key=lambda m: not m.default)
        ids = ", ".join(m.id for m in current[:4])
        if ids:
            parts.append(f"{provider}: {ids}")
    return ("Model ids here: " + "; ".join(parts) + ".") if parts else ""
