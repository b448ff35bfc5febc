"""``spark validate`` and ``spark rules``: check C# files for syntax errors and Unity mistakes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from spark.cli.common import EXIT_USAGE, stderr_console, stdout_console

# The validator's own defaults; SPARK_UNITY_VERSION / SPARK_INPUT_SYSTEM override them.
DEFAULT_UNITY_VERSION = "6000.0"
DEFAULT_INPUT_SYSTEM = "both"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def validate(
    files: Annotated[list[Path], typer.Argument(help="C# files to check; - reads stdin.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text (compiler style) or json.")
    ] = OutputFormat.text,
    json_output: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    unity_version: Annotated[
        str | None, typer.Option("--unity-version", help="Target Unity version, e.g. 6000.0.")
    ] = None,
    input_system: Annotated[
        str | None, typer.Option("--input-system", help="legacy, new or both.")
    ] = None,
) -> None:
    """Validate FILES; exit 1 when any has an error, 2 when a file cannot be read."""
    from spark.cli_validate import validate_files

    # Read the two settings without building Settings (pydantic-settings costs ~0.3 s to
    # import, and `spark validate` should start fast): environment first, then .env.
    unity_version = unity_version or _setting("SPARK_UNITY_VERSION", DEFAULT_UNITY_VERSION)
    input_system = input_system or _setting("SPARK_INPUT_SYSTEM", DEFAULT_INPUT_SYSTEM)
    code = validate_files(
        files,
        json_output=json_output or output_format is OutputFormat.json,
        unity_version=unity_version,
        input_system=input_system,
        console=stdout_console(),
    )
    raise typer.Exit(code)


def _setting(name: str, default: str) -> str:
    import os

    value = os.environ.get(name)
    if not value:
        from dotenv import dotenv_values

        value = dotenv_values(".env").get(name) if Path(".env").is_file() else None
    return value.strip() if value and value.strip() else default


def rules(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the validator's rules: id, severity, what each catches, Unity analyzer id."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from spark.unity.rules import iter_rules

    try:
        all_rules = list(iter_rules())
    except Exception as exc:  # a broken rules file must not print a traceback
        stderr_console().print(f"[bold red]Error:[/] could not load the rules: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from exc
    if json_output:
        rows = [
            {
                "id": rule.id,
                "severity": rule.severity,
                "title": rule.title,
                "hint": rule.hint,
                "analyzer_id": rule.analyzer_id,
                "docs": rule.docs,
            }
            for rule in all_rules
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="SPARK validation rules", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("severity")
    table.add_column("what it catches", overflow="fold")
    table.add_column("analyzer", no_wrap=True)
    for rule in all_rules:
        table.add_row(rule.id, rule.severity, escape(rule.title), rule.analyzer_id or "")
    stdout_console().print(table)
    stdout_console().print("Details and fixes: docs/validation.md")
