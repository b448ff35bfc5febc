"""The work behind ``spark generate``: run the engine, show the stream, write the file.

Imported only when the command runs, so other commands start fast."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text

from spark.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    fail,
    settings_or_exit,
    stderr_console,
    stdout_console,
)
from spark.cli.output import OutputTarget, plan_output, write_script
from spark.config import Settings
from spark.errors import SparkError
from spark.events import (
    DoneEvent,
    ErrorEvent,
    GenerationResult,
    RepairEvent,
    RetryEvent,
    TokenEvent,
)
from spark.generation import Engine, GenerationRequest

_PREVIEW_LINES = 24


def run_generate(
    prompt: str,
    *,
    provider: str | None,
    model: str | None,
    output: str | None,
    json_output: bool,
    no_stream: bool,
    force: bool,
    debug: bool,
) -> None:
    """Generate, display and save; exits through typer.Exit with the command's exit code."""
    settings = settings_or_exit(debug)
    try:
        target = plan_output(output)
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    request = GenerationRequest(prompt=prompt, provider=provider, model=model)
    show_tokens = not (json_output or no_stream)
    try:
        outcome = asyncio.run(_run(settings, request, show_tokens=show_tokens))
    except SparkError as exc:  # the history database could not be used
        fail(exc, debug=debug, json_output=json_output)
    if isinstance(outcome, ErrorEvent):
        fail(outcome.error, debug=debug, json_output=json_output)
    _finish(outcome.result, target, settings, json_output=json_output, force=force, debug=debug)


async def _run(
    settings: Settings, request: GenerationRequest, *, show_tokens: bool
) -> DoneEvent | ErrorEvent:
    from spark.db.local import open_cli_database

    err = stderr_console()
    # Every generation is recorded in the history of the CLI's user (SPARK_CLI_USER).
    async with open_cli_database(settings) as local, Engine(settings) as engine:
        events = engine.generate(request, recorder=local.recorder())
        if show_tokens and err.is_terminal:
            return await _run_live(events, err)
        return await _run_plain(events, err, show_tokens=show_tokens)


async def _run_live(events: Any, console: Console) -> DoneEvent | ErrorEvent:
    """A Rich live panel with the tail of the reply and a status line."""
    text = ""
    status = Text("Generating…", style="dim")
    with Live(console=console, refresh_per_second=12, transient=True) as live:
        async for event in events:
            if isinstance(event, TokenEvent):
                text += event.text
            elif isinstance(event, RetryEvent):
                text = ""
                status = Text(event.message, style="yellow")
            elif isinstance(event, RepairEvent):
                text = ""
                status = Text(f"Fixing validation errors (repair round {event.round})…", "yellow")
            elif isinstance(event, DoneEvent | ErrorEvent):
                return event
            tail = "\n".join(text.splitlines()[-_PREVIEW_LINES:])
            live.update(Group(Syntax(tail, "csharp", theme="ansi_dark"), status))
    raise RuntimeError("generation ended without a final event")  # pragma: no cover


async def _run_plain(events: Any, console: Console, *, show_tokens: bool) -> DoneEvent | ErrorEvent:
    """Tokens printed as they come (when wanted), notices on their own lines; for pipes and CI."""
    async for event in events:
        if isinstance(event, TokenEvent) and show_tokens:
            console.file.write(event.text)
            console.file.flush()
        elif isinstance(event, RetryEvent):
            console.print(f"\n[yellow]{escape(event.message)}[/]")
        elif isinstance(event, RepairEvent):
            console.print(f"\n[yellow]Fixing validation errors (repair round {event.round})…[/]")
        elif isinstance(event, DoneEvent | ErrorEvent):
            if show_tokens:
                console.file.write("\n")
            return event
    raise RuntimeError("generation ended without a final event")  # pragma: no cover


def _save(
    result: GenerationResult, target: OutputTarget, settings: Settings, force: bool
) -> tuple[Path, bool]:
    """Write the script; if that fails, keep it in the data folder so it is not lost."""
    path = target.path_for(result.file_name)
    try:
        return write_script(path, result.code, force=force)
    except OSError as exc:
        rescue = settings.data_dir / "unsaved" / result.file_name
        written, _ = write_script(rescue, result.code, force=False)
        stderr_console().print(
            f"[yellow]Could not write {escape(str(path))} ({escape(exc.strerror or str(exc))}); "
            f"saved the script to {escape(str(written))} instead.[/]"
        )
        return written, True


def _finish(
    result: GenerationResult,
    target: OutputTarget,
    settings: Settings,
    *,
    json_output: bool,
    force: bool,
    debug: bool,
) -> None:
    path, diverted = _save(result, target, settings, force)
    report = result.validation
    # A script that still has validation errors is written (nothing is lost) but exits 1.
    exit_code = EXIT_OK if report is None or report.ok else EXIT_FAILED
    if json_output:
        typer.echo(json.dumps(result_payload(result, path, diverted), indent=2))
        raise typer.Exit(exit_code)
    out = stdout_console()
    out.print(f"[bold green]✓[/] Wrote [bold]{escape(str(path))}[/]")
    if diverted and path.suffix == ".new":
        out.print(
            f"  [yellow]{escape(path.with_suffix('').name)} already exists with other content; "
            "review the .new file and rename it, or use --force to overwrite.[/]"
        )
    out.print("  " + escape(summary_line(result)))
    if result.stop_reason == "max_tokens":
        out.print(
            "  [yellow]The reply hit the output-token limit and may be cut off "
            "(raise SPARK_MAX_OUTPUT_TOKENS).[/]"
        )
    if report is not None:
        colour = "green" if report.ok else "red"
        out.print(f"  validation: [{colour}]{escape(report.summary())}[/]")
        before = result.validation_before_repair
        if before is not None:
            out.print(f"  before the repair round: {escape(before.summary())}")
        for diag in report.diagnostics[:10]:
            out.print(
                f"    {diag.severity} {diag.rule_id} line {diag.line}: {escape(diag.message)}"
            )
        if len(report.diagnostics) > 10:
            out.print(f"    … and {len(report.diagnostics) - 10} more (spark validate {path})")
    raise typer.Exit(exit_code)


def format_cost(cost: Decimal | None) -> str:
    if cost is None:
        return "cost unknown"
    return "$0" if cost == 0 else f"${cost:.4f}" if cost >= Decimal("0.0001") else f"${cost}"


def summary_line(result: GenerationResult) -> str:
    u = result.usage
    tokens = f"{u.input_tokens:,} in / {u.output_tokens:,} out tokens"
    if u.cache_read_tokens or u.cache_write_tokens:
        tokens += f" ({u.cache_read_tokens:,} cache read, {u.cache_write_tokens:,} cache write)"
    attempts = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    parts = [
        f"{result.provider}/{result.model}",
        tokens,
        format_cost(result.cost_usd),
        f"{result.duration_ms / 1000:.1f} s",
        attempts,
    ]
    if result.repair_rounds:
        parts.append(f"{result.repair_rounds} repair round")
    return " · ".join(parts)


def result_payload(result: GenerationResult, path: Path, diverted: bool) -> dict[str, Any]:
    report = result.validation
    return {
        "ok": report is None or bool(report.ok),
        "path": str(path),
        "diverted": diverted,
        "class_name": result.class_name,
        "file_name": result.file_name,
        "provider": result.provider,
        "model": result.model,
        "usage": {
            "input_tokens": result.usage.input_tokens,
            "output_tokens": result.usage.output_tokens,
            "cache_read_tokens": result.usage.cache_read_tokens,
            "cache_write_tokens": result.usage.cache_write_tokens,
        },
        "cost_usd": None if result.cost_usd is None else str(result.cost_usd),
        "duration_ms": result.duration_ms,
        "attempts": result.attempts,
        "repair_rounds": result.repair_rounds,
        "stop_reason": result.stop_reason,
        "validation": None if report is None else report.to_dict(),
        "validation_before_repair": None
        if result.validation_before_repair is None
        else result.validation_before_repair.to_dict(),
        "code": result.code,
    }
