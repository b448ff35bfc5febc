"""``spark models``: every provider's models with availability, status and prices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spark.cli.common import fail, settings_or_exit, stdout_console

if TYPE_CHECKING:
    from spark.config import Settings


def models(
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Only this provider.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """List models: which are available (key set), their status and prices per million tokens."""
    import asyncio
    import json

    from rich.markup import escape
    from rich.table import Table

    from spark.errors import SparkError

    settings = settings_or_exit(debug)
    try:
        rows = asyncio.run(_collect(settings, provider))
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    console = stdout_console()
    for name in dict.fromkeys(row["provider"] for row in rows):
        provider_rows = [row for row in rows if row["provider"] == name]
        first = provider_rows[0]
        state = (
            "[green]available[/]"
            if first["available"]
            else f"[yellow]not configured: {escape(first['how_to_enable'])}[/]"
        )
        table = Table(title=f"{name} — {state}", title_justify="left", expand=False)
        table.add_column("model", no_wrap=True)
        table.add_column("name", overflow="fold")
        table.add_column("status")
        table.add_column("$/M in", justify="right")
        table.add_column("$/M out", justify="right")
        for row in provider_rows:
            status = row["status"] + (" ★" if row["default"] else "")
            style = "dim" if row["status"] in ("retired", "legacy") else None
            price = row["price"]
            table.add_row(
                escape(row["id"]),
                escape(row["display_name"]),
                status,
                price["input"] if price else "?",
                price["output"] if price else "?",
                style=style,
            )
        console.print(table)
    console.print(
        "★ default model · prices in USD per million tokens (spark models --json for more)"
    )


async def _collect(settings: Settings, only: str | None) -> list[dict[str, Any]]:
    from spark.generation import Engine
    from spark.models import model_json

    async with Engine(settings) as engine:
        return [
            model_json(model, provider)
            for provider in await engine.models.overview(only)
            for model in provider.models
        ]
