"""``spark mcp``: SPARK as an MCP server on stdio, for Claude Desktop, Claude Code, Cursor and co.

Only the command's signature lives here; the MCP SDK is imported when the command runs, so
``spark --help`` and the other commands start as fast as before (``bench/startup.py``).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from spark.cli.common import fail, one_line_warnings, settings_or_exit


def mcp(
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="A Unity project folder: generations are written for it and compile-checked "
            "in it, and write_to_project writes only into it (default SPARK_UNITY_PROJECT).",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log debug details to standard error.")
    ] = False,
) -> None:
    """Serve SPARK's tools over MCP on stdin/stdout (for an AI assistant to start).

    Tools: generate_unity_script, validate_csharp, compile_check, list_models, estimate_cost,
    list_history, get_generation, usage_stats, write_to_project. Generations are recorded
    under SPARK_CLI_USER, as for `spark generate`. See README, "Use from an AI assistant".
    """
    import anyio

    from spark.errors import SparkError
    from spark.mcp.stdio import serve_stdio

    settings = settings_or_exit(debug)
    if debug:  # settings_or_exit set up debug logging; stdout belongs to the protocol
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)
    with one_line_warnings(enabled=not debug):
        try:
            anyio.run(lambda: serve_stdio(settings, project=project))
        except SparkError as exc:
            fail(exc, debug=debug)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
