"""Unity APIs used in a way that fails or wastes: GetComponent of a type that is no component
(SPK047, UNT0014), SetPixels where SetPixels32 would do (SPK048, UNT0017), reflection lookups
every frame (SPK049, UNT0018) and `gameObject` of a GameObject or `transform` of a Transform
(SPK050, UNT0019) — with fixes where the rewrite is certain.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import parse_version, unity_api
from spark.unity.checks import on_file, on_word
from spark.unity.model import ClassInfo, FileModel, node_text, simple_type_name
from spark.unity.nodes import arguments, field_is, generic_call, receiver, unity_method_name
from spark.unity.rules import Edit, Finding
from spark.unity.scan import next_byte


def _called_member(data: bytes, start: int, end: int) -> bool:
    """`x.Name(`: a method called on something."""
    return start > 0 and data[start - 1] == ord(".") and next_byte(data, end) == ord("(")


def _member_call(leaf: Node, parent: Node) -> tuple[Node, Node] | None:
    """For the name `leaf` of `x.Name(...)`: the call and `x`."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return None
    call, target = parent.parent, parent.child_by_field_name("expression")
    if call is None or target is None or call.type != "invocation_expression":
        return None
    return (call, target) if field_is(call, "function", parent) else None


# -- SPK047: GetComponent<T> of a type that is not a component or an interface -------------------


@functools.cache
def _not_components() -> frozenset[str]:
    """Unity types that are certainly neither components nor interfaces."""
    return frozenset(unity_api()["component_lookup"]["not_components"])


def _generic(data: bytes, start: int, end: int) -> bool:
    return next_byte(data, end) == ord("<")


@on_word(*unity_api()["component_lookup"]["names"], when=_generic)
def check_lookup_type(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`GetComponent<int>()`, `GetComponent<GameObject>()`, `GetComponents<Settings>()` (a
    ScriptableObject): Unity throws an ArgumentException.  Only for Unity's own lookups (on a
    component, a GameObject or no receiver in a component); silent for type parameters and for
    types this file cannot resolve."""
    found = generic_call(leaf)
    if found is None:
        return
    call, type_node = found
    type_name = simple_type_name(type_node)
    if not _not_a_component(model, type_node, type_name):
        return
    owner = receiver(call)
    owner_type = ""
    if owner is None or owner.type in {"this", "base"}:
        cls = model.enclosing_class(call)
        if cls is None or cls.kind != "component":
            return
    else:
        owner_type = model.type_of(owner)
        if owner_type != "GameObject" and not model.is_component_type(owner_type):
            return
    lookup = node_text(leaf)
    fix: tuple[Edit, ...] = ()
    replacement = ""
    if lookup == "GetComponent" and type_name == "GameObject" and not arguments(call):
        # The GameObject meant: the component's `gameObject`, or the GameObject asked itself.
        if owner is None:
            replacement = "gameObject"
        elif owner_type == "GameObject":
            replacement = edits.text(model, owner)
        else:
            replacement = f"{edits.text(model, owner)}.gameObject"
        fix = (edits.replace_expression(call, replacement, edits.PRIMARY),)
    advice = f"use '{replacement}'" if replacement else "ask for a component or an interface"
    args = {"call": lookup, "type": node_text(type_node), "advice": advice, "fixed": replacement}
    yield Finding("SPK047", call, args, edits=fix)


def _not_a_component(model: FileModel, type_node: Node, name: str) -> bool:
    if type_node.type == "predefined_type":
        return True  # int, float, string, object, ...
    if type_node.type not in {"identifier", "qualified_name"} or name in model.aliases:
        return False
    if model.is_component_type(name):
        return False
    cls = model.by_name.get(name)
    if cls is not None:
        return _plain_class(model, cls, set())
    if name in model.other_types:  # a struct, enum, delegate or record: not an interface?
        return re.search(rb"\binterface\s+" + re.escape(name.encode()) + rb"\b", model.data) is None
    return name in _not_components()


def _plain_class(model: FileModel, cls: ClassInfo, seen: set[str]) -> bool:
    """Whether a class of this file is certainly no component: a ScriptableObject, or a class
    whose bases are all such classes or interfaces of this file."""
    if cls.kind != "other":
        return cls.kind == "scriptable"
    if "partial" in cls.modifiers:
        return False  # another part, in another file, may have the base
    seen.add(cls.name)
    for base in cls.bases:
        parent = model.by_name.get(base)
        if parent is not None:
            if parent.name in seen or not _plain_class(model, parent, seen):
                return False
        elif base not in model.other_types:
            return False  # a base this file cannot resolve may be a component
    return True


# -- SPK048: SetPixels → SetPixels32 -------------------------------------------------------------


@functools.cache
def _pixels() -> tuple[frozenset[str], re.Pattern[bytes], tuple[int, ...]]:
    raw = unity_api()["pixels"]
    markers = "|".join(re.escape(m) for m in raw["hdr_markers"])
    hdr = re.compile(rf"(?:TextureFormat|GraphicsFormat)\s*\.\s*\w*(?:{markers})".encode())
    return frozenset(raw["types"]), hdr, parse_version(raw["since"])


@on_word("SetPixels", when=_called_member)
def check_set_pixels(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`texture.SetPixels(colors)` on a texture known to have SetPixels32; silent when the class
    creates or names a float or half texture format (HDR: Color32 cannot hold it)."""
    found = _member_call(leaf, parent)
    if found is None:
        return
    call, target = found
    types, hdr, since = _pixels()
    if model.version < since or model.type_of(target) not in types:
        return
    cls = model.enclosing_class(call)
    start, end = (cls.node.start_byte, cls.node.end_byte) if cls else (0, len(model.data))
    if hdr.search(model.data, start, end) is not None:
        return
    yield Finding("SPK048", parent, {"target": node_text(target)})


# -- SPK049: reflection lookups in per-frame messages --------------------------------------------


@functools.cache
def _reflection() -> dict[str, Any]:
    raw = unity_api()["reflection"]
    return {key: frozenset(value) for key, value in raw.items()}


@on_word(*unity_api()["reflection"]["type_getters"], when=_called_member)
def check_reflection(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`type.GetField("x")`, `GetType().GetMethod("F")`, ... in Update, LateUpdate, FixedUpdate
    or OnGUI: a slow lookup every frame.  One finding per message; reading a member already
    looked up (`field.GetValue(x)`) is what the fix leads to, so it is not reported."""
    if not model.may_run_per_frame:
        return
    found = _member_call(leaf, parent)
    if found is None:
        return
    call, target = found
    if not _is_type(model, target):
        return
    method = unity_method_name(model, call)
    if method not in model.index.per_frame:
        return
    cls = model.enclosing_class(call)
    key = f"SPK049:{cls.node.start_byte if cls else 0}:{method}"
    if key in model.memo:
        return
    model.memo[key] = True
    yield Finding("SPK049", call, {"method": method, "what": f"{node_text(leaf)}"})


def _is_type(model: FileModel, expr: Node) -> bool:
    """Whether `expr` is a System.Type: `typeof(X)`, `x.GetType()`, `Type.GetType("X")`, or a
    name declared as a Type."""
    if expr.type == "typeof_expression":
        return True
    if expr.type == "invocation_expression":
        fn = expr.child_by_field_name("function")
        if fn is not None and fn.type == "member_access_expression":
            fn = fn.child_by_field_name("name")
        return fn is not None and node_text(fn) == "GetType"
    if expr.type in {"identifier", "member_access_expression"}:
        return model.type_of(expr) in _reflection()["type_types"]
    return False


# -- SPK050: gameObject of a GameObject, transform of a Transform --------------------------------


@functools.cache
def _self_references() -> tuple[tuple[str, str, bytes], ...]:
    """(type, member, b".member") for each property that returns the object itself."""
    raw: dict[str, str] = unity_api()["self_references"]
    return tuple((type_name, member, f".{member}".encode()) for type_name, member in raw.items())


_NAME = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@on_file("gameObject", "transform", asks=("GameObject", "Transform"))
def check_self_reference(model: FileModel) -> Iterator[Finding]:
    """`go.gameObject` where `go` is a GameObject, `t.transform` where `t` is a Transform.

    Found from the text: `.gameObject` right after `gameObject` itself or after a name that the
    file declares as a GameObject (looked for only when the word `GameObject` is in the file),
    confirmed by the type of the whole receiver in the tree.
    """
    data = model.data
    words = model.words or frozenset()
    for type_name, member, needle in _self_references():
        receivers = {member.encode()}
        if type_name.encode() in words:
            if data.find(needle) < 0:
                continue
            receivers |= _declared_as(data, type_name.encode())
        for receiver_name in sorted(receivers):
            pattern = receiver_name + needle
            at = data.find(pattern)
            while at >= 0:
                dot, end = at + len(receiver_name), at + len(pattern)
                before = data[at - 1] if at else 0x20
                if (
                    before not in _NAME
                    and before != ord("@")
                    and (end == len(data) or data[end] not in _NAME)
                ):
                    yield from _confirm_self_reference(model, dot + 1, end, type_name, member)
                at = data.find(pattern, end)


def _declared_as(data: bytes, type_name: bytes) -> frozenset[bytes]:
    """Names the text declares with the type `type_name` (`GameObject go;`, `(GameObject g)`,
    `foreach (GameObject g in ...)`; not methods that return one): a cheap superset of the
    variables of that type, which the tree then confirms."""
    found: set[bytes] = set()
    at = data.find(type_name)
    while at >= 0:
        end = at + len(type_name)
        if (at == 0 or data[at - 1] not in _NAME) and end < len(data) and data[end] in b" \t":
            rest = data[end : end + 80].lstrip(b" \t")
            name_end = 0
            while name_end < len(rest) and rest[name_end] in _NAME:
                name_end += 1
            if name_end and not rest[name_end:].lstrip().startswith((b"(", b"<")):
                found.add(rest[:name_end])
        at = data.find(type_name, end)
    return frozenset(found)


def _confirm_self_reference(
    model: FileModel, start: int, end: int, type_name: str, member: str
) -> Iterator[Finding]:
    leaf = model.root.descendant_for_byte_range(start, end)
    access = leaf.parent if leaf is not None else None
    if leaf is None or access is None or leaf.type != "identifier":
        return
    if access.type != "member_access_expression" or not field_is(access, "name", leaf):
        return
    target = access.child_by_field_name("expression")
    if target is None or model.type_of(target) != type_name:
        return
    text = edits.text(model, target)
    fix = (edits.replace(access, text),)
    args = {"expr": node_text(access), "target": text, "type": type_name, "member": member}
    yield Finding("SPK050", access, args, edits=fix)
