"""`spark validate FILES...`: validate C# files and print a compiler-style report or JSON.

`main` parses the command line and `validate_files` does the work and returns the exit code:
0 when no file has an error, 1 when any has, 2 for a usage problem (a bad option, a missing or
unreadable file).  `-` reads one script from standard input.  `--fix` applies the automatic
fixes in place (the report is then of the fixed file), `--diff` prints them as a unified diff
and writes nothing.

The command line is parsed with the standard library's argparse, not Typer: `spark validate`
is meant for editors and pre-commit hooks that run it on every save, and importing Typer
(with Click and pydantic) takes longer than validating a file.  `spark.cli.main` sends
`spark validate ...` here before Typer is loaded; the Typer app's `validate` command passes
its arguments through, so there is one definition of the options.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.markup import escape

from spark.unity.validator import InputSystem, ValidationReport, validate

if TYPE_CHECKING:
    from spark.unity.fixer import FixResult
    from spark.unity.project import UnityProject

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

# The validator's own defaults; SPARK_UNITY_VERSION / SPARK_INPUT_SYSTEM override them.
DEFAULT_UNITY_VERSION = "6000.0"
DEFAULT_INPUT_SYSTEM = "both"


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """FILE... and the output format, shared by `spark validate` and `spark check`."""
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="C# files to check; - reads stdin."
    )
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=("text", "json"),
        default="text",
        help="text (compiler style, the default) or json.",
    )
    parser.add_argument("--json", action="store_true", help="Same as --format json.")


def build_parser() -> argparse.ArgumentParser:
    """The options of `spark validate` (also shown by `spark validate --help`)."""
    parser = argparse.ArgumentParser(
        prog="spark validate",
        description="Validate C# files as Unity scripts: syntax errors and Unity mistakes, "
        "printed like a compiler (FILE:LINE:COLUMN: severity ID: message).",
        epilog="Exit codes: 0 no errors (warnings allowed), 1 a file has an error, "
        "2 usage problem (bad option, unreadable file). Defaults come from the project "
        "(--project or SPARK_UNITY_PROJECT), else SPARK_UNITY_VERSION and SPARK_INPUT_SYSTEM "
        "(environment or .env); SPARK_VALIDATOR_ENABLE / SPARK_VALIDATOR_DISABLE give the "
        "default --enable / --disable. "
        "Rules: `spark rules`; details: docs/validation.md.",
    )
    add_report_options(parser)
    parser.add_argument(
        "--unity-version",
        metavar="VERSION",
        help=f"Target Unity version, e.g. 2022.3 (default {DEFAULT_UNITY_VERSION}).",
    )
    parser.add_argument(
        "--input-system",
        choices=("legacy", "new", "both"),
        help=f"The project's input handling (default {DEFAULT_INPUT_SYSTEM}).",
    )
    parser.add_argument(
        "--project",
        metavar="PATH",
        help="A Unity project folder: its version and input handling become the defaults "
        "(default SPARK_UNITY_PROJECT).",
    )
    parser.add_argument(
        "--enable",
        action="append",
        metavar="ID[,ID...]",
        help="Switch on opt-in rules, e.g. --enable SPK051 (repeatable; `spark rules` marks "
        "them; default SPARK_VALIDATOR_ENABLE).",
    )
    parser.add_argument(
        "--disable",
        action="append",
        metavar="ID[,ID...]",
        help="Switch rules off, e.g. --disable SPK010,SPK031 (repeatable; default "
        "SPARK_VALIDATOR_DISABLE). Syntax errors cannot be switched off.",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="Apply the automatic fixes to each file in place and report what is left "
        "(with -, print the fixed script instead).",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="Print the automatic fixes as a unified diff and change nothing "
        "(with --fix: apply them too).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`spark validate ARGS`: parse `argv` (without "validate"), validate, return the exit code.

    argparse reports a usage mistake itself, on stderr, and exits with 2.
    """
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    unity_version = env_setting("SPARK_UNITY_VERSION", DEFAULT_UNITY_VERSION)
    input_system = env_setting("SPARK_INPUT_SYSTEM", DEFAULT_INPUT_SYSTEM)
    project_folder = args.project or env_setting("SPARK_UNITY_PROJECT", "")
    if project_folder:
        project = project_or_none(project_folder, console)
        if project is None:
            return 2
        unity_version = project.unity_version or unity_version
        input_system = project.input_system or input_system
    switches = rule_switches(args.enable, args.disable, console)
    if switches is None:
        return 2
    return validate_files(
        args.files,
        json_output=args.json or args.output_format == "json",
        unity_version=args.unity_version or unity_version,
        input_system=args.input_system or input_system,
        console=console,
        fix=args.fix,
        diff=args.diff,
        err_console=Console(stderr=True, highlight=False, soft_wrap=True),
        enable=switches[0],
        disable=switches[1],
    )


def rule_switches(
    enable: list[str] | None, disable: list[str] | None, console: Console
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The rule ids to switch on and off: from --enable / --disable when given, else from
    SPARK_VALIDATOR_ENABLE / SPARK_VALIDATOR_DISABLE; None after printing which ids are not
    rules."""
    from spark.unity.rules import parse_rule_ids, unknown_rule_ids

    found: list[tuple[str, ...]] = []
    for option, given, variable in (
        ("--enable", enable, "SPARK_VALIDATOR_ENABLE"),
        ("--disable", disable, "SPARK_VALIDATOR_DISABLE"),
    ):
        text = " ".join(given) if given else env_setting(variable, "")
        ids = parse_rule_ids(text)
        unknown = unknown_rule_ids(ids)
        if unknown:
            where = option if given else variable
            names = escape(", ".join(unknown))
            console.print(
                f"[red]error:[/] {where}: not a Unity rule id: {names} (see `spark rules`)"
            )
            return None
        found.append(ids)
    return found[0], found[1]


def project_or_none(folder: str, console: Console) -> UnityProject | None:
    """The project at ``folder`` with its problems printed as notes (on stderr), or None after
    printing why it cannot be used."""
    from spark.unity.project import ProjectError, read_project

    try:
        project = read_project(Path(folder))
    except ProjectError as exc:
        console.print(f"[red]error:[/] {escape(exc.message)}")
        return None
    for problem in project.problems:
        sys.stderr.write(f"note: {project.root.name}: {problem}\n")
    return project


def env_setting(name: str, default: str) -> str:
    """A setting from the environment, then .env, without building `spark.config.Settings`.

    pydantic-settings costs about 0.3 s to import; these two plain strings do not need it.
    """
    value = os.environ.get(name)
    if not value and Path(".env").is_file():
        from dotenv import dotenv_values

        value = dotenv_values(".env").get(name)
    return value.strip() if value and value.strip() else default


def read_source(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_text(encoding="utf-8-sig", errors="replace")


_BOM = "\ufeff"


def _read_exact(path: Path) -> str:
    """The file's text exactly as stored (line endings, BOM), for fixing it; raises
    `UnicodeDecodeError` when it is not UTF-8 (rewriting it could lose bytes)."""
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_bytes().decode("utf-8")


def _write_exact(path: Path, text: str) -> None:
    """Replace the file's content with `text` in one step, keeping its permissions."""
    tmp = path.with_name(f".{path.name}.spark-fix")
    tmp.write_bytes(text.encode("utf-8"))
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)


@dataclass
class _Checked:
    """One file's outcome: its report (after fixing, with --fix/--diff), or why it failed."""

    name: str
    report: ValidationReport | None = None
    problem: str | None = None
    fixes: FixResult | None = None


def validate_files(
    paths: list[Path],
    *,
    json_output: bool,
    unity_version: str,
    input_system: str,
    console: Console,
    fix: bool = False,
    diff: bool = False,
    err_console: Console | None = None,
    enable: Sequence[str] = (),
    disable: Sequence[str] = (),
) -> int:
    """Validate (and with `fix`/`diff`, fix) each file, print the report, return the exit code."""
    err = err_console or console
    if input_system not in {"legacy", "new", "both"}:
        wrong = escape(repr(input_system))
        console.print(f"[red]error:[/] --input-system must be legacy, new or both, not {wrong}")
        return 2
    mode: InputSystem = input_system  # type: ignore[assignment]
    results: list[_Checked] = []
    for path in paths:
        stdin = str(path) == "-"
        checked = _Checked("<stdin>" if stdin else str(path))
        results.append(checked)
        try:
            code = _read_exact(path) if fix or diff else read_source(path)
        except UnicodeDecodeError:
            checked.problem = "not valid UTF-8, so it is not rewritten (save it as UTF-8)"
            continue
        except OSError as exc:
            checked.problem = exc.strerror or str(exc)
            continue
        options: dict[str, Any] = {
            "file_name": None if stdin else path.name,
            "unity_version": unity_version,
            "input_system": mode,
            "enable": tuple(enable),
            "disable": tuple(disable),
        }
        bom = code.startswith(_BOM)
        report = validate(code[len(_BOM) :] if bom else code, **options)
        if fix or diff:
            from spark.unity.fixer import fix_code

            checked.fixes = fix_code(code[len(_BOM) :] if bom else code, report=report, **options)
            report = checked.fixes.report
            if fix and checked.fixes.changed and not stdin:
                try:
                    _write_exact(path, (_BOM if bom else "") + checked.fixes.code)
                except OSError as exc:
                    checked.problem = f"cannot write the fixes: {exc.strerror or exc}"
        checked.report = report
    if json_output:
        _print_json(results, console, diff=diff)
    elif diff:
        for checked in results:
            _print_diff(checked, console, err)
    else:
        for checked in results:
            out = console
            if fix and checked.fixes is not None and checked.name == "<stdin>":
                _write_raw(console, checked.fixes.code)
                out = err
            print_file_report(checked.name, checked.report, checked.problem, out, checked.fixes)
    if any(checked.problem is not None for checked in results):
        return 2
    if any(checked.report is not None and not checked.report.ok for checked in results):
        return 1
    return 0


def _write_raw(console: Console, text: str) -> None:
    """Code and diffs go out byte for byte (Rich would drop the CR of CRLF line ends)."""
    console.file.write(text)
    console.file.flush()


def _print_diff(checked: _Checked, console: Console, err: Console) -> None:
    """The diff on `console` (nothing else, so that it can be piped to `git apply`); what was
    fixed and what could not be read on `err`."""
    if checked.fixes is None:
        err.print(f"[bold red]{escape(checked.name)}: {escape(checked.problem or '')}[/]")
        return
    _write_raw(console, checked.fixes.diff(checked.name))
    if checked.fixes.applied:
        count = len(checked.fixes.applied)
        err.print(f"{escape(checked.name)}: {count} fix{'es' * (count != 1)}")


def print_file_report(
    name: str,
    report: ValidationReport | None,
    problem: str | None,
    console: Console,
    fixes: FixResult | None = None,
) -> None:
    """One file's diagnostics, compiler style, after the fixes applied to it (if any)."""
    if report is None:
        console.print(f"[bold red]{escape(name)}: cannot read file: {escape(problem or '')}[/]")
        return
    if fixes is not None:
        for applied in fixes.applied:
            console.print(
                f"{escape(name)}:{applied.line}: [green]fixed[/] "
                f"[bold]{applied.rule_id}[/]: {escape(applied.title)}"
            )
        for dropped in fixes.dropped:
            console.print(
                f"{escape(name)}:{dropped.line}: [yellow]not fixed[/] [bold]{dropped.rule_id}[/]: "
                f"{escape(dropped.title)} (the fix would add an error)"
            )
    if problem is not None:
        console.print(f"[bold red]{escape(name)}: {escape(problem)}[/]")
    for d in report.diagnostics:
        style = _STYLE[d.severity]
        code = f" ({d.analyzer_id})" if d.analyzer_id else ""
        fixable = " [dim](fixable: --fix)[/]" if d.fix is not None and fixes is None else ""
        console.print(
            f"{escape(name)}:{d.line}:{d.column}: [{style}]{d.severity}[/] "
            f"[bold]{d.rule_id}[/]{code}: {escape(d.message)}{fixable}",
            soft_wrap=True,
        )
        if d.source_line.strip():
            console.print(
                f"  {d.line:>4} | {escape(d.source_line)}", soft_wrap=True, highlight=False
            )
            console.print(f"       | [{style}]{escape(d.caret)}[/]", soft_wrap=True)
        if d.hint:
            console.print(f"       = [dim]hint:[/] {escape(d.hint)}", soft_wrap=True)
    verdict: Literal["green", "red"] = "green" if report.ok else "red"
    console.print(f"[bold {verdict}]{escape(name)}: {escape(report.summary())}[/]")


def _print_json(results: list[_Checked], console: Console, *, diff: bool) -> None:
    files: list[dict[str, Any]] = []
    for checked in results:
        if checked.report is None:
            files.append({"file": checked.name, "ok": False, "error": checked.problem})
            continue
        entry: dict[str, Any] = {"file": checked.name, **checked.report.to_dict()}
        if checked.problem is not None:
            entry["error"] = checked.problem
        if checked.fixes is not None:
            entry["fixes"] = checked.fixes.to_dict()
            if diff:
                entry["diff"] = checked.fixes.diff(checked.name)
        files.append(entry)
    document = {"ok": all(f["ok"] and "error" not in f for f in files), "files": files}
    console.print(
        json.dumps(document, indent=2, ensure_ascii=False),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
