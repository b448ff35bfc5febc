"""Opt-in style rules (off unless enabled: `spark validate --enable SPK051`).

SPK051 (UNT0021): a Unity message that is not `protected`.  Unity calls a message whatever its
access; `protected` lets a subclass override it or call `base.Awake()`, where a private message
in a base class is silently hidden by a subclass's own.  Microsoft ships the rule disabled by
default, and so does SPARK: it is a matter of house style, not a bug.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.checks import on_file
from spark.unity.model import ClassInfo, FileModel, node_text
from spark.unity.rules import Edit, Finding
from spark.unity.rules_messages import modifiers_of_method

_ACCESS = ("public", "internal", "private")


@on_file()
def check_protected_messages(model: FileModel) -> Iterator[Finding]:
    if not model.rule_on("SPK051"):
        return
    for cls in model.classes:
        messages = model.messages_of(cls)
        if not messages or "sealed" in cls.modifiers:
            continue  # (protected in a sealed class is a compiler warning)
        related = _has_relatives(model, cls)
        for method in cls.methods:
            name_node = method.child_by_field_name("name")
            name = node_text(name_node)
            if name_node is None or name not in messages or not _has_body(method):
                continue
            if any(c.type == "explicit_interface_specifier" for c in method.children):
                continue
            mods = modifiers_of_method(method)
            if "protected" in mods or "override" in mods:
                continue
            if ("static" in mods) != bool(messages[name].get("static")):
                continue
            access = next((a for a in _ACCESS if a in mods), "")
            fix = () if related else _make_protected(method, access)
            args = {"name": name, "access": access or "private (no access modifier)"}
            yield Finding("SPK051", name_node, args, edits=fix)


def _has_body(method: Node) -> bool:
    return any(c.type in {"block", "arrow_expression_clause"} for c in method.children)


def _has_relatives(model: FileModel, cls: ClassInfo) -> bool:
    """Whether a base class or a subclass of `cls` is in the file: a protected message could
    then hide another one (a compiler warning), so the fix is left to the author."""
    return any(b in model.by_name for b in cls.bases) or any(
        cls.name in other.bases for other in model.classes
    )


def _make_protected(method: Node, access: str) -> tuple[Edit, ...]:
    """`private void Awake()` / `void Awake()` → `protected void Awake()`.  A public or internal
    message is left alone: code elsewhere may call it."""
    if access == "private":
        for child in method.children:
            if child.type == "modifier" and node_text(child) == "private":
                return (edits.replace(child, "protected"),)
        return ()
    if access:
        return ()
    first = next((c for c in method.children if c.type not in {"attribute_list", "comment"}), None)
    return () if first is None else (edits.insert_before(first, "protected "),)
