"""The result of a compile check: per-script reports in the validator's format, plus context.

A :class:`CompileReport` says which compiler and which reference set were used, and its
``status``: ``ok`` (compiled, maybe with warnings), ``failed`` (an error in a checked script),
``incomplete`` (the compiler stopped at syntax it is too old for, so not everything was
checked) or ``skipped`` (no compiler or no Unity references: one line in ``notes`` says what is
missing; never an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from spark.unity.report import Diagnostic, ValidationReport

CompileStatus = Literal["ok", "failed", "incomplete", "skipped"]


@dataclass(frozen=True, slots=True)
class CompileReport:
    """What the compiler said about each checked script (see the module docstring)."""

    status: CompileStatus
    files: tuple[tuple[str, ValidationReport], ...] = ()
    compiler: str | None = None
    references: str | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for _, report in self.files for d in report.errors)

    def report_for(self, name: str) -> ValidationReport | None:
        return next((report for file, report in self.files if file == name), None)

    def summary(self) -> str:
        """One line: ``compile: OK (mcs …; Assembly-CSharp.csproj …)`` or why it was skipped."""
        if self.status == "skipped":
            return "compile check skipped: " + (self.notes[0] if self.notes else "no compiler")
        counts = (
            sum(len(r.errors) for _, r in self.files),
            sum(len(r.warnings) for _, r in self.files),
        )
        verdict = {"ok": "OK", "failed": "FAILED", "incomplete": "INCOMPLETE"}[self.status]
        text = (
            f"compile: {verdict} — {counts[0]} error{'s' * (counts[0] != 1)}, "
            f"{counts[1]} warning{'s' * (counts[1] != 1)}"
        )
        return f"{text} ({self.compiler})" if self.compiler else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "ok": self.ok,
            "summary": self.summary(),
            "compiler": self.compiler,
            "references": self.references,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "files": [{"file": name, **report.to_dict()} for name, report in self.files],
        }


def format_for_repair(report: CompileReport) -> str:
    """The compile errors as a list for the model's repair round (empty when there are none)."""
    lines: list[str] = []
    for _, file_report in report.files:
        for d in file_report.errors:
            lines.append(f"- line {d.line}, column {d.column}: error {d.rule_id}: {d.message}")
            if d.source_line.strip():
                lines.append(f"    {d.source_line.strip()}")
            if d.hint:
                lines.append(f"    fix: {d.hint}")
    if not lines:
        return ""
    return "The C# compiler, building it in the user's Unity project, reports:\n" + "\n".join(lines)
