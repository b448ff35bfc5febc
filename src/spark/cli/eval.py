"""``spark eval``: run a suite of prompts on several models and compare what they write.

Only the command's signature lives here; the work is in ``run_eval`` (imported on use).
"""

from __future__ import annotations

from typing import Annotated

import typer


def eval_models(
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            "-m",
            help="Comma-separated provider:model list, e.g. "
            "anthropic:claude-sonnet-5-5,openai:gpt-6.2-sol (a provider alone: its default).",
        ),
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option("--suite", help="A suite TOML file (default: the built-in suite)."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="A Unity project: prompts are written for it and scripts compile-checked in it.",
        ),
    ] = None,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=20, help="Generations per prompt and model.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=16, help="Models run at the same time.")
    ] = 4,
    json_out: Annotated[
        str | None,
        typer.Option("--json", help="Write the report as JSON to this file (- for stdout)."),
    ] = None,
    html_out: Annotated[
        str | None, typer.Option("--html", help="Write a self-contained HTML report to this file.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Finish an interrupted run (its id), skipping done items."),
    ] = None,
    list_runs: Annotated[
        bool, typer.Option("--list", help="List the eval runs in the database and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Run a suite of Unity prompts on each model and report which writes the best code."""
    from spark.cli.run_eval import EvalOptions, run_eval

    run_eval(
        EvalOptions(
            models=models,
            suite=suite,
            project=project,
            runs=runs,
            concurrency=concurrency,
            json_out=json_out,
            html_out=html_out,
            resume=resume,
            list_runs=list_runs,
        ),
        debug=debug,
    )
