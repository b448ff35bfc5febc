"""Task-like values misused: `return null` from a method that returns a `Task` or an `Awaitable`
without being `async` (SPK058, UNT0048), and a task turned into text where its result was meant
(SPK059, UNT0047).

Awaiting a null task throws a NullReferenceException instead of completing.  In an `async`
method `return null` is the result, not the task, and is fine; `UniTask` and `ValueTask` are
structs, so null does not compile there.  `Debug.Log(LoadAsync())` logs
"System.Threading.Tasks.Task`1[System.Int32]": almost always a missing `await`.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity.api import unity_api
from spark.unity.checks import on_file
from spark.unity.model import ClassInfo, FileModel, node_text, simple_type_name
from spark.unity.nodes import METHODS, arguments, field_is
from spark.unity.rules import Finding
from spark.unity.rules_messages import modifiers_of_method


@functools.cache
def _task_types() -> dict[str, str]:
    """Each task-like class → the namespace that declares it."""
    return dict(unity_api()["tasks"]["nullable_types"])


def _bare(type_name: str) -> str:
    """`System.Threading.Tasks.Task<int>` → `Task`."""
    return type_name.split("<")[0].rsplit(".", 1)[-1]


def _means(model: FileModel, written: str, type_name: str, table: dict[str, str]) -> bool:
    """Whether the type as written is the task-like type `type_name` of `table`: qualified, or
    its namespace imported, and no type of that name declared in the file (a quest `Task`)."""
    namespace = table[type_name]
    if type_name in model.by_name or type_name in model.other_types:
        return False
    return written.startswith(f"{namespace}.") or namespace in model.usings or model.global_usings


def _task_methods(model: FileModel) -> list[tuple[Node, Node, str]]:
    """(method, its return type node, the task-like type) for each method of the file that
    returns a task-like type (`[tasks] awaitable_types`).

    Found from where the type names stand in the text: only a method whose text holds one has
    its return type read from the tree (most methods of a file hold none).
    """
    cached = model.memo.get("tasks:methods")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    data = model.data
    types, _ = _awaitables()
    present = [t.encode() for t in types if model.words is None or t.encode() in model.words]
    positions = sorted(end - len(t) for t in present for end in _word_ends(data, t))
    found: dict[int, tuple[Node, Node, str]] = {}
    for position in positions:
        for cls in model.classes:
            method = _method_at(model, cls, position)
            if method is None or method.id in found:
                continue
            returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
            type_name = _bare(simple_type_name(returns))
            if returns is not None and type_name in types:
                written = node_text(returns).replace(" ", "")
                if _means(model, written, type_name, types):
                    found[method.id] = (method, returns, type_name)
    model.memo["tasks:methods"] = result = sorted(found.values(), key=lambda f: f[0].start_byte)
    return result


def _method_at(model: FileModel, cls: ClassInfo, position: int) -> Node | None:
    """The method of `cls` whose text holds `position` (by bisection of their starts)."""
    key = f"tasks:starts:{cls.node.id}"
    starts = model.memo.get(key)
    if starts is None:
        starts = model.memo[key] = [m.start_byte for m in cls.methods]
    at = bisect.bisect_right(starts, position) - 1
    if at < 0 or position >= cls.methods[at].end_byte:
        return None
    return cls.methods[at]


@on_file("Task", "Awaitable")
def check_null_task(model: FileModel) -> Iterator[Finding]:
    for method, returns, type_name in _task_methods(model):
        if type_name not in _task_types() or "async" in modifiers_of_method(method):
            continue
        for value in _null_results(method):
            args = {"method": node_text(method.child_by_field_name("name")), "type": type_name}
            args["completed"] = _completed(node_text(returns), type_name)
            yield Finding("SPK058", value, args)


def _null_results(method: Node) -> Iterator[Node]:
    """The null values `method` itself returns: `return null;`, `=> null`, `default`, a null
    branch of `c ? null : t` (not those of lambdas and local functions inside it)."""
    for child in method.children:
        if child.type == "arrow_expression_clause" and child.named_children:
            yield from _nulls(child.named_children[-1])
        elif child.type == "block":
            yield from _returns(child, method)


def _returns(node: Node, method: Node) -> Iterator[Node]:
    for child in node.named_children:
        if child.type == "return_statement" and child.named_children:
            yield from _nulls(child.named_children[0])
        elif child.type not in METHODS and child.type != "local_function_statement":
            yield from _returns(child, method)


def _nulls(value: Node) -> Iterator[Node]:
    kind = value.type
    if kind == "null_literal":
        yield value
    elif kind == "default_expression":
        yield value  # `default` and `default(Task)` of a class: null
    elif kind == "parenthesized_expression" and value.named_children:
        yield from _nulls(value.named_children[0])
    elif kind == "conditional_expression":
        for branch in value.named_children[1:]:
            yield from _nulls(branch)


def _completed(written: str, type_name: str) -> str:
    """What to return instead, in the hint."""
    if type_name == "Task":
        return "Task.FromResult(...)" if "<" in written else "Task.CompletedTask"
    return "a finished one"


# -- SPK059: a task-like value turned into text ---------------------------------------------------


@functools.cache
def _awaitables() -> tuple[dict[str, str], frozenset[str]]:
    raw = unity_api()["tasks"]
    return dict(raw["awaitable_types"]), frozenset(raw["text_sinks"])


@on_file("Task", "Awaitable", "UniTask", "ValueTask")
def check_task_as_text(model: FileModel) -> Iterator[Finding]:
    """`Debug.Log(LoadAsync())`, `$"{task}"`, `"x" + task`, `task.ToString()`: the text of the
    task ("System.Threading.Tasks.Task`1[System.Int32]"), not its result — almost always a
    missing `await`.  Found from the names the file types as tasks (its own methods that return
    one, variables declared as one), confirmed by their type and place in the tree."""
    types, _ = _awaitables()
    names = _task_names(model, types)
    if not names:
        return
    data = model.data
    seen: set[int] = set()
    for start, end in sorted(
        (end - len(name), end) for name in names for end in _word_ends(data, name.encode())
    ):
        leaf = model.root.descendant_for_byte_range(start, end)
        if leaf is None or leaf.type != "identifier" or leaf.parent is None:
            continue
        expr = leaf
        if leaf.parent.type == "invocation_expression" and field_is(leaf.parent, "function", leaf):
            expr = leaf.parent
        use = _as_text(model, expr)
        if use is None or use.id in seen:
            continue
        written = model.type_of(expr).replace(" ", "")
        type_name = _bare(written)
        if type_name not in types or not _means(model, written, type_name, types):
            continue
        seen.add(use.id)
        yield Finding("SPK059", use, {"expr": node_text(expr), "type": type_name})


def _task_names(model: FileModel, types: dict[str, str]) -> set[str]:
    """Names the file may type as a task: its methods that return one, and the names declared
    right after a task type or as `var x = F(...)` of such a method (a superset, found with
    `bytes.find`: a pattern for them all would be tried at every byte)."""
    methods = {node_text(m.child_by_field_name("name")) for m, _, _ in _task_methods(model)}
    data = model.data
    names = set(methods)
    for type_name in types:
        if model.words is not None and type_name.encode() not in model.words:
            continue
        for end in _word_ends(data, type_name.encode()):
            declared = _name_after(data, _skip_type_arguments(data, end))
            if declared:
                names.add(declared)
    for method in methods:
        for end in _word_ends(data, method.encode()):
            start = end - len(method)
            before = data[max(0, start - 80) : start].rstrip()
            assigned = _VAR_ASSIGNED.search(before)
            if assigned is not None and data[end : end + 8].lstrip().startswith(b"("):
                names.add(assigned.group(1).decode())
    return names


# `var x =` right before a call: the end of the text before it.
_VAR_ASSIGNED = re.compile(rb"\bvar[ \t]+(\w+)[ \t]*=$")
_NAME_BYTES = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _word_ends(data: bytes, word: bytes) -> Iterator[int]:
    """Where each whole-word occurrence of `word` ends."""
    at = data.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or data[at - 1] not in _NAME_BYTES) and (
            end == len(data) or data[end] not in _NAME_BYTES
        ):
            yield end
        at = data.find(word, end)


def _skip_type_arguments(data: bytes, at: int) -> int:
    """Past `<...>` and `?` after a type name at `at` (nested brackets counted)."""
    if at < len(data) and data[at] == ord("<"):
        depth = 0
        for i in range(at, min(len(data), at + 200)):
            if data[i] == ord("<"):
                depth += 1
            elif data[i] == ord(">"):
                depth -= 1
                if depth == 0:
                    at = i + 1
                    break
            elif data[i] in b";{}()=":
                return at
    return at + 1 if at < len(data) and data[at] == ord("?") else at


def _name_after(data: bytes, at: int) -> str:
    """The name right after white space at `at` (`Task<int> score` → `score`), else ""."""
    start = at
    while start < len(data) and data[start] in b" \t":
        start += 1
    if start == at:
        return ""
    end = start
    while end < len(data) and data[end] in _NAME_BYTES:
        end += 1
    return data[start:end].decode() if end > start else ""


def _as_text(model: FileModel, expr: Node) -> Node | None:
    """The node that turns `expr` into text, if one does: an interpolation hole, `+` with a
    string, a parameterless `ToString()`, or an argument of Debug.Log, string.Format, ..."""
    parent = expr.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "interpolation":
        return parent
    if kind == "binary_expression":
        operator = parent.child_by_field_name("operator")
        sides = (parent.child_by_field_name("left"), parent.child_by_field_name("right"))
        other = [c for c in sides if c is not None and c.id != expr.id]
        if operator is not None and operator.type == "+" and other and other[0].type in _STRINGS:
            return parent
        return None
    if kind == "member_access_expression" and field_is(parent, "expression", expr):
        call = parent.parent
        name = parent.child_by_field_name("name")
        if node_text(name) != "ToString" or call is None or call.type != "invocation_expression":
            return None
        return None if arguments(call) else call
    if kind == "argument":
        call = parent.parent.parent if parent.parent is not None else None
        if call is None or call.type != "invocation_expression":
            return None
        function = call.child_by_field_name("function")
        _, sinks = _awaitables()
        named = node_text(function).replace(" ", "") if function is not None else ""
        return call if named in sinks else None
    return None


_STRINGS = frozenset(
    {
        "string_literal",
        "verbatim_string_literal",
        "interpolated_string_expression",
        "raw_string_literal",
    }
)
