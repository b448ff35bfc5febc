"""What validation reports: diagnostics with positions and fixes, the report, source positions.

`SourceText` turns tree-sitter's (row, byte column) points into 1-based lines and character
columns with the source line and a caret, for every diagnostic the validator makes.  A
diagnostic whose rule can repair it mechanically carries a `Fix`: text edits in character
offsets of the validated text, which `spark.unity.fixer` applies.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
InputSystem = Literal["legacy", "new", "both"]

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class TextEdit:
    """Replace the characters `start:end` of the validated text with `text` (0-based offsets)."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Fix:
    """A mechanical repair of one diagnostic: what it does, and its non-overlapping edits."""

    title: str
    edits: tuple[TextEdit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "edits": [e.to_dict() for e in self.edits]}


@dataclass(frozen=True)
class Diagnostic:
    """One finding, positioned like a compiler message (1-based line and column)."""

    rule_id: str
    severity: Severity
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    hint: str | None = None
    source_line: str = ""
    caret: str = ""
    docs: str | None = None
    analyzer_id: str | None = None
    fix: Fix | None = None

    def format(self, file_name: str = "<stdin>") -> str:
        """`Player.cs:12:5: error SPK001: message`, the shape compilers and editors understand."""
        return (
            f"{file_name}:{self.line}:{self.column}: {self.severity} {self.rule_id}: {self.message}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "hint": self.hint,
            "source_line": self.source_line,
            "caret": self.caret,
            "docs": self.docs,
            "analyzer_id": self.analyzer_id,
            "fix": None if self.fix is None else self.fix.to_dict(),
        }


@dataclass(frozen=True)
class AppliedFix:
    """A fix that was applied (or dropped): its rule, what it did, and where (1-based, in the
    text the fix was applied to)."""

    rule_id: str
    title: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    def format(self) -> str:
        return f"line {self.line}: {self.rule_id} {self.title}"


@dataclass(frozen=True)
class ValidationReport:
    """All diagnostics for one script, sorted by position; `ok` means no error-level finding.

    `fixed`: the automatic fixes applied to the script before it was checked (by
    `spark.unity.fixer.fix_code`), and `before_fixes` the script as it was, so that whoever
    shows the report can show them too (`fixes_diff`).
    """

    diagnostics: tuple[Diagnostic, ...]
    truncated: bool = False
    class_names: tuple[str, ...] = ()
    fixed: tuple[AppliedFix, ...] = ()
    before_fixes: str | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    @property
    def infos(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "info")

    @property
    def ok(self) -> bool:
        return not self.errors

    def fixes_diff(self, after: str, name: str = "script.cs") -> str:
        """The unified diff of the fixes, from `before_fixes` to `after` (the fixed script)."""
        if not self.fixed or self.before_fixes is None:
            return ""
        return unified_diff(self.before_fixes, after, name)

    @property
    def fixable(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that carry a mechanical fix."""
        return tuple(d for d in self.diagnostics if d.fix is not None)

    def summary(self) -> str:
        """E.g. `OK — 0 errors, 2 warnings, 3 fixed` or `FAILED — 1 error, 0 warnings (truncated)`.

        ("3 fixed": automatic fixes applied before the check.)
        """
        n_err, n_warn, n_info = len(self.errors), len(self.warnings), len(self.infos)
        text = (
            f"{'OK' if self.ok else 'FAILED'} — {n_err} error{'s' * (n_err != 1)}, "
            f"{n_warn} warning{'s' * (n_warn != 1)}"
        )
        if n_info:
            text += f", {n_info} info"
        if self.fixed:
            text += f", {len(self.fixed)} fixed"
        if self.truncated:
            text += " (truncated)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "truncated": self.truncated,
            "class_names": list(self.class_names),
            "summary": self.summary(),
            "counts": {
                "error": len(self.errors),
                "warning": len(self.warnings),
                "info": len(self.infos),
            },
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "fixed": [f.to_dict() for f in self.fixed],
        }


# -- source positions --------------------------------------------------------------------------


class SourceText:
    """The text being validated, with byte-to-character column conversion for diagnostics."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._lines: list[str] | None = None
        self._data: bytes | None = None
        self._ascii: bool | None = None

    # Lines and bytes are only needed for diagnostics and a few checks: made on first use.
    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.code.split("\n")
        return self._lines

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.code.encode("utf-8", "replace")
        return self._data

    def line_text(self, row: int) -> str:
        if 0 <= row < len(self.lines):
            return self.lines[row].rstrip("\r")
        return ""

    def char_offset(self, byte_offset: int) -> int:
        """0-based character offset in `code` of a byte offset in its UTF-8 encoding."""
        if self._ascii is None:
            self._ascii = self.code.isascii()
        if self._ascii:
            return byte_offset
        return len(self.data[:byte_offset].decode("utf-8", "ignore"))

    def char_column(self, row: int, byte_col: int) -> int:
        """0-based character column for a tree-sitter byte column."""
        line = self.line_text(row)
        if line.isascii():
            return min(byte_col, len(line))
        raw = line.encode("utf-8", "replace")[:byte_col]
        return len(raw.decode("utf-8", "ignore"))

    def diagnostic(
        self,
        *,
        rule_id: str,
        severity: Severity,
        message: str,
        start: tuple[int, int],
        end: tuple[int, int],
        hint: str | None = None,
        docs: str | None = None,
        analyzer_id: str | None = None,
        char_columns: bool = False,
        fix: Fix | None = None,
    ) -> Diagnostic:
        """Build a diagnostic from 0-based (row, column) points; byte columns unless told."""
        row = max(0, min(start[0], len(self.lines) - 1))
        col = start[1] if char_columns else self.char_column(row, start[1])
        end_row = max(row, end[0])
        end_col = end[1] if char_columns else self.char_column(end_row, end[1])
        line = self.line_text(row)
        col = min(col, len(line))
        width = (end_col - col) if end_row == row else len(line) - col
        width = max(1, min(width, max(1, len(line) - col)))
        prefix = line[:col]
        pad = "".join(ch if ch == "\t" else " " for ch in prefix) if "\t" in prefix else " " * col
        if docs is None and rule_id.startswith("CS-"):
            docs = f"docs/validation.md#{rule_id.lower()}"
        return Diagnostic(
            rule_id=rule_id,
            severity=severity,
            message=message,
            line=row + 1,
            column=col + 1,
            end_line=end_row + 1,
            end_column=end_col + 1,
            hint=hint,
            source_line=line,
            caret=pad + "^" * width,
            docs=docs,
            analyzer_id=analyzer_id,
            fix=fix,
        )


def unified_diff(before: str, after: str, name: str) -> str:
    """`diff -u` of two texts, with `\\ No newline at end of file` where it applies."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name.lstrip('/')}",
        tofile=f"b/{name.lstrip('/')}",
    )
    out: list[str] = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)
