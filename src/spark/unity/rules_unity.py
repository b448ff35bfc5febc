"""The Unity checks: `check_all` runs them all; the class and using checks (SPK001-SPK004) live
here, the others in `rules_messages` and in the modules `rules_expressions` dispatches to (see
rules.toml for their text, docs/validation.md for what each means).

Each check takes the shared `FileModel` and yields `Finding`s.  The tree is searched with a few
tree-sitter queries (run in C) rather than a Python walk, which keeps validation close to the
speed of the bare parse.  Checks only speak when they are sure; unknown types stay silent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.checks import check_files
from spark.unity.report import Severity
from spark.unity.rules import (
    ClassInfo,
    Edit,
    FileModel,
    Finding,
    node_text,
    simple_type_name,
)
from spark.unity.rules_expressions import check_expressions
from spark.unity.rules_messages import check_messages


def check_all(model: FileModel) -> Iterator[Finding]:
    """Every Unity check, in rule-id order."""
    yield from check_classes(model)
    yield from check_using(model)
    yield from check_messages(model)
    yield from check_expressions(model)
    yield from check_files(model)


def _file_stem(file_name: str | None) -> str | None:
    if not file_name or file_name == "-":
        return None
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-3] if base.lower().endswith(".cs") else None


# -- SPK001-SPK003: classes and the file ---------------------------------------------------------


def check_classes(model: FileModel) -> Iterator[Finding]:
    # Editor-side classes (Editor, EditorWindow, PropertyDrawer, ...) are found by type, never by
    # file name, and a class deriving straight from Component or Behaviour is never attached;
    # the parts of a `partial` class are one class.
    editor = model.index.editor_bases | {"Component", "Behaviour"}
    unity: list[ClassInfo] = []
    seen: set[str] = set()
    for c in model.classes:
        if c.kind != "other" and not c.nested and c.unity_base not in editor and c.name not in seen:
            seen.add(c.name)
            unity.append(c)
    if not unity:
        return
    stem = _file_stem(model.options.file_name)
    named = next((c for c in unity if c.name == stem), None) if stem else None
    attachable = [c for c in unity if "abstract" not in c.modifiers and not c.generic]
    # A class named like the file whose base this file cannot resolve (`class Tile : TileBase`)
    # may well be the file's component: then the file is fine as far as we can tell.
    stem_class = next((c for c in model.classes if c.name == stem and not c.nested), None)
    unknown_main = named is None and stem_class is not None and bool(stem_class.bases)
    if stem is not None and named is None and attachable and not unknown_main:
        first = attachable[0]
        yield Finding(
            "SPK001",
            first.node.child_by_field_name("name") or first.node,
            {"name": first.name, "base": first.unity_base, "file": f"{stem}.cs"},
        )
    primary = named or (attachable[0] if attachable else None)
    public = [c for c in attachable if "public" in c.modifiers and c is not primary]
    for extra in public:
        yield Finding(
            "SPK002",
            extra.node.child_by_field_name("name") or extra.node,
            {"name": extra.name, "base": extra.unity_base},
        )
    target = named if named is not None else (unity[0] if not attachable else None)
    if (
        target is not None
        and target.kind == "component"
        and ("abstract" in target.modifiers or target.generic)
    ):
        what = "abstract" if "abstract" in target.modifiers else "generic"
        yield Finding(
            "SPK003",
            target.node.child_by_field_name("name") or target.node,
            {"name": target.name, "what": what},
        )


# -- SPK004: using UnityEngine -------------------------------------------------------------------


def check_using(model: FileModel) -> Iterator[Finding]:
    if "UnityEngine" in model.usings:
        return
    if any(ns.startswith("UnityEngine") for ns in model.namespaces):
        return
    declared = set(model.by_name) | model.aliases | model.other_types
    # Certain only when every imported namespace is one known to have no MonoBehaviour.  A file
    # without any using directive, or with C# 10 `global using`, may get UnityEngine from a
    # global using elsewhere in its assembly; another namespace may declare its own MonoBehaviour
    # (`Photon.MonoBehaviour`, shims): a warning, not a certain error.
    unsure = (
        model.global_usings
        or model.using_count == 0
        or not all(_KNOWN_NAMESPACES.match(u) for u in model.usings)
    )
    # Only a class deriving from MonoBehaviour/ScriptableObject is certain to need the using.
    for info in model.classes:
        for base in info.bases:
            if base in {"MonoBehaviour", "ScriptableObject"} and base not in declared:
                base_node = _base_node(info, base)
                if base_node is not None and "." not in node_text(base_node):
                    fix = () if unsure else _add_using(model)
                    severity: Severity | None = "warning" if unsure else None
                    yield Finding("SPK004", base_node, {"name": base}, severity, edits=fix)
                    return


def _add_using(model: FileModel) -> tuple[Edit, ...]:
    """`using UnityEngine;` on its own line before the file's first using directive (one at the
    top level: never inside an `#if`)."""
    for node in model.root.named_children:
        if node.type == "using_directive":
            at = edits.line_start(model, node.start_byte)
            return (Edit(at, at, "using UnityEngine;" + edits.newline(model, at)),)
    return ()


# Namespaces known to declare no type named MonoBehaviour or ScriptableObject.
_KNOWN_NAMESPACES = re.compile(r"(System|UnityEngine|UnityEditor|Unity|TMPro|Microsoft)(\.|$)")


def _base_node(info: ClassInfo, base: str) -> Node | None:
    for child in info.node.children:
        if child.type == "base_list":
            for node in child.named_children:
                if simple_type_name(node) == base:
                    return node
    return None
