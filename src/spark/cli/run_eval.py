"""The work behind ``spark eval``: open the database, run the suite, show and write the report.

The run and each finished item are stored as they happen (``spark.eval.store``), so Ctrl-C,
SIGTERM or a crash loses only the generations in flight; ``--resume RUN_ID`` finishes the run.
Every generation is in the CLI user's history, tagged with the run id.

Imported only when the command runs, so other commands start fast."""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from spark.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    fail,
    one_line_warnings,
    settings_or_exit,
    stderr_console,
    stdout_console,
)
from spark.config import Settings
from spark.errors import SparkError, UsageError
from spark.eval.report import COLUMNS, EvalReport, table_rows
from spark.eval.runner import EvalProgress, EvalRunner, ItemResult, ModelChoice, parse_models


@dataclass(frozen=True, slots=True)
class EvalOptions:
    models: str | None
    suite: str | None
    project: str | None
    runs: int
    concurrency: int
    json_out: str | None
    html_out: str | None
    resume: str | None
    list_runs: bool = False


class Interrupted(Exception):
    """The run was stopped (Ctrl-C, SIGTERM); ``run_id`` resumes it."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id


def run_eval(options: EvalOptions, *, debug: bool) -> None:
    """Run (or resume, or list) and report; exits through typer.Exit."""
    settings = settings_or_exit(debug)
    json_stdout = options.json_out == "-"
    with one_line_warnings(enabled=not debug):
        try:
            outcome = asyncio.run(_main(settings, options, quiet=json_stdout))
        except SparkError as exc:
            fail(exc, debug=debug, json_output=json_stdout)
        except Interrupted as stop:
            stderr_console().print(
                f"[yellow]Stopped. Finished items are kept: resume with "
                f"`spark eval --resume {escape(stop.run_id)}`.[/]"
            )
            raise typer.Exit(130) from None
    if outcome is None:  # --list
        raise typer.Exit(EXIT_OK)
    report, stopped = outcome
    _write_outputs(report, stopped, options)
    raise typer.Exit(EXIT_OK if not stopped else EXIT_FAILED)


async def _main(
    settings: Settings, options: EvalOptions, *, quiet: bool
) -> tuple[EvalReport, dict[str, str]] | None:
    from spark.db.local import open_cli_database
    from spark.eval.store import (
        FINISHED,
        INTERRUPTED,
        RUNNING,
        DatabaseEvalStore,
        check_resumable,
        new_run_id,
    )
    from spark.eval.suite import load_suite
    from spark.generation import Engine
    from spark.unity.target import resolve_target

    err = stderr_console()
    task = asyncio.current_task()
    if task is not None:  # SIGTERM stops the run as Ctrl-C does
        with suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    if options.list_runs:
        async with open_cli_database(settings) as local:
            await _print_runs(local.database)
        return None
    suite = load_suite(options.suite) if options.suite or not options.resume else None
    target = resolve_target(settings, project=options.project)
    if target.project is not None and not quiet:
        for note in target.project.problems:
            err.print(f"[yellow]note:[/] {escape(note)}")
    async with open_cli_database(settings) as local, Engine(settings) as engine:
        run_id = options.resume or new_run_id()
        store = DatabaseEvalStore(local.database, run_id=run_id, user_id=local.user_id)
        runs = options.runs
        if options.resume:
            stored = await store.info()
            if suite is None:  # the run's own suite (a file is looked for where it was)
                source = stored.suite_source if stored is not None else None
                suite = load_suite(None if source in (None, "built-in") else source)
            info = check_resumable(stored, run_id, suite)
            models = parse_models(",".join(info.models), engine)
            if options.models and [m.label for m in parse_models(options.models, engine)] != [
                m.label for m in models
            ]:
                raise UsageError(
                    f"The eval run {run_id} was started with --models {','.join(info.models)}.",
                    hint="Resume without --models (or with the same list).",
                )
            runs = info.runs
            await store.set_status(RUNNING)
        else:
            assert suite is not None
            if not options.models:
                raise UsageError(
                    "Say which models to evaluate.",
                    hint="Pass --models provider:model[,provider:model...], "
                    "e.g. --models anthropic:claude-sonnet-5-5,openai:gpt-6.2-sol.",
                )
            models = parse_models(options.models, engine)
            await store.create(suite, models, runs)
        if not quiet:
            err.print(
                f"Eval run [bold]{run_id}[/]: {len(suite.items)} prompts × {len(models)} "
                f"model(s) × {runs} run(s) — suite {escape(suite.name)} "
                f"(resume with `spark eval --resume {run_id}`)"
            )
        display = _Display(err, models, suite_size=len(suite.items) * runs, quiet=quiet)
        runner = EvalRunner(
            engine,
            suite,
            models,
            store=store,
            runs=runs,
            concurrency=options.concurrency,
            target=target,
            recorder_for=store.recorder_for,
            on_result=display.advance,
            on_start=display.start_counts,
        )
        try:
            with display:
                progress = await runner.run()
        except asyncio.CancelledError:
            await asyncio.shield(store.set_status(INTERRUPTED))
            raise Interrupted(run_id) from None
        await store.set_status(FINISHED)
        return await store.report(), progress.stopped


class _Display:
    """A Rich progress bar per model on a terminal; one line per finished item otherwise."""

    def __init__(
        self, console: Console, models: list[ModelChoice], *, suite_size: int, quiet: bool
    ) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.models = models
        self.size = suite_size
        self.count = 0

    def __enter__(self) -> _Display:
        if self.live:
            for m in self.models:
                self.tasks[m.label] = self.progress.add_task(escape(m.label), total=self.size)
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def start_counts(self, progress: EvalProgress) -> None:
        if not self.live:
            return
        for label, done in progress.done.items():
            if label in self.tasks:
                self.progress.update(self.tasks[label], completed=done)

    def advance(self, result: ItemResult) -> None:
        self.count += 1
        if self.live:
            self.progress.advance(self.tasks[result.model])
            return
        if self.quiet:
            return
        if result.ok:
            what = f"script, {result.errors} errors, {result.warnings} warnings"
            if result.compile != "not checked":
                what += f", compile {result.compile}"
        else:
            what = f"failed ({result.error_kind})"
        self.console.print(
            f"{escape(result.model)} {escape(result.item_id)} #{result.run}: {escape(what)}",
            highlight=False,
        )


def report_table(report: EvalReport) -> Table:
    """The per-model figures with one column per model (fits a terminal for a few models)."""
    table = Table(title=f"SPARK eval {report.run_id} — {report.suite_name}", title_justify="left")
    rows = table_rows(report)
    table.add_column("")
    for row in rows:
        table.add_column(escape(row[0]), overflow="fold")
    for index, figure in enumerate(COLUMNS[1:], 1):
        table.add_row(figure, *(escape(row[index]) for row in rows))
    return table


def _write_outputs(report: EvalReport, stopped: dict[str, str], options: EvalOptions) -> None:
    from spark.eval.html import render_html
    from spark.eval.report import SCORE_FORMULA

    payload: dict[str, Any] = {**report.to_json(), "stopped_early": stopped}
    if options.json_out == "-":
        typer.echo(json.dumps(payload, indent=2))
    else:
        out = stdout_console()
        out.print(report_table(report))
        out.print(f"[dim]{escape(SCORE_FORMULA)}.[/]")
        for model, why in stopped.items():
            out.print(f"[yellow]{escape(model)} stopped early: {escape(why)}[/]")
    try:
        if options.json_out and options.json_out != "-":
            Path(options.json_out).write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
        if options.html_out:
            Path(options.html_out).write_text(render_html(report), "utf-8")
    except OSError as exc:
        fail(
            UsageError(
                f"Could not write the report: {exc.strerror or exc}.",
                hint=f"The run is stored: `spark eval --resume {report.run_id} --json FILE` "
                "writes it again.",
            ),
            debug=False,
        )


async def _print_runs(database: Any) -> None:
    from spark.db.evals import list_eval_runs

    async with database.session(read_only=True) as session:
        runs = await list_eval_runs(session=session, limit=100)
    table = Table(title="Eval runs", title_justify="left")
    for column in ("Run", "Started (UTC)", "Status", "Suite", "Models", "Done"):
        table.add_column(column, overflow="fold")
    for summary in runs:
        run = summary.run
        table.add_row(
            run.id,
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.status,
            escape(run.suite_name),
            escape(", ".join(run.models)),
            f"{summary.finished_items}/{summary.planned_items}",
        )
    stdout_console().print(table)
