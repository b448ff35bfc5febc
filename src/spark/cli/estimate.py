"""``spark estimate``: what a generation would cost on each model, before running it.

Only the signature lives at module level; the engine (``Engine.estimate``) and Rich load on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from spark.estimate import CostReport


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
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Estimate the cost of PROMPT on every model, cheapest first (token counts estimated)."""
    import json

    from spark.cli.common import fail, settings_or_exit, stdout_console
    from spark.errors import SparkError
    from spark.estimate import DEFAULT_OUTPUT_TOKENS, report_json
    from spark.generation import Engine

    settings = settings_or_exit(debug)
    try:
        report = Engine(settings).estimate(  # builds no provider: nothing to close
            prompt=prompt,
            prompt_tokens=prompt_tokens,
            output_tokens=DEFAULT_OUTPUT_TOKENS if output_tokens is None else output_tokens,
            provider=provider,
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
