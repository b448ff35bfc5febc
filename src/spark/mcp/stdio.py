"""``spark mcp``: the MCP server over stdio, for a desktop assistant on this machine.

The assistant starts ``spark mcp`` as a subprocess and speaks MCP on its standard input and
output (so nothing else may ever be written to standard output: logs go to standard error).
Generations are recorded under ``SPARK_CLI_USER`` in the CLI's database, exactly as ``spark
generate`` records them; the Unity project (``--project``, else ``SPARK_UNITY_PROJECT``) is read
for every generation and is the only folder ``write_to_project`` writes into. The engine and
the database stay open for the process's life, so every call after the first is quick.
"""

from __future__ import annotations

from pathlib import Path

from spark.config import Settings
from spark.db import Database
from spark.db.local import open_cli_database
from spark.generation import Engine
from spark.mcp.server import build_server
from spark.mcp.service import Caller, McpService
from spark.unity.target import resolve_target


async def serve_stdio(settings: Settings, *, project: str | None = None) -> None:
    """Serve MCP on stdin/stdout until the client closes them. A project that is not a Unity
    project, or a database that cannot be used, raises a SparkError before anything is read."""
    target = resolve_target(settings, project=project)  # reads the project: fails early
    root = target.project.root if target.project is not None else None
    async with open_cli_database(settings) as local, Engine(settings) as engine:

        async def database() -> Database:
            return local.database

        service = McpService(
            settings=settings,
            engine=engine,
            database=database,
            transport="stdio",
            local_user=Caller(local.user_id, local.username),
            project=Path(root) if root is not None else None,
        )
        await build_server(service).run_stdio_async()
