"""Scalar math before vector math (SPK024, UNT0024), with its fix.

`transform.forward * speed * Time.deltaTime` multiplies a vector twice (three floats each time);
`transform.forward * (speed * Time.deltaTime)` multiplies two floats, then the vector once.  A
product counts when it has exactly one vector factor and at least two number factors, every
factor known to be one or the other (`[vector_math]` in unity_api.toml, and the types of names
and members), and the vector is not already the last factor.  The fix groups the numbers in
parentheses when the vector comes first (every factor keeps its place); otherwise it moves the
vector last, only when every factor is a plain name, member or literal (nothing is evaluated in
another order that could tell).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_token
from spark.unity.model import FileModel, Scope, node_text
from spark.unity.nodes import is_simple_reference
from spark.unity.rules import Edit, Finding


@functools.cache
def _math() -> dict[str, Any]:
    raw = unity_api()["vector_math"]
    return {key: frozenset(value) for key, value in raw.items()}


def _second_factor_sign(data: bytes, start: int, end: int) -> bool:
    """A `*` (not `*=`, `/*`, `*/`, `**`) with another `*` before it in the statement: the
    only place a product of three factors can end.  (Run for every `*` in the file, so it
    looks only at the bytes between this `*` and the one before it.)"""
    if start and data[start - 1] in b"/*":
        return False
    if end < len(data) and data[end] in b"=/*":
        return False
    before = data.rfind(b"*", 0, start)
    return (
        before >= 0
        and data.find(b";", before, start) < 0
        and data.find(b"{", before, start) < 0
        and data.find(b"}", before, start) < 0
    )


@on_token("*", when=_second_factor_sign)
def check_scalar_order(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    if leaf.type != "*" or parent.type != "binary_expression" or _inner_link(parent):
        return
    factors = _factors(parent)
    if len(factors) < 3:
        return
    scope = model.scope_of(parent)  # found once for every name in the product
    last = _kind(model, factors[-1], scope)
    if last != "number":  # the vector last (already right), or an unknown factor
        return
    kinds: list[str] = []
    for factor in factors[:-1]:  # stop at the first factor that rules the product out
        kinds.append(_kind(model, factor, scope))
        if not kinds[-1] or kinds.count("vector") > 1:
            return
    if kinds.count("vector") != 1:
        return
    vector = kinds.index("vector")
    fix: tuple[Edit, ...] = ()
    if vector == 0:
        fix = (edits.insert_before(factors[1], "("), edits.insert_after(factors[-1], ")"))
    elif all(_plain(f) for f in factors):
        numbers = [edits.text(model, f) for i, f in enumerate(factors) if i != vector]
        fix = (edits.replace(parent, " * ".join([*numbers, edits.text(model, factors[vector])])),)
    yield Finding("SPK024", parent, {"vector": node_text(factors[vector])}, edits=fix)


def _is_product(node: Node) -> bool:
    operator = node.child_by_field_name("operator")
    return node.type == "binary_expression" and operator is not None and operator.type == "*"


def _inner_link(node: Node) -> bool:
    """Whether `node` is the left part of a longer product (the check runs on the whole)."""
    if not _is_product(node):
        return True
    above = node.parent
    return (
        above is not None
        and _is_product(above)
        and (left := above.child_by_field_name("left")) is not None
        and left.id == node.id
    )


def _factors(product: Node) -> list[Node]:
    """`a * b * c` (parsed `(a * b) * c`) → [a, b, c]."""
    left, right = product.child_by_field_name("left"), product.child_by_field_name("right")
    if left is None or right is None:
        return []
    return [*(_factors(left) if _is_product(left) else [left]), right]


def _kind(model: FileModel, expr: Node, scope: Scope) -> str:
    """ "vector", "number" or "" (unknown) for one factor."""
    math = _math()
    kind = expr.type
    if kind in {"integer_literal", "real_literal"}:
        return "number"
    if kind == "parenthesized_expression" and expr.named_children:
        return _kind(model, expr.named_children[0], scope)
    if kind == "prefix_unary_expression" and expr.named_children:
        return _kind(model, expr.named_children[-1], scope)
    if kind == "object_creation_expression":
        type_node = expr.child_by_field_name("type")
        return "vector" if node_text(type_node) in math["vector_types"] else ""
    if kind == "invocation_expression":
        return _call_kind(expr)
    if kind == "member_access_expression":
        found = _member_kind(model, expr, scope)
        if found:
            return found
    type_name = model.type_of(expr, scope)
    if type_name in math["vector_types"]:
        return "vector"
    return "number" if type_name in math["scalar_types"] else ""


def _call_kind(call: Node) -> str:
    math = _math()
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "member_access_expression":
        return ""
    owner = node_text(fn.child_by_field_name("expression"))
    name = node_text(fn.child_by_field_name("name"))
    if owner in math["vector_types"] and name in math["vector_functions"]:
        return "vector"
    calls = math["scalar_calls"]
    return "number" if f"{owner}.{name}" in calls or f"{owner}.*" in calls else ""


def _member_kind(model: FileModel, access: Node, scope: Scope) -> str:
    math = _math()
    obj = access.child_by_field_name("expression")
    name = node_text(access.child_by_field_name("name"))
    owner = node_text(obj)
    if owner in math["vector_types"] and name in math["vector_statics"]:
        return "vector"
    if f"{owner}.{name}" in math["scalar_statics"]:
        return "number"
    if obj is not None and _kind(model, obj, scope) == "vector":
        if name in math["vector_members"]:
            return "vector"
        return "number" if name in math["scalar_members"] else ""
    return ""


def _plain(expr: Node) -> bool:
    """A literal, a name or a member chain: reading it in another order changes nothing."""
    if expr.type in {"integer_literal", "real_literal"}:
        return True
    if expr.type == "parenthesized_expression" and expr.named_children:
        return _plain(expr.named_children[0])
    return is_simple_reference(expr)
