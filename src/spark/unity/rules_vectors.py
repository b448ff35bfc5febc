"""Vector2 and Vector3 built by hand from each other's components, where Unity's built-in
conversion does it: `new Vector2(v3.x, v3.y)` (SPK035, UNT0034) and `new Vector3(v2.x, v2.y, 0)`
(SPK036, UNT0035) — with their fixes.

Anchored on `Vector2` / `Vector3` after `new`; the arguments must read `x` and `y` of one plain
reference (a name, `this.a`, `transform.position`) whose type is known to be the other vector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.checks import on_word
from spark.unity.model import FileModel, node_text
from spark.unity.nodes import arguments, field_is, is_simple_reference
from spark.unity.rules import Finding
from spark.unity.scan import next_byte

# The rule of each conversion: the vector built → (the vector it is built from, the rule id).
_CONVERSIONS = {"Vector2": ("Vector3", "SPK035"), "Vector3": ("Vector2", "SPK036")}
_ZERO = re.compile(r"0+(?:\.0*)?[fFdDmM]?")
_CAST_RANK = 14  # a cast is a unary expression


def _constructed(data: bytes, start: int, end: int) -> bool:
    """`new Vector2(a.x,` / `new UnityEngine.Vector2(a.x,`: an x component first."""
    if next_byte(data, end) != ord("(") or data.rfind(b"new", max(0, start - 20), start) < 0:
        return False
    open_at = data.index(b"(", end) + 1
    comma = data.find(b",", open_at, open_at + 200)
    return comma >= 0 and data[open_at:comma].rstrip().endswith(b"x")


@on_word("Vector2", "Vector3", when=_constructed)
def check_vector_conversion(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`new Vector2(v.x, v.y)` for a Vector3 `v` (its z dropped), `new Vector3(v.x, v.y)` or
    `new Vector3(v.x, v.y, 0)` for a Vector2 `v` (z = 0): what the implicit conversions do."""
    built = node_text(leaf)
    if built in model.by_name or built in model.other_types or built in model.aliases:
        return  # a type of the project's own
    type_node = parent if parent.type == "qualified_name" else leaf
    if type_node is parent and node_text(parent).replace(" ", "") != f"UnityEngine.{built}":
        return
    creation = type_node.parent
    if creation is None or creation.type != "object_creation_expression":
        return
    if not field_is(creation, "type", type_node) or creation.child_by_field_name("initializer"):
        return
    source_type, rule_id = _CONVERSIONS[built]
    source = _components_of(creation, built)
    if source is None or model.type_of(source) != source_type:
        return
    text = edits.text(model, source)
    if _takes(model, creation, built):
        fixed, edit = text, edits.replace(creation, text)
    else:
        fixed = f"({built}){text}"
        edit = edits.replace_expression(creation, fixed, _CAST_RANK)
    args = {"expr": node_text(creation), "source": text, "type": source_type, "fixed": fixed}
    yield Finding(rule_id, creation, args, edits=(edit,))


def _components_of(creation: Node, built: str) -> Node | None:
    """`v` when the arguments are `v.x, v.y` (and a zero z for a Vector3), else None."""
    args = arguments(creation)
    if built == "Vector3" and len(args) == 3 and _ZERO.fullmatch(node_text(args[2])):
        args = args[:2]
    if len(args) != 2:
        return None
    owners = []
    for arg, member in zip(args, ("x", "y"), strict=True):
        if arg.type != "member_access_expression":
            return None
        if node_text(arg.child_by_field_name("name")) != member:
            return None
        owner = arg.child_by_field_name("expression")
        if owner is None or not is_simple_reference(owner):
            return None
        owners.append(owner)
    same = re.sub(r"\s+", "", node_text(owners[0])) == re.sub(r"\s+", "", node_text(owners[1]))
    return owners[0] if same else None


def _takes(model: FileModel, creation: Node, built: str) -> bool:
    """Whether the place of `creation` already converts to `built`: the value of a variable
    declared as `built`, or assigned to one."""
    parent = creation.parent
    if parent is None:
        return False
    if parent.type == "variable_declarator":
        declaration = parent.parent
        declared = declaration.child_by_field_name("type") if declaration is not None else None
        return declared is not None and node_text(declared) in {built, f"UnityEngine.{built}"}
    if parent.type == "assignment_expression" and field_is(parent, "right", creation):
        operator = parent.child_by_field_name("operator")
        left = parent.child_by_field_name("left")
        plain = operator is None or operator.type == "="
        return plain and left is not None and model.type_of(left) == built
    return False
