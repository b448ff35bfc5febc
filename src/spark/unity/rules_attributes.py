"""Attributes Unity only honours on the right kind of declaration: `[SerializeField]` on what
Unity does not serialize (SPK034, UNT0013), a load callback that is not static and parameterless
(SPK040, UNT0015) and a `[MenuItem]` on an instance method (SPK041, UNT0020) — with their fixes.

All are declaration checks (`@on_file`): they run only when the file names the attribute, and
read the attribute lists of the members of each class.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_file
from spark.unity.model import ClassInfo, FileModel, node_text
from spark.unity.rules import Edit, Finding

_ACCESS = frozenset({"public", "private", "protected", "internal"})
_WORD = re.compile(rb"[A-Za-z_@][A-Za-z0-9_]*")


def attributes(method: Node) -> Iterator[tuple[str, Node]]:
    """(short name, node) of each attribute on a declaration: `[UnityEditor.MenuItem("x")]` →
    "MenuItem", `[InitializeOnLoadMethodAttribute]` → "InitializeOnLoadMethod"."""
    for child in method.children:
        if child.type == "attribute_list":
            yield from attributes_of_list(child)


def _is_static(declaration: Node) -> bool:
    return any(c.type == "modifier" and node_text(c) == "static" for c in declaration.children)


def _own_attribute(model: FileModel, name: str) -> bool:
    """Whether the file declares a type of that name (a project's own attribute, not Unity's)."""
    return bool({name, f"{name}Attribute"} & (set(model.by_name) | model.other_types))


def add_static(model: FileModel, method: Node) -> Edit:
    """Insert `static` after the method's access modifiers (before its other modifiers)."""
    modifiers = [c for c in method.children if c.type == "modifier"]
    access = [m for m in modifiers if node_text(m) in _ACCESS]
    if access:
        return edits.insert_after(access[-1], " static")
    first = modifiers[0] if modifiers else method.child_by_field_name("returns")
    return edits.insert_before(first or method, "static ")


def static_is_safe(model: FileModel, cls: ClassInfo, method: Node) -> bool:
    """Whether `method` can become static: its body names no instance member of its class
    (nor `this` / `base`), as far as the file tells."""
    if cls.kind != "other" and cls.message_set != "MonoBehaviour":
        return False  # Editor, EditorWindow, ScriptableObject...: members this file cannot list
    body = method.child_by_field_name("body")
    if body is None:
        return False
    words = {w.decode() for w in _WORD.findall(model.data[body.start_byte : body.end_byte])}
    instance = {"this", "base"}
    if cls.kind != "other":
        instance |= set(unity_api()["behaviour_members"]["names"])
    for member in [*cls.member_nodes, *cls.methods]:
        if _is_static(member) or any(node_text(c) == "const" for c in member.children):
            continue
        if member.type == "field_declaration":
            for decl in member.named_children:
                if decl.type == "variable_declaration":
                    instance |= {
                        node_text(v.child_by_field_name("name"))
                        for v in decl.named_children
                        if v.type == "variable_declarator"
                    }
        else:
            instance.add(node_text(member.child_by_field_name("name")))
    return not (words & instance)


def _methods_with(
    model: FileModel, wanted: frozenset[str]
) -> Iterator[tuple[ClassInfo, Node, str]]:
    """(class, method, attribute) for each method of the file carrying one of `wanted`."""
    for cls in model.classes:
        for method in cls.methods:
            for name, _ in attributes(method):
                if name in wanted and not _own_attribute(model, name):
                    yield cls, method, name
                    break


# -- SPK040: load callbacks must be static and parameterless -------------------------------------

_LOAD_CALLBACKS = frozenset(
    {"InitializeOnLoadMethod", "RuntimeInitializeOnLoadMethod", "DidReloadScripts"}
)


@on_file(*_LOAD_CALLBACKS, *(f"{a}Attribute" for a in _LOAD_CALLBACKS))
def check_load_callback(model: FileModel) -> Iterator[Finding]:
    """`[InitializeOnLoadMethod]`, `[RuntimeInitializeOnLoadMethod]` or `[DidReloadScripts]`
    on a method that is not static or takes parameters: Unity does not call it (or throws)."""
    for cls, method, attribute in _methods_with(model, _LOAD_CALLBACKS):
        params = method.child_by_field_name("parameters")
        names = [
            node_text(p.child_by_field_name("name"))
            for p in (params.named_children if params is not None else [])
            if p.type == "parameter"
        ]
        static = _is_static(method)
        if static and not names:
            continue
        problems = ([] if static else ["is not static"]) + (["takes parameters"] if names else [])
        fix: list[Edit] = []
        body = method.child_by_field_name("body")
        body_text = model.data[body.start_byte : body.end_byte] if body is not None else b""
        used = {w.decode() for w in _WORD.findall(body_text)}
        if params is not None and names and not (set(names) & used):
            fix.append(edits.replace(params, "()"))
        if not static and static_is_safe(model, cls, method):
            fix.append(add_static(model, method))
        complete = len(fix) == (not static) + bool(names)
        name = node_text(method.child_by_field_name("name"))
        args = {"name": name, "attribute": attribute, "problem": " and ".join(problems)}
        yield Finding(
            "SPK040",
            method.child_by_field_name("name") or method,
            args,
            edits=tuple(fix) if complete else (),
        )


# -- SPK041: [MenuItem] on an instance method ----------------------------------------------------


@on_file("MenuItem", "MenuItemAttribute")
def check_menu_item(model: FileModel) -> Iterator[Finding]:
    """`[MenuItem("Tools/Build")]` on a method that is not static: Unity only turns static
    methods into menu commands (it logs an error and ignores the item)."""
    for cls, method, attribute in _methods_with(model, frozenset({"MenuItem"})):
        if _is_static(method):
            continue
        fix = (add_static(model, method),) if static_is_safe(model, cls, method) else ()
        name = node_text(method.child_by_field_name("name"))
        node = method.child_by_field_name("name") or method
        yield Finding("SPK041", node, {"name": name, "attribute": attribute}, edits=fix)


# -- SPK034: [SerializeField] where Unity serializes nothing -------------------------------------


@on_file("SerializeField", "SerializeFieldAttribute")
def check_serialize_field(model: FileModel) -> Iterator[Finding]:
    """`[SerializeField]` on a static, const or readonly field, or on a property (without the
    `field:` target): Unity serializes none of them, so the Inspector value is silently lost."""
    if _own_attribute(model, "SerializeField"):
        return
    data = model.data
    for cls in model.classes:
        for member in cls.member_nodes:
            if data.find(b"SerializeField", member.start_byte, member.end_byte) < 0:
                continue
            for attribute in _untargeted(member, "SerializeField"):
                yield from _serialize_field(model, member, attribute)


def _untargeted(member: Node, wanted: str) -> Iterator[Node]:
    """The `wanted` attributes of `member` in lists without a target (`[field: X]` is fine)."""
    for child in member.children:
        if child.type == "attribute_list" and not any(
            c.type == "attribute_target_specifier" for c in child.children
        ):
            for name, attribute in attributes_of_list(child):
                if name == wanted:
                    yield attribute


def attributes_of_list(attribute_list: Node) -> Iterator[tuple[str, Node]]:
    """(short name, node) of each attribute of one `[...]` list."""
    for attribute in attribute_list.named_children:
        if attribute.type == "attribute":
            name = attribute.child_by_field_name("name") or attribute.named_children[0]
            text = node_text(name).rsplit(".", 1)[-1].rsplit("::", 1)[-1].strip()
            yield text.removesuffix("Attribute"), attribute


def _serialize_field(model: FileModel, member: Node, attribute: Node) -> Iterator[Finding]:
    modifiers = {node_text(c) for c in member.children if c.type == "modifier"}
    if member.type == "property_declaration":
        name = node_text(member.child_by_field_name("name"))
        what = "a static property" if "static" in modifiers else "a property"
        auto = _auto_property(member) and "static" not in modifiers
        if auto and attribute.parent is not None and len(attribute.parent.named_children) == 1:
            fix, action = (
                (edits.insert_before(attribute, "field: "),),
                "Use [field: SerializeField]",
            )
        else:
            fix, action = (_remove_attribute(model, attribute),), "Remove [SerializeField]"
    else:
        kinds = [m for m in ("const", "static", "readonly") if m in modifiers]
        if not kinds:
            return
        names = [
            node_text(v.child_by_field_name("name"))
            for d in member.named_children
            if d.type == "variable_declaration"
            for v in d.named_children
            if v.type == "variable_declarator"
        ]
        name = ", ".join(names)
        what = f"a {' '.join(kinds)} field" if kinds != ["const"] else "a constant"
        fix, action = (_remove_attribute(model, attribute),), "Remove [SerializeField]"
    args = {"name": name, "what": what, "action": action}
    yield Finding("SPK034", attribute, args, edits=fix)


def _auto_property(prop: Node) -> bool:
    """`{ get; set; }`: accessors without bodies (a backing field Unity can serialize)."""
    accessors = prop.child_by_field_name("accessors") or next(
        (c for c in prop.children if c.type == "accessor_list"), None
    )
    if accessors is None:
        return False
    found = [a for a in accessors.named_children if a.type == "accessor_declaration"]
    return bool(found) and all(
        not any(c.type in {"block", "arrow_expression_clause"} for c in a.children) for a in found
    )


def _remove_attribute(model: FileModel, attribute: Node) -> Edit:
    """Remove `attribute` from its list; the whole list (and its line, or the space after it)
    when it is the list's only attribute."""
    listed = attribute.parent
    assert listed is not None
    siblings = [a for a in listed.named_children if a.type == "attribute"]
    if len(siblings) > 1:
        at = next(i for i, a in enumerate(siblings) if a.id == attribute.id)
        if at + 1 < len(siblings):
            return Edit(attribute.start_byte, siblings[at + 1].start_byte, "")
        return Edit(siblings[at - 1].end_byte, attribute.end_byte, "")
    data = model.src.data
    end = listed.end_byte
    line_end = edits.line_end(model, end)
    if (
        data[end:line_end].strip()
        and not data[edits.line_start(model, end) : listed.start_byte].strip()
    ):
        while end < line_end and data[end] in b" \t":
            end += 1  # `[SerializeField] static int x;`: the declaration moves to its place
        return Edit(listed.start_byte, end, "")
    return edits.remove_lines(model, listed.start_byte, listed.end_byte)
