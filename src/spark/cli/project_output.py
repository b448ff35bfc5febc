"""``spark generate --project``: where the script goes in the project, writing it, and showing the
compile check. The writing itself is :mod:`spark.unity.project_write`; this module adds what
the terminal needs (a refused or failed write goes to the unsaved folder, as
:func:`spark.cli.output.save_script` does for other destinations)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from spark.cli.common import print_error, stderr_console
from spark.cli.output import SavedScript
from spark.cli.output import write_script as write_plain
from spark.errors import UsageError
from spark.unity.project_write import ProjectDestination, plan_destination, write_script

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.events import GenerationResult
    from spark.unity.compile import CompileReport
    from spark.unity.target import UnityTarget

__all__ = ["ProjectDestination", "plan_in_project", "print_compile", "save_into_project"]


def plan_in_project(
    target: UnityTarget, settings: Settings, output: str | None
) -> ProjectDestination:
    """The checked destination in the target's project (UsageError when it is outside)."""
    assert target.project is not None
    return plan_destination(
        target.project.root, folder=settings.unity_scripts_folder, output=output
    )


def save_into_project(
    result: GenerationResult,
    destination: ProjectDestination,
    settings: Settings,
    *,
    force: bool,
) -> SavedScript:
    """Write the script and its .meta into the project. When that is refused (the file exists,
    the class name is taken) or fails, say why and keep the script in the data folder instead:
    a paid-for script is never lost."""
    from spark.unity.project_scripts import load_script_index

    requested = destination.path_for(result.file_name)
    index = load_script_index(destination.root, cache_dir=settings.data_dir / "cache")
    failures: list[tuple[Path, OSError]] = []
    try:
        written = write_script(
            destination,
            result.file_name,
            result.code,
            class_name=result.class_name,
            force=force,
            index=index,
        )
    except UsageError as refused:
        print_error(refused, stderr_console())
    except OSError as exc:
        failures.append((requested, exc))
    else:
        meta = "new GUID" if written.created_meta else "kept its GUID"
        folders = len(written.folders)
        made = (
            f"; created {folders} folder{'s' * (folders != 1)} with .meta files" if folders else ""
        )
        stderr_console().print(
            f"[dim]{escape(destination.relative(written.meta))} ({meta} {written.guid}){made}[/]"
        )
        return SavedScript(requested, written.path, False, ())
    rescue = settings.data_dir / "unsaved" / result.file_name
    try:
        path = write_plain(rescue, result.code, force=False)
    except OSError as exc:
        return SavedScript(requested, None, False, (*failures, (rescue, exc)))
    return SavedScript(requested, path, True, tuple(failures))


def print_compile(out: Console, compiled: CompileReport | None) -> None:
    """The compile check's summary, first errors and notes, under the validation summary."""
    if compiled is None:
        return
    colour = {"ok": "green", "failed": "red"}.get(compiled.status, "yellow")
    out.print(f"  [{colour}]{escape(compiled.summary())}[/]")
    if compiled.references:
        out.print(f"    [dim]references: {escape(compiled.references)}[/]")
    for _, report in compiled.files:
        for d in report.errors[:10]:
            out.print(f"    error {d.rule_id} line {d.line}: {escape(d.message)}")
    for note in compiled.notes[1 if compiled.skipped else 0 :]:
        out.print(f"    [dim]note: {escape(note)}[/]")
