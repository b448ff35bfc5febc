"""Unity checks on expressions: per-frame lookups, fake null, creation, coroutines, old APIs.

`_candidates` finds every candidate node (calls by name, `?.`, `??`, `is null`, `new`, static
member accesses, deprecated names) from its token in the text, confirmed by its place in the tree;
the checks below then decide, with the `FileModel`'s type information, which are real findings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity.rules import FileModel, Finding, node_text, parse_version, simple_type_name

_METHODS = {
    "method_declaration",
    "local_function_statement",
    "lambda_expression",
    "anonymous_method_expression",
    "accessor_declaration",
    "constructor_declaration",
}
_LOOPS = {"while_statement", "for_statement", "foreach_statement", "do_statement"}
_STRING_NAME_CALLS = {
    "StartCoroutine",
    "StopCoroutine",
    "Invoke",
    "InvokeRepeating",
    "CancelInvoke",
    "IsInvoking",
}


Captures = dict[str, list[Node]]


@functools.cache
def _name_sets(api_id: int) -> tuple[frozenset[str], ...]:
    del api_id
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
    return frozenset(calls), frozenset(statics), frozenset(members), frozenset(idents)


@functools.cache
def _word_regex(names: frozenset[str]) -> re.Pattern[bytes]:
    """One pattern for all `names`, as a prefix tree (`Find(?:Object(?:OfType)?|...)`).

    A flat alternation makes `re` try every name at every byte; the tree starts with a set of
    distinct first bytes, which `re` checks in one step, so the scan is about twice as fast.  No
    look-behind either: the word start is checked by the caller.
    """
    trie: dict[int, Any] = {}
    for name in names:
        node = trie
        for byte in name.encode():
            node = node.setdefault(byte, {})
        node[-1] = {}
    return re.compile(rb"(?:" + _trie_pattern(trie) + rb")(?!\w)")


def _trie_pattern(node: dict[int, Any]) -> bytes:
    branches = [
        re.escape(bytes([byte])) + _trie_pattern(child)
        for byte, child in sorted(node.items())
        if byte >= 0
    ]
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + body + b")?" if -1 in node else body


_OPERATORS = re.compile(rb"\?[?.\[]")  # `??`, `??=`, `?.`, `?[`
_KEYWORDS = frozenset({"new", "is", "tag"})
_WORD_BYTES = frozenset(b"0123456789_@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _words(pattern: re.Pattern[bytes], data: bytes) -> Iterator[re.Match[bytes]]:
    """Matches of `pattern` that start a word (the byte before is not part of a name)."""
    for m in pattern.finditer(data):
        start = m.start()
        if start == 0 or (data[start - 1] not in _WORD_BYTES and data[start - 1] < 0x80):
            yield m


def _field_is(parent: Node, name: str, node: Node) -> bool:
    child = parent.child_by_field_name(name)
    return child is not None and child.id == node.id


def _candidates(model: FileModel) -> Iterator[Captures]:
    """The nodes the checks look at, found from their text rather than a tree-sitter query.

    Each candidate is anchored on a token in the source (`??`, `?.`, `is`, `new`, `.tag`, or one
    of the API names the checks know) and confirmed by its place in the tree, so tokens inside
    strings and comments never count.  This costs a regex scan plus a lookup per hit, and no
    query compilation (tens of milliseconds per query shape in tree-sitter), which keeps the
    first validation in a process as fast as the next ones.
    """
    root = model.root
    data = root.text or b""
    for m in _OPERATORS.finditer(data):
        leaf = root.descendant_for_byte_range(m.start(), m.start() + 1)
        parent = leaf.parent if leaf is not None else None
        if leaf is None or parent is None:
            continue
        kind = leaf.type
        target = parent.child_by_field_name("left")
        if kind == "??" and parent.type == "binary_expression" and target is not None:
            yield {"coalesce": [parent], "target": [target]}
        elif kind == "??=" and parent.type == "assignment_expression" and target is not None:
            yield {"coalesce_assign": [parent], "target": [target]}
        elif kind == "?" and parent.type == "conditional_access_expression":
            yield from ({"cond": [parent], "target": [c]} for c in parent.named_children[:1])
    yield from _bare_coroutine_calls(model, root, data)
    # One scan for every name the checks know (a scan per list costs as much as all of them).
    sets = _name_sets(id(model.api))
    kinds = tuple(zip(sets, ("call", "static", "member", "id"), strict=True))
    for m in _words(_word_regex(frozenset().union(*sets, _KEYWORDS)), data):
        node = root.descendant_for_byte_range(m.start(), m.end())
        parent = node.parent if node is not None else None
        if node is None or parent is None:
            continue
        name = m.group().decode()
        if name in _KEYWORDS:
            found = _keyword_candidate(name, node, parent)
            if found is not None:
                yield found
            continue
        if node.type != "identifier":
            continue
        for names, kind in kinds:
            if name in names:
                found = _name_candidate(kind, node, parent)
                if found is not None:
                    yield found


def _keyword_candidate(word: str, leaf: Node, parent: Node) -> Captures | None:
    """`new T(...)`, `x is [not] null`, `x.tag == "..."`."""
    if word == "new" and leaf.type == "new":
        type_node = parent.child_by_field_name("type")
        if parent.type == "object_creation_expression" and type_node is not None:
            return {"new": [parent], "type": [type_node]}
    elif word == "is" and leaf.type == "is" and parent.type == "is_pattern_expression":
        return _is_null(parent)
    elif word == "tag" and leaf.type == "identifier":
        return _tag_compare_candidate(leaf, parent)
    return None


def _is_null(node: Node) -> Captures | None:
    """`x is null` / `x is not null`."""
    target = node.child_by_field_name("expression")
    pattern = node.child_by_field_name("pattern")
    if target is None or pattern is None:
        return None
    if pattern.type == "negated_pattern" and pattern.named_children:
        pattern = pattern.named_children[0]
    if pattern.type != "constant_pattern" or not pattern.named_children:
        return None
    if pattern.named_children[0].type != "null_literal":
        return None
    return {"is_null": [node], "target": [target]}


def _tag_compare_candidate(tag: Node, access: Node) -> Captures | None:
    """`x.tag == "..."` or `"..." != x.tag`."""
    if access.type != "member_access_expression" or not _field_is(access, "name", tag):
        return None
    binary = access.parent
    if binary is None or binary.type != "binary_expression":
        return None
    operator = binary.child_by_field_name("operator")
    if operator is None or operator.type not in {"==", "!="}:
        return None
    left, right = binary.child_by_field_name("left"), binary.child_by_field_name("right")
    if left is None or right is None:
        return None
    if (left.id == access.id and right.type == "string_literal") or (
        right.id == access.id and left.type == "string_literal"
    ):
        return {"tag_compare": [binary], "tag": [tag]}
    return None


def _bare_coroutine_calls(model: FileModel, root: Node, data: bytes) -> Iterator[Captures]:
    """`Fade();` as a statement, where Fade is an IEnumerator method of a class in this file."""
    names = frozenset(
        node_text(m.child_by_field_name("name"))
        for c in model.classes
        for m in c.methods
        if node_text(m.child_by_field_name("returns") or m.child_by_field_name("type"))
        == "IEnumerator"
    )
    if not names:
        return
    for m in _words(_word_regex(names), data):
        node = root.descendant_for_byte_range(m.start(), m.end())
        call = node.parent if node is not None else None
        if node is None or call is None or node.type != "identifier":
            continue
        statement = call.parent
        if (
            call.type == "invocation_expression"
            and _field_is(call, "function", node)
            and statement is not None
            and statement.type == "expression_statement"
        ):
            yield {"bare_call": [call], "bare": [node]}


def _name_candidate(kind: str, node: Node, parent: Node) -> Captures | None:
    if kind == "call":
        fn = node
        if parent.type == "generic_name" and parent.named_children[0].id == node.id:
            fn, parent = parent, parent.parent  # type: ignore[assignment]
            if parent is None:
                return None
        if parent.type == "member_access_expression" and _field_is(parent, "name", fn):
            fn, parent = parent, parent.parent  # type: ignore[assignment]
            if parent is None:
                return None
        if parent.type == "invocation_expression" and _field_is(parent, "function", fn):
            return {"call": [parent], "fn": [node]}
        return None
    if kind == "static":
        member = parent.child_by_field_name("name")
        if (
            parent.type == "member_access_expression"
            and _field_is(parent, "expression", node)
            and member is not None
            and member.type == "identifier"
        ):
            return {"static": [parent], "recv": [node], "member": [member]}
        return None
    if kind == "member":
        obj = parent.child_by_field_name("expression")
        named = parent.type == "member_access_expression" and _field_is(parent, "name", node)
        if named and obj is not None:
            return {"member_access": [parent], "obj": [obj], "member": [node]}
        return None
    return {"ident": [node]}


def check_expressions(model: FileModel) -> Iterator[Finding]:
    for match in _candidates(model):
        if "call" in match:
            yield from _check_call(model, match["call"][0], node_text(match["fn"][0]))
        elif "bare_call" in match:
            yield from _check_bare_call(model, match["bare_call"][0], node_text(match["bare"][0]))
        elif "cond" in match:
            yield from _fake_null(model, "SPK015", match["target"][0], {})
        elif "coalesce" in match:
            yield from _fake_null(model, "SPK016", match["target"][0], {"op": "??"})
        elif "coalesce_assign" in match:
            yield from _fake_null(model, "SPK016", match["target"][0], {"op": "??="})
        elif "is_null" in match:
            node = match["is_null"][0]
            pattern = node_text(node.child_by_field_name("pattern"))
            yield from _fake_null(model, "SPK017", match["target"][0], {"pattern": f"is {pattern}"})
        elif "tag_compare" in match:
            yield from _tag_compare(match["tag_compare"][0])
        elif "new" in match:
            yield from _check_new(model, match["new"][0], match["type"][0])
        elif "static" in match:
            yield from _check_static(
                model,
                match["static"][0],
                node_text(match["recv"][0]),
                node_text(match["member"][0]),
            )
        elif "member_access" in match:
            yield from _check_member(
                model, match["member_access"][0], match["obj"][0], node_text(match["member"][0])
            )
        elif "ident" in match:
            yield from _check_identifier(model, match["ident"][0])


# -- helpers -------------------------------------------------------------------------------------


def _enclosing_method(model: FileModel, node: Node) -> Node | None:
    return model.enclosing(node, _METHODS)


def _unity_method_name(model: FileModel, node: Node) -> str:
    """Name of the Unity-message method directly containing `node` (not via a lambda), or ""."""
    method = _enclosing_method(model, node)
    if method is None or method.type != "method_declaration":
        return ""
    cls = model.enclosing_class(method)
    if cls is None or not cls.receives_messages:
        return ""
    return node_text(method.child_by_field_name("name"))


def _since(model: FileModel, version: str) -> bool:
    return model.version >= parse_version(version)


def _deprecated(model: FileModel, kind: str, name: str) -> dict[str, str] | None:
    for dep in model.api["deprecated"]:
        if dep["kind"] == kind and dep["name"] == name and _since(model, dep["since"]):
            return dep  # type: ignore[no-any-return]
    return None


def _dep_finding(model: FileModel, node: Node, dep: dict[str, str], api: str) -> Finding:
    return Finding(
        "SPK021",
        node,
        {
            "api": api,
            "since": dep["since"],
            "version": model.options.unity_version,
            "replacement": dep["replacement"],
        },
    )


def _receiver(call: Node) -> Node | None:
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_access_expression":
        return fn.child_by_field_name("expression")
    return None


def _first_arg(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    if args is None or not args.named_children:
        return None
    arg = args.named_children[0]
    return arg.named_children[0] if arg.named_children else None


# -- calls ---------------------------------------------------------------------------------------


def _check_call(model: FileModel, call: Node, name: str) -> Iterator[Finding]:
    hot = model.api["hot_path"]
    method = _unity_method_name(model, call)
    receiver = _receiver(call)
    receiver_text = node_text(receiver) if receiver is not None else ""
    # transform.Find searches children only; GameObject.Find searches the whole scene.
    child_find = name == "Find" and receiver_text not in {"", "GameObject"}
    if name in hot["lookups"] and method in hot["per_frame"] and not child_find:
        yield Finding("SPK010", call, {"call": f"{name}", "method": method})
    if name in hot["forces"] and method in {"Update", "LateUpdate"}:
        args = node_text(call.child_by_field_name("arguments"))
        if "Impulse" not in args and "VelocityChange" not in args:
            yield Finding("SPK014", call, {"call": name, "method": method})
    if name in _STRING_NAME_CALLS:
        arg = _first_arg(call)
        cls = model.enclosing_class(call)
        if (
            arg is not None
            and arg.type == "string_literal"
            and cls is not None
            and (cls.kind == "component")
            and receiver_text in {"", "this"}
        ):
            target = node_text(arg).strip('"')
            fix = (
                f"Write StartCoroutine({target}()) and keep the Coroutine to stop it."
                if name in {"StartCoroutine", "StopCoroutine"}
                else f"Write {name}(nameof({target}), ...)."
            )
            yield Finding("SPK019", arg, {"call": name, "target": target, "fix": fix})
    dep = _deprecated(model, "call", name)
    if dep is not None and receiver_text not in {"Resources"}:
        fn = call.child_by_field_name("function")
        yield _dep_finding(model, fn if fn is not None else call, dep, name)


def _check_bare_call(model: FileModel, call: Node, name: str) -> Iterator[Finding]:
    """`Fade();` where Fade is an IEnumerator method of this class: the coroutine never runs."""
    cls = model.enclosing_class(call)
    if cls is None or cls.kind != "component":
        return
    same_name = [m for m in cls.methods if node_text(m.child_by_field_name("name")) == name]
    # With an overload of another return type we cannot tell which one is called: stay silent.
    if same_name and all(_return_type(m) == "IEnumerator" for m in same_name):
        yield Finding("SPK020", call, {"name": name})


def _return_type(method: Node) -> str:
    return simple_type_name(
        method.child_by_field_name("returns") or method.child_by_field_name("type")
    )


# -- fake null -----------------------------------------------------------------------------------


def _fake_null(
    model: FileModel, rule_id: str, target: Node, args: dict[str, str]
) -> Iterator[Finding]:
    type_name = model.type_of(target)
    if type_name and type_name in model.unity_object_types:
        yield Finding(rule_id, target, {**args, "name": node_text(target), "type": type_name})


# -- tag, new, statics, members, identifiers -----------------------------------------------------


def _tag_compare(node: Node) -> Iterator[Finding]:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None:
        return
    access, literal = (left, right) if left.type == "member_access_expression" else (right, left)
    target = access.child_by_field_name("expression")
    yield Finding("SPK009", node, {"target": node_text(target), "tag": node_text(literal)})


def _check_new(model: FileModel, node: Node, type_node: Node) -> Iterator[Finding]:
    name = simple_type_name(type_node)
    if name in {"WaitForSeconds", "WaitForSecondsRealtime"}:
        if model.enclosing(node, _LOOPS | _METHODS) is not None and (
            model.enclosing(node, _LOOPS | _METHODS).type in _LOOPS  # type: ignore[union-attr]
        ):
            yield Finding("SPK018", node)
        return
    if name in {"GameObject"} or type_node.type not in {"identifier", "qualified_name"}:
        return
    info = model.by_name.get(name)
    if name in model.component_types and (info is None or info.kind == "component"):
        if name not in model.api["components"] or "UnityEngine" in model.usings or info:
            yield Finding("SPK011", node, {"type": name})
    elif info is not None and info.kind == "scriptable" and info.unity_base == "ScriptableObject":
        yield Finding("SPK012", node, {"type": name})


def _check_static(model: FileModel, node: Node, receiver: str, member: str) -> Iterator[Finding]:
    findings: list[Finding] = []
    if receiver == "Time" and member == "fixedDeltaTime":
        method = _unity_method_name(model, node)
        parent = node.parent
        assigned = (
            parent is not None
            and parent.type == "assignment_expression"
            and parent.child_by_field_name("left") == node
        )
        if method in {"Update", "LateUpdate"} and not assigned:
            findings.append(Finding("SPK013", node, {"method": method}))
    legacy = model.api["input"]
    if (
        receiver == legacy["legacy_class"]
        and member in legacy["legacy_members"]
        and model.options.input_system == "new"
    ):
        findings.append(Finding("SPK022", node, {"member": member}))
    dep = _deprecated(model, "static", member)
    if dep is not None and receiver in dep.get("receivers", []):
        findings.append(_dep_finding(model, node, dep, f"{receiver}.{member}"))
    if findings and not (receiver in model.by_name or _is_local_name(model, node, receiver)):
        yield from findings  # else: a class or variable of the user's that shares the name


def _is_local_name(model: FileModel, node: Node, name: str) -> bool:
    method = _enclosing_method(model, node)
    while method is not None:
        if name in model.method_locals(method):
            return True
        method = model.enclosing(method, _METHODS)
    cls = model.enclosing_class(node)
    return cls is not None and name in cls.members


def _check_member(model: FileModel, node: Node, obj: Node, member: str) -> Iterator[Finding]:
    dep = _deprecated(model, "member", member)
    if dep is None:
        return
    type_name = model.type_of(obj)
    if type_name in dep.get("receivers", []):
        yield _dep_finding(
            model, node.child_by_field_name("name") or node, dep, f"{type_name}.{member}"
        )


def _check_identifier(model: FileModel, node: Node) -> Iterator[Finding]:
    name = node_text(node)
    parent = node.parent
    if parent is None:
        return
    dep = _deprecated(model, "type", name)
    if dep is not None:
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
        yield _dep_finding(model, node, dep, name)
        return
    dep = _deprecated(model, "shortcut", name)
    if dep is None:
        return
    cls = model.enclosing_class(node)
    if cls is None or cls.kind != "component" or cls.unity_base != "MonoBehaviour":
        return
    if any(model.by_name.get(b) is not None for b in cls.bases):
        return  # a base class in this file may declare the field
    if parent.type == "member_access_expression":
        if parent.child_by_field_name("name") == node:
            obj = parent.child_by_field_name("expression")
            if obj is None or obj.type != "this_expression":
                return
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
    if _is_local_name(model, node, name):
        return
    yield _dep_finding(model, node, dep, name)
