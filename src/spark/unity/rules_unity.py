"""The Unity checks behind SPK001-SPK023 (see rules.toml for their text, docs/validation.md).

Each check takes the shared `FileModel` and yields `Finding`s.  The tree is searched with a few
tree-sitter queries (run in C) rather than a Python walk, which keeps validation close to the
speed of the bare parse.  Checks only speak when they are sure; unknown types stay silent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity.rules import (
    ClassInfo,
    FileModel,
    Finding,
    api_index,
    node_text,
    simple_type_name,
)
from spark.unity.rules_expressions import check_expressions


def check_all(model: FileModel) -> Iterator[Finding]:
    """Every Unity check, in rule-id order."""
    yield from check_classes(model)
    yield from check_using(model)
    yield from check_messages(model)
    yield from check_expressions(model)


def _quoted(names: list[str] | set[str]) -> str:
    return " ".join(f'"{n}"' for n in sorted(names))


def _file_stem(file_name: str | None) -> str | None:
    if not file_name or file_name == "-":
        return None
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[:-3] if base.lower().endswith(".cs") else None


# -- SPK001-SPK003: classes and the file ---------------------------------------------------------


def check_classes(model: FileModel) -> Iterator[Finding]:
    # Editor-side classes (Editor, EditorWindow, PropertyDrawer, ...) are found by type, never by
    # file name; the parts of a `partial` class are one class.
    editor = model.index.editor_bases
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
                    yield Finding(
                        "SPK004", base_node, {"name": base}, "warning" if unsure else None
                    )
                    return


# Namespaces known to declare no type named MonoBehaviour or ScriptableObject.
_KNOWN_NAMESPACES = re.compile(r"(System|UnityEngine|UnityEditor|Unity|TMPro|Microsoft)(\.|$)")


def _base_node(info: ClassInfo, base: str) -> Node | None:
    for child in info.node.children:
        if child.type == "base_list":
            for node in child.named_children:
                if simple_type_name(node) == base:
                    return node
    return None


# -- SPK005-SPK008, SPK023, OnLevelWasLoaded: methods -------------------------------------------


def _edit_distance_one(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _param_types(method: Node) -> list[str]:
    params = method.child_by_field_name("parameters")
    types: list[str] = []
    for param in params.named_children if params is not None else []:
        if param.type == "parameter":
            type_node = param.child_by_field_name("type")
            text = simple_type_name(type_node)
            if type_node is not None and type_node.type == "array_type":
                text = node_text(type_node).replace(" ", "")
            types.append(text)
    return types


def check_messages(model: FileModel) -> Iterator[Finding]:
    messages = model.index.messages
    for info in model.classes:
        class_has_async = _contains(model, info.node, b"async")
        for method in info.methods:
            name_node = method.child_by_field_name("name")
            name = node_text(name_node)
            # Reading a method's modifiers costs more than the cheap tests that show, for most
            # methods, that they cannot matter: no `async` in the method's text, a name that is
            # neither a message nor close to one.
            is_message = info.receives_messages and name in messages
            if (
                class_has_async
                and _contains(model, method, b"async")
                and "async" in modifiers_of_method(method)
                and _returns_void(method)
                and not is_message
                and not _is_event_handler(method)
            ):
                yield Finding("SPK023", name_node or method, {"name": name})
            if not info.receives_messages or name_node is None:
                continue
            if name in messages:
                mods = modifiers_of_method(method)
                if "override" not in mods and "static" not in mods:
                    yield from _check_signature(model, method, name_node, name, messages[name])
                continue
            misspelt = _misspelt_message(name)
            if misspelt is None:
                continue
            mods = modifiers_of_method(method)
            if "override" in mods or "static" in mods:
                continue
            if mods & {"public", "protected", "internal"}:
                continue  # an API of the author's own (`public void start()`), not a misspelling
            rule_id, message = misspelt
            yield Finding(rule_id, name_node, {"name": name, "message": message})


def _contains(model: FileModel, node: Node, text: bytes) -> bool:
    return model.data.find(text, node.start_byte, node.end_byte) >= 0


@functools.lru_cache(maxsize=4096)  # keyed by the name alone: hashing a tuple costs per call
def _misspelt_message(name: str) -> tuple[str, str] | None:
    """The rule and message for a method name that looks like a misspelt message, if any.

    SPK005: the message in the wrong case; SPK006: one edit away from it (names of 7+ letters).
    """
    messages = api_index().message_names
    lower = _messages_by_lower(messages)
    if name.lower() in lower:
        return "SPK005", lower[name.lower()]
    if len(name) >= 7:
        message = _near_message(name, messages)
        if message is not None:
            return "SPK006", message
    return None


@functools.cache
def _messages_by_lower(messages: tuple[str, ...]) -> dict[str, str]:
    return {message.lower(): message for message in messages}


@functools.cache
def _deletion_index(messages: tuple[str, ...]) -> dict[str, list[int]]:
    """Each message of 7+ letters and its one-letter deletions → message positions.

    Two names one edit apart (insertion, deletion, substitution or swap of neighbours) always
    share an entry of their deletion sets, so this finds the candidates without comparing a
    method name with every message.
    """
    index: dict[str, list[int]] = {}
    for pos, message in enumerate(messages):
        if len(message) >= 7:
            for key in {message} | {message[:i] + message[i + 1 :] for i in range(len(message))}:
                index.setdefault(key, []).append(pos)
    return index


@functools.lru_cache(maxsize=4096)
def _near_message(name: str, messages: tuple[str, ...]) -> str | None:
    """The first Unity message one edit away from `name`, if any.

    `OnEnabled` / `OnDestroyed` (a message plus `d`/`ed`) are names of the author's own event
    handlers far more often than misspellings, so they are left alone.
    """
    index = _deletion_index(messages)
    found: set[int] = set()
    for key in {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}:
        found.update(index.get(key, ()))
    for pos in sorted(found):
        message = messages[pos]
        if name in {message + "d", message + "ed"}:
            continue
        if _edit_distance_one(name, message):
            return message
    return None


def modifiers_of_method(method: Node) -> set[str]:
    return {node_text(c) for c in method.children if c.type == "modifier"}


def _returns_void(method: Node) -> bool:
    returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
    return node_text(returns) == "void"


def _is_event_handler(method: Node) -> bool:
    types = _param_types(method)
    return len(types) == 2 and types[0] in {"object", "Object"} and types[1].endswith("EventArgs")


def _check_signature(
    model: FileModel, method: Node, name_node: Node, name: str, spec: dict[str, object]
) -> Iterator[Finding]:
    want = [str(t) for t in spec.get("params", [])]  # type: ignore[attr-defined]
    got = _param_types(method)
    if got != want and not (spec.get("optional") and not got):
        yield Finding(
            "SPK007",
            method.child_by_field_name("parameters") or name_node,
            {"name": name, "got": ", ".join(got), "want": ", ".join(want)},
        )
    body = method.child_by_field_name("body")
    if body is not None and body.type == "block" and not _has_content(model, body):
        yield Finding("SPK008", name_node, {"name": name})
    for dep, since in model.index.deprecated.get(("message", name), ()):
        if model.version >= since:
            yield Finding("SPK021", name_node, _dep_args(model, dep, name))


def _has_content(model: FileModel, body: Node) -> bool:
    """Statements, comments or directives: a body with a comment was left empty on purpose."""
    inner = model.src.data[body.start_byte + 1 : body.end_byte - 1]
    return bool(inner.strip())


def _dep_args(model: FileModel, dep: dict[str, str], api: str) -> dict[str, str]:
    return {
        "api": api,
        "since": dep["since"],
        "version": model.options.unity_version,
        "replacement": dep["replacement"],
    }
