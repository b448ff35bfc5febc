"""``spark validate`` and ``spark rules``: check C# files for syntax errors and Unity mistakes."""

from __future__ import annotations

from typing import Annotated

import typer

from spark.cli.common import EXIT_USAGE, stderr_console, stdout_console

# `spark validate` takes its arguments unparsed: argparse in `spark.cli_validate` parses them
# (including --help), so its options are defined once, there.
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def validate(ctx: typer.Context) -> None:
    """Validate C# files as Unity scripts; exit 1 when any has an error (see --help)."""
    from spark.cli_validate import main

    raise typer.Exit(main(ctx.args))


def rules(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the validator's rules: id, Unity analyzer id, severity, fix, what each catches."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from spark.unity.rules import iter_rules

    try:
        all_rules = list(iter_rules())
    except Exception as exc:  # a broken rules file must not print a traceback
        stderr_console().print(f"[bold red]Error:[/] could not load the rules: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from exc
    if json_output:
        rows = [rule.to_json() for rule in all_rules]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="SPARK validation rules", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("UNT id", no_wrap=True)
    table.add_column("severity")
    table.add_column("fix")
    table.add_column("what it catches", overflow="fold")
    for rule in all_rules:
        table.add_row(
            rule.id,
            " ".join(rule.analyzer_ids) or "—",
            rule.severity if rule.enabled else f"{rule.severity} (opt-in)",
            "yes" if rule.fix else "—",
            escape(rule.title),
        )
    stdout_console().print(table)
    stdout_console().print(
        "fix: `spark validate --fix FILE` applies it (`--diff` shows it first); "
        "opt-in rules run with `spark validate --enable ID`. "
        "Details, with a bad and a good example of each: docs/validation.md"
    )
