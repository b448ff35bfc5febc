"""``spark templates``: the prompt templates (built-in and the team's).

``spark templates list`` shows them all, ``spark templates show NAME`` one with its parameters
(``--fill name=value``: the filled prompt, checked like the chat's picker), and ``spark
templates add FILE`` adds a team template from a TOML file in the built-in files' format
(``--replace`` replaces the team's template of that name). ``spark templates delete NAME``
removes a team template. The command line holds the database's credentials, so it may change
the team's templates as an admin does on the web (see docs/prompts.md).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from spark.cli.common import SparkGroup, stdout_console
from spark.cli.db_commands import DebugOption, JsonOption, _run
from spark.errors import UsageError

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.prompt_library import PromptTemplate

templates_app = typer.Typer(
    cls=SparkGroup,
    help="Prompt templates: built-in and the team's.",
    no_args_is_help=True,
)


@templates_app.command("list")
def list_templates(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """List every template: name, source and title."""

    async def work(settings: Settings) -> list[PromptTemplate]:
        from spark.db.local import open_cli_database
        from spark.db.templates import team_templates
        from spark.prompt_library import builtin_templates

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            return [*builtin_templates().values(), *await team_templates(session=session)]

    found = _run(work, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps([t.to_json() for t in found], indent=2))
        return
    table = Table("Name", "Source", "Title", "Parameters")
    for t in found:
        table.add_row(t.name, t.source, t.title, ", ".join(p.name for p in t.parameters))
    stdout_console().print(table)


@templates_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The template's name.")],
    fill: Annotated[
        list[str] | None,
        typer.Option("--fill", help="name=value for a parameter: print the filled prompt."),
    ] = None,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show one template and its parameters, or with --fill the prompt it makes."""

    async def work(settings: Settings) -> PromptTemplate:
        from spark.db.local import open_cli_database
        from spark.db.templates import find_template

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            template = await find_template(session=session, name=name)
        if template is None:
            raise UsageError(
                f"There is no template called '{name}'.", hint="See `spark templates list`."
            )
        if fill is not None:
            values: dict[str, str] = {}
            for pair in fill:
                key, sep, value = pair.partition("=")
                if not sep:
                    raise UsageError(f"--fill {pair!r}: write name=value.")
                values[key.strip()] = value
            typer.echo(template.fill(values))
        return template

    template = _run(work, debug=debug, json_output=json_output)
    if fill is not None:
        return
    if json_output:
        typer.echo(json.dumps(template.to_json(), indent=2))
        return
    out = stdout_console()
    out.print(f"[bold]{template.title}[/] ({template.name}, {template.source})")
    if template.description:
        out.print(template.description, markup=False)
    out.print(template.prompt, markup=False)
    table = Table("Parameter", "Kind", "Default", "Allowed / range")
    for p in template.parameters:
        limits = ", ".join(p.allowed) or " to ".join(
            str(b) for b in (p.min, p.max) if b is not None
        )
        table.add_row(p.name, p.kind, str(p.default), limits)
    out.print(table)


@templates_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="A TOML template file (docs/prompts.md).")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the team template of that name.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Add a team template from a TOML file (the built-in files' format)."""
    try:
        definition = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"Cannot read {file}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise typer.BadParameter(f"{file} is not a UTF-8 TOML file: {exc}.") from None

    async def work(settings: Settings) -> PromptTemplate:
        from spark.db.local import open_cli_database
        from spark.db.templates import save_team_template

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            return await save_team_template(
                session=session,
                user_id=local.user_id,
                definition=definition,
                replace=replace,
                operator=True,
            )

    template = _run(work, debug=debug)
    typer.echo(f"Team template '{template.name}' {'replaced' if replace else 'added'}.")


@templates_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="The team template's name.")],
    debug: DebugOption = False,
) -> None:
    """Delete a team template."""

    async def work(settings: Settings) -> bool:
        from spark.db.local import open_cli_database
        from spark.db.templates import delete_team_template

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            return await delete_team_template(
                session=session, user_id=local.user_id, name=name, operator=True
            )

    if not _run(work, debug=debug):
        raise typer.BadParameter(f"The team has no template called '{name}'.")
    typer.echo(f"Team template '{name}' deleted.")
