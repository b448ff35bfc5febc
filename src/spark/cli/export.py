"""``spark export ID...``: generations from history as a ``.zip`` or ``.unitypackage``.

The archives are built by :mod:`spark.unity.export` (the web app offers the same downloads);
this module reads the CLI user's history and writes the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spark.cli.common import fail, settings_or_exit, stdout_console
from spark.errors import SparkError, UsageError

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.models import GenerationRecord


def export(
    ids: Annotated[list[int], typer.Argument(help="Generation ids (see `spark history`).")],
    zip_file: Annotated[
        str | None, typer.Option("--zip", help="Write a .zip of the scripts and .meta files.")
    ] = None,
    unitypackage: Annotated[
        str | None,
        typer.Option("--unitypackage", help="Write a .unitypackage (Assets > Import Package)."),
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option(
            "--folder", help="Where the scripts go in the project (default Assets/Scripts/SPARK)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite OUT.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Export generations from your history as a .zip or a .unitypackage for Unity."""
    import asyncio

    from spark.unity.export import (
        place_scripts,
        scripts_of,
        unitypackage_bytes,
        zip_bytes,
    )

    settings = settings_or_exit(debug)
    try:
        if (zip_file is None) == (unitypackage is None):
            raise UsageError(
                "Say what to write: --zip OUT.zip or --unitypackage OUT.unitypackage (one).",
            )
        out = _check_output(Path(zip_file or unitypackage or ""), force=force)
        target = folder or f"Assets/{settings.unity_scripts_folder.strip('/')}"
        records = asyncio.run(_records(settings, ids))
        placed = place_scripts(scripts_of(records), target)
    except SparkError as exc:
        fail(exc, debug=debug)
    from spark.files import replace_atomically

    data = zip_bytes(placed) if zip_file else unitypackage_bytes(placed)
    try:
        replace_atomically(out, data)
    except OSError as exc:
        fail(UsageError(f"Cannot write {out}: {exc.strerror or exc}."), debug=debug)
    names = ", ".join(Path(p.pathname).name for p in placed)
    stdout_console().print(
        f"[bold green]✓[/] Wrote {out} ({len(placed)} script{'s' * (len(placed) != 1)}: "
        f"{names}, into {Path(placed[0].pathname).parent.as_posix()})"
    )


def _check_output(out: Path, *, force: bool) -> Path:
    out = out.expanduser()
    if out.is_dir():
        raise UsageError(f"'{out}' is a folder; name the file to write.")
    if out.exists() and not force:
        raise UsageError(f"{out} already exists.", hint="Use --force to overwrite it.")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"Cannot write {out}: '{parent}' is not a folder SPARK can write in.")
    return out


async def _records(settings: Settings, ids: list[int]) -> list[GenerationRecord]:
    from spark.db.history import get_generation
    from spark.db.local import open_cli_database

    found = []
    async with (
        open_cli_database(settings) as local,
        local.database.session(user_id=local.user_id) as session,
    ):
        for record_id in dict.fromkeys(ids):
            record = await get_generation(
                session=session, user_id=local.user_id, record_id=record_id
            )
            if record is None:
                raise UsageError(
                    f"There is no generation {record_id} in your history.",
                    hint="`spark history` lists them with their ids.",
                )
            found.append(record)
    return found
