"""Checks of Unity message methods (SPK005-SPK008, SPK021's OnLevelWasLoaded) and async void
methods (SPK023), with the fixes for a message name in the wrong case and an empty message.

A class receives the messages of its Unity base (`FileModel.messages_of`: MonoBehaviour's,
ScriptableObject's, EditorWindow's, Editor's, AssetPostprocessor's, ...).  An explicit interface
implementation (`void IFoo.Update()`) is never a message, and an `override` or `virtual` one is a
base class's business.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import api_index
from spark.unity.model import ClassInfo, FileModel, node_text, simple_type_name
from spark.unity.rules import Edit, Finding


def check_messages(model: FileModel) -> Iterator[Finding]:
    for info in model.classes:
        messages = model.messages_of(info)
        class_has_async = _contains(model, info.node, b"async")
        for method in info.methods:
            name_node = method.child_by_field_name("name")
            name = node_text(name_node)
            # Reading a method's modifiers costs more than the cheap tests that show, for most
            # methods, that they cannot matter: no `async` in the method's text, a name that is
            # neither a message nor close to one.
            is_message = name in messages and not _explicit(model, method, name_node)
            if (
                class_has_async
                and _contains(model, method, b"async")
                and "async" in modifiers_of_method(method)
                and _returns_void(method)
                and not is_message
                and not _is_event_handler(method)
            ):
                yield Finding("SPK023", name_node or method, {"name": name})
            if not messages or name_node is None:
                continue
            if name in messages:
                if not is_message:
                    continue  # an explicit interface implementation: never a message
                spec = messages[name]
                mods = modifiers_of_method(method)
                if "override" not in mods and ("static" in mods) == bool(spec.get("static")):
                    yield from _check_message(model, info, method, name_node, spec, mods)
                continue
            misspelt = _misspelt_message(name, info.message_set)
            if misspelt is None:
                continue
            rule_id, message = misspelt
            if _explicit(model, method, name_node):
                continue
            mods = modifiers_of_method(method)
            if "override" in mods or ("static" in mods) != bool(messages[message].get("static")):
                continue
            if mods & {"public", "protected", "internal"}:
                continue  # an API of the author's own (`public void start()`), not a misspelling
            fix: tuple[Edit, ...] = ()
            if (
                rule_id == "SPK005"
                and _only_mention(model, name)
                and not any(
                    node_text(m.child_by_field_name("name")) == message for m in info.methods
                )
            ):
                fix = (edits.replace(name_node, message),)
            yield Finding(rule_id, name_node, {"name": name, "message": message}, edits=fix)


def _explicit(model: FileModel, method: Node, name_node: Node | None) -> bool:
    """`void IFailure.FixedUpdate()`: an explicit interface implementation (its name is
    qualified, so there is a `.` before it; only then are the method's children read)."""
    if name_node is None or not _contains_before(model, method, name_node, b"."):
        return False
    return any(c.type == "explicit_interface_specifier" for c in method.children)


def _contains_before(model: FileModel, node: Node, inner: Node, text: bytes) -> bool:
    return model.data.find(text, node.start_byte, inner.start_byte) >= 0


def _contains(model: FileModel, node: Node, text: bytes) -> bool:
    return model.data.find(text, node.start_byte, node.end_byte) >= 0


def _only_mention(model: FileModel, name: str) -> bool:
    """Whether `name` stands once in the file's code (not counting comments and strings): its
    declaration, called nowhere."""
    raw = name.encode()
    pattern = rb"(?<![\w@])" + re.escape(raw) + rb"(?!\w)"
    count = 0
    for m in re.finditer(pattern, model.data):
        leaf = model.root.descendant_for_byte_range(m.start(), m.end())
        if leaf is not None and leaf.type == "identifier":
            count += 1
    return count == 1


@functools.lru_cache(maxsize=4096)
def _misspelt_message(name: str, message_set: str) -> tuple[str, str] | None:
    """The rule and message for a method name that looks like a misspelt message, if any.

    SPK005: the message in the wrong case; SPK006: one edit away from it (names of 7+ letters).
    """
    messages = tuple(api_index().message_sets.get(message_set, {}))
    lower = _messages_by_lower(messages)
    if name.lower() in lower:
        return "SPK005", lower[name.lower()]
    if len(name) >= 7:
        message = _near_message(name, messages)
        if message is not None:
            return "SPK006", message
    return None


def _check_message(
    model: FileModel,
    info: ClassInfo,
    method: Node,
    name_node: Node,
    spec: dict[str, Any],
    mods: set[str],
) -> Iterator[Finding]:
    name = node_text(name_node)
    accepted = [[str(t) for t in spec.get(key, [])] for key in ("params", "alt_params")]
    got = _param_types(method)
    if got not in accepted[: 1 + ("alt_params" in spec)] and not (spec.get("optional") and not got):
        yield Finding(
            "SPK007",
            method.child_by_field_name("parameters") or name_node,
            {"name": name, "got": ", ".join(got), "want": ", ".join(accepted[0])},
        )
    body = method.child_by_field_name("body")
    if (
        body is not None
        and body.type == "block"
        and not _has_content(model, body)
        and not mods & {"virtual", "abstract"}  # a hook for subclasses, empty on purpose
    ):
        yield Finding("SPK008", name_node, {"name": name}, edits=_removal(model, info, method))
    for dep, since in model.index.deprecated.get(("message", name), ()):
        if model.version >= since:
            yield Finding("SPK021", name_node, _dep_args(model, dep, name))


def _removal(model: FileModel, info: ClassInfo, method: Node) -> tuple[Edit, ...]:
    """Delete an empty message, with the comments right above it that are about it (doc
    comments, or ones naming it: Unity's template's `// Update is called once per frame`).

    Not when it is called anywhere (`base.Start()`, `Start()`), nor when a base class in the
    file may declare it too (the subclass's method hides the base's).
    """
    name = node_text(method.child_by_field_name("name"))
    if not _only_mention(model, name) or any(b in model.by_name for b in info.bases):
        return ()
    start, row = method.start_byte, method.start_point.row
    comment = method.prev_sibling
    data = model.src.data
    while (
        comment is not None
        and comment.type == "comment"
        and comment.end_point.row == row - 1
        and not data[edits.line_start(model, comment.start_byte) : comment.start_byte].strip()
    ):
        text = edits.text(model, comment)
        about = text.startswith("///") or re.search(rf"\b{re.escape(name)}\b", text)
        if not (about or (name == "Start" and "Use this for initialization" in text)):
            break  # (that one is the Start comment of Unity 4 and 5's script template)
        start, row = comment.start_byte, comment.start_point.row
        comment = comment.prev_sibling
    return (edits.remove_lines(model, start, method.end_byte),)


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


def modifiers_of_method(method: Node) -> set[str]:
    return {node_text(c) for c in method.children if c.type == "modifier"}


def _returns_void(method: Node) -> bool:
    returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
    return node_text(returns) == "void"


def _is_event_handler(method: Node) -> bool:
    types = _param_types(method)
    return len(types) == 2 and types[0] in {"object", "Object"} and types[1].endswith("EventArgs")


def _has_content(model: FileModel, body: Node) -> bool:
    """Statements, comments or directives: a body with a comment was left empty on purpose."""
    inner = model.src.data[body.start_byte + 1 : body.end_byte - 1]
    return bool(inner.strip())


def _dep_args(model: FileModel, dep: dict[str, str], api: str) -> dict[str, str]:
    return {
        "api": api,
        "status": f"is obsolete since Unity {dep['since']}",
        "version": model.options.unity_version,
        "replacement": dep["replacement"],
    }
