"""``spark instructions``: the team's and your own instructions for the model.

``spark instructions show`` prints both (with their versions), ``spark instructions set --team
FILE`` / ``--me FILE`` saves a file's text as a new version (``-``: standard input) and
``spark instructions clear --team|--me`` saves an empty one. "You" is the CLI's user
(``SPARK_CLI_USER``); the command line holds the database's own credentials, so it may set the
team's instructions too (as `spark users` may create admins). See docs/prompts.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spark.cli.common import SparkGroup, stdout_console
from spark.cli.db_commands import DebugOption, JsonOption, _run

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.instructions import Instructions, InstructionsVersion, Scope

instructions_app = typer.Typer(
    cls=SparkGroup,
    help="The team's and your instructions, appended to the system prompt.",
    no_args_is_help=True,
)
TeamOption = Annotated[bool, typer.Option("--team", help="The team's instructions.")]
MeOption = Annotated[bool, typer.Option("--me", help="Your own instructions (SPARK_CLI_USER).")]


def _scope(team: bool, me: bool) -> Scope:
    if team == me:
        raise typer.BadParameter("Say whose instructions: --team or --me.")
    return "team" if team else "personal"


def _version_json(version: InstructionsVersion | None) -> dict[str, object] | None:
    return {"version": version.version, "text": version.text} if version else None


@instructions_app.command("show")
def show(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """Print the team's and your instructions in force, with their versions."""

    async def work(settings: Settings) -> Instructions:
        from spark.db.instructions import instructions_in_force
        from spark.db.local import open_cli_database

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            return await instructions_in_force(session=session, user_id=local.user_id)

    found = _run(work, debug=debug, json_output=json_output)
    if json_output:
        data = {"team": _version_json(found.team), "personal": _version_json(found.personal)}
        typer.echo(json.dumps(data, indent=2))
        return
    out = stdout_console()
    for title, version in (
        ("Team instructions", found.team),
        ("Your instructions", found.personal),
    ):
        if version is None or not version.text:
            out.print(f"[bold]{title}:[/] none")
        else:
            out.print(f"[bold]{title} (version {version.version}):[/]")
            out.print(version.text, markup=False)


def _save(scope: Scope, text: str, *, debug: bool) -> InstructionsVersion:
    async def work(settings: Settings) -> InstructionsVersion:
        from spark.db.instructions import save_team_instructions, save_user_instructions
        from spark.db.local import open_cli_database
        from spark.instructions import check_instructions

        cleaned = check_instructions(text, limit=settings.max_instructions_chars, scope=scope)
        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            if scope == "team":
                return await save_team_instructions(
                    session=session, admin_id=local.user_id, text=cleaned, operator=True
                )
            return await save_user_instructions(
                session=session, user_id=local.user_id, text=cleaned
            )

    return _run(work, debug=debug)


@instructions_app.command("set")
def set_instructions(
    file: Annotated[str, typer.Argument(help="A UTF-8 text file ('-': standard input).")],
    team: TeamOption = False,
    me: MeOption = False,
    debug: DebugOption = False,
) -> None:
    """Save FILE's text as the next version of the team's (--team) or your (--me) instructions."""
    scope = _scope(team, me)
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        text = raw.decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise typer.BadParameter(f"Cannot read {file}: {exc.strerror or exc}.") from None
    if not text.strip():
        raise typer.BadParameter(f"{file} is empty; to remove instructions use `clear`.")
    saved = _save(scope, text, debug=debug)
    whose = "The team's" if scope == "team" else "Your"
    typer.echo(f"{whose} instructions saved as version {saved.version}.")


@instructions_app.command("clear")
def clear(team: TeamOption = False, me: MeOption = False, debug: DebugOption = False) -> None:
    """Clear the team's (--team) or your (--me) instructions (saved as an empty version)."""
    scope = _scope(team, me)
    saved = _save(scope, "", debug=debug)
    whose = "The team's" if scope == "team" else "Your"
    typer.echo(f"{whose} instructions cleared (version {saved.version}).")
