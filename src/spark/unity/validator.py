"""Validate a Unity C# script: syntax diagnostics from tree-sitter, then the Unity rules.

`validate()` is the one entry point used by the generation path, the CLI and the web app.  It
never raises: any text gives a `ValidationReport`.  Syntax problems are `error`s with the exact
line and column (`syntax.py`, with the grammar quirks of tree-sitter-c-sharp 0.23 there and in
`rules_syntax.py`, each listed in docs/validation.md with the test that pins it); Unity rules
(`rules.py`) are `warning`s or `info`s, except the few that are certain to stop a Unity build.
The report types live in `report.py`, the parser in `parsing.py`; this module re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from spark.unity.parsing import _parser, captures, matches, parse
from spark.unity.report import (
    SEVERITY_ORDER,
    AppliedFix,
    Diagnostic,
    Fix,
    InputSystem,
    Severity,
    SourceText,
    ValidationReport,
)
from spark.unity.syntax import check_syntax

__all__ = [
    "AppliedFix",
    "Diagnostic",
    "Fix",
    "InputSystem",
    "Severity",
    "SourceText",
    "ValidationReport",
    "_parser",
    "captures",
    "format_for_repair",
    "matches",
    "parse",
    "validate",
]


# -- public API ----------------------------------------------------------------------------------


def validate(
    code: str,
    *,
    file_name: str | None = None,
    unity_version: str = "6000.0",
    input_system: InputSystem = "both",
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> ValidationReport:
    """Check `code` as a Unity C# script; never raises, whatever the input.

    `enable` switches opt-in rules on and `disable` switches rules off, by id (`SPK051`); ids
    that are not Unity rules are ignored here (the CLI and the settings reject them).
    """
    try:
        switches = (frozenset(enable), frozenset(disable))
        return _validate(code, file_name, unity_version, input_system, switches)
    except Exception as exc:  # a validator bug must not break generation; say so instead
        return ValidationReport(
            diagnostics=(
                Diagnostic(
                    rule_id="SPK-INTERNAL",
                    severity="info",
                    message=f"validator could not check this file ({type(exc).__name__})",
                    line=1,
                    column=1,
                    end_line=1,
                    end_column=1,
                    hint="Please report this with the file attached.",
                ),
            )
        )


_LINE_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def _validate(
    code: str,
    file_name: str | None,
    unity_version: str,
    input_system: InputSystem,
    switches: tuple[frozenset[str], frozenset[str]],
) -> ValidationReport:
    from spark.unity import rules

    if not isinstance(code, str):
        code = str(code)
    code = code.replace("\x00", " ")
    if "\u2028" in code or "\u2029" in code or "\x85" in code:
        # C# ends lines at these too; the grammar does not know them.
        code = code.translate(_LINE_SEPARATORS)
    if "\x1a" in code:  # C# allows a Control-Z at the very end (old DOS editors)
        stripped = code.rstrip()
        if stripped.endswith("\x1a"):
            code = stripped[:-1] + " " + code[len(stripped) :]
    src = SourceText(code)
    syntax = check_syntax(src, unity_version=unity_version, input_system=input_system)
    options = rules.RuleOptions(
        file_name=file_name,
        unity_version=unity_version,
        input_system=input_system,
        enable=switches[0],
        disable=switches[1],
    )
    unity = rules.run_rules(src, syntax.tree, syntax.data, options)
    diagnostics = sorted(
        [*syntax.diagnostics, *unity.diagnostics],
        key=lambda d: (d.line, d.column, SEVERITY_ORDER[d.severity], d.rule_id),
    )
    return ValidationReport(
        diagnostics=tuple(diagnostics),
        truncated=syntax.truncated,
        class_names=unity.class_names,
    )


def format_for_repair(report: ValidationReport, code: str) -> str:
    """A compact list of errors and warnings with line numbers, for a "please fix" prompt."""
    del code  # the diagnostics already carry their source lines
    findings = [d for d in report.diagnostics if d.severity != "info"]
    if not findings:
        return "No errors or warnings."
    counts = replace(report, fixed=()).summary().split(" — ", 1)[-1]  # what is left to fix
    lines = [f"The script has {counts}:"]
    for d in findings:
        lines.append(f"- line {d.line}, column {d.column}: {d.severity} {d.rule_id}: {d.message}")
        if d.source_line.strip():
            lines.append(f"    {d.source_line.strip()}")
        if d.hint:
            lines.append(f"    fix: {d.hint}")
    if report.truncated:
        lines.append("The script is cut off: return the complete script.")
    return "\n".join(lines)
