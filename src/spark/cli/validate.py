"""``spark validate``: check C# files for syntax errors and Unity mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spark.cli.common import settings_or_exit, stdout_console


def validate(
    files: Annotated[list[Path], typer.Argument(help="C# files to check.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    unity_version: Annotated[
        str | None, typer.Option("--unity-version", help="Target Unity version, e.g. 6000.0.")
    ] = None,
    input_system: Annotated[
        str | None, typer.Option("--input-system", help="legacy, new or both.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Validate FILES; exit 1 when any has an error, 2 when a file cannot be read."""
    from spark.cli_validate import validate_files

    settings = settings_or_exit(debug)
    code = validate_files(
        files,
        json_output=json_output,
        unity_version=unity_version or settings.unity_version,
        input_system=input_system or settings.input_system,
        console=stdout_console(),
    )
    raise typer.Exit(code)
