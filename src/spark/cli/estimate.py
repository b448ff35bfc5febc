"""``spark estimate``: what a generation would cost on each model, before running it.

The system prompt is priced as ``spark generate`` would send it: for the Unity target of
``--project`` (or ``SPARK_UNITY_PROJECT``, else the server's settings), with the team's and the
command line user's instructions read from the database (docs/teams.md), as the web app's and
MCP's estimates do. Only the signature lives at module level; the engine
(``Engine.estimate``), the database and Rich load on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from spark.estimate import CostReport
    from spark.instructions import Instructions


def estimate(
    prompt: Annotated[
        str, typer.Argument(help="The prompt you would send ('' with --prompt-tokens).")
    ] = "",
    prompt_tokens: Annotated[
        int | None,
        typer.Option("--prompt-tokens", min=0, help="Expected prompt size instead of PROMPT."),
    ] = None,
    output_tokens: Annotated[
        int | None,
        typer.Option("--output-tokens", min=0, help="Expected reply size (default 1500)."),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Only this provider.")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="Price what `spark generate --project` sends: the system prompt for that "
            "Unity project (default SPARK_UNITY_PROJECT).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Estimate the cost of PROMPT on every model, cheapest first (token counts estimated),
    with the system prompt `spark generate` sends (your Unity target and instructions)."""
    import asyncio
    import json

    from spark.cli.common import fail, settings_or_exit, stdout_console
    from spark.errors import SparkError
    from spark.estimate import DEFAULT_OUTPUT_TOKENS, report_json
    from spark.generation import Engine
    from spark.unity.target import resolve_target

    settings = settings_or_exit(debug)
    try:
        engine = Engine(settings)
        if provider is not None:
            engine.catalog.provider(provider)  # an unknown name, before the database is opened
        target = resolve_target(settings, project=project)
        report = engine.estimate(  # builds no provider: nothing to close
            prompt=prompt,
            prompt_tokens=prompt_tokens,
            output_tokens=DEFAULT_OUTPUT_TOKENS if output_tokens is None else output_tokens,
            provider=provider,
            target=target,
            instructions=asyncio.run(_instructions(settings)),
        )
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps(report_json(report), indent=2))
        return
    console = stdout_console()
    console.print(report_table(report))
    console.print(
        f"input ≈ {report.input_tokens:,} tokens ({report.prompt_tokens:,} prompt + "
        f"{report.system_prompt_tokens:,} system prompt), output ≈ {report.output_tokens:,} · "
        "★ cheapest current paid model · ? price unknown"
    )
    console.print(report.note, style="dim")


async def _instructions(settings: Any) -> Instructions:
    """The team's and the command line user's instructions in force, as `spark generate`
    reads them (one statement; the database is made ready as for a generation)."""
    from spark.db.local import open_cli_database
    from spark.db.team_controls import generation_context

    async with open_cli_database(settings) as local:
        context = await generation_context(
            settings=settings, database=local.database, user_id=local.user_id
        )
    return context.instructions


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def report_table(report: CostReport) -> Any:
    """A Rich table of the report, one row a model."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Estimated cost of one generation", title_justify="left")
    table.add_column("provider", no_wrap=True)
    table.add_column("model", overflow="fold")
    table.add_column("cost", justify="right", no_wrap=True)
    table.add_column("$/M in", justify="right")
    table.add_column("$/M out", justify="right")
    table.add_column("price checked")
    table.add_column("available")
    for r in report.rows:
        cost = "?" if r.cost_usd is None else "free" if r.free else f"${r.cost_usd}"
        if r.cheapest:
            cost = f"★ {cost}"
        table.add_row(
            escape(r.provider),
            escape(r.display_name),
            cost,
            _text(r.input_per_million) or "?",
            _text(r.output_per_million) or "?",
            r.price_checked.isoformat() if r.price_checked else "-",
            "yes" if r.available else "no",
            style="bold green" if r.cheapest else "dim" if not r.available else None,
        )
    return table
