"""Unity calls given the wrong kind of argument: `Destroy` of a Transform (SPK042, UNT0030) —
with its fix.

Each check is anchored on the method's name followed by `(`, confirms in the tree that it is
Unity's method (a bare call in a Unity class that declares no method of that name, or a call on
a Unity type the file does not declare itself), and reads the argument.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.checks import on_word
from spark.unity.model import FileModel, node_text
from spark.unity.nodes import arguments, field_is
from spark.unity.rules import Finding
from spark.unity.scan import next_byte

# Expressions that take a `.member` as they are (anything else is put in parentheses first).
_PRIMARY = frozenset(
    {
        "identifier",
        "member_access_expression",
        "invocation_expression",
        "element_access_expression",
        "this",
        "parenthesized_expression",
    }
)


def _called(data: bytes, start: int, end: int) -> bool:
    return next_byte(data, end) == ord("(")


def unity_call(model: FileModel, leaf: Node, parent: Node, owners: frozenset[str]) -> Node | None:
    """The call whose method name is `leaf`, when it is Unity's: `F(...)` in a Unity class that
    declares no `F` of its own, or `Owner.F(...)` for one of `owners` that the file does not
    declare (`Object.Destroy`, `UnityEngine.Object.Destroy`)."""
    name = node_text(leaf)
    if parent.type == "member_access_expression" and field_is(parent, "name", leaf):
        owner = parent.child_by_field_name("expression")
        text = node_text(owner).replace(" ", "").removeprefix("UnityEngine.")
        if owner is None or text not in owners or text in model.by_name:
            return None
        function = parent
    elif parent.type == "invocation_expression" and field_is(parent, "function", leaf):
        cls = model.enclosing_class(leaf)
        if cls is None or cls.kind == "other":
            return None
        if any(node_text(m.child_by_field_name("name")) == name for m in cls.methods):
            return None
        function = leaf
    else:
        return None
    call = function.parent
    if call is None or call.type != "invocation_expression":
        return None
    return call if field_is(call, "function", function) else None


# -- SPK042: Destroy(transform) → Destroy(transform.gameObject) ----------------------------------

_DESTROY_OWNERS = frozenset({"Object", "GameObject", "MonoBehaviour", "Component", "Behaviour"})
_TRANSFORMS = frozenset({"Transform", "RectTransform"})


@on_word("Destroy", "DestroyImmediate", when=_called)
def check_destroy_transform(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`Destroy(transform)`, `Destroy(child)` for a `Transform child`, `Destroy(t.GetChild(0))`:
    Unity cannot destroy a Transform without its GameObject (it logs an error)."""
    call = unity_call(model, leaf, parent, _DESTROY_OWNERS)
    args = arguments(call) if call is not None else []
    if call is None or not args or not _is_transform(model, args[0]):
        return
    target = args[0]
    text = edits.text(model, target)
    new = f"{text}.gameObject" if target.type in _PRIMARY else f"({text}).gameObject"
    found = {"call": node_text(leaf), "arg": text, "fixed": new}
    yield Finding("SPK042", target, found, edits=(edits.replace(target, new),))


def _is_transform(model: FileModel, expr: Node) -> bool:
    if model.type_of(expr) in _TRANSFORMS:
        return True
    if expr.type != "invocation_expression":
        return False
    function = expr.child_by_field_name("function")
    if function is None or function.type != "member_access_expression":
        return False
    owner = function.child_by_field_name("expression")
    method = node_text(function.child_by_field_name("name"))
    return (
        method in {"GetChild", "Find", "FindChild"}
        and owner is not None
        and model.type_of(owner) in _TRANSFORMS
    )
