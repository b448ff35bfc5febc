"""Editor-side traps: `[InitializeOnLoad]` without a static constructor (SPK046, UNT0009),
`base.OnGUI` in a PropertyDrawer (SPK052, UNT0027), asset operations while the Editor loads
scripts (SPK053, UNT0031) and `GameObject.isStatic` read outside Editor code (SPK054, UNT0040).

Each is gated on a word that ordinary runtime scripts do not contain (`InitializeOnLoad`,
`base.OnGUI`, `AssetDatabase.`, `.isStatic`), so that they cost nothing elsewhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_file, on_word
from spark.unity.model import ClassInfo, FileModel, node_text
from spark.unity.nodes import METHODS, field_is, unity_method_name
from spark.unity.preprocessor import rows_needing
from spark.unity.rules import Edit, Finding
from spark.unity.scan import next_byte

# `[InitializeOnLoad]` (or `InitializeOnLoadAttribute`, qualified or not), not the method one.
_INITIALIZE_ON_LOAD = re.compile(rb"(?<![\w])InitializeOnLoad(?:Attribute)?(?!\w)")
# The attributes of a method that Unity calls while it loads scripts in the Editor.
_LOAD_METHOD = re.compile(
    rb"(?<![\w])(?:InitializeOnLoadMethod|DidReloadScripts)(?:Attribute)?(?!\w)"
)


def _head(model: FileModel, declaration: Node) -> bytes:
    """The attributes and modifiers of a class or method: its text up to its name."""
    name = declaration.child_by_field_name("name")
    end = name.start_byte if name is not None else declaration.start_byte
    return model.data[declaration.start_byte : end]


def _members(body: Node | None) -> Iterator[Node]:
    """The members of a type body, those inside `#if` / `#region` blocks included."""
    for member in body.named_children if body is not None else []:
        if member.type.startswith("preproc_"):
            yield from _members(member)
        else:
            yield member


def _is_static(declaration: Node) -> bool:
    return any(c.type == "modifier" and node_text(c) == "static" for c in declaration.children)


def _initialize_on_load(model: FileModel, cls: ClassInfo) -> bool:
    return _INITIALIZE_ON_LOAD.search(_head(model, cls.node)) is not None


# -- SPK046: [InitializeOnLoad] without a static constructor -------------------------------------


@on_file("InitializeOnLoad", "InitializeOnLoadAttribute")
def check_initialize_on_load(model: FileModel) -> Iterator[Finding]:
    """Unity runs an `[InitializeOnLoad]` class's static constructor when the Editor loads; the
    attribute does nothing without one.  A `partial` class may have it in another file."""
    for cls in model.classes:
        if "partial" in cls.modifiers or not _initialize_on_load(model, cls):
            continue
        members = _members(cls.node.child_by_field_name("body"))
        if any(m.type == "constructor_declaration" and _is_static(m) for m in members):
            continue
        name = cls.node.child_by_field_name("name") or cls.node
        yield Finding("SPK046", name, {"name": cls.name})


# -- SPK052: base.OnGUI in a PropertyDrawer ------------------------------------------------------


def _after_base(data: bytes, start: int, end: int) -> bool:
    return data[max(0, start - 5) : start] == b"base." and next_byte(data, end) == ord("(")


@on_word("OnGUI", when=_after_base)
def check_property_drawer_base(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`base.OnGUI(position, property, label)` where the base is Unity's PropertyDrawer, whose
    OnGUI only draws the label "No GUI implemented"."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    owner = parent.child_by_field_name("expression")
    call = parent.parent
    if owner is None or owner.type != "base" or call is None:
        return
    if call.type != "invocation_expression" or not field_is(call, "function", parent):
        return
    cls = model.enclosing_class(call)
    if cls is None or not _draws_nothing(model, cls, set()):
        return
    fix: tuple[Edit, ...] = ()
    statement = call.parent
    if (
        statement is not None
        and statement.type == "expression_statement"
        and statement.parent is not None
        and (statement.parent.type == "block" or statement.parent.type.startswith("preproc_"))
    ):
        fix = (edits.remove_lines(model, statement.start_byte, statement.end_byte),)
    yield Finding("SPK052", call, {"class": cls.name}, edits=fix)


def _draws_nothing(model: FileModel, cls: ClassInfo, seen: set[str]) -> bool:
    """Whether `base.OnGUI` in `cls` reaches PropertyDrawer's own OnGUI: the class derives from
    PropertyDrawer through classes of this file that do not declare an OnGUI of their own."""
    seen.add(cls.name)
    for base in cls.bases:
        if base == "PropertyDrawer":
            return True
        parent = model.by_name.get(base)
        if parent is None or parent.name in seen:
            continue
        if any(node_text(m.child_by_field_name("name")) == "OnGUI" for m in parent.methods):
            return False
        if _draws_nothing(model, parent, seen):
            return True
    return False


# -- SPK053: asset operations in methods that run while the Editor loads scripts -----------------


@functools.lru_cache(maxsize=16)
def _has_load_attributes(data: bytes) -> bool:
    return b"InitializeOnLoad" in data or b"DidReloadScripts" in data


def _asset_operation(data: bytes, start: int, end: int) -> bool:
    return next_byte(data, end) == ord(".") and _has_load_attributes(data)


@on_word("AssetDatabase", when=_asset_operation)
def check_asset_operation_on_load(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`AssetDatabase.X` in an `[InitializeOnLoadMethod]` / `[DidReloadScripts]` method or the
    static constructor of an `[InitializeOnLoad]` class: they run before assets are imported.
    Not inside a lambda or local function there (`EditorApplication.delayCall += () => ...` is
    the way to do it later)."""
    if parent.type != "member_access_expression" or not field_is(parent, "expression", leaf):
        return
    if leaf.type != "identifier":
        return
    method = model.enclosing(leaf, METHODS)
    if method is None:
        return
    if method.type == "method_declaration":
        if _LOAD_METHOD.search(_head(model, method)) is None:
            return
        name = node_text(method.child_by_field_name("name"))
    elif method.type == "constructor_declaration" and _is_static(method):
        cls = model.enclosing_class(method)
        if cls is None or not _initialize_on_load(model, cls):
            return
        name = f"static {cls.name}()"
    else:
        return
    if "AssetDatabase" in model.by_name or "AssetDatabase" in model.other_types:
        return  # a type of the file's own, not UnityEditor's
    yield Finding("SPK053", parent, {"method": name})


# -- SPK054: GameObject.isStatic outside Editor code ---------------------------------------------


@functools.cache
def _editor_only() -> tuple[dict[str, list[str]], frozenset[str], re.Pattern[bytes]]:
    raw = unity_api()["editor_only"]
    names = "|".join(re.escape(a) for a in raw["attributes"])
    attributes = re.compile(rf"(?<![\w])(?:{names})(?:Attribute)?(?!\w)".encode())
    return raw["members"], frozenset(raw["messages"]), attributes


def _member_read(data: bytes, start: int, end: int) -> bool:
    return start > 0 and data[start - 1] == ord(".")


@on_word("isStatic", when=_member_read)
def check_editor_only_member(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`go.isStatic` on a GameObject in code that also runs in a build (where it reads false):
    not in an Editor class or an Editor folder, a file that uses UnityEditor outside `#if`, an
    Editor-only message (OnValidate, Reset, OnDrawGizmos...), a `[ContextMenu]` / `[MenuItem]`
    method, or a `#if UNITY_EDITOR` branch."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    target = parent.child_by_field_name("expression")
    members, messages, attributes = _editor_only()
    member = node_text(leaf)
    if target is None:
        return
    type_name = model.type_of(target)
    if member not in members.get(type_name, ()):
        return
    if _editor_code(model, parent, messages, attributes):
        return
    yield Finding("SPK054", leaf, {"target": node_text(target), "member": member})


def _editor_code(
    model: FileModel, node: Node, messages: frozenset[str], attributes: re.Pattern[bytes]
) -> bool:
    """Whether `node` sits in code that only the Editor runs."""
    path = (model.options.file_name or "").replace("\\", "/")
    if "/Editor/" in f"/{path}":
        return True
    if any(
        u.type == "using_directive" and node_text(u.named_children[-1]) == "UnityEditor"
        for u in model.root.named_children
        if u.named_children
    ):
        return True  # a file that needs UnityEditor without an #if is not in any build
    cls = model.enclosing_class(node)
    if cls is not None and cls.unity_base in model.index.editor_bases:
        return True
    if unity_method_name(model, node) in messages:
        return True
    method = model.enclosing(node, ("method_declaration",))
    if method is not None and attributes.search(_head(model, method)) is not None:
        return True
    return node.start_point.row in rows_needing(model.src.code, "UNITY_EDITOR")
