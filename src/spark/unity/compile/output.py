"""Compiler output → the validator's diagnostics.

Both compilers print one line per message, with a 1-based line and column in characters:

    mcs:  Player.cs(12,17): error CS1061: Type `UnityEngine.Rigidbody' does not contain ...
    csc:  /p/Player.cs(12,17): error CS1061: 'Rigidbody' does not contain ... [/p/X.csproj]

and messages without a position (``error CS0006: Metadata file 'x.dll' could not be found``).
Other lines (banners, "Compilation failed", mcs' "(Location of the symbol related to previous
error)") are ignored.

**Honesty about old compilers.** Mono's ``mcs`` stops at C# 7: it rejects newer syntax (``x is
not null``, switch expressions, ``default`` literals...) that Unity's Roslyn accepts. When the
validator's own parser (tree-sitter, C# 1-13) found no syntax error in a script, the syntax
errors ``mcs`` reports for it are turned into ``info`` findings, "compiler too old for this
syntax", and the check says it could not look further: ``mcs`` stops at its parse errors, so the
script's types and members were not checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from spark.unity.report import Diagnostic, Severity, SourceText

_POSITIONED = re.compile(
    r"^(?P<file>.+?)\((?P<line>\d+),(?P<column>\d+)(?:,\d+,\d+)?\)\s*:\s*"
    r"(?P<severity>error|warning|info)\s+(?P<id>[A-Z]{2,}\d+)\s*:\s*(?P<message>.*?)"
    r"(?:\s+\[[^\]]+\.csproj\])?\s*$"
)
_WORD = re.compile(r"@?\w+")
_GLOBAL = re.compile(
    r"^(?:[^:()]+:\s*)?(?P<severity>error|warning)\s+(?P<id>[A-Z]{2,}\d+)\s*:\s*(?P<message>.*?)"
    r"(?:\s+\[[^\]]+\.csproj\])?\s*$"
)

# Errors mcs's parser reports: what a C# 8+ construct it does not know turns into.
MCS_SYNTAX_ERRORS = frozenset(
    {
        "CS1001",  # identifier expected
        "CS1002",  # ; expected
        "CS1003",  # syntax error, X expected
        "CS1026",  # ) expected
        "CS1031",  # type expected
        "CS1041",  # identifier expected, X is a keyword
        "CS1513",  # } expected
        "CS1514",  # { expected
        "CS1519",  # unexpected symbol in class, struct or interface member declaration
        "CS1520",  # class, struct or interface method must have a return type
        "CS1525",  # unexpected symbol
        "CS1644",  # feature X is not part of the C# 7.0 language specification
        "CS8025",  # feature not available in this language version
    }
)

# What to do about the errors language models make most, for the repair round and for people.
HINTS = {
    "CS0029": "The types do not match: convert the value or change the variable's type.",
    "CS0103": "Nothing by that name is in scope: declare it, fix its spelling, or add the "
    "`using` for its namespace.",
    "CS0117": "The type has no member by that name in this Unity version: check the API.",
    "CS0246": "The type is unknown: add its `using`, fix its spelling, install the package "
    "that provides it, or use a type the project already has.",
    "CS1061": "The type has no such member in this Unity version: check the API for the "
    "right name.",
    "CS1501": "No overload takes that many arguments: check the method's parameters.",
    "CS1612": "A struct returned by a property is a copy: store it in a local variable, change "
    "the local, then assign it back (e.g. `var p = transform.position; p.y = 0; "
    "transform.position = p;`).",
    "CS0120": "An instance member is used like a static one: call it on an instance.",
    "CS0266": "An explicit cast is needed (e.g. `(int)value`, or Mathf.RoundToInt).",
    "CS1503": "An argument has the wrong type: convert it or pick the right overload.",
}


@dataclass(frozen=True, slots=True)
class CompilerMessage:
    """One message of a compiler, as printed."""

    severity: Severity
    rule_id: str
    message: str
    file: str | None = None
    line: int = 0
    column: int = 0

    def format(self) -> str:
        where = f"{self.file}({self.line},{self.column}): " if self.file else ""
        return f"{where}{self.severity} {self.rule_id}: {self.message}"


def parse_output(text: str) -> list[CompilerMessage]:
    """Every diagnostic in a compiler's output (mcs or csc format), in order, without repeats."""
    found: dict[tuple[object, ...], CompilerMessage] = {}
    for raw in text.splitlines():
        line = raw.strip()
        match = _POSITIONED.match(line)
        if match is not None:
            message = CompilerMessage(
                severity=match["severity"],  # type: ignore[arg-type]
                rule_id=match["id"],
                message=match["message"],
                file=match["file"],
                line=int(match["line"]),
                column=int(match["column"]),
            )
        elif (match := _GLOBAL.match(line)) is not None:
            message = CompilerMessage(match["severity"], match["id"], match["message"])  # type: ignore[arg-type]
        else:
            continue
        key = (message.file, message.line, message.column, message.rule_id, message.message)
        found.setdefault(key, message)
    return list(found.values())


def same_file(reported: str, path: str, cwd: str) -> bool:
    """Whether a path printed by the compiler is ``path`` (absolute or relative to ``cwd``)."""
    full = reported if os.path.isabs(reported) else os.path.join(cwd, reported)
    return os.path.normcase(os.path.abspath(full)) == os.path.normcase(os.path.abspath(path))


def to_diagnostics(
    messages: Iterable[CompilerMessage],
    code: str,
    *,
    too_old: bool,
    compiler_name: str,
) -> tuple[list[Diagnostic], bool]:
    """Diagnostics for one checked script, and whether the compiler stopped at syntax it does not
    know (``too_old``: the compiler has a language limit and tree-sitter accepted the script)."""
    src = SourceText(code)
    diagnostics: list[Diagnostic] = []
    stopped = False
    for message in messages:
        severity = message.severity
        text = message.message
        if too_old and severity == "error" and message.rule_id in MCS_SYNTAX_ERRORS:
            severity, stopped = "info", True
            text = f"compiler too old for this syntax ({compiler_name} stops at C# 7): {text}"
        row = max(0, message.line - 1)
        column = max(0, message.column - 1)
        word = _WORD.match(src.line_text(row), column)
        end = word.end() if word is not None else column + 1
        diagnostics.append(
            src.diagnostic(
                rule_id=message.rule_id,
                severity=severity,
                message=text,
                start=(row, column),
                end=(row, end),
                hint=HINTS.get(message.rule_id) if severity == "error" else None,
                char_columns=True,
            )
        )
    return diagnostics, stopped
