"""``spark models``: every provider's models with availability, status and prices."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from spark.catalog import ModelInfo
from spark.cli.common import fail, settings_or_exit, stdout_console
from spark.config import Settings
from spark.errors import SparkError
from spark.generation import Engine
from spark.providers import PROVIDERS, is_available


def models(
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Only this provider.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """List models: which are available (key set), their status and prices per million tokens."""
    settings = settings_or_exit(debug)
    try:
        rows = asyncio.run(_collect(settings, provider))
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="SPARK models", show_lines=False)
    for column in ("provider", "model", "name", "status", "in $/M", "out $/M", "available"):
        table.add_column(column, no_wrap=column in ("model", "in $/M", "out $/M"))
    for row in rows:
        status = row["status"] + (" (default)" if row["default"] else "")
        style = "dim" if row["status"] in ("retired", "legacy") else None
        table.add_row(
            row["provider"],
            escape(row["id"]),
            escape(row["display_name"]),
            status,
            row["price"]["input"] if row["price"] else "?",
            row["price"]["output"] if row["price"] else "?",
            "yes" if row["available"] else escape(row["how_to_enable"]),
            style=style,
        )
    stdout_console().print(table)


async def _collect(settings: Settings, only: str | None) -> list[dict[str, Any]]:
    async with Engine(settings) as engine:
        names = [engine.catalog.provider(only).id] if only else list(PROVIDERS)
        rows: list[dict[str, Any]] = []
        for name in names:
            listing = await engine.models.listing(name)
            available = is_available(name, settings)
            rows.extend(
                _row(model, available, PROVIDERS[name].how_to_enable, listing.live)
                for model in listing.models
            )
        return rows


def _row(model: ModelInfo, available: bool, how: str, live: bool) -> dict[str, Any]:
    price = model.price
    return {
        "provider": model.provider,
        "id": model.id,
        "display_name": model.display_name,
        "label": model.label,
        "status": model.status,
        "default": model.default,
        "note": model.note,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "price": None
        if price is None
        else {
            "input": str(price.input),
            "output": str(price.output),
            "cache_read": str(price.cache_read),
            "cache_write": str(price.cache_write),
            "checked": price.checked.isoformat(),
        },
        "available": available,
        "how_to_enable": how,
        "live_list": live,
    }
