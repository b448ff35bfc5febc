"""Text-level helpers for the C# syntax check: brackets, strings and preprocessor branches.

tree-sitter gives exact ERROR/MISSING nodes, but it cannot say *which* `{` was never closed or
whether a reply was cut off.  This module lexes the source just enough to answer those questions
(comments, strings of every C# kind, char literals, brackets) and builds the "one branch per
`#if` chain" copies of a file that `validator` re-parses when the grammar trips over a
preprocessor block.  It only runs on the error path, so it may be plain Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}

# One alternation, tried at every interesting character: the first group that matches wins.
_TOKEN = re.compile(
    r"""
      (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<raw>\$*\"{3,})                      # raw string (C# 11), optionally interpolated
    | (?P<verbatim>(?:\$@|@\$)\"|@\")          # verbatim, optionally interpolated
    | (?P<interp>\$\")                         # interpolated regular string
    | (?P<string>\")
    | (?P<char>'(?:\\.|[^'\\\n])*')
    | (?P<bracket>[{}()\[\]])
    """,
    re.VERBOSE,
)
_INTERESTING = re.compile(r"""[/"'@$(){}\[\]]""")
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(\w+)", re.MULTILINE)
# Contextual keywords used as plain names (`AsyncOperation async = ...; yield return async;`, a
# Unity idiom since Unity 3; also `partial`, `required`, `with`, `nint`, `nuint`): the grammar
# reads them as keywords and reports an ERROR.  As a name such a word is followed by an operator or
# punctuation; as a keyword, by the type, name or expression it introduces.  (`await` as a name
# is left out: renaming it would also hide a real `await;` with its operand missing.)
_CONTEXTUAL_NAME = re.compile(
    r"\b(?:async|partial|required|with|nint|nuint)\b"
    r"(?=[ \t]*(?:[.;),\]!?+\-*/%<>&|^:]|=(?!>)|(?:in|is|as)\b))"
)

# Pointer indirection of a parenthesised cast or binary expression (`*(int*)&f`, `*(p + 1)`) is an
# ERROR for the grammar, though `!(int*)&f` parses.  A `*` is a prefix operator when the token
# before it is an operator, an opening bracket, a separator, `return` or a pointer cast
# (`(byte*) *(`); never after `/` (`/*(` opens a comment).
_STAR_BEFORE_PAREN = re.compile(r"\*(?=[ \t*]*\()")
_PREFIX_CONTEXT = re.compile(r"(?:[=(,\[{};?:+\-*%!~&|^<>]|\breturn|\*[ \t]*\))[ \t\r\n]*\Z")


@dataclass(frozen=True)
class Bracket:
    """An opening bracket: its character, 0-based offset and 1-based line."""

    char: str
    offset: int
    line: int


@dataclass
class BracketScan:
    """What the lexer found: brackets left open, stray closers, and an open string at the end."""

    unclosed_mid_file: list[Bracket] = field(default_factory=list)
    unclosed_at_eof: list[Bracket] = field(default_factory=list)
    stray_closers: list[tuple[str, int]] = field(default_factory=list)
    open_literal_at_eof: str | None = None  # "string", "comment" or None
    last_significant_char: str = ""


def _line_indent(code: str, offset: int) -> tuple[int, bool]:
    """Indentation width of the line holding `offset`, and whether `offset` is its first token."""
    start = code.rfind("\n", 0, offset) + 1
    prefix = code[start:offset]
    stripped = prefix.lstrip(" \t")
    width = len(prefix) - len(stripped) + prefix[: len(prefix) - len(stripped)].count("\t") * 3
    return width, not stripped


class _Lexer:
    def __init__(self, code: str) -> None:
        self.code = code
        self.n = len(code)
        self.scan = BracketScan()
        self.stack: list[Bracket] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", code)]

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def run(self) -> BracketScan:
        self._code_until(0, stop_at_brace_depth=None)
        self.scan.unclosed_at_eof = list(self.stack)
        stripped = self.code.rstrip()
        self.scan.last_significant_char = stripped[-1:] if stripped else ""
        return self.scan

    # -- code ---------------------------------------------------------------------------------
    def _code_until(self, pos: int, stop_at_brace_depth: int | None) -> int:
        """Lex code from `pos`; in an interpolation hole, stop at its closing brace."""
        depth = 0
        code = self.code
        while True:
            m = _INTERESTING.search(code, pos)
            if m is None:
                return self.n
            pos = m.start()
            if code[self._line_start(pos)] == "#":
                pos = code.find("\n", pos)
                if pos < 0:
                    return self.n
                continue
            tok = _TOKEN.match(code, pos)
            if tok is None:
                pos += 1
                continue
            kind = tok.lastgroup
            if kind == "line_comment":
                pos = tok.end()
            elif kind == "block_comment":
                end = code.find("*/", tok.end())
                if end < 0:
                    self.scan.open_literal_at_eof = "comment"
                    return self.n
                pos = end + 2
            elif kind == "raw":
                opener = tok.group()
                dollars = len(opener) - len(opener.lstrip("$"))
                pos = self._raw_string(tok.end(), len(opener) - dollars, dollars)
            elif kind == "verbatim":
                pos = self._regular_string(tok.end(), verbatim=True, interp="$" in tok.group())
            elif kind == "interp":
                pos = self._regular_string(tok.end(), verbatim=False, interp=True)
            elif kind == "string":
                pos = self._regular_string(tok.end(), verbatim=False, interp=False)
            elif kind == "char":
                pos = tok.end()
            else:
                ch = tok.group()
                if stop_at_brace_depth is not None and ch in "{}":
                    if ch == "{":
                        depth += 1
                    elif depth == 0:
                        return tok.end()
                    else:
                        depth -= 1
                self._bracket(ch, pos)
                pos = tok.end()
            if pos >= self.n:
                return self.n

    def _line_start(self, pos: int) -> int:
        start = self.code.rfind("\n", 0, pos) + 1
        while start < pos and self.code[start] in " \t":
            start += 1
        return start

    def _bracket(self, ch: str, pos: int) -> None:
        if ch in _OPENERS:
            self.stack.append(Bracket(ch, pos, self.line_of(pos)))
            return
        want = _CLOSERS[ch]
        if ch == "}":
            indent, first = _line_indent(self.code, pos)
            # A `}` at an outer indentation while an inner `{` is still open: that inner block was
            # probably never closed.  Only trust this when the `}` starts its line.
            while first and len(self.stack) >= 2 and self.stack[-1].char == "{":
                top_indent, _ = _line_indent(self.code, self.stack[-1].offset)
                if top_indent <= indent:
                    break
                if not any(
                    b.char == "{" and _line_indent(self.code, b.offset)[0] == indent
                    for b in self.stack[:-1]
                ):
                    break
                self.scan.unclosed_mid_file.append(self.stack.pop())
        if self.stack and self.stack[-1].char == want:
            self.stack.pop()
        elif any(b.char == want for b in self.stack):
            while self.stack and self.stack[-1].char != want:
                self.scan.unclosed_mid_file.append(self.stack.pop())
            self.stack.pop()
        else:
            self.scan.stray_closers.append((ch, pos))

    # -- strings ------------------------------------------------------------------------------
    def _regular_string(self, pos: int, *, verbatim: bool, interp: bool) -> int:
        code = self.code
        while pos < self.n:
            ch = code[pos]
            if ch == "\\" and not verbatim:
                pos += 2
            elif ch == '"':
                if verbatim and code.startswith('""', pos):
                    pos += 2
                else:
                    return pos + 1
            elif ch == "\n" and not verbatim:
                return pos  # an unterminated regular string ends at the line break
            elif ch == "{" and interp:
                if code.startswith("{{", pos):
                    pos += 2
                else:
                    pos = self._code_until(pos + 1, stop_at_brace_depth=0)
            else:
                pos += 1
        self.scan.open_literal_at_eof = "string"
        return self.n

    def _raw_string(self, pos: int, quotes: int, dollars: int) -> int:
        """Skip a raw string body; with `dollars` > 0, that many `{` open an interpolation."""
        code = self.code
        closer = '"' * quotes
        hole = "{" * dollars if dollars else None
        while pos < self.n:
            if code.startswith(closer, pos):
                end = pos + quotes
                while end < self.n and code[end] == '"':
                    end += 1  # a longer run of quotes: the extra ones are content
                return end
            if hole is not None and code.startswith(hole, pos):
                run = pos
                while run < self.n and code[run] == "{":
                    run += 1
                pos = self._code_until(run, stop_at_brace_depth=0)
                continue
            pos += 1
        self.scan.open_literal_at_eof = "string"
        return self.n


def scan_brackets(code: str) -> BracketScan:
    """Lex `code` and report unbalanced brackets and literals left open at the end."""
    return _Lexer(code).run()


def has_conditional_directives(code: str) -> bool:
    """True when the file uses `#if` (the only directive that can hide code from the grammar)."""
    return any(m.group(1) == "if" for m in _DIRECTIVE.finditer(code))


def rename_contextual_names(code: str) -> str:
    """`code` with contextual keywords used as variable names renamed to same-length names.

    Positions are unchanged, so a diagnostic found in the copy points at the original text.  Text
    inside strings and comments may be renamed too, which cannot change how the file parses.
    """
    return _CONTEXTUAL_NAME.sub(lambda m: "_" + m.group()[1:], code)


def prefix_stars_to_bangs(code: str) -> str:
    """`code` with every prefix `*` in front of `(` turned into `!` (same length, same shape).

    Prefix `*` and `!` take the same operand syntax, so a copy that parses with `!` shows the
    original was valid; a missing bracket or `;` is unaffected by the swap.
    """
    out = list(code)
    for m in _STAR_BEFORE_PAREN.finditer(code):
        start = m.start()
        if _PREFIX_CONTEXT.search(code, max(0, start - 40), start):
            out[start] = "!"
    return "".join(out)


# C# 11 list-pattern slices with a sub-pattern (`[1, .. var rest]`, `[.., 3]`, `[_, .. [2], _]`)
# are ERRORs for the grammar, which only knows a bare `..` at the end.  A slice starts an element
# (after `[` or `,`) and its sub-pattern is a designation, a type and name, a constant name or a
# bracketed pattern, up to the next `,` or `]`.  Anything else after `..` is left alone.
_SLICE = re.compile(
    r"(?<=[\[,])([ \t]*)\.\.("
    r"[ \t]*(?:var[ \t]+[A-Za-z_]\w*|[A-Za-z_]\w*(?:[ \t]+[A-Za-z_]\w*)?|\[[^\[\]\n]*\])"
    r")?(?=[ \t]*[,\]])"
)
# C# 13 `allows ref struct` anti-constraint (`where T : allows ref struct`), unknown to the grammar.
_ALLOWS_REF_STRUCT = re.compile(r"(?<=[:,])([ \t]*)allows[ \t]+ref[ \t]+struct\b")


def discard_list_slices(code: str) -> str:
    """`code` with each list-pattern slice (`.. var rest`) turned into a discard `_` padded to the
    same length.  A copy that parses then shows the original was valid; the bracket structure,
    and any error outside the slice, are unchanged."""

    def to_discard(m: re.Match[str]) -> str:
        width = len(m.group().encode("utf-8")) - len(m.group(1))
        return m.group(1) + "_" + " " * (width - 1)

    return _SLICE.sub(to_discard, code)


def plain_allows_ref_struct(code: str) -> str:
    """`code` with each `allows ref struct` constraint turned into `new()` (same length)."""
    return _ALLOWS_REF_STRUCT.sub(
        lambda m: m.group(1) + "new()".ljust(len(m.group()) - len(m.group(1))), code
    )


def branch_variants(code: str) -> list[str]:
    """Copies of `code` with every directive line blanked and one branch of each `#if` chain kept.

    The first copy keeps the first branch of every chain (`#if` taken), the second keeps the
    `#else` branch (or nothing).  Blanked text becomes spaces, so line and column numbers of the
    copies match the original.
    """
    return [_keep_branch(code, take_first=True), _keep_branch(code, take_first=False)]


def _keep_branch(code: str, *, take_first: bool) -> str:
    lines = code.split("\n")
    out: list[str] = []
    # Each frame: (this chain's current branch is kept, a branch of this chain was kept).
    frames: list[tuple[bool, bool]] = []
    active = True
    for line in lines:
        m = _DIRECTIVE.match(line)
        if m is None:
            out.append(line if active else _blank(line))
            continue
        word = m.group(1)
        if word == "if":
            keep = take_first
            frames.append((keep, keep))
        elif word == "elif" and frames:
            _, taken = frames[-1]
            frames[-1] = (False, taken)
        elif word == "else" and frames:
            _, taken = frames[-1]
            frames[-1] = (not taken, True)
        elif word == "endif" and frames:
            frames.pop()
        active = all(kept for kept, _ in frames)
        out.append(_blank(line))
    return "\n".join(out)


def _blank(line: str) -> str:
    # One space per UTF-8 byte: tree-sitter positions are bytes and must not move.
    width = len(line.rstrip("\r").encode("utf-8", "replace"))
    return " " * width + ("\r" if line.endswith("\r") else "")
