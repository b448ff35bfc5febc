"""Component and Animator lookups: GetComponent then a null test (SPK025, UNT0026), GetComponent
on the object itself without `[RequireComponent]` (SPK031, UNT0039), and Animator parameters
named by strings (SPK030, UNT0041) — with their fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import parse_version
from spark.unity.checks import on_word
from spark.unity.model import ClassInfo, FileModel, node_text
from spark.unity.nodes import LOOPS, field_is, generic_call, receiver, unity_method_name
from spark.unity.rules import Edit, Finding
from spark.unity.scan import next_byte

# TryGetComponent came with Unity 2019.2.
_TRY_GET_SINCE = parse_version("2019.2")
# Components every GameObject (or UI object) has: requiring them says nothing.
_ALWAYS_THERE = frozenset({"Transform", "RectTransform"})


@on_word("GetComponent", when=lambda data, start, end: next_byte(data, end) == ord("<"))
def check_get_component(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    found = generic_call(leaf)
    if found is None:
        return
    call, type_name = found[0], node_text(found[1])
    yield from _null_tested(model, call, type_name)
    yield from _required(model, call, type_name)


# -- SPK025: GetComponent, then a null test → TryGetComponent ------------------------------------


def _null_tested(model: FileModel, call: Node, type_name: str) -> Iterator[Finding]:
    """`var rb = GetComponent<Rigidbody>(); if (rb != null) ...` (or `== null`, `if (rb)`)."""
    if model.version < _TRY_GET_SINCE:
        return
    declarator = call.parent
    if declarator is None or declarator.type != "variable_declarator":
        return
    declaration, name = declarator.parent, declarator.child_by_field_name("name")
    statement = declaration.parent if declaration is not None else None
    if declaration is None or name is None or statement is None:
        return
    if statement.type != "local_declaration_statement" or statement.parent is None:
        return
    if len([c for c in declaration.named_children if c.type == "variable_declarator"]) != 1:
        return
    test = statement.next_named_sibling
    condition = test.child_by_field_name("condition") if test is not None else None
    if test is None or test.type != "if_statement" or condition is None:
        return
    negated = _null_test(condition, node_text(name))
    if negated is None:
        return
    type_node = declaration.child_by_field_name("type")
    declared = edits.text(model, type_node) if type_node is not None else ""
    fix: tuple[Edit, ...] = ()
    if declared in {"var", type_name} and statement.parent.type == "block":
        owner = receiver(call)
        prefix = f"{edits.text(model, owner)}." if owner is not None else ""
        out = (
            f"<{type_name}>(out var {node_text(name)})"
            if declared == "var"
            else (f"(out {type_name} {node_text(name)})")
        )
        new = f"{'!' if negated else ''}{prefix}TryGetComponent{out}"
        fix = (
            edits.remove_lines(model, statement.start_byte, statement.end_byte),
            edits.replace(condition, new),
        )
    yield Finding("SPK025", statement, {"type": type_name, "name": node_text(name)}, edits=fix)


def _null_test(condition: Node, name: str) -> bool | None:
    """For `name != null` / `name` → False, `name == null` / `!name` → True; else None."""
    text = re.sub(r"\s+", "", node_text(condition))
    if text in {f"{name}!=null", f"null!={name}", name}:
        return False
    if text in {f"{name}==null", f"null=={name}", f"!{name}"}:
        return True
    return None


# -- SPK031: GetComponent on the object itself → [RequireComponent] -----------------------------


def _required(model: FileModel, call: Node, type_name: str) -> Iterator[Finding]:
    """`GetComponent<Rigidbody>()` on this object in a MonoBehaviour without
    `[RequireComponent(typeof(Rigidbody))]` (not in Reset/OnValidate, which fill in optional
    references, and not when the result is tested for null: the component is optional)."""
    owner = receiver(call)
    if owner is not None and node_text(owner) not in {"this", "gameObject", "this.gameObject"}:
        return
    cls = model.enclosing_class(call)
    if cls is None or cls.message_set != "MonoBehaviour" or type_name in _ALWAYS_THERE:
        return
    if not model.is_component_type(type_name) or _requires(model, cls, type_name):
        return
    if unity_method_name(model, call) in {"Reset", "OnValidate"} or _optional(model, call):
        return
    line = edits.line_start(model, cls.node.start_byte)
    fix: tuple[Edit, ...] = ()
    if not model.src.data[line : cls.node.start_byte].strip():
        indent = edits.indent_at(model, cls.node.start_byte)
        attribute = f"{indent}[RequireComponent(typeof({type_name}))]{edits.newline(model, line)}"
        fix = (Edit(line, line, attribute),)
    yield Finding("SPK031", call, {"type": type_name, "class": cls.name}, edits=fix)


def _requires(model: FileModel, cls: ClassInfo, type_name: str) -> bool:
    """Whether the class's attributes already require `type_name`."""
    name = cls.node.child_by_field_name("name")
    head = model.data[cls.node.start_byte : name.start_byte if name is not None else 0]
    typeof = rb"typeof\s*\(\s*(?:\w+\.)*" + re.escape(type_name.encode()) + rb"\s*\)"
    return re.search(rb"RequireComponent\s*\([^)]*" + typeof, head) is not None


def _optional(model: FileModel, call: Node) -> bool:
    """Whether the statement holding `call`, or the next one, tests something for null."""
    statement = call
    while statement.parent is not None and not statement.type.endswith("statement"):
        statement = statement.parent
    following = statement.next_named_sibling
    texts = [node_text(statement)] + ([node_text(following)] if following is not None else [])
    return any(re.search(r"\bnull\b|\?\.|\?\?", text) for text in texts)


# -- SPK030: Animator parameters by name → cached hashes ----------------------------------------

_ANIMATOR_CALLS = (
    "SetBool", "SetFloat", "SetInteger", "SetTrigger", "ResetTrigger", "GetBool", "GetFloat",
    "GetInteger", "Play", "PlayInFixedTime", "CrossFade", "CrossFadeInFixedTime",
)  # fmt: skip
_PLAIN_STRING = re.compile(r'"([^"\\]+)"')


def _string_argument(data: bytes, start: int, end: int) -> bool:
    """`Name("...` (a string literal first): the only calls SPK030 looks at."""
    if next_byte(data, end) != ord("("):
        return False
    return next_byte(data, data.index(b"(", end) + 1) == ord('"')


@on_word(*_ANIMATOR_CALLS, when=_string_argument)
def check_animator_string(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`animator.SetBool("Running", true)` every frame, in a loop, or with a name the class
    uses more than once: Unity hashes the string on every call."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    call = parent.parent
    owner = parent.child_by_field_name("expression")
    if call is None or call.type != "invocation_expression" or owner is None:
        return
    args = call.child_by_field_name("arguments")
    first = next((a for a in args.named_children if a.type == "argument"), None) if args else None
    literal = first.named_children[-1] if first is not None and first.named_children else None
    if literal is None or literal.type != "string_literal":
        return
    text = node_text(literal)
    name = _PLAIN_STRING.fullmatch(text)
    cls = model.enclosing_class(call)
    if name is None or cls is None or model.type_of(owner) != "Animator":
        return
    per_frame = unity_method_name(model, call) in model.index.per_frame
    in_loop = model.enclosing(call, LOOPS) is not None
    repeated = model.data.count(text.encode(), cls.node.start_byte, cls.node.end_byte) > 1
    if not (per_frame or in_loop or repeated):
        return
    field, declare = edits.cached_field(
        model, cls, "int", f"Animator.StringToHash({text})", _hash_name(name.group(1))
    )
    fix = (*declare, edits.replace(literal, field))
    yield Finding("SPK030", literal, {"call": node_text(leaf), "name": name.group(1)}, edits=fix)


def _hash_name(parameter: str) -> str:
    """`"IsRunning"` → `IsRunningHash`, `"Base Layer.jump"` → `BaseLayerJumpHash`."""
    words = re.findall(r"[A-Za-z0-9]+", parameter)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Parameter"
    return ("P" + name if name[0].isdigit() else name) + "Hash"
