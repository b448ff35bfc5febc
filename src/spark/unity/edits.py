"""Building blocks of automatic fixes: byte-range edits of the source, made from tree nodes.

A check that can repair what it found attaches `Edit`s to its `Finding`; the runner turns them
into the diagnostic's `Fix` and `spark.unity.fixer` applies them bottom-up.  Edits replace the
smallest range that makes the change (a name, an operator, one expression), so the code around
them, its formatting and its comments stay as they were; lines are only added or removed whole,
with the file's own indentation and line ending.

Replacement text is always built from the *original* source (`text`), never from a node's own
text: the tree may come from a normalised copy of the file (contextual keywords renamed, `#if`
branches blanked; see `spark.unity.syntax`), which keeps every byte position but not every byte.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from spark.unity.rules import ClassInfo, Edit, FileModel

_SPACE = b" \t\f\v"


def text(model: FileModel, node: Node) -> str:
    """The original source text of `node`."""
    return model.src.data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def replace(node: Node, new_text: str) -> Edit:
    """Replace the whole of `node` with `new_text`."""
    return Edit(node.start_byte, node.end_byte, new_text)


def insert_before(node: Node, new_text: str) -> Edit:
    return Edit(node.start_byte, node.start_byte, new_text)


def insert_after(node: Node, new_text: str) -> Edit:
    return Edit(node.end_byte, node.end_byte, new_text)


def newline(model: FileModel, offset: int | None = None) -> str:
    """The line ending of the line holding `offset` (without one: the file's usual ending)."""
    data = model.src.data
    if offset is not None:
        end = data.find(b"\n", offset)
        if end >= 0:
            return "\r\n" if end > 0 and data[end - 1 : end] == b"\r" else "\n"
    return "\r\n" if data.count(b"\r\n") * 2 > data.count(b"\n") else "\n"


def line_start(model: FileModel, offset: int) -> int:
    return model.src.data.rfind(b"\n", 0, offset) + 1


def line_end(model: FileModel, offset: int) -> int:
    """The offset just past the line end of the line holding `offset` (or the end of the text)."""
    end = model.src.data.find(b"\n", offset)
    return len(model.src.data) if end < 0 else end + 1


def indent_at(model: FileModel, offset: int) -> str:
    """The white space that starts the line holding `offset`."""
    data = model.src.data
    start = line_start(model, offset)
    end = start
    while end < len(data) and data[end] in _SPACE:
        end += 1
    return data[start:end].decode("utf-8", "replace")


def _blank(line: bytes) -> bool:
    return not line.strip()


def remove_lines(model: FileModel, start: int, end: int) -> Edit:
    """Remove the bytes `start:end`; when they stand alone on their lines, the whole lines, and
    one blank line beside them if it would otherwise double a blank line or follow a `{`."""
    data = model.src.data
    first = line_start(model, start)
    last = line_end(model, max(start, end - 1))
    if data[first:start].strip(_SPACE) or data[end:last].strip():
        # It shares its lines with other code: remove only itself, and the blanks before it.
        while start > first and data[start - 1] in _SPACE:
            start -= 1
        return Edit(start, end, "")
    before_start = line_start(model, max(0, first - 1)) if first else 0
    before = data[before_start:first] if first else b""
    after_end = line_end(model, last) if last < len(data) else last
    after = data[last:after_end]
    if first and _blank(before) and (_blank(after) or after.lstrip().startswith(b"}")):
        first = before_start  # a blank line above, and a blank line or the closing `}` below
    elif after and _blank(after) and (not first or before.rstrip().endswith(b"{")):
        last = after_end  # right after the opening `{` (or at the top): no blank line below
    return Edit(first, last, "")


def member_indent(model: FileModel, cls: ClassInfo) -> str:
    """The indentation of the members of `cls` (one level deeper than the class if it has none)."""
    for member in _body_members(cls):
        return indent_at(model, member.start_byte)
    outer = indent_at(model, cls.node.start_byte)
    return outer + ("\t" if outer.startswith("\t") else "    ")


def _body_members(cls: ClassInfo) -> list[Node]:
    body = cls.node.child_by_field_name("body")
    if body is None:
        return []
    return [m for m in body.named_children if m.type != "comment" and m.start_point.row > 0]


def add_member(model: FileModel, cls: ClassInfo, declaration: str) -> Edit | None:
    """Insert `declaration` as the first member of `cls`, on its own line after the body's `{`.

    (Before the `{`'s next line, never before the first member: that one may stand inside an
    `#if` branch.)  None when the class has no body.
    """
    body = cls.node.child_by_field_name("body")
    if body is None or body.child_count == 0 or body.children[0].type != "{":
        return None
    brace_end = body.children[0].end_byte
    data = model.src.data
    end_of_line = line_end(model, brace_end)
    if data[brace_end:end_of_line].strip():  # `{ int x; ... }` on one line
        return Edit(brace_end, brace_end, f" {declaration}")
    line = member_indent(model, cls) + declaration + newline(model, brace_end)
    return Edit(end_of_line, end_of_line, line)


def unused_name(model: FileModel, wanted: str) -> str:
    """`wanted`, or `wanted2`, `wanted3`, ...: the first that the file does not use as a word."""
    name, n = wanted, 1
    while re.search(rb"(?<![\w@])" + re.escape(name.encode()) + rb"(?!\w)", model.src.data):
        n += 1
        name = f"{wanted}{n}"
    return name


def cached_field(
    model: FileModel, cls: ClassInfo, type_name: str, initializer: str, wanted: str
) -> tuple[str, tuple[Edit, ...]]:
    """The name of a `static readonly` field of `cls` holding `initializer`, and the edit that
    declares it (none when the class already has such a field: it is reused)."""
    wanted_init = _squeeze(initializer)
    for member in cls.member_nodes:
        if member.type != "field_declaration":
            continue
        source = text(model, member)
        words = set(re.findall(r"\w+", source.split("=", 1)[0]))
        if not {"static", "readonly", type_name} <= words:
            continue
        for declarator in _declarators(member):
            value = declarator.named_children[-1] if declarator.named_children else None
            declared = declarator.child_by_field_name("name")
            if (
                value is not None
                and declared is not None
                and value.id != declared.id
                and _squeeze(text(model, value)) == wanted_init
            ):
                return text(model, declared), ()
    name = unused_name(model, wanted)
    edit = add_member(model, cls, f"private static readonly {type_name} {name} = {initializer};")
    return (name, ()) if edit is None else (name, (edit,))


def _declarators(field_declaration: Node) -> list[Node]:
    for child in field_declaration.named_children:
        if child.type == "variable_declaration":
            return [v for v in child.named_children if v.type == "variable_declarator"]
    return []


def _squeeze(code: str) -> str:
    return re.sub(r"\s+", "", code)


# -- replacing an expression: parentheses only where precedence needs them ---------------------

# C# operator precedence, higher binds tighter (primary and unary expressions are 15).
RANKS = {
    "*": 13, "/": 13, "%": 13, "+": 12, "-": 12, "<<": 11, ">>": 11, ">>>": 11,
    "<": 10, ">": 10, "<=": 10, ">=": 10, "is": 10, "as": 10, "==": 9, "!=": 9,
    "&": 8, "^": 7, "|": 6, "&&": 5, "||": 4, "??": 3,
}  # fmt: skip
PRIMARY, CONDITIONAL = 15, 2

# Places that take any expression as it is: nothing around them binds to it.
_OPEN_CONTEXTS = frozenset(
    {
        "argument",
        "parenthesized_expression",
        "equals_value_clause",
        "variable_declarator",
        "return_statement",
        "expression_statement",
        "arrow_expression_clause",
        "if_statement",
        "while_statement",
        "do_statement",
        "interpolation",
        "yield_statement",
        "throw_statement",
        "initializer_expression",
        "element_binding_expression",
        "bracketed_argument_list",
    }
)


def rank_of(node: Node) -> int:
    """The precedence of the expression `node` (see `RANKS`)."""
    kind = node.type
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        return RANKS.get(operator.type if operator is not None else "", PRIMARY)
    if kind in {"is_pattern_expression", "is_expression", "as_expression"}:
        return RANKS["is"]
    if kind == "conditional_expression":
        return CONDITIONAL
    if kind in {"assignment_expression", "lambda_expression"}:
        return 1
    return PRIMARY


def replace_expression(node: Node, new_text: str, rank: int) -> Edit:
    """Replace the expression `node` with `new_text`, an expression of precedence `rank`,
    in parentheses when the place of `node` would otherwise bind part of it."""
    if rank >= rank_of(node) or _takes_any(node, rank):
        return replace(node, new_text)
    return replace(node, f"({new_text})")


def _takes_any(node: Node, rank: int) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in _OPEN_CONTEXTS:
        return True
    if parent.type == "assignment_expression":
        right = parent.child_by_field_name("right")
        return right is not None and right.id == node.id
    if parent.type == "binary_expression":
        return rank_of(parent) < rank  # the operator around it binds more loosely
    if parent.type == "conditional_expression":
        return rank > CONDITIONAL
    return False
