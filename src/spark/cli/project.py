"""``spark project info`` (what SPARK reads from a Unity project) and ``spark check``.

``spark check`` is parsed by argparse in `spark.cli_check` (dispatched before Typer loads); the
Typer command here passes its arguments through, so ``spark --help`` lists it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spark.cli.common import fail, settings_or_exit, stderr_console, stdout_console

if TYPE_CHECKING:
    from spark.unity.compile import CompileEnvironment
    from spark.unity.project import UnityProject
    from spark.unity.project_scripts import ScriptIndex

project_app = typer.Typer(help="Read a Unity project (never writing to it).", no_args_is_help=True)
_INPUTS = {
    "legacy": "Input Manager (old)",
    "new": "Input System package",
    "both": "both (Input Manager and Input System)",
}
_PIPELINES = {"built-in": "built-in", "urp": "URP", "hdrp": "HDRP", "custom": "custom SRP"}


def check(ctx: typer.Context) -> None:
    """Compile C# files in a Unity project's context; exit 1 on a compile error (see --help)."""
    from spark.cli_check import main

    raise typer.Exit(main(ctx.args))


@project_app.command("info")
def info(
    path: Annotated[
        str | None, typer.Argument(help="The project folder (default SPARK_UNITY_PROJECT, or .).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Show what SPARK reads from a Unity project: version, input, packages, scripts, compiler."""
    from spark.errors import SparkError
    from spark.unity.project import read_project
    from spark.unity.target import default_target
    from spark.unity.workspace import Workspace, WorkspaceOptions

    settings = settings_or_exit(debug)
    folder = Path(path) if path else settings.unity_project or Path.cwd()
    try:
        project = read_project(folder)
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)
    target = default_target(settings).with_project(project)
    workspace = Workspace(target, WorkspaceOptions.from_settings(settings))
    index = workspace.index()
    assert index is not None
    environment = workspace.environment()
    if json_output:
        typer.echo(json.dumps(project_payload(project, index, environment), indent=2))
        return
    _print_info(project, index, environment, default_version=settings.unity_version)


def _scripts_payload(index: ScriptIndex) -> dict[str, Any]:
    runtime = [f for f in index.files if not f.editor]
    return {
        "files": len(runtime),
        "editor_files": len(index.files) - len(runtime),
        "types": sum(len(f.types) for f in runtime),
        "assemblies": sorted({f.assembly for f in runtime}),
        "problems": list(index.problems),
    }


def project_payload(
    project: UnityProject, index: ScriptIndex, environment: CompileEnvironment
) -> dict[str, Any]:
    """Everything ``spark project info --json`` prints."""
    return {
        **project.to_dict(),
        "scripts": _scripts_payload(index),
        "compile": {
            "compiler": environment.compiler.describe if environment.compiler else None,
            "references": environment.references.describe if environment.references else None,
            "skipped": environment.skip_reason,
            "notes": list(environment.notes),
        },
    }


def _print_info(
    project: UnityProject,
    index: ScriptIndex,
    environment: CompileEnvironment,
    *,
    default_version: str,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    scripts = _scripts_payload(index)
    pipeline = _PIPELINES[project.render_pipeline]
    for name in (
        "com.unity.render-pipelines.universal",
        "com.unity.render-pipelines.high-definition",
    ):
        found = project.package(name)
        if found is not None and project.render_pipeline in ("urp", "hdrp"):
            pipeline += f" {found.version}"
    symbols = "; ".join(f"{k}: {', '.join(v)}" for k, v in project.define_symbols.items())
    notable = ", ".join(p.label for p in project.notable_packages)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    rows = [
        ("Unity version", project.unity_version or f"unknown (using {default_version})"),
        ("input handling", _INPUTS.get(project.input_system or "", "unknown")),
        ("render pipeline", pipeline),
        ("API compatibility", project.api_compatibility or "unknown"),
        ("define symbols", symbols or "none"),
        ("packages", f"{notable or 'none notable'} ({len(project.packages)} in all)"),
        (
            "scripts",
            f"{scripts['files']} scripts declaring {scripts['types']} types in "
            f"{', '.join(scripts['assemblies']) or 'no assembly'} "
            f"(+ {scripts['editor_files']} Editor script{'s' * (scripts['editor_files'] != 1)})",
        ),
        (
            "compile check",
            environment.compiler.describe if environment.compiler else "skipped",
        ),
        ("references", environment.references.describe if environment.references else "none"),
    ]
    for label, value in rows:
        table.add_row(label, escape(str(value)))
    out = stdout_console()
    out.print(f"[bold]Unity project[/] {escape(str(project.root))}")
    out.print(table)
    notes = [*project.problems, *index.problems, *environment.notes]
    if environment.skip_reason:
        notes.append(f"compile check skipped: {environment.skip_reason}")
    for note in notes:
        stderr_console().print(f"[yellow]note:[/] {escape(note)}")
