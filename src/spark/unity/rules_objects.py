"""Unity checks on objects: fake null (SPK015-SPK017), tags (SPK009), `new` (SPK011, SPK012,
SPK018) — with their automatic fixes.

Unity objects overload `==` so that a destroyed object equals null; `?.`, `??`, `??=` and
`is null` skip that overload.  Each check is anchored on its token (see `spark.unity.checks`)
and only speaks when the operand's type is known to derive from `UnityEngine.Object`; `object`
and `System.Object` do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.checks import on_token, on_word
from spark.unity.model import FileModel, node_text, simple_type_name
from spark.unity.nodes import (
    LOOPS,
    LOOPS_AND_METHODS,
    arguments,
    field_is,
    in_static_member,
    is_local_name,
    is_simple_reference,
    is_statement_in_block,
)
from spark.unity.rules import Edit, Finding

# -- fake null: `??`, `??=`, `?.`, `is null` ----------------------------------------------------


def _unity_type(model: FileModel, target: Node) -> str:
    type_name = model.type_of(target)
    return type_name if type_name and model.is_unity_object_type(type_name) else ""


@on_token("??", "??=", "?.", "?[")
def check_null_operators(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`x ?? y`, `x ??= y`, `x?.y` and `x?[i]` on a Unity object."""
    kind = leaf.type
    if kind == "?" and parent.type == "conditional_access_expression":
        target = parent.named_children[0] if parent.named_children else None
        type_name = _unity_type(model, target) if target is not None else ""
        if target is not None and type_name:
            args = {"name": node_text(target), "type": type_name}
            yield Finding("SPK015", target, args, edits=_guard_access(model, parent, target, leaf))
        return
    target = parent.child_by_field_name("left")
    if target is None or kind not in {"??", "??="}:
        return
    if (kind == "??") != (parent.type == "binary_expression"):
        return
    type_name = _unity_type(model, target)
    if not type_name:
        return
    simple = is_simple_reference(target)
    name = edits.text(model, target)
    other = parent.child_by_field_name("right")
    fix: tuple[Edit, ...] = ()
    if simple and other is not None and kind == "??":
        new = f"{name} != null ? {name} : {edits.text(model, other)}"
        fix = (edits.replace_expression(parent, new, edits.CONDITIONAL),)
    elif simple and other is not None and is_statement_in_block(parent):
        statement = parent.parent
        assert statement is not None
        new = f"if ({name} == null) {name} = {edits.text(model, other)};"
        fix = (edits.replace(statement, new),)
    args = {"op": kind, "name": node_text(target), "type": type_name}
    analyzer = "UNT0023" if kind == "??=" else None
    yield Finding("SPK016", target, args, edits=fix, analyzer_id=analyzer)


def _guard_access(model: FileModel, access: Node, target: Node, mark: Node) -> tuple[Edit, ...]:
    """`x?.F(...);` as a statement → `if (x != null) x.F(...);` (x a plain reference)."""
    whole = access  # the grammar reads `x?.F(1)` as a call whose function is `x?.F`
    while whole.parent is not None and (
        field_is(whole.parent, "function", whole) or field_is(whole.parent, "expression", whole)
    ):
        whole = whole.parent
    rest = model.src.data[mark.end_byte : whole.end_byte].decode("utf-8", "replace")
    if not is_simple_reference(target) or "?" in rest or not is_statement_in_block(whole):
        return ()
    name = edits.text(model, target)
    statement = whole.parent
    assert statement is not None
    return (edits.replace(statement, f"if ({name} != null) {name}{rest};"),)


@on_word("is")
def check_is_null(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`x is null` / `x is not null` on a Unity object → `x == null` / `x != null`."""
    if leaf.type != "is" or parent.type != "is_pattern_expression":
        return
    target = parent.child_by_field_name("expression")
    pattern = parent.child_by_field_name("pattern")
    if target is None or pattern is None:
        return
    negated = pattern.type == "negated_pattern"
    inner = pattern.named_children[0] if negated and pattern.named_children else pattern
    if inner.type != "constant_pattern" or not inner.named_children:
        return
    if inner.named_children[0].type != "null_literal":
        return
    type_name = _unity_type(model, target)
    if not type_name:
        return
    new = f"{edits.text(model, target)} {'!=' if negated else '=='} null"
    fix = (edits.replace_expression(parent, new, edits.RANKS["=="]),)
    args = {"pattern": f"is {node_text(pattern)}", "name": node_text(target), "type": type_name}
    yield Finding("SPK017", target, args, edits=fix)


# -- tags ----------------------------------------------------------------------------------------

_STRING_OPERANDS = frozenset(
    {
        "string_literal",
        "verbatim_string_literal",
        "raw_string_literal",
        "interpolated_string_expression",
        "identifier",
        "member_access_expression",
        "null_literal",
    }
)


@on_word("tag")
def check_tag(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`x.tag == "Player"`, `tag != name`, `null != x.tag`, `x.tag.Equals("Player")`."""
    if leaf.type != "identifier":
        return
    if parent.type == "member_access_expression" and field_is(parent, "name", leaf):
        access: Node = parent
        target: Node | None = parent.child_by_field_name("expression")
    elif _bare_tag(model, leaf):
        access, target = leaf, None
    else:
        return
    known = _tag_owner(model, target, leaf)
    if known is None:
        return  # a type of the user's own with a `tag` member
    around = access.parent
    if around is None:
        return
    if around.type == "binary_expression":
        yield from _tag_comparison(model, around, access, target, known)
    elif around.type == "member_access_expression" and field_is(around, "expression", access):
        yield from _tag_equals(model, around, target, known)


def _bare_tag(model: FileModel, leaf: Node) -> bool:
    """A plain `tag` in a component class that declares no `tag` of its own."""
    cls = model.enclosing_class(leaf)
    return (
        cls is not None
        and cls.kind == "component"
        and not any(model.by_name.get(b) is not None for b in cls.bases)
        and not is_local_name(model, leaf, "tag")
    )


def _tag_owner(model: FileModel, target: Node | None, leaf: Node) -> bool | None:
    """True: certainly a Unity object's tag; False: cannot tell; None: certainly not."""
    if target is None:
        return True
    if target.type == "this":
        return True
    type_name = model.type_of(target)
    if not type_name:
        return False
    return True if model.is_unity_object_type(type_name) else None


def _tag_comparison(
    model: FileModel, binary: Node, access: Node, target: Node | None, known: bool
) -> Iterator[Finding]:
    operator = binary.child_by_field_name("operator")
    left, right = binary.child_by_field_name("left"), binary.child_by_field_name("right")
    if operator is None or operator.type not in {"==", "!="} or left is None or right is None:
        return
    other = right if left.id == access.id else left
    if other.type not in _STRING_OPERANDS:
        return
    fix: tuple[Edit, ...] = ()
    if known and other.type != "null_literal":
        call = _compare_tag(model, target, edits.text(model, other))
        new = call if operator.type == "==" else f"!{call}"
        fix = (edits.replace_expression(binary, new, edits.PRIMARY),)
    args = {"target": _owner_text(model, target), "tag": node_text(other)}
    yield Finding("SPK009", binary, args, edits=fix)


def _tag_equals(
    model: FileModel, access: Node, target: Node | None, known: bool
) -> Iterator[Finding]:
    """`x.tag.Equals("Player")`: the member access `x.tag.Equals`, called with one argument."""
    name = access.child_by_field_name("name")
    call = access.parent
    if node_text(name) != "Equals" or call is None or call.type != "invocation_expression":
        return
    args = arguments(call)
    if len(args) != 1:
        return
    fix: tuple[Edit, ...] = ()
    if known:
        fix = (edits.replace(call, _compare_tag(model, target, edits.text(model, args[0]))),)
    found = {"target": _owner_text(model, target), "tag": node_text(args[0])}
    yield Finding("SPK009", call, found, edits=fix)


def _compare_tag(model: FileModel, target: Node | None, tag: str) -> str:
    owner = "" if target is None else f"{edits.text(model, target)}."
    return f"{owner}CompareTag({tag})"


def _owner_text(model: FileModel, target: Node | None) -> str:
    return "gameObject" if target is None else edits.text(model, target)


# -- new: components, ScriptableObjects, WaitForSeconds -----------------------------------------

WAITS = frozenset({"WaitForSeconds", "WaitForSecondsRealtime"})
_NUMBER = re.compile(r"([0-9]+(?:\.[0-9]+)?)[fFdDmM]?")


@on_word("new")
def check_new(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    type_node = parent.child_by_field_name("type")
    if leaf.type != "new" or parent.type != "object_creation_expression" or type_node is None:
        return
    name = simple_type_name(type_node)
    if name in WAITS:
        yield from _check_wait(model, parent, name)
        return
    if name in {"GameObject"} or type_node.type not in {"identifier", "qualified_name"}:
        return
    plain = not arguments(parent) and parent.child_by_field_name("initializer") is None
    type_text = edits.text(model, type_node)
    info = model.by_name.get(name)
    if model.is_component_type(name) and (info is None or info.kind == "component"):
        if name not in model.index.components or "UnityEngine" in model.usings or info:
            cls = model.enclosing_class(parent)
            in_component = cls is not None and cls.kind == "component"
            fix = (
                (edits.replace(parent, f"gameObject.AddComponent<{type_text}>()"),)
                if plain and in_component and not in_static_member(model, parent)
                else ()
            )
            yield Finding("SPK011", parent, {"type": name}, edits=fix)
    elif info is not None and info.kind == "scriptable" and info.unity_base == "ScriptableObject":
        new = f"ScriptableObject.CreateInstance<{type_text}>()"
        fix = (edits.replace(parent, new),) if plain else ()
        yield Finding("SPK012", parent, {"type": name}, edits=fix)


def _check_wait(model: FileModel, creation: Node, name: str) -> Iterator[Finding]:
    """`new WaitForSeconds(...)` in a loop, or in a coroutine that creates it more than once."""
    scope = model.enclosing(creation, LOOPS_AND_METHODS)
    if scope is None:
        return
    if scope.type in LOOPS:
        where = "inside a loop"
    elif model.data.count(f"new {name}".encode(), scope.start_byte, scope.end_byte) > 1:
        where = "in a coroutine that creates it more than once"
    else:
        return
    args = arguments(creation)
    fix: tuple[Edit, ...] = ()
    cls = model.enclosing_class(creation)
    literal = len(args) == 1 and args[0].type in {"real_literal", "integer_literal"}
    number = _NUMBER.fullmatch(node_text(args[0])) if literal else None
    if name == "WaitForSeconds" and number is not None and cls is not None:
        # Only the scaled-time wait holds no state of its own, so one instance can be shared.
        # The field's name and text follow from the value alone (`1` and `1f` both give
        # one `Wait1s`), so two fixes that add it in one round add the same edit, made once.
        value = number.group(1)
        field, declare = edits.cached_field(
            model, cls, name, f"new {name}({value}f)", f"Wait{value.replace('.', '_')}s"
        )
        fix = (*declare, edits.replace(creation, field))
    yield Finding("SPK018", creation, {"type": name, "where": where}, edits=fix)
