"""Work Unity repeats for nothing: an array property read for one element or its length
(SPK056, UNT0045: `collision.contacts[0]`, `Input.touches.Length`) and `Shader.PropertyToID`
looked up again and again for one name (SPK057, UNT0046) — with their fixes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import parse_version, unity_api
from spark.unity.checks import on_word
from spark.unity.model import FileModel, node_text
from spark.unity.nodes import arguments, contains, field_is, is_local_name
from spark.unity.preprocessor import inactive_rows
from spark.unity.rules import Edit, Finding
from spark.unity.scan import next_byte

# -- SPK056: contacts[i] → GetContact(i), touches.Length → touchCount ----------------------------


@functools.cache
def _array_getters() -> dict[str, dict[str, Any]]:
    """Each array property by name, with `since` parsed."""
    return {
        entry["member"]: {**entry, "since_version": parse_version(entry["since"])}
        for entry in unity_api()["array_getters"]
    }


def _element_or_length(data: bytes, start: int, end: int) -> bool:
    """`.contacts[` or `.contacts.`: one element or a member (`Length`) of the new array."""
    return start > 0 and data[start - 1] == ord(".") and next_byte(data, end) in b"[."


@on_word(*(entry["member"] for entry in unity_api()["array_getters"]), when=_element_or_length)
def check_array_getter(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`collision.contacts[i]` (read, not called on or assigned), `collision.contacts.Length`,
    and the same for `Input.touches` and `Input.accelerationEvents`."""
    spec = _array_getters().get(node_text(leaf))
    if spec is None or model.version < spec["since_version"]:
        return
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    target = parent.child_by_field_name("expression")
    if target is None or not _owner_matches(model, spec, target):
        return
    use = parent.parent
    if use is None:
        return
    owner = edits.text(model, target)
    if use.type == "member_access_expression" and field_is(use, "expression", parent):
        name = use.child_by_field_name("name")
        if node_text(name) != "Length" or _written(use):
            return
        new, what = f"{owner}.{spec['count']}", "the count"
    elif use.type == "element_access_expression" and field_is(use, "expression", parent):
        index = _single_index(use)
        if index is None or _written(use) or _called_on(use):
            return
        new, what = f"{owner}.{spec['item']}({edits.text(model, index)})", "one element"
    else:
        return
    fix: tuple[Edit, ...] = (edits.replace(use, new),)
    args = {"target": owner, "member": spec["member"], "replacement": new, "what": what}
    yield Finding("SPK056", use, args, edits=fix)


def _owner_matches(model: FileModel, spec: dict[str, Any], target: Node) -> bool:
    static = spec.get("static")
    if static:
        name = node_text(target)
        return (
            name == static and name not in model.by_name and not is_local_name(model, target, name)
        )
    return model.type_of(target) in spec["owners"]


def _single_index(access: Node) -> Node | None:
    """The index of `a[i]` (one argument, no `await` in it), else None."""
    args = access.child_by_field_name("subscript") or next(
        (c for c in access.children if c.type == "bracketed_argument_list"), None
    )
    found = [a for a in args.named_children if a.type == "argument"] if args is not None else []
    if len(found) != 1 or not found[0].named_children:
        return None
    index = found[0].named_children[-1]
    return None if _has_await(index) else index


def _has_await(node: Node) -> bool:
    return node.type == "await_expression" or any(_has_await(c) for c in node.named_children)


def _written(node: Node) -> bool:
    """Whether `node` is assigned, incremented or passed by reference."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "assignment_expression" and field_is(parent, "left", node):
        return True
    if parent.type in {"postfix_unary_expression", "prefix_unary_expression"}:
        return any(c.type in {"++", "--"} for c in parent.children)
    if parent.type == "argument":
        return any(c.type in {"ref", "out", "in"} for c in parent.children)
    return False


def _called_on(node: Node) -> bool:
    """Whether `node` is the object of a method call or of a member write (`a[0].F()`,
    `a[0].x = 1`): on an array element that changes the element, on a copy it would not."""
    access = node.parent
    if access is None or access.type != "member_access_expression":
        return False
    if not field_is(access, "expression", node):
        return False
    above = access.parent
    if above is not None and above.type == "invocation_expression":
        return field_is(above, "function", access)
    return _written(access)


# -- SPK057: Shader.PropertyToID("_Name") repeated → a cached id ---------------------------------


def _shader_lookup(data: bytes, start: int, end: int) -> bool:
    """`Shader.PropertyToID("`: a literal name."""
    if data[max(0, start - 7) : start] != b"Shader." or next_byte(data, end) != ord("("):
        return False
    return next_byte(data, data.index(b"(", end) + 1) == ord('"')


_PLAIN_NAME = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')


@on_word("PropertyToID", when=_shader_lookup)
def check_property_to_id(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`Shader.PropertyToID("_Color")` called twice or more for the same name in one class (not
    counting field initializers, which already keep the id): keep it in a static field."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    owner = parent.child_by_field_name("expression")
    call = parent.parent
    if owner is None or node_text(owner) != "Shader" or call is None:
        return
    if call.type != "invocation_expression" or "Shader" in model.by_name:
        return
    args = arguments(call)
    literal = args[0] if len(args) == 1 else None
    name = _PLAIN_NAME.fullmatch(node_text(literal)) if literal is not None else None
    cls = model.enclosing_class(call)
    if literal is None or name is None or cls is None or _kept(call):
        return
    count = _lookups(model, cls.node, node_text(literal))
    if count < 2:
        return
    field, declare = edits.cached_field(
        model, cls, "int", f"Shader.PropertyToID({node_text(literal)})", _id_name(name.group(1))
    )
    fix = (*declare, edits.replace(call, field))
    args_ = {"name": name.group(1), "count": str(count), "class": cls.name, "field": field}
    yield Finding("SPK057", call, args_, edits=fix)


def _kept(call: Node) -> bool:
    """Whether the call's value is a field's or property's initializer, or thrown away."""
    parent = call.parent
    if parent is not None and parent.type == "expression_statement":
        return True
    while parent is not None and parent.type in {"equals_value_clause", "variable_declarator"}:
        parent = parent.parent
    if parent is not None and parent.type == "variable_declaration":
        parent = parent.parent
    return parent is not None and parent.type in {"field_declaration", "property_declaration"}


def _lookups(model: FileModel, cls: Node, literal: str) -> int:
    """How many calls of `Shader.PropertyToID(literal)` in `cls` produce a value that is not
    already kept in a field."""
    pattern = rb"Shader\s*\.\s*PropertyToID\s*\(\s*" + re.escape(literal.encode()) + rb"\s*\)"
    count = 0
    if not contains(model.data, cls, literal.encode()):
        return 0
    skipped = _inactive(model)
    for match in re.finditer(pattern, model.data[cls.start_byte : cls.end_byte]):
        start = cls.start_byte + match.start()
        node = model.root.descendant_for_byte_range(start, cls.start_byte + match.end())
        while node is not None and node.type != "invocation_expression":
            node = node.parent
        if node is None or node.start_byte != start or node.start_point.row in skipped:
            continue  # (a call in an #if branch the target does not compile does not repeat)
        count += not _kept(node)
    return count


def _inactive(model: FileModel) -> frozenset[int]:
    """The rows this target does not compile (once per file)."""
    rows = model.memo.get("inactive rows")
    if rows is None:
        options = model.options
        rows = inactive_rows(model.src.code, options.unity_version, options.input_system)
        model.memo["inactive rows"] = rows
    return rows


def _id_name(property_name: str) -> str:
    """`"_BaseColor"` → `BaseColorId`, `"_MainTex"` → `MainTexId`."""
    words = re.findall(r"[A-Za-z0-9]+", property_name)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Property"
    return ("P" + name if name[0].isdigit() else name) + "Id"
