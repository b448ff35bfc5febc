"""``spark history``: the CLI user's generations (``SPARK_CLI_USER``), and any one of them whole.

``spark history`` lists the newest rows (``--json`` with every figure and the code), ``--csv``
writes all of them, and ``spark history show ID`` gives back one generation: its prompt,
status, tokens, cost, validation summary, error and code (``--code``: the code alone, exactly
as generated, e.g. to save a script that could not be written). Heavy imports happen inside
the commands, as in `spark.cli.db_commands`, whose helpers these share.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spark.cli.common import SparkGroup, fail, stderr_console, stdout_console
from spark.cli.db_commands import DebugOption, JsonOption, _run

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.models import GenerationRecord

history_app = typer.Typer(
    cls=SparkGroup,
    help="Your generations, newest first; `spark history show ID` shows one with its code.",
    invoke_without_command=True,
)


@history_app.callback()
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="Rows.")] = 20,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Only prompts, classes or code with this.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON (with the code).")
    ] = False,
    csv_file: Annotated[
        str | None,
        typer.Option(
            "--csv", help="Write your whole history, code included, to this CSV file ('-': stdout)."
        ),
    ] = None,
    evals: Annotated[
        str | None,
        typer.Option(
            "--evals", help="Eval generations: 'exclude' leaves them out, 'only' shows them."
        ),
    ] = None,
    eval_run: Annotated[
        str | None, typer.Option("--eval-run", help="Only the generations of this eval run.")
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Show your recent generations (the CLI's user: SPARK_CLI_USER), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    if evals not in (None, "exclude", "only"):
        from spark.cli.common import fail
        from spark.errors import UsageError

        fail(
            UsageError(f"Unknown --evals {evals!r}.", hint="Use --evals exclude or --evals only."),
            debug=debug,
            json_output=json_output,
        )
    if csv_file is not None:
        _history_csv(csv_file, debug=debug)
        return

    async def work(settings: Settings) -> list[GenerationRecord]:
        from spark.db.history import HistoryFilters, list_generations
        from spark.db.local import open_cli_database

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            page = await list_generations(
                session=session,
                user_id=local.user_id,
                filters=HistoryFilters(search=search, evals=evals, eval_run_id=eval_run),
                limit=limit,
            )
        return page.items

    records = _run(work, debug=debug, json_output=json_output)
    from spark.cli.db_output import generation_json, history_table

    if json_output:
        typer.echo(json.dumps([generation_json(r) for r in records], indent=2))
    elif not records:
        stderr_console().print('No generations yet: try `spark generate "a rotating cube"`.')
    else:
        console = stdout_console()
        console.print(history_table(records, width=console.width))


def _history_csv(target: str, *, debug: bool) -> None:
    """``spark history --csv FILE``: every generation of the CLI's user, newest first."""
    from contextlib import nullcontext
    from typing import TextIO

    from spark.errors import UsageError

    def work_on(out: TextIO) -> Callable[[Settings], Coroutine[Any, Any, int]]:
        async def work(settings: Settings) -> int:
            from spark.db.export import write_history_csv
            from spark.db.local import open_cli_database

            async with (
                open_cli_database(settings) as local,
                local.database.session(user_id=local.user_id) as session,
            ):
                return await write_history_csv(
                    out, session=session, user_id=local.user_id, with_code=True
                )

        return work

    opened: Any
    try:
        opened = (
            nullcontext(sys.stdout)
            if target == "-"
            else open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115
        )
    except OSError as exc:
        fail(UsageError(f"Cannot write {target}: {exc.strerror or exc}."), debug=debug)
    with opened as out:
        written = _run(work_on(out), debug=debug)
    if target != "-":
        stderr_console().print(f"Wrote {written} generation(s) to {target}.")


@history_app.command("show")
def history_show(
    generation_id: Annotated[
        int, typer.Argument(metavar="ID", help="The generation's id (see `spark history`).")
    ],
    code_only: Annotated[
        bool,
        typer.Option("--code", help="Print only the code, exactly (e.g. `> Player.cs`)."),
    ] = False,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show one of your generations: prompt, status, tokens, cost, validation, error, code."""
    from spark.errors import SparkError, UsageError

    if code_only and json_output:
        fail(UsageError("Choose --code or --json, not both."), debug=debug)

    async def work(settings: Settings) -> GenerationRecord:
        from spark.db.history import get_generation
        from spark.db.local import open_cli_database

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            record = await get_generation(
                session=session, user_id=local.user_id, record_id=generation_id
            )
        if record is None:
            raise UsageError(
                f"There is no generation {generation_id} in the history of {local.username!r}.",
                hint="`spark history` lists yours (the CLI acts as SPARK_CLI_USER).",
            )
        return record

    record = _run(work, debug=debug, json_output=json_output)
    from spark.cli.db_output import generation_details, generation_json

    if json_output:
        typer.echo(json.dumps(generation_json(record), indent=2))
        return
    code = record.generated_code
    if code_only:
        if code is None:
            problem = f"Generation {record.id} has no code: {_why_no_code(record)}."
            fail(SparkError(problem), debug=debug)
        sys.stdout.write(code)
        sys.stdout.flush()
        return
    stdout_console().print(generation_details(record))
    if code is not None:
        typer.echo()
        typer.echo(code, nl=not code.endswith("\n"))


def _why_no_code(record: GenerationRecord) -> str:
    if record.status == "running":
        return "it is still running"
    reason = f"its status is {record.status}"
    return f"{reason} ({record.error_message})" if record.error_message else reason
