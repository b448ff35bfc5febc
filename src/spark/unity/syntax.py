"""Syntax diagnostics: every ERROR and MISSING node of the parse, in readable words.

Also the grammar quirks of tree-sitter-c-sharp 0.23 on either side: valid code it rejects
(re-parsed from normalised copies, `_reparse_known_gaps`) and broken code its error recovery
accepts (`_quirk_diagnostics`). Each is listed in docs/validation.md with the test that pins it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from tree_sitter import Node, Tree

from spark.unity import rules_syntax
from spark.unity.parsing import _parser, captures, parse
from spark.unity.report import Diagnostic, Severity, SourceText

_MAX_SYNTAX_DIAGNOSTICS = 25
_MAX_PROBES = 4

# Reserved words can never be identifiers; the grammar's error recovery sometimes makes them one.
_RESERVED_WORDS = (
    "abstract as base bool break byte case catch char checked class const continue decimal "
    "default delegate do double else enum event explicit extern false finally fixed float "
    "for foreach goto if implicit in int interface internal is lock long namespace new null "
    "object operator out override params private protected public readonly ref return sbyte "
    "sealed short sizeof stackalloc static string struct switch this throw true try typeof "
    "uint ulong unchecked unsafe ushort using virtual void volatile while "
)
_RESERVED = _RESERVED_WORDS.split()

_PROBLEM_QUERY = "(ERROR) @error (MISSING) @missing"
_KEYWORD_QUERY = "((identifier) @keyword (#any-of? @keyword {}))".format(
    " ".join(f'"{w}"' for w in _RESERVED)
)


@dataclass
class SyntaxResult:
    """The parse the rules work on: its tree and the exact text (and bytes) it was parsed from.

    Byte offsets into the tree are offsets into `data`, which starts at the file's first byte.
    (The root node's own text does not: it starts at the first token, after any leading white
    space, comment or BOM, so offsets found in it point elsewhere in the tree.)
    """

    tree: Tree
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    truncated: bool = False
    _data: bytes | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.text.encode("utf-8", "replace")
        return self._data


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


def _lambda_parameters(tree: Tree, data: bytes) -> list[Node]:
    """The single unparenthesised parameter of every `x => ...` lambda, found from each `=>`.

    Found from the text rather than by a query: a query walks the whole tree (milliseconds on a
    big file) while a file has few `=>` tokens.
    """
    root = tree.root_node
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


def _quirk_diagnostics(
    src: SourceText, parsed: SyntaxResult, *, with_keywords: bool
) -> list[Diagnostic]:
    """Broken code that the grammar's error recovery accepts without an ERROR node."""
    out: list[Diagnostic] = []
    tree = parsed.tree
    params = _lambda_parameters(tree, parsed.data)
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


def check_syntax(
    src: SourceText, *, unity_version: str = "6000.0", input_system: str = "both"
) -> SyntaxResult:
    """Parse `src` and collect its syntax diagnostics (the tree comes back for the rules).

    The target (`unity_version`, `input_system`) only decides how a syntax error inside an `#if`
    branch set aside by the re-parse is reported (see `_branch_errors`).
    """
    # Quirk: a file ending in a directive line (`#endregion`) without a newline is an ERROR.
    text = src.code if src.code.endswith("\n") else src.code + "\n"
    data = text.encode("utf-8", "replace")
    tree = _parser().parse(data)
    set_aside: list[str] = []
    if tree.root_node.has_error:
        tree, reparsed, set_aside = _reparse_known_gaps(tree, text)
        if reparsed is not text:
            text, data = reparsed, reparsed.encode("utf-8", "replace")
    result = SyntaxResult(tree=tree, text=text, _data=data)
    if not tree.root_node.has_error:
        result.diagnostics = _quirk_diagnostics(src, result, with_keywords=False)
    else:
        _collect_syntax_errors(src, result)
    if set_aside:
        target = (unity_version, input_system)
        result.diagnostics.extend(_branch_errors(src, text, set_aside, target))
    return result


_NORMALISERS = (
    rules_syntax.rename_contextual_names,
    rules_syntax.prefix_stars_to_bangs,
    rules_syntax.discard_list_slices,
    rules_syntax.plain_allows_ref_struct,
)


def _reparse_known_gaps(tree: Tree, text: str) -> tuple[Tree, str, list[str]]:
    """Re-parse normalised copies of a file the grammar rejects; keep the one with fewest errors.

    Known gaps of the grammar make valid code look broken: `async`/`partial` used as variable
    names, pointer indirection of a parenthesised expression (`*(int*)&f`), list-pattern slices
    with a sub-pattern (`[1, .. var rest]`), `allows ref struct`, and `#if` branches that are
    only valid one at a time (`#if A  void F() {  #else  void G() {  #endif`: the grammar parses
    every branch at once).  The copies rename such names, turn such a `*` into `!`, a slice into
    `_`, the anti-constraint into `new()`, and keep one branch of every `#if` chain; positions
    never move, and a real syntax error survives in every copy, so it is still reported.

    Returns the tree, its text and, when that text keeps one branch of each `#if` chain, the
    copies that keep the other branches (whose errors `_branch_errors` reports).
    """
    best: tuple[int, Tree, str, list[str]] = (len(_problem_nodes(tree)), tree, text, [])
    bases = [text]
    for normalise in _NORMALISERS:  # each on top of the ones before
        changed = normalise(bases[0])
        if changed != bases[0]:
            bases.insert(0, changed)
    candidates: list[tuple[str, list[str]]] = []
    for base in bases:
        if base is not text:
            candidates.append((base, []))
        if rules_syntax.has_conditional_directives(base):
            variants = rules_syntax.branch_variants(base)
            candidates.extend((v, [o for o in variants if o is not v]) for v in variants)
    for variant, others in candidates:
        vtree = parse(variant)
        count = len(_problem_nodes(vtree))
        if count < best[0]:
            best = (count, vtree, variant, others)
        if count == 0:
            break
    return best[1], best[2], best[3]


def _branch_errors(
    src: SourceText, chosen: str, set_aside: list[str], target: tuple[str, str]
) -> list[Diagnostic]:
    """Syntax errors on the lines of `#if` branches that the chosen copy blanked, from the
    copies that keep them: an error where the target certainly compiles the branch, else a
    `CS-BRANCH` warning naming its condition, so that a broken branch is never shipped unseen."""
    from spark.unity.preprocessor import enclosing_branch

    chosen_lines = chosen.split("\n")
    found: list[Diagnostic] = []
    for other in set_aside:
        tree = parse(other)
        other_lines = other.split("\n")
        probes = [0]
        for node in _problem_nodes(tree):
            plain = _syntax_error(src, node, other, probes)
            row = plain.line - 1  # where the error is reported (`;` probes may move it up)
            if row >= len(chosen_lines) or chosen_lines[row].strip() or not other_lines[row]:
                continue  # a line the chosen copy kept: its errors are already reported
            branch = enclosing_branch(src.code, row, *target)
            condition, compiled = branch if branch is not None else ("?", None)
            if compiled:
                message = f"{plain.message} (in the '#if {condition}' branch)"
                severity: Severity = "error"
            else:
                where = "this target does not compile" if compiled is False else "not checked"
                message = f"{plain.message} in the '#if {condition}' branch ({where})"
                severity = "warning"
            found.append(
                replace(
                    plain,
                    rule_id="CS-SYNTAX" if compiled else "CS-BRANCH",
                    severity=severity,
                    message=message,
                    docs="docs/validation.md#cs-branch" if not compiled else plain.docs,
                )
            )
    return _dedupe(found)


def _collect_syntax_errors(src: SourceText, result: SyntaxResult) -> None:
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
    diags.extend(_quirk_diagnostics(src, result, with_keywords=True))
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
