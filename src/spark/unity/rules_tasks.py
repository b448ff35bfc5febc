"""Task-like values misused (SPK058, UNT0048): `return null` from a method that returns a `Task`
or an `Awaitable` without being `async`.  Awaiting a null task throws a NullReferenceException
instead of completing.  In an `async` method `return null` is the result, not the task, and is
fine; `UniTask` and `ValueTask` are structs, so null does not compile there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity.api import unity_api
from spark.unity.checks import on_file
from spark.unity.model import FileModel, node_text, simple_type_name
from spark.unity.nodes import METHODS
from spark.unity.rules import Finding
from spark.unity.rules_messages import modifiers_of_method


@functools.cache
def _task_types() -> dict[str, str]:
    """Each task-like class → the namespace that declares it."""
    return dict(unity_api()["tasks"]["nullable_types"])


def _means(model: FileModel, written: str, type_name: str) -> bool:
    """Whether the return type as written is the task-like class `type_name`: qualified, or its
    namespace imported, and no type of that name declared in the file (a quest `Task`)."""
    namespace = _task_types()[type_name]
    if type_name in model.by_name or type_name in model.other_types:
        return False
    return written.startswith(f"{namespace}.") or namespace in model.usings or model.global_usings


@on_file("Task", "Awaitable")
def check_null_task(model: FileModel) -> Iterator[Finding]:
    data = model.data
    for cls in model.classes:
        for method in cls.methods:
            if data.find(b"null", method.start_byte, method.end_byte) < 0 and (
                data.find(b"default", method.start_byte, method.end_byte) < 0
            ):
                continue
            returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
            type_name = simple_type_name(returns).split("<")[0].rsplit(".", 1)[-1]
            if type_name not in _task_types() or "async" in modifiers_of_method(method):
                continue
            if not _means(model, node_text(returns).replace(" ", ""), type_name):
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
