"""`spark validate FILES...`: validate C# files and print a compiler-style report or JSON.

The Typer command in `cli.py` is a thin wrapper around `validate_files`, which does the work and
returns the exit code: 0 when no file has an error, 1 when any has, 2 for a usage problem (a
missing or unreadable file).  `-` reads one script from standard input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape

from spark.unity.validator import InputSystem, ValidationReport, validate

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_text(encoding="utf-8-sig", errors="replace")


def validate_files(
    paths: list[Path],
    *,
    json_output: bool,
    unity_version: str,
    input_system: str,
    console: Console,
) -> int:
    """Validate each file, print the report, and return the exit code (0, 1 or 2)."""
    if input_system not in {"legacy", "new", "both"}:
        wrong = escape(repr(input_system))
        console.print(f"[red]error:[/] --input-system must be legacy, new or both, not {wrong}")
        return 2
    mode: InputSystem = input_system  # type: ignore[assignment]
    results: list[tuple[str, ValidationReport | None, str | None]] = []
    for path in paths:
        name = "<stdin>" if str(path) == "-" else str(path)
        try:
            code = _read(path)
        except OSError as exc:
            results.append((name, None, exc.strerror or str(exc)))
            continue
        file_name = None if str(path) == "-" else path.name
        checked = validate(
            code, file_name=file_name, unity_version=unity_version, input_system=mode
        )
        results.append((name, checked, None))
    if json_output:
        _print_json(results, console)
    else:
        for name, report, problem in results:
            _print_text(name, report, problem, console)
    if any(problem is not None for _, _, problem in results):
        return 2
    if any(report is not None and not report.ok for _, report, _ in results):
        return 1
    return 0


def _print_text(
    name: str, report: ValidationReport | None, problem: str | None, console: Console
) -> None:
    if report is None:
        console.print(f"[bold red]{escape(name)}: cannot read file: {escape(problem or '')}[/]")
        return
    for d in report.diagnostics:
        style = _STYLE[d.severity]
        code = f" ({d.analyzer_id})" if d.analyzer_id else ""
        console.print(
            f"{escape(name)}:{d.line}:{d.column}: [{style}]{d.severity}[/] "
            f"[bold]{d.rule_id}[/]{code}: {escape(d.message)}",
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


def _print_json(
    results: list[tuple[str, ValidationReport | None, str | None]], console: Console
) -> None:
    files: list[dict[str, Any]] = []
    for name, report, problem in results:
        if report is None:
            files.append({"file": name, "ok": False, "error": problem})
        else:
            files.append({"file": name, **report.to_dict()})
    document = {"ok": all(f["ok"] for f in files), "files": files}
    console.print(
        json.dumps(document, indent=2, ensure_ascii=False),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
