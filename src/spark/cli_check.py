"""`spark check FILE...`: compile C# files in the context of a Unity project.

Prints the compiler's findings in `spark validate`'s report format (compiler-style lines, or
JSON with `--format json`), after one line naming the compiler and one naming the reference set.
Exit codes as `spark validate`: 0 no errors (also when no compiler was found: the check is
skipped with a notice), 1 a file has a compile error, 2 a usage problem (bad option, unreadable
file, a folder that is not a Unity project).

The project is `--project`, else `SPARK_UNITY_PROJECT`, else the Unity project holding the
first file. Like `spark validate`, the command line is parsed by argparse before Typer loads
(`spark.cli.main` dispatches here), since editors and hooks run it often.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from spark.cli_validate import (
    DEFAULT_UNITY_VERSION,
    add_report_options,
    env_setting,
    print_file_report,
    project_or_none,
    read_source,
)
from spark.paths import default_data_dir

if TYPE_CHECKING:
    from spark.unity.compile import CompileReport


def build_parser() -> argparse.ArgumentParser:
    """The options of `spark check` (also shown by `spark check --help`)."""
    parser = argparse.ArgumentParser(
        prog="spark check",
        description="Compile C# files in a Unity project's context (its references, defines and "
        "scripts) and report compiler errors like `spark validate` (FILE:LINE:COLUMN: severity "
        "ID: message).",
        epilog="Exit codes: 0 no errors (a check skipped for want of a compiler is not an "
        "error), 1 a file has a compile error, 2 usage problem. The compiler is the project's "
        "Unity Editor (Unity Hub's folders or SPARK_UNITY_EDITOR), else SPARK_CSC, else csc, "
        "mcs or dotnet on PATH. Details: docs/unity-projects.md.",
    )
    add_report_options(parser)
    parser.add_argument(
        "--project",
        metavar="PATH",
        help="The Unity project (default SPARK_UNITY_PROJECT, else the one holding the first "
        "file).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`spark check ARGS`: parse `argv` (without "check"), check, return the exit code."""
    from spark.unity.compile import CheckedScript, prepare_environment
    from spark.unity.project import find_project_root
    from spark.unity.project_scripts import load_script_index

    args = build_parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    json_output = args.json or args.output_format == "json"
    scripts: list[CheckedScript] = []
    unreadable: list[tuple[str, str]] = []
    for path in args.files:
        name = "<stdin>" if str(path) == "-" else str(path)
        try:
            code = read_source(path)
        except OSError as exc:
            unreadable.append((name, exc.strerror or str(exc)))
            continue
        on_disk = None if str(path) == "-" else path
        scripts.append(CheckedScript(name, code, on_disk))
    if unreadable:
        for name, problem in unreadable:
            console.print(f"[bold red]{escape(name)}: cannot read file: {escape(problem)}[/]")
        return 2
    folder = args.project or env_setting("SPARK_UNITY_PROJECT", "")
    if not folder and scripts and scripts[0].path is not None:
        found = find_project_root(scripts[0].path)
        folder = str(found) if found is not None else ""
    project = index = None
    cache = Path(env_setting("SPARK_DATA_DIR", str(default_data_dir()))).expanduser() / "cache"
    if folder:
        project = project_or_none(folder, Console(stderr=True, highlight=False, soft_wrap=True))
        if project is None:
            return 2
        index = load_script_index(project.root, cache_dir=cache)
    environment = prepare_environment(
        cache_dir=cache / "compile",
        project=project,
        index=index,
        unity_version=env_setting("SPARK_UNITY_VERSION", DEFAULT_UNITY_VERSION),
        editor_setting=env_setting("SPARK_UNITY_EDITOR", "") or None,
        csc_setting=env_setting("SPARK_CSC", "") or None,
        timeout=_timeout(),
    )
    report = environment.check(scripts)
    if json_output:
        document: dict[str, Any] = {
            "project": str(project.root) if project is not None else None,
            **report.to_dict(),
        }
        console.print(json.dumps(document, indent=2, ensure_ascii=False), markup=False)
    else:
        _print_text(report, console)
    return 1 if not report.ok else 0


def _timeout() -> float:
    try:
        return max(1.0, float(env_setting("SPARK_COMPILE_TIMEOUT", "120")))
    except ValueError:
        return 120.0


def _print_text(report: CompileReport, console: Console) -> None:
    """The compiler and references on stderr, then each file like `spark validate` prints it
    (when the check was skipped, only files with findings), then the summary."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if report.compiler:
        err.print(f"[dim]compiler:[/] {escape(report.compiler)}")
    if report.references:
        err.print(f"[dim]references:[/] {escape(report.references)}")
    for note in report.notes:
        err.print(f"[dim]note:[/] {escape(note)}")
    checked = report.status != "skipped"
    for name, file_report in report.files:
        if checked or file_report.diagnostics:
            print_file_report(name, file_report, None, console)
    colour = {"ok": "green", "failed": "red"}.get(report.status, "yellow")
    console.print(f"[bold {colour}]{escape(report.summary())}[/]")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
