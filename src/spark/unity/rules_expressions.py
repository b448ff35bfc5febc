"""Unity checks on expressions: per-frame lookups, fake null, creation, coroutines, old APIs.

One tree-sitter query finds every candidate node (calls by name, `?.`, `??`, `is null`, `new`,
static member accesses, deprecated names); the checks below then decide, with the `FileModel`'s
type information, which candidates are real findings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity.rules import FileModel, Finding, node_text, parse_version, simple_type_name
from spark.unity.validator import matches

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


_BASE_QUERY = """
(expression_statement (invocation_expression function: (identifier) @bare) @bare_call)
(conditional_access_expression . (_) @target) @cond
(binary_expression left: (_) @target operator: "??") @coalesce
(assignment_expression left: (_) @target operator: "??=") @coalesce_assign
(is_pattern_expression expression: (_) @target
  pattern: [(constant_pattern (null_literal)) (negated_pattern (constant_pattern (null_literal)))]
) @is_null
(object_creation_expression type: (_) @type) @new
"""
_TAG_QUERY = """
(binary_expression left: (member_access_expression name: (identifier) @tag (#eq? @tag "tag"))
  operator: ["==" "!="] right: (string_literal)) @tag_compare
(binary_expression left: (string_literal) operator: ["==" "!="]
  right: (member_access_expression name: (identifier) @tag (#eq? @tag "tag"))) @tag_compare
"""
_CALL_QUERY = """
(invocation_expression function: [
    (identifier) @fn
    (generic_name . (identifier) @fn)
    (member_access_expression name: [(identifier) @fn (generic_name . (identifier) @fn)])]
  (#any-of? @fn {names})) @call
"""
_STATIC_QUERY = """
(member_access_expression expression: (identifier) @recv (#any-of? @recv {names})
  name: (identifier) @member) @static
"""
_MEMBER_QUERY = """
(member_access_expression expression: (_) @obj
  name: (identifier) @member (#any-of? @member {names})) @member_access
"""
_IDENT_QUERY = "((identifier) @ident (#any-of? @ident {names}))"


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


def _query(model: FileModel) -> str:
    """The query for this file: name-filtered patterns only for names that occur in its text.

    `#any-of?` predicates are checked per candidate node, outside the C matcher, so a pattern
    over every identifier is costly; leaving out names the text never mentions keeps the query
    cheap for the common case.
    """
    data = model.src.data
    parts = [_BASE_QUERY]
    if b".tag" in data or b"tag " in data:
        parts.append(_TAG_QUERY)
    for names, template in zip(
        _name_sets(id(model.api)),
        (_CALL_QUERY, _STATIC_QUERY, _MEMBER_QUERY, _IDENT_QUERY),
        strict=True,
    ):
        present = sorted(n for n in names if n.encode() in data)
        if present:
            parts.append(template.format(names=" ".join(f'"{n}"' for n in present)))
    return "\n".join(parts)


def check_expressions(model: FileModel) -> Iterator[Finding]:
    for match in matches(model.root, _query(model)):
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
