"""Unity checks on expressions: the scan that finds their anchors, and the API-name checks.

`check_expressions` finds every candidate node — the operators and words that checks register in
`spark.unity.checks`, calls of the file's coroutines, and the Unity API names this module checks
itself (per-frame lookups and forces, methods named by strings, `Time.fixedDeltaTime`, legacy
`Input`, deprecated APIs) — from its token in the text, confirmed by its place in the tree, and
hands it to its check, which decides with the `FileModel`'s type information whether it is a
real finding.  Most of a big file's validation time beyond the parse is spent here, so the text
is scanned only for the names that can matter under the options, and cheap text tests skip the
tree lookups that cannot lead to a finding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import exists_in
from spark.unity.checks import file_words, find_tokens, token_checks, word_checks
from spark.unity.model import FileModel, node_text, simple_type_name
from spark.unity.nodes import (
    arguments,
    contains,
    field_is,
    in_static_member,
    is_local_name,
    receiver,
    unity_method_name,
)
from spark.unity.rules import Edit, Finding, api_index
from spark.unity.rules_objects import WAITS
from spark.unity.scan import after_member_operator, plain_bytes, text_words, whole_words

_STRING_NAME_CALLS = {
    "StartCoroutine",
    "StopCoroutine",
    "Invoke",
    "InvokeRepeating",
    "CancelInvoke",
    "IsInvoking",
}


@functools.cache
def _name_kinds() -> dict[str, tuple[str, ...]]:
    """Every API name the checks know → what it is: "call", "static", "member" and/or "id"."""
    from spark.unity.rules import unity_api

    api = unity_api()
    hot = api["hot_path"]
    deprecated = api["deprecated"]
    calls = set(hot["lookups"]) | set(hot["forces"]) | _STRING_NAME_CALLS
    calls |= {d["name"] for d in deprecated if d["kind"] == "call"}
    statics = {"Time", api["input"]["legacy_class"]}
    statics |= {r for d in deprecated if d["kind"] == "static" for r in d["receivers"]}
    members = {d["name"] for d in deprecated if d["kind"] == "member"}
    idents = {d["name"] for d in deprecated if d["kind"] in {"type", "shortcut"}}
    # New names of renamed APIs: flagged in a target older than they are.
    renamed = [d for d in deprecated if d.get("introduced") and d.get("rename")]
    calls |= {d["rename"] for d in renamed if d["kind"] == "call"}
    members |= {d["rename"] for d in renamed if d["kind"] == "member"}
    idents |= {d["rename"] for d in renamed if d["kind"] == "type"}
    kinds: dict[str, tuple[str, ...]] = {}
    for names, kind in ((calls, "call"), (statics, "static"), (members, "member"), (idents, "id")):
        for name in names:
            kinds[name] = (*kinds.get(name, ()), kind)
    return kinds


@functools.lru_cache(maxsize=16)
def _active_name_kinds(
    version: tuple[int, ...], input_system: str
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """`_name_kinds()` less the kinds whose check cannot report anything under these options,
    and the names to look for (with the words registered in `spark.unity.checks`).

    This mirrors the checks below: a deprecated API only counts from its `since` version, the
    new name of a renamed one only before it was `introduced` (SPK021), `Input.x` only with
    the new Input System (SPK022), `Time.x` always (SPK013), and the hot-path and string-name
    calls always (SPK010, SPK014, SPK019).  `Input` is in most scripts, and every name found
    costs a tree lookup.
    """
    index = api_index()

    def deprecated(kind: str, name: str) -> bool:
        return any(version >= since for _, since in index.deprecated.get((kind, name), ())) or any(
            not exists_in(version, v) for _, v in index.introduced.get((kind, name), ())
        )

    static_receivers = {"Time"}
    if input_system == "new":
        static_receivers.add(index.legacy_input_class)
    for (kind, _), deps in index.deprecated.items():
        if kind == "static":
            for dep, since in deps:
                if version >= since:
                    static_receivers.update(dep.get("receivers", []))
    calls = index.lookups | index.forces | _STRING_NAME_CALLS
    useful = {
        "call": lambda name: name in calls or deprecated("call", name),
        "static": lambda name: name in static_receivers,
        "member": lambda name: deprecated("member", name),
        "id": lambda name: deprecated("type", name) or deprecated("shortcut", name),
    }
    active: dict[str, tuple[str, ...]] = {}
    for name, kinds in _name_kinds().items():
        kept = tuple(kind for kind in kinds if useful[kind](name))
        if kept:
            active[name] = kept
    return active, frozenset(active) | frozenset(word_checks())


@functools.lru_cache(maxsize=16)
def _wanted_words(names: frozenset[str]) -> frozenset[bytes]:
    """The words to look for in a file: the anchors of the checks, and the words the file-level
    checks wait for."""
    return plain_bytes(names) | file_words()


def check_expressions(model: FileModel) -> Iterator[Finding]:
    """Findings on expressions, found from their tokens in the text rather than by a query.

    Each check is anchored on a token in the source (`??`, `?.`, `is`, `new`, `.tag`, a call of
    one of the file's coroutines, or one of the API names the checks know) and confirmed by its
    place in the tree, so tokens inside strings and comments never count.  This costs a few
    scans of the text plus a lookup per hit, and no query compilation (tens of milliseconds per
    query shape in tree-sitter), which keeps the first validation in a process as fast as the
    next ones.  Findings come operators first, then bare coroutine calls, then names, each in
    text order.
    """
    root = model.root
    data = model.data
    yield from _check_tokens(model, root, data)
    coroutines = _coroutines(model, data)
    name_kinds, names = _active_name_kinds(model.version, model.options.input_system)
    wanted = _wanted_words(names)
    if coroutines[0]:
        wanted |= plain_bytes(coroutines[0])
    words = model.words = text_words(data, wanted)
    if coroutines[0]:
        yield from _check_bare_calls(model, root, data, coroutines, words)
    error_free = not root.has_error
    checks = word_checks()
    for start, end, name in whole_words(data, names, words):
        wanted_checks = [
            c for c, when in checks.get(name, ()) if when is None or when(data, start, end)
        ]
        if not wanted_checks and name not in name_kinds:
            continue  # the text shows that no check registered on the word can match here
        if error_free and not _may_matter(model, name, data, start, end, name_kinds):
            continue  # no tree lookup for `new Vector3(...)` or a parameter named `velocity`
        node = root.descendant_for_byte_range(start, end)
        parent = node.parent if node is not None else None
        if node is None or parent is None:
            continue
        for check in wanted_checks:
            yield from check(model, node, parent)
        if node.type == "identifier":
            for kind in name_kinds.get(name, ()):
                yield from _check_name(model, kind, node, parent)


def _check_tokens(model: FileModel, root: Node, data: bytes) -> Iterator[Finding]:
    """The checks registered on operators, at each occurrence of one in the text."""
    checks = token_checks()
    for start, end, token in find_tokens(data):
        wanted = [c for c, when in checks[token] if when is None or when(data, start, end)]
        if not wanted:
            continue
        leaf = root.descendant_for_byte_range(start, start + 1)
        parent = leaf.parent if leaf is not None else None
        if leaf is None or parent is None:
            continue
        for check in wanted:
            yield from check(model, leaf, parent)


# `new T(`, `new T {`, `new T<`: in a tree without errors, T is the created type's simple name.
_NEW_SIMPLE_TYPE = re.compile(rb"[ \t\r\n]+([A-Za-z_][0-9A-Za-z_]*)[ \t\r\n]*[({<]")


def _may_matter(
    model: FileModel,
    name: str,
    data: bytes,
    start: int,
    end: int,
    name_kinds: dict[str, tuple[str, ...]],
) -> bool:
    """False when the text alone shows that the name found at `start` cannot lead to a finding.

    Only for a tree without errors.  `new T(...)` matters only for the types `_check_new`
    reports on; an API name that is only ever a member (`velocity`) only after `.` or `->`.
    """
    if name == "new":
        created = _NEW_SIMPLE_TYPE.match(data, end)
        if created is None:
            return True
        type_name = created.group(1).decode()
        return (
            type_name in WAITS or model.is_component_type(type_name) or type_name in model.by_name
        )
    if name_kinds.get(name) == ("member",):
        return after_member_operator(data, start)
    return True


def _coroutines(model: FileModel, data: bytes) -> tuple[frozenset[str], frozenset[int]]:
    """Names of the IEnumerator methods of the file's classes, and where those names stand in
    their declarations (never a call)."""
    names: set[str] = set()
    declared_at: set[int] = set()
    if b"IEnumerator" in data:
        for c in model.classes:
            for m in c.methods:
                if contains(data, m, b"IEnumerator") and _return_type_text(m) == b"IEnumerator":
                    name = m.child_by_field_name("name")
                    names.add(node_text(name))
                    if name is not None:
                        declared_at.add(name.start_byte)
    return frozenset(names), frozenset(declared_at)


def _check_bare_calls(
    model: FileModel,
    root: Node,
    data: bytes,
    coroutines: tuple[frozenset[str], frozenset[int]],
    words: frozenset[bytes],
) -> Iterator[Finding]:
    """`Fade();` as a statement, where Fade is an IEnumerator method of a class in this file."""
    names, declared_at = coroutines
    for start, end, _ in whole_words(data, names, words):
        if start in declared_at:
            continue  # the method's own name
        node = root.descendant_for_byte_range(start, end)
        call = node.parent if node is not None else None
        if node is None or call is None or node.type != "identifier":
            continue
        statement = call.parent
        if (
            call.type == "invocation_expression"
            and field_is(call, "function", node)
            and statement is not None
            and statement.type == "expression_statement"
        ):
            yield from _check_bare_call(model, call, node_text(node))


def _return_type_text(method: Node) -> bytes | None:
    returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
    return returns.text if returns is not None else None


def _check_name(model: FileModel, kind: str, node: Node, parent: Node) -> Iterator[Finding]:
    """An API name in its `kind` of place: a call, a static receiver, a member or anywhere."""
    if kind == "call":
        fn = node
        if parent.type == "generic_name" and parent.named_children[0].id == node.id:
            fn, parent = parent, parent.parent  # type: ignore[assignment]
            if parent is None:
                return
        if parent.type == "member_access_expression" and field_is(parent, "name", fn):
            fn, parent = parent, parent.parent  # type: ignore[assignment]
            if parent is None:
                return
        if parent.type == "invocation_expression" and field_is(parent, "function", fn):
            yield from _check_call(model, parent, node_text(node))
    elif kind == "static":
        member = parent.child_by_field_name("name")
        if (
            parent.type == "member_access_expression"
            and field_is(parent, "expression", node)
            and member is not None
            and member.type == "identifier"
        ):
            yield from _check_static(model, parent, node_text(node), node_text(member))
    elif kind == "member":
        obj = parent.child_by_field_name("expression")
        named = parent.type == "member_access_expression" and field_is(parent, "name", node)
        if named and obj is not None:
            yield from _check_member(model, parent, obj, node_text(node))
    else:
        yield from _check_identifier(model, node)


# -- deprecated APIs -----------------------------------------------------------------------------


def _deprecated(model: FileModel, kind: str, name: str) -> dict[str, str] | None:
    for dep, since in model.index.deprecated.get((kind, name), ()):
        if model.version >= since:
            return dep
    return None


def _dep_finding(
    model: FileModel, node: Node, dep: dict[str, str], api: str, fix: tuple[Edit, ...] = ()
) -> Finding:
    args = {
        "api": api,
        "status": f"is obsolete since Unity {dep['since']}",
        "version": model.options.unity_version,
        "replacement": dep["replacement"],
        "fixed": dep.get("rename", dep["replacement"]),
    }
    return Finding("SPK021", node, args, edits=fix)


def _missing(model: FileModel, kind: str, name: str) -> dict[str, Any] | None:
    """The deprecated entry renamed to `name` when the target is older than the new name."""
    for dep, introduced in model.index.introduced.get((kind, name), ()):
        if not exists_in(model.version, introduced):
            return dep
    return None


def _missing_finding(
    model: FileModel, node: Node, dep: dict[str, Any], api: str, fix: tuple[Edit, ...] = ()
) -> Finding:
    """A renamed API's new name used in a target that does not have it yet."""
    args = {
        "api": api,
        "status": "does not exist before Unity " + " / ".join(dep["introduced"]),
        "version": model.options.unity_version,
        "replacement": dep["name"],
        "fixed": dep["name"],
    }
    return Finding("SPK021", node, args, edits=fix)


def _renamed(dep: dict[str, str], name_node: Node | None) -> tuple[Edit, ...]:
    """The fix of an API whose replacement is the same thing under a new name (`rename`)."""
    new_name = dep.get("rename")
    return (edits.replace(name_node, new_name),) if new_name and name_node is not None else ()


# -- calls ---------------------------------------------------------------------------------------


def _check_call(model: FileModel, call: Node, name: str) -> Iterator[Finding]:
    index = model.index
    # Only the hot-path rules need the enclosing method, which costs a walk up the tree, and only
    # in a file that has an Update-like method at all.
    hot_path = (name in index.lookups or name in index.forces) and model.may_run_per_frame
    method = unity_method_name(model, call) if hot_path else ""
    receiver_node = receiver(call)
    receiver_text = node_text(receiver_node) if receiver_node is not None else ""
    # transform.Find searches children only; GameObject.Find searches the whole scene.
    child_find = name == "Find" and receiver_text not in {"", "GameObject"}
    if name in index.lookups and method in index.per_frame and not child_find:
        yield Finding("SPK010", call, {"call": f"{name}", "method": method})
    if name in index.forces and method in {"Update", "LateUpdate"}:
        args = node_text(call.child_by_field_name("arguments"))
        if "Impulse" not in args and "VelocityChange" not in args:
            yield Finding("SPK014", call, {"call": name, "method": method})
    if name in _STRING_NAME_CALLS:
        yield from _check_string_name(model, call, name, receiver_node)
    dep = _deprecated(model, "call", name)
    if dep is not None and receiver_text not in {"Resources"}:
        fn = call.child_by_field_name("function")
        yield _dep_finding(
            model, fn if fn is not None else call, dep, name, _renamed_call(dep, call)
        )
    missing = _missing(model, "call", name)
    if missing is not None and name not in model.by_name:
        fn = call.child_by_field_name("function")
        yield _missing_finding(
            model, fn if fn is not None else call, missing, name, _old_name_call(missing, call)
        )


def _old_name_call(dep: dict[str, Any], call: Node) -> tuple[Edit, ...]:
    """`FindFirstObjectByType<T>()` → `FindObjectOfType<T>()` in a target before it; a call
    with arguments (the sort mode, `includeInactive`) is left to the author."""
    if arguments(call):
        return ()
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_access_expression":
        fn = fn.child_by_field_name("name")
    if fn is not None and fn.type == "generic_name":
        fn = fn.named_children[0] if fn.named_children else None
    return (edits.replace(fn, dep["name"]),) if fn is not None else ()


def _renamed_call(dep: dict[str, str], call: Node) -> tuple[Edit, ...]:
    """`FindObjectOfType<T>()` → `FindFirstObjectByType<T>()`; a call that passes arguments
    the new API takes differently (`includeInactive`) is left to the author."""
    args = arguments(call)
    if args and not (len(args) == 1 and args[0].type == "typeof_expression"):
        return ()
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_access_expression":
        fn = fn.child_by_field_name("name")
    if fn is not None and fn.type == "generic_name":
        fn = fn.named_children[0] if fn.named_children else None
    fix = _renamed(dep, fn)
    extra = dep.get("new_args")
    if fix and extra:
        arg_list = call.child_by_field_name("arguments")
        if args or arg_list is None:
            return ()
        fix = (*fix, edits.replace(arg_list, f"({extra})"))
    return fix


# Names only MonoBehaviour has (UnityEvent and delegates have `Invoke`): on a receiver of a type
# this file does not declare (`hitFx.StartCoroutine("Flash")` with `Hit_FX hitFx`, a
# `GetComponent<Door>()` result), the call is MonoBehaviour's; found by the rebuilt corpus.
_MONOBEHAVIOUR_ONLY_CALLS = frozenset(
    {"StartCoroutine", "StopCoroutine", "InvokeRepeating", "CancelInvoke", "IsInvoking"}
)
_PLAIN_STRING_NAME = re.compile(r'"[A-Za-z_][A-Za-z0-9_]*"')


def _check_string_name(
    model: FileModel, call: Node, name: str, receiver_node: Node | None
) -> Iterator[Finding]:
    """`Invoke("Spawn", 1f)`, `StartCoroutine("Fade")`, `enemy.InvokeRepeating("Fire", 0, 1)`:
    on this component, or on another object known to be a component."""
    args = arguments(call)
    arg = args[0] if args else None
    if (
        arg is None
        or arg.type != "string_literal"
        or not _PLAIN_STRING_NAME.fullmatch(node_text(arg))
    ):
        return
    target = node_text(arg).strip('"')
    owner = model.enclosing_class(call)
    if receiver_node is None or receiver_node.type == "this":
        if owner is None or owner.kind != "component":
            return
        qualifier = ""
    else:
        type_name = model.type_of(receiver_node)
        if not type_name:
            return
        if not model.is_component_type(type_name) and (
            name not in _MONOBEHAVIOUR_ONLY_CALLS or type_name in model.by_name
        ):
            return  # `onHit.Invoke("x")` on a UnityEvent or delegate is not this API
        owner = model.by_name.get(type_name)
        qualifier = f"{type_name}."
    hint = (
        f"Write StartCoroutine({target}()) and keep the Coroutine to stop it."
        if name in {"StartCoroutine", "StopCoroutine"} and not qualifier
        else f"Write {name}(nameof({qualifier}{target}), ...)."
    )
    declared = owner is not None and any(
        node_text(m.child_by_field_name("name")) == target for m in owner.methods
    )
    fix = (edits.replace(arg, f"nameof({qualifier}{target})"),) if declared else ()
    yield Finding("SPK019", arg, {"call": name, "target": target, "fix": hint}, edits=fix)


def _check_bare_call(model: FileModel, call: Node, name: str) -> Iterator[Finding]:
    """`Fade();` where Fade is an IEnumerator method of this class: the coroutine never runs."""
    cls = model.enclosing_class(call)
    if cls is None or cls.kind != "component":
        return
    same_name = [m for m in cls.methods if node_text(m.child_by_field_name("name")) == name]
    # With an overload of another return type we cannot tell which one is called: stay silent.
    if same_name and all(_return_type(m) == "IEnumerator" for m in same_name):
        fix: tuple[Edit, ...] = ()
        if not in_static_member(model, call):
            fix = (edits.replace(call, f"StartCoroutine({edits.text(model, call)})"),)
        yield Finding("SPK020", call, {"name": name}, edits=fix)


def _return_type(method: Node) -> str:
    return simple_type_name(
        method.child_by_field_name("returns") or method.child_by_field_name("type")
    )


# -- statics, members, identifiers ---------------------------------------------------------------


def _check_static(model: FileModel, node: Node, receiver: str, member: str) -> Iterator[Finding]:
    findings: list[Finding] = []
    if receiver == "Time" and member == "fixedDeltaTime":
        method = unity_method_name(model, node)
        parent = node.parent
        assigned = (
            parent is not None
            and parent.type == "assignment_expression"
            and parent.child_by_field_name("left") == node
        )
        if method in {"Update", "LateUpdate"} and not assigned:
            fix = (edits.replace(node.child_by_field_name("name") or node, "deltaTime"),)
            findings.append(Finding("SPK013", node, {"method": method}, edits=fix))
    elif receiver == "Time" and member == "deltaTime":
        method = unity_method_name(model, node)
        if method == "FixedUpdate":
            fix = (edits.replace(node.child_by_field_name("name") or node, "fixedDeltaTime"),)
            findings.append(Finding("SPK032", node, {"method": method}, edits=fix))
    index = model.index
    if (
        receiver == index.legacy_input_class
        and member in index.legacy_input_members
        and model.options.input_system == "new"
    ):
        findings.append(Finding("SPK022", node, {"member": member}))
    dep = _deprecated(model, "static", member)
    if dep is not None and receiver in dep.get("receivers", []):
        findings.append(_dep_finding(model, node, dep, f"{receiver}.{member}"))
    if findings and not (receiver in model.by_name or is_local_name(model, node, receiver)):
        yield from findings  # else: a class or variable of the user's that shares the name


def _check_member(model: FileModel, node: Node, obj: Node, member: str) -> Iterator[Finding]:
    dep = _deprecated(model, "member", member)
    missing = _missing(model, "member", member)
    if dep is None and missing is None:
        return
    type_name = model.type_of(obj)
    name = node.child_by_field_name("name")
    if dep is not None and type_name in dep.get("receivers", []):
        yield _dep_finding(model, name or node, dep, f"{type_name}.{member}", _renamed(dep, name))
    if missing is not None and type_name in missing.get("receivers", []):
        fix = (edits.replace(name, missing["name"]),) if name is not None else ()
        yield _missing_finding(model, name or node, missing, f"{type_name}.{member}", fix)


def _check_identifier(model: FileModel, node: Node) -> Iterator[Finding]:
    name = node_text(node)
    parent = node.parent
    if parent is None:
        return
    dep = _deprecated(model, "type", name)
    missing = _missing(model, "type", name)
    if dep is not None or missing is not None:
        if name in model.by_name or parent.type in {
            "class_declaration",
            "variable_declarator",
            "parameter",
            "method_declaration",
        }:
            return
        if parent.type == "member_access_expression" and parent.child_by_field_name("name") == node:
            return
        if "UnityEngine" not in model.usings and not node_text(parent).startswith("UnityEngine"):
            return
        if dep is not None:
            yield _dep_finding(model, node, dep, name, _renamed(dep, node))
        if missing is not None:
            renamed_back = (edits.replace(node, missing["name"]),)
            yield _missing_finding(model, node, missing, name, renamed_back)
        return
    dep = _deprecated(model, "shortcut", name)
    if dep is None:
        return
    cls = model.enclosing_class(node)
    if cls is None or cls.kind != "component" or cls.unity_base != "MonoBehaviour":
        return
    if any(model.by_name.get(b) is not None for b in cls.bases):
        return  # a base class in this file may declare the field
    access = node
    if parent.type == "member_access_expression":
        if parent.child_by_field_name("name") == node:
            obj = parent.child_by_field_name("expression")
            if obj is None or obj.type != "this":
                return
            access = parent
        elif parent.child_by_field_name("expression") != node:
            return
    elif parent.type not in {
        "argument",
        "binary_expression",
        "assignment_expression",
        "conditional_access_expression",
        "equals_value_clause",
    }:
        return
    if is_local_name(model, node, name):
        return
    around = access.parent
    written = (
        around is not None
        and around.type == "assignment_expression"
        and field_is(around, "left", access)
    )
    fix = () if written else (edits.replace(node, dep["replacement"]),)
    yield _dep_finding(model, node, dep, name, fix)
