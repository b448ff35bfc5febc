"""``spark generate``: a prompt in, a Unity script file out, with the reply streaming live.

Only the command's signature lives here; the work is in ``run_generate`` (imported on use).
"""

from __future__ import annotations

from typing import Annotated

import typer


def generate(
    prompt: Annotated[str, typer.Argument(help="What the script should do, in a sentence.")],
    provider: Annotated[
        str | None,
        typer.Option("--provider", "-p", help="anthropic, openai, openai_compat or offline."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model id.")] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="A .cs file, or a folder (existing, or ending in /)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one machine-readable JSON result.")
    ] = False,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Don't show the reply as it streams.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            "-f",
            help="Overwrite an existing file (without it: Name.cs.new, Name.cs.new-2, …).",
        ),
    ] = False,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="A Unity project: write for its version, packages and classes, compile-check "
            "the script in it, and save it under Assets/ (default SPARK_UNITY_PROJECT).",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache", help="Ask the model anew even if the response cache has an answer."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Generate a Unity C# script from PROMPT and write it to a file."""
    from spark.cli.run_generate import run_generate

    run_generate(
        prompt,
        provider=provider,
        model=model,
        output=output,
        json_output=json_output,
        no_stream=no_stream,
        force=force,
        debug=debug,
        project=project,
        use_cache=not no_cache,
    )
