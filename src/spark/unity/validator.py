"""Validate a Unity C# script: syntax diagnostics from tree-sitter, then the Unity rules.

`validate()` is the one entry point used by the generation path, the CLI and the MCP server.  It
never raises: any text gives a `ValidationReport`.  Syntax problems are `error`s with the exact
line and column; Unity rules (see `rules.py`) are `warning`s or `info`s, except the few that are
certain to stop a Unity build.  Grammar quirks of tree-sitter-c-sharp 0.23 are handled here and in
`rules_syntax.py`; each is listed in docs/validation.md with the test that pins it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from spark.unity import rules_syntax

Severity = Literal["error", "warning", "info"]
InputSystem = Literal["legacy", "new", "both"]

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_MAX_SYNTAX_DIAGNOSTICS = 25
_MAX_PROBES = 4

# Reserved words can never be identifiers; the grammar's error recovery sometimes makes them one.
_RESERVED = [
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
]


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
        }


@dataclass(frozen=True)
class ValidationReport:
    """All diagnostics for one script, sorted by position; `ok` means no error-level finding."""

    diagnostics: tuple[Diagnostic, ...]
    truncated: bool = False
    class_names: tuple[str, ...] = ()

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

    def summary(self) -> str:
        """E.g. `OK — 0 errors, 2 warnings` or `FAILED — 1 error, 0 warnings (truncated)`."""
        n_err, n_warn, n_info = len(self.errors), len(self.warnings), len(self.infos)
        text = (
            f"{'OK' if self.ok else 'FAILED'} — {n_err} error{'s' * (n_err != 1)}, "
            f"{n_warn} warning{'s' * (n_warn != 1)}"
        )
        if n_info:
            text += f", {n_info} info"
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
        }


# -- source positions --------------------------------------------------------------------------


class SourceText:
    """The text being validated, with byte-to-character column conversion for diagnostics."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._lines: list[str] | None = None
        self._data: bytes | None = None

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
        pad = "".join(ch if ch == "\t" else " " for ch in line[:col])
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
        )


# -- parser --------------------------------------------------------------------------------------


@functools.cache
def _language() -> Language:
    import tree_sitter_c_sharp

    return Language(tree_sitter_c_sharp.language())


@functools.cache
def _parser() -> Parser:
    return Parser(_language())


@functools.cache
def _query(source: str) -> Query:
    return Query(_language(), source)


def parse(text: str) -> Tree:
    """Parse C# text with tree-sitter (the text is encoded as UTF-8, bad code points replaced)."""
    return _parser().parse(text.encode("utf-8", "replace"))


def captures(node: Node, query_source: str) -> dict[str, list[Node]]:
    """Run a cached tree-sitter query and return its captures by name."""
    return QueryCursor(_query(query_source)).captures(node)


def matches(node: Node, query_source: str) -> list[dict[str, list[Node]]]:
    """Run a cached tree-sitter query and return each match's captures, in source order."""
    return [found for _, found in QueryCursor(_query(query_source)).matches(node)]


# -- syntax --------------------------------------------------------------------------------------

_PROBLEM_QUERY = "(ERROR) @error (MISSING) @missing"
_KEYWORD_QUERY = "((identifier) @keyword (#any-of? @keyword {}))".format(
    " ".join(f'"{w}"' for w in _RESERVED)
)


@dataclass
class _SyntaxResult:
    tree: Tree
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    truncated: bool = False


def _problem_nodes(tree: Tree) -> list[Node]:
    """Outermost ERROR nodes and MISSING nodes, in source order."""
    if not tree.root_node.has_error:
        return []
    found = captures(tree.root_node, _PROBLEM_QUERY)
    nodes = found.get("error", []) + found.get("missing", [])
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    outer: list[Node] = []
    for node in nodes:
        inside = outer and outer[-1].type == "ERROR" and node.end_byte <= outer[-1].end_byte
        if inside and not node.is_missing:
            continue
        outer.append(node)
    return outer


def _last_leaf(node: Node) -> Node:
    while node.child_count:
        last = node.children[-1]
        if last.type == "comment" and node.child_count > 1:
            last = node.children[-2]
        node = last
    return node


def _previous_leaf(node: Node) -> Node | None:
    while node.prev_sibling is None:
        if node.parent is None:
            return None
        node = node.parent
    prev = node.prev_sibling
    return _last_leaf(prev) if prev is not None else None


def _first_leaf(node: Node) -> Node:
    while node.child_count:
        node = node.children[0]
    return node


def _token_text(node: Node) -> str:
    text = (node.text or b"").decode("utf-8", "replace").split("\n")[0].strip()
    return text if len(text) <= 24 else text[:21] + "..."


def _count_problems(text: str) -> int:
    return len(_problem_nodes(parse(text)))


def _syntax_error(src: SourceText, node: Node, text: str, probes: list[int]) -> Diagnostic:
    """Turn one ERROR or MISSING node into a readable diagnostic."""
    if node.is_missing:
        kind = node.type
        what = "an identifier" if kind == "identifier" else f"'{kind}'"
        return src.diagnostic(
            rule_id="CS-SYNTAX",
            severity="error",
            message=f"expected {what}",
            start=(node.start_point.row, node.start_point.column),
            end=(node.end_point.row, node.end_point.column),
            hint=f"Insert {what} here." if kind != "identifier" else None,
        )
    # An ERROR node.  Most often a statement lacks its `;`, either at the end of the ERROR or just
    # before it: try inserting one at each place and keep the one that removes problems.
    data = text.encode("utf-8", "replace")
    before = _count_problems(text) if probes[0] < _MAX_PROBES else 0
    for leaf in (_last_leaf(node), _previous_leaf(node)):
        if probes[0] >= _MAX_PROBES or leaf is None or leaf.type in {";", "{", "}"}:
            continue
        probes[0] += 1
        probe = (data[: leaf.end_byte] + b";" + data[leaf.end_byte :]).decode("utf-8", "replace")
        if _count_problems(probe) < before:
            point = (leaf.end_point.row, leaf.end_point.column)
            return src.diagnostic(
                rule_id="CS-SYNTAX",
                severity="error",
                message="expected ';'",
                start=point,
                end=point,
                hint="End the statement with ';'.",
            )
    first = _first_leaf(node)
    culprit = first
    if node.child_count > 1 and first.type in {"class", "struct", "namespace", "public"}:
        # The error spans a whole declaration: point at the first child that is itself broken.
        for child in node.children:
            if child.is_error or child.has_error:
                culprit = _first_leaf(child)
                break
    token = _token_text(culprit) or culprit.type
    return src.diagnostic(
        rule_id="CS-SYNTAX",
        severity="error",
        message=f"unexpected '{token}'",
        start=(culprit.start_point.row, culprit.start_point.column),
        end=(culprit.end_point.row, culprit.end_point.column),
        hint="Check the code just before this point: a missing ';', ')' or '}' is the usual cause.",
    )


def _lambda_parameters(tree: Tree) -> list[Node]:
    """The single unparenthesised parameter of every `x => ...` lambda, found from each `=>`.

    Found from the text rather than by a query: a query walks the whole tree (milliseconds on a
    big file) while a file has few `=>` tokens.
    """
    root = tree.root_node
    data = root.text or b""
    found: list[Node] = []
    start = data.find(b"=>")
    while start >= 0:
        # The innermost named node around the arrow is its lambda, if the arrow is a lambda's
        # `=>` token (cheaper than finding the token, then its parent).
        lam = root.named_descendant_for_byte_range(start, start + 2)
        if lam is not None and lam.type == "lambda_expression":
            children = lam.children
            if any(c.type == "=>" and c.start_byte == start for c in children):
                found.extend(c for c in children if c.type == "implicit_parameter")
        start = data.find(b"=>", start + 2)
    return found


def _quirk_diagnostics(src: SourceText, tree: Tree, *, with_keywords: bool) -> list[Diagnostic]:
    """Broken code that the grammar's error recovery accepts without an ERROR node."""
    out: list[Diagnostic] = []
    params = _lambda_parameters(tree)
    # Only broken code makes a keyword an identifier, and the check costs a predicate per name.
    words = captures(tree.root_node, _KEYWORD_QUERY).get("keyword", []) if with_keywords else []
    for param in params:
        prev = param.prev_sibling
        if prev is None or prev.type == "modifier":
            continue
        # `get => x set => ...`: a single unparenthesised lambda parameter cannot have a type,
        # so the "type" is really the end of a previous expression that lacks its `;`.
        point = (prev.end_point.row, prev.end_point.column)
        out.append(
            src.diagnostic(
                rule_id="CS-SYNTAX",
                severity="error",
                message="expected ';'",
                start=point,
                end=point,
                hint="End the statement or accessor with ';'.",
            )
        )
    for word in words:
        out.append(
            src.diagnostic(
                rule_id="CS-SYNTAX",
                severity="error",
                message=f"unexpected keyword '{_token_text(word)}'",
                start=(word.start_point.row, word.start_point.column),
                end=(word.end_point.row, word.end_point.column),
                hint="A keyword cannot be used as a name here; check the line before for a "
                "missing '}' or ';'.",
            )
        )
    return out


def _opener_context(src: SourceText, bracket: rules_syntax.Bracket) -> str:
    line = src.line_text(bracket.line - 1).strip()
    if line in {"{", "(", "["} and bracket.line >= 2:
        line = src.line_text(bracket.line - 2).strip()
    return line if len(line) <= 40 else line[:37] + "..."


def _syntax(src: SourceText) -> _SyntaxResult:
    # Quirk: a file ending in a directive line (`#endregion`) without a newline is an ERROR.
    text = src.code if src.code.endswith("\n") else src.code + "\n"
    tree = parse(text)
    if tree.root_node.has_error:
        tree, text = _reparse_known_gaps(tree, text)
    result = _SyntaxResult(tree=tree, text=text)
    if not tree.root_node.has_error:
        result.diagnostics = _quirk_diagnostics(src, tree, with_keywords=False)
        return result
    _collect_syntax_errors(src, result)
    return result


def _reparse_known_gaps(tree: Tree, text: str) -> tuple[Tree, str]:
    """Re-parse normalised copies of a file the grammar rejects; keep the one with fewest errors.

    Known gaps of the grammar make valid code look broken: `async`/`partial` used as variable
    names, pointer indirection of a parenthesised expression (`*(int*)&f`), and `#if` branches
    that are only valid one at a time (`#if A  void F() {  #else  void G() {  #endif`: the
    grammar parses every branch at once).  The copies rename such names, turn such a `*` into
    `!` and keep one branch of every `#if` chain; positions never move, and a real syntax error
    survives in every copy, so it is still reported.
    """
    best = (len(_problem_nodes(tree)), tree, text)
    bases = [text]
    renamed = rules_syntax.rename_contextual_names(text)
    if renamed != text:
        bases.insert(0, renamed)
    unstarred = rules_syntax.prefix_stars_to_bangs(renamed)
    if unstarred != renamed:
        bases.insert(0, unstarred)
    candidates: list[str] = []
    for base in bases:
        if base is not text:
            candidates.append(base)
        if rules_syntax.has_conditional_directives(base):
            candidates.extend(rules_syntax.branch_variants(base))
    for variant in candidates:
        vtree = parse(variant)
        count = len(_problem_nodes(vtree))
        if count < best[0]:
            best = (count, vtree, variant)
        if count == 0:
            break
    return best[1], best[2]


def _collect_syntax_errors(src: SourceText, result: _SyntaxResult) -> None:
    scan = rules_syntax.scan_brackets(result.text)
    diags: list[Diagnostic] = []
    problems = _problem_nodes(result.tree)
    probes = [0]
    probe_text = result.text
    truncated = bool(scan.open_literal_at_eof) or (
        bool(scan.unclosed_at_eof) and not scan.unclosed_mid_file
    )
    if truncated:
        result.truncated = True
        last_row = max(0, len(result.text.rstrip().split("\n")) - 1)
        opener = scan.unclosed_at_eof[-1] if scan.unclosed_at_eof else None
        if scan.open_literal_at_eof:
            what = f"an unterminated {scan.open_literal_at_eof}"
        elif opener is not None:
            what = (
                f"the '{opener.char}' opened at line {opener.line} "
                f"('{_opener_context(src, opener)}') is closed"
            )
        else:  # pragma: no cover - truncated implies one of the two
            what = "the code is complete"
        end_line = src.line_text(last_row)
        diags.append(
            src.diagnostic(
                rule_id="CS-TRUNCATED",
                severity="error",
                message=f"the code ends before {what}: the reply looks cut off",
                start=(last_row, len(end_line.rstrip())),
                end=(last_row, len(end_line.rstrip())),
                hint="Ask for the rest of the script (or a shorter one); every block must be "
                "closed.",
                char_columns=True,
            )
        )
        # Parse a copy with the open literal and brackets closed, so that real errors before the
        # cut are still found; errors on the last line are the cut itself.
        suffix = {"comment": "*/", "string": '"'}.get(scan.open_literal_at_eof or "", "")
        suffix += "".join(_CLOSE[b.char] for b in reversed(scan.unclosed_at_eof))
        probe_text = result.text + suffix + "\n"
        completed = parse(probe_text)
        problems = [
            n
            for n in _problem_nodes(completed)
            if n.start_point.row < last_row and not _spans_to(n, last_row)
        ]
    else:
        for bracket in scan.unclosed_mid_file:
            diags.append(
                src.diagnostic(
                    rule_id="CS-SYNTAX",
                    severity="error",
                    message=f"unclosed '{bracket.char}' opened at line {bracket.line}",
                    start=(bracket.line - 1, _char_col(result.text, bracket.offset)),
                    end=(bracket.line - 1, _char_col(result.text, bracket.offset) + 1),
                    hint=f"Add the matching '{_CLOSE[bracket.char]}' where this block should end.",
                    char_columns=True,
                )
            )
        for char, offset in scan.stray_closers:
            row = result.text.count("\n", 0, offset)
            diags.append(
                src.diagnostic(
                    rule_id="CS-SYNTAX",
                    severity="error",
                    message=f"unexpected '{char}' with no matching opener",
                    start=(row, _char_col(result.text, offset)),
                    end=(row, _char_col(result.text, offset) + 1),
                    hint="Remove it, or add the opening bracket it was meant to close.",
                    char_columns=True,
                )
            )
        if scan.unclosed_mid_file:
            # The grammar's own complaints about a missing `}` are the MISSING node at the end and
            # an ERROR spanning the whole enclosing declaration; the unclosed bracket says it all.
            opened = [
                len(result.text[: b.offset].encode("utf-8", "replace"))
                for b in scan.unclosed_mid_file
            ]
            problems = [
                n
                for n in problems
                if not (n.is_missing and n.type in "})]")
                and not (n.is_error and any(n.start_byte < o < n.end_byte for o in opened))
            ]
    bracket_lines = {d.line for d in diags}
    for node in problems:
        diag = _syntax_error(src, node, probe_text, probes)
        if diag.line not in bracket_lines:
            diags.append(diag)
    diags.extend(_quirk_diagnostics(src, result.tree, with_keywords=True))
    result.diagnostics = _dedupe(diags)[:_MAX_SYNTAX_DIAGNOSTICS]


_CLOSE = {"{": "}", "(": ")", "[": "]"}


def _spans_to(node: Node, row: int) -> bool:
    return node.end_point.row >= row


def _char_col(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _dedupe(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, int]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=lambda d: (d.line, d.column)):
        key = (d.rule_id, d.line, d.column)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# -- public API ----------------------------------------------------------------------------------


def validate(
    code: str,
    *,
    file_name: str | None = None,
    unity_version: str = "6000.0",
    input_system: InputSystem = "both",
) -> ValidationReport:
    """Check `code` as a Unity C# script; never raises, whatever the input."""
    try:
        return _validate(code, file_name, unity_version, input_system)
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
    code: str, file_name: str | None, unity_version: str, input_system: InputSystem
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
    syntax = _syntax(src)
    options = rules.RuleOptions(
        file_name=file_name, unity_version=unity_version, input_system=input_system
    )
    unity = rules.run_rules(src, syntax.tree, options)
    diagnostics = sorted(
        [*syntax.diagnostics, *unity.diagnostics],
        key=lambda d: (d.line, d.column, _SEVERITY_ORDER[d.severity], d.rule_id),
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
    lines = [f"The script has {report.summary().split(' — ', 1)[-1]}:"]
    for d in findings:
        lines.append(f"- line {d.line}, column {d.column}: {d.severity} {d.rule_id}: {d.message}")
        if d.source_line.strip():
            lines.append(f"    {d.source_line.strip()}")
        if d.hint:
            lines.append(f"    fix: {d.hint}")
    if report.truncated:
        lines.append("The script is cut off: return the complete script.")
    return "\n".join(lines)
