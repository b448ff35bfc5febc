"""Unity calls made the costly or the wrong way: allocating physics queries (SPK033, UNT0028), a
key named by a string (SPK037, UNT0025), the component lookups by `typeof` (SPK039, UNT0003) and
`Destroy` of a Transform (SPK042, UNT0030) — with the fixes of the last three.

Each check is anchored on the method's name followed by `(`, confirms in the tree that it is
Unity's method (a bare call in a Unity class that declares no method of that name, or a call on
a Unity type the file does not declare itself), and reads the argument.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_word
from spark.unity.model import ClassInfo, FileModel, node_text, simple_type_name
from spark.unity.nodes import arguments, enclosing_method, field_is
from spark.unity.report import Severity
from spark.unity.rules import Finding
from spark.unity.scan import next_byte

# Expressions that take a `.member` as they are (anything else is put in parentheses first).
_PRIMARY = frozenset(
    {
        "identifier",
        "member_access_expression",
        "invocation_expression",
        "element_access_expression",
        "this",
        "parenthesized_expression",
    }
)


def _called(data: bytes, start: int, end: int) -> bool:
    return next_byte(data, end) == ord("(")


def unity_call(model: FileModel, leaf: Node, parent: Node, owners: frozenset[str]) -> Node | None:
    """The call whose method name is `leaf`, when it is Unity's: `F(...)` in a Unity class that
    declares no `F` of its own, or `Owner.F(...)` for one of `owners` that the file does not
    declare (`Object.Destroy`, `UnityEngine.Object.Destroy`)."""
    name = node_text(leaf)
    if parent.type == "member_access_expression" and field_is(parent, "name", leaf):
        owner = parent.child_by_field_name("expression")
        text = node_text(owner).replace(" ", "").removeprefix("UnityEngine.")
        if (
            owner is None
            or text not in owners
            or text in model.by_name
            or text in model.other_types
        ):
            return None
        function = parent
    elif parent.type == "invocation_expression" and field_is(parent, "function", leaf):
        cls = model.enclosing_class(leaf)
        if cls is None or cls.kind == "other":
            return None
        if name in method_names(model, cls):
            return None
        function = leaf
    else:
        return None
    call = function.parent
    if call is None or call.type != "invocation_expression":
        return None
    return call if field_is(call, "function", function) else None


def method_names(model: FileModel, cls: ClassInfo) -> frozenset[str]:
    """The names of the methods `cls` declares (worked out once per class and file)."""
    key = f"method names {cls.node.id}"
    names = model.memo.get(key)
    if names is None:
        names = frozenset(node_text(m.child_by_field_name("name")) for m in cls.methods)
        model.memo[key] = names
    return names


# -- SPK042: Destroy(transform) → Destroy(transform.gameObject) ----------------------------------

_DESTROY_OWNERS = frozenset({"Object", "GameObject", "MonoBehaviour", "Component", "Behaviour"})
_TRANSFORMS = frozenset({"Transform", "RectTransform"})


def _destroys_other(data: bytes, start: int, end: int) -> bool:
    """`Destroy(` with a first argument that is not plainly a GameObject (`gameObject`,
    `other.gameObject`) or `this`: only those can be a Transform."""
    if next_byte(data, end) != ord("("):
        return False
    open_at = data.index(b"(", end) + 1
    close = data.find(b")", open_at, open_at + 160)
    comma = data.find(b",", open_at, close if close >= 0 else open_at + 160)
    stop = comma if comma >= 0 else close
    if stop < 0:
        return True
    first = data[open_at:stop].strip()
    return not (first.endswith(b"gameObject") or first == b"this")


@on_word("Destroy", "DestroyImmediate", when=_destroys_other)
def check_destroy_transform(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`Destroy(transform)`, `Destroy(child)` for a `Transform child`, `Destroy(t.GetChild(0))`:
    Unity cannot destroy a Transform without its GameObject (it logs an error)."""
    call = unity_call(model, leaf, parent, _DESTROY_OWNERS)
    args = arguments(call) if call is not None else []
    if call is None or not args or not _is_transform(model, args[0]):
        return
    target = args[0]
    text = edits.text(model, target)
    new = f"{text}.gameObject" if target.type in _PRIMARY else f"({text}).gameObject"
    found = {"call": node_text(leaf), "arg": text, "fixed": new}
    yield Finding("SPK042", target, found, edits=(edits.replace(target, new),))


def _is_transform(model: FileModel, expr: Node) -> bool:
    if model.type_of(expr) in _TRANSFORMS or _hit_transform(model, expr):
        return True
    if expr.type != "invocation_expression":
        return False
    function = expr.child_by_field_name("function")
    if function is None or function.type != "member_access_expression":
        return False
    owner = function.child_by_field_name("expression")
    method = node_text(function.child_by_field_name("name"))
    return (
        method in {"GetChild", "Find", "FindChild"}
        and owner is not None
        and model.type_of(owner) in _TRANSFORMS
    )


def _hit_transform(model: FileModel, expr: Node) -> bool:
    """`hit.transform` for a `hit` declared in the method as `out RaycastHit hit` (the file
    model does not type an `out` declaration)."""
    if expr.type != "member_access_expression":
        return False
    owner = expr.child_by_field_name("expression")
    if node_text(expr.child_by_field_name("name")) != "transform" or owner is None:
        return False
    method = enclosing_method(model, expr)
    if owner.type != "identifier" or method is None:
        return False
    declared = rb"\bout\s+RaycastHit(?:2D)?\s+" + re.escape(owner.text or b"") + rb"\b"
    return re.search(declared, model.data[method.start_byte : method.end_byte]) is not None


# -- SPK039: GetComponent(typeof(T)) → GetComponent<T>() -----------------------------------------

_LOOKUPS = (
    "GetComponent", "GetComponentInChildren", "GetComponentInParent", "GetComponents",
    "GetComponentsInChildren", "GetComponentsInParent",
)  # fmt: skip


def _typeof_argument(data: bytes, start: int, end: int) -> bool:
    """`GetComponent(typeof`: the only calls SPK039 looks at."""
    if next_byte(data, end) != ord("("):
        return False
    at = data.index(b"(", end) + 1
    while at < len(data) and data[at] in b" \t\r\n":
        at += 1
    return data.startswith(b"typeof", at)


@on_word(*_LOOKUPS, when=_typeof_argument)
def check_typeof_lookup(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`GetComponent(typeof(Rigidbody))`, usually cast (`as Rigidbody`, `(Rigidbody)...`): the
    generic `GetComponent<Rigidbody>()` is typed and needs no cast."""
    call = _lookup_call(model, leaf, parent)
    args = arguments(call) if call is not None else []
    if call is None or not args or args[0].type != "typeof_expression":
        return
    type_node = args[0].named_children[0] if args[0].named_children else None
    if type_node is None:
        return
    type_text = edits.text(model, type_node)
    function = call.child_by_field_name("function")
    rest = ", ".join(edits.text(model, a) for a in args[1:])
    new = f"{edits.text(model, function) if function else node_text(leaf)}<{type_text}>({rest})"
    replaced = call
    around = call.parent
    if around is not None and around.type in {"as_expression", "cast_expression"}:
        cast = around.child_by_field_name("right" if around.type == "as_expression" else "type")
        if cast is not None and simple_type_name(cast) == simple_type_name(type_node):
            replaced = around
    found = {"call": node_text(leaf), "type": type_text, "fixed": new}
    yield Finding("SPK039", call, found, edits=(edits.replace(replaced, new),))


def _lookup_call(model: FileModel, leaf: Node, parent: Node) -> Node | None:
    """The call of Unity's lookup named `leaf`: on a GameObject or component, or bare in a
    component class that declares no method of that name."""
    if parent.type == "member_access_expression" and field_is(parent, "name", leaf):
        owner = parent.child_by_field_name("expression")
        if owner is None:
            return None
        owner_type = model.type_of(owner)
        if owner_type != "GameObject" and not model.is_component_type(owner_type):
            return None
        function = parent
    elif parent.type == "invocation_expression" and field_is(parent, "function", leaf):
        cls = model.enclosing_class(leaf)
        if cls is None or cls.kind != "component":
            return None
        if node_text(leaf) in method_names(model, cls):
            return None
        function = leaf
    else:
        return None
    call = function.parent
    if call is None or call.type != "invocation_expression":
        return None
    return call if field_is(call, "function", function) else None


# -- SPK037: Input.GetKey("space") → Input.GetKey(KeyCode.Space) ---------------------------------

_KEY_SHAPES = (
    (re.compile(r"[a-z]"), lambda m: m.group(0).upper()),
    (re.compile(r"[0-9]"), lambda m: f"Alpha{m.group(0)}"),
    (re.compile(r"\[([0-9])\]"), lambda m: f"Keypad{m.group(1)}"),
    (re.compile(r"f([1-9]|1[0-5])"), lambda m: f"F{m.group(1)}"),
    (re.compile(r"mouse ([0-6])"), lambda m: f"Mouse{m.group(1)}"),
    (re.compile(r"joystick button ([0-9]|1[0-9])"), lambda m: f"JoystickButton{m.group(1)}"),
    (
        re.compile(r"joystick ([1-8]) button ([0-9]|1[0-9])"),
        lambda m: f"Joystick{m.group(1)}Button{m.group(2)}",
    ),
)


def key_code(name: str) -> str | None:
    """The KeyCode member for Unity's key name `name` ("space" → "Space"), if it is one."""
    named = unity_api()["key_names"].get(name)
    if named is not None:
        return str(named)
    for pattern, code in _KEY_SHAPES:
        match = pattern.fullmatch(name)
        if match is not None:
            return code(match)
    return None


def _string_first(data: bytes, start: int, end: int) -> bool:
    """`GetKey("`: a literal key name."""
    if next_byte(data, end) != ord("("):
        return False
    return next_byte(data, data.index(b"(", end) + 1) == ord('"')


@on_word("GetKey", "GetKeyDown", "GetKeyUp", when=_string_first)
def check_key_by_name(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`Input.GetKey("space")`: the string overload looks the name up on every call and throws
    for a name Unity does not know; `KeyCode.Space` is checked by the compiler."""
    call = unity_call(model, leaf, parent, frozenset({"Input"}))
    args = arguments(call) if call is not None else []
    if call is None or parent.type != "member_access_expression" or len(args) != 1:
        return
    literal = args[0]
    text = node_text(literal)
    if literal.type != "string_literal" or not re.fullmatch(r'"[^"\\]*"', text):
        return
    key = text[1:-1]
    code = key_code(key.strip().lower())
    method = node_text(leaf)
    found = {
        "method": method,
        "key": key,
        "replacement": f"Input.{method}(KeyCode.{code})" if code else f"Input.{method}(KeyCode...)",
        "unknown": ""
        if code
        else "; Unity knows no key of that name and throws an ArgumentException",
    }
    fix = (edits.replace(literal, f"KeyCode.{code}"),) if code else ()
    # A name Unity does not know throws: more than a hint.
    severity: Severity | None = None if code else "warning"
    yield Finding("SPK037", literal, found, severity=severity, edits=fix)


# -- SPK033: allocating physics queries ----------------------------------------------------------


@functools.cache
def _allocating() -> dict[str, dict[str, str]]:
    """Query name → {owner class → the non-allocating call}."""
    found: dict[str, dict[str, str]] = {}
    for owner, queries in unity_api()["allocating_physics"].items():
        for query, replacement in queries.items():
            found.setdefault(query, {})[owner] = replacement
    return found


@on_word(*_allocating(), when=_called)
def check_allocating_query(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`Physics.RaycastAll(...)`, `Physics.OverlapSphere(...)`, `Physics2D.OverlapCircleAll(...)`:
    each call returns a new array (garbage for the collector)."""
    by_owner = _allocating()[node_text(leaf)]
    call = unity_call(model, leaf, parent, frozenset(by_owner))
    if call is None or parent.type != "member_access_expression":
        return
    owner = node_text(parent.child_by_field_name("expression")).replace(" ", "")
    replacement = by_owner[owner.removeprefix("UnityEngine.")]
    found = {"call": f"{owner}.{node_text(leaf)}", "replacement": replacement}
    yield Finding("SPK033", call, found)
