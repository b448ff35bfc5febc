"""The work behind ``spark generate``: run the engine, show the stream, write the file.

``Engine.generate(request)`` prepares the request (a refusal is the final error event, recorded
like the web app's) and runs it; the events drive the live display, the final one the file.

Imported only when the command runs, so other commands start fast."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import traceback
from contextlib import suppress
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text

from spark.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    error_payload,
    fail,
    one_line_warnings,
    print_error,
    settings_or_exit,
    stderr_console,
    stdout_console,
)
from spark.cli.output import OutputTarget, SavedScript, SaveError, plan_output, save_script
from spark.cli.project_output import (
    ProjectDestination,
    plan_in_project,
    print_compile,
    save_into_project,
)
from spark.config import Settings
from spark.errors import SparkError
from spark.events import (
    CompileEvent,
    DoneEvent,
    ErrorEvent,
    GenerationResult,
    RepairEvent,
    RetryEvent,
    TokenEvent,
)
from spark.fallback import route_summary
from spark.generation import Engine, GenerationRequest
from spark.recording import GenerationStart

if TYPE_CHECKING:
    from spark.db.history import GenerationOutcome
    from spark.db.recorder import HistoryRecorder

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
    project: str | None = None,
    use_cache: bool = True,
) -> None:
    """Generate, display and save; exits through typer.Exit with the command's exit code."""
    from spark.unity.target import resolve_target

    settings = settings_or_exit(debug)
    target: OutputTarget | ProjectDestination
    try:
        unity = resolve_target(settings, project=project)
        target = plan_in_project(unity, settings, output) if unity.project else plan_output(output)
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    if unity.project is not None and not json_output:
        for note in unity.project.problems:
            stderr_console().print(f"[yellow]note:[/] {escape(note)}")
    request = GenerationRequest(
        prompt=prompt,
        provider=provider,
        model=model,
        target=unity,
        destination=target if isinstance(target, ProjectDestination) else None,
    )
    show_tokens = not (json_output or no_stream)
    with one_line_warnings(enabled=not debug):  # e.g. a history row that could not be written
        try:
            outcome, history_id = asyncio.run(
                _run(settings, request, show_tokens=show_tokens, use_cache=use_cache)
            )
        except SparkError as exc:  # the history database could not be used
            fail(exc, debug=debug, json_output=json_output)
        except asyncio.CancelledError:  # SIGTERM: the generation was recorded as cancelled
            stderr_console().print("[yellow]Stopped (SIGTERM); the generation was cancelled.[/]")
            raise typer.Exit(128 + signal.SIGTERM) from None
    if isinstance(outcome, ErrorEvent) and outcome.result is None:
        fail(outcome.error, debug=debug, json_output=json_output)
    # Generated but not saved in the history (an ErrorEvent with the result): write the script
    # all the same, then say so and exit 1.
    unrecorded = outcome.error if isinstance(outcome, ErrorEvent) else None
    result = outcome.result
    assert result is not None
    if isinstance(target, ProjectDestination):
        saved = save_into_project(result, target, settings, force=force)
    else:
        saved = save_script(
            target.path_for(result.file_name),
            result.code,
            rescue=settings.data_dir / "unsaved" / result.file_name,
            force=force,
        )
    if debug:
        for _, problem in saved.failures:
            traceback.print_exception(problem, file=sys.stderr)
    _finish(result, saved, history_id, json_output=json_output, unrecorded=unrecorded)


class _TrackedRecorder:
    """The CLI user's history recorder, knowing whether the row got the final outcome."""

    def __init__(self, recorder: HistoryRecorder) -> None:
        self._recorder = recorder
        self._finished = False

    async def start(self, started: GenerationStart) -> None:
        await self._recorder.start(started)

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        await self._recorder.finish(outcome)
        self._finished = True

    # What the response cache needs to write a hit's whole row (spark.db.cache.DatabaseCache):
    # the recorder's own, and the row's id - set once that row is committed, start and finish
    # at once, so it holds the outcome.

    def outcome(self, event: DoneEvent) -> GenerationOutcome:
        return self._recorder.outcome(event)

    def __getattr__(self, name: str) -> Any:  # conversation_id, unity_target, ...
        return getattr(self._recorder, name)

    @property
    def record_id(self) -> int | None:
        return self._recorder.record_id

    @record_id.setter
    def record_id(self, value: int | None) -> None:
        self._recorder.record_id = value
        self._finished = value is not None

    @property
    def history_id(self) -> int | None:
        """The history row holding the outcome (and the code); None if it was not recorded."""
        return self._recorder.record_id if self._finished else None


async def _run(
    settings: Settings, request: GenerationRequest, *, show_tokens: bool, use_cache: bool = True
) -> tuple[DoneEvent | ErrorEvent, int | None]:
    from spark.db.cache import DatabaseCache
    from spark.db.limits import quota_for
    from spark.db.local import open_cli_database
    from spark.db.team_controls import generation_context

    err = stderr_console()
    # SIGTERM stops the generation as Ctrl-C does (asyncio.run's own handling of SIGINT): the
    # task is cancelled, so the history row is finished as cancelled with its figures.
    task = asyncio.current_task()
    if task is not None:
        with suppress(NotImplementedError):  # no signal handlers on this platform's loop
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    # Every generation is recorded in the history of the CLI's user (SPARK_CLI_USER).
    async with open_cli_database(settings) as local, Engine(settings) as engine:
        # The instructions and the team controls (docs/teams.md) apply to the CLI's user as
        # to a web user: read with the limits in one statement, as the web app does.
        context = await generation_context(
            settings=settings, database=local.database, user_id=local.user_id
        )
        caching = context.caching
        history = local.recorder()
        recorder = _TrackedRecorder(history)
        cache = None
        if caching.enabled and use_cache:
            cache = DatabaseCache(
                local.database, user_id=local.user_id, settings=caching, recorder=recorder
            )
        request = replace(request, instructions=context.instructions, fallback=context.fallback)
        quota = quota_for(local.database, settings, user_id=local.user_id, known=context.limits)
        events = engine.generate(request, recorder=recorder, quota=quota, cache=cache)
        if show_tokens and err.is_terminal:
            outcome = await _run_live(events, err)
        else:
            outcome = await _run_plain(events, err, show_tokens=show_tokens)
    return outcome, recorder.history_id


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
            elif isinstance(event, CompileEvent):
                status = Text(event.report.summary(), "green" if event.report.ok else "yellow")
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
        elif isinstance(event, CompileEvent) and show_tokens:
            console.print(f"\n[dim]{escape(event.report.summary())}[/]")
        elif isinstance(event, DoneEvent | ErrorEvent):
            if show_tokens:
                console.file.write("\n")
            return event
    raise RuntimeError("generation ended without a final event")  # pragma: no cover


def _finish(
    result: GenerationResult,
    saved: SavedScript,
    history_id: int | None,
    *,
    json_output: bool,
    unrecorded: SparkError | None = None,
) -> None:
    report = result.validation
    # A script that still has validation or compile errors is written (nothing is lost) but
    # exits 1, and so is one that could not be written where it was asked to go, or saved in
    # the history.
    compiled = result.compile
    ok = (
        (report is None or bool(report.ok))
        and (compiled is None or bool(compiled.ok))
        and not saved.unsaved
        and saved.path is not None
        and unrecorded is None
    )
    exit_code = EXIT_OK if ok else EXIT_FAILED
    errors = [e for e in (_save_error(saved, history_id, json_output=json_output), unrecorded) if e]
    if json_output:
        payload = result_payload(result, saved, history_id, ok=ok)
        if errors:
            payload["error"] = error_payload(errors[0])
        if len(errors) > 1:
            payload["history_error"] = error_payload(errors[1])
        typer.echo(json.dumps(payload, indent=2))
        raise typer.Exit(exit_code)
    for error in errors:
        print_error(error, stderr_console())
    if saved.path is None:  # the terminal is all that is left: the code alone on stdout
        sys.stdout.write(result.code if result.code.endswith("\n") else result.code + "\n")
        sys.stdout.flush()
        stderr_console().print("  " + escape(summary_line(result)))
        raise typer.Exit(exit_code)
    _print_report(result, saved, stdout_console())
    raise typer.Exit(exit_code)


def _save_error(
    saved: SavedScript, history_id: int | None, *, json_output: bool
) -> SaveError | None:
    """What went wrong while writing, as an error to show; None if the first write worked."""
    if not saved.failures:
        return None
    if saved.path is not None:
        return SaveError(
            f"Could not write {saved.failure_text()}; "
            f"the script was saved to {saved.path} instead.",
            hint="Move it where it belongs, or fix the cause and run again.",
        )
    where = (
        "The script is in this result's `code`."
        if json_output
        else "The script follows on standard output."
    )
    history = (
        f" It is also in your history: `spark history show {history_id} --code`."
        if history_id is not None
        else ""
    )
    return SaveError(
        f"Could not write the script: {saved.failure_text()}.",
        hint=f"{where}{history} Free some disk space (or fix the cause), then save it.",
    )


def _print_report(result: GenerationResult, saved: SavedScript, out: Console) -> None:
    """Where the script went, what it cost and how it validated."""
    path = saved.path
    assert path is not None
    mark = "[bold yellow]![/]" if saved.unsaved else "[bold green]✓[/]"
    out.print(f"{mark} Wrote [bold]{escape(str(path))}[/]")
    if saved.diverted and not saved.unsaved:
        out.print(
            f"  [yellow]{escape(saved.requested.name)} already exists with other content; "
            f"review {escape(path.name)} and rename it, or use --force to overwrite.[/]"
        )
    out.print("  " + escape(summary_line(result)))
    if result.stop_reason == "max_tokens":
        out.print(
            "  [yellow]The reply hit the output-token limit and may be cut off "
            "(raise SPARK_MAX_OUTPUT_TOKENS).[/]"
        )
    report = result.validation
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
    print_compile(out, result.compile)


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
    if result.repair_rounds:  # counted apart: attempts are 1 + retries
        rounds = result.repair_rounds
        parts.append(f"{rounds} repair round{'s' if rounds != 1 else ''}")
    if note := answer_note(result):
        parts.append(note)
    return " · ".join(parts)


def answer_note(result: GenerationResult) -> str | None:
    """``cached (saved $0.0220)`` for a response-cache hit, ``answered by OpenAI gpt-6.2-sol
    after Anthropic Claude was overloaded`` when a fallback route answered."""
    if result.cached:
        return f"cached (saved {format_cost(result.saved_usd)})"
    details = [a.to_dict() for a in result.attempt_details]
    return route_summary(details, _provider_label)


def _provider_label(provider: str) -> str:
    from spark.catalog import load_catalog

    try:
        return load_catalog().provider(provider).display_name
    except SparkError:
        return provider


def result_payload(
    result: GenerationResult, saved: SavedScript, history_id: int | None, *, ok: bool
) -> dict[str, Any]:
    report = result.validation
    return {
        "ok": ok,
        "path": None if saved.path is None else str(saved.path),
        "requested_path": str(saved.requested),
        "diverted": saved.diverted,
        "unsaved": saved.unsaved,
        "write_errors": [
            {"path": str(path), "message": exc.strerror or str(exc)} for path, exc in saved.failures
        ],
        "history_id": history_id,
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
        "attempt_details": [a.to_dict() for a in result.attempt_details],
        "stop_reason": result.stop_reason,
        "validation": None if report is None else report.to_dict(),
        "validation_before_repair": None
        if result.validation_before_repair is None
        else result.validation_before_repair.to_dict(),
        "compile": None if result.compile is None else result.compile.to_dict(),
        "cached": result.cached,
        "saved_usd": None if result.saved_usd is None else str(result.saved_usd),
        "answered_by": None if result.cached else answer_note(result),
        "code": result.code,
    }
