"""Transform position and rotation set or read one right after the other (SPK026-SPK029:
UNT0022, UNT0032, UNT0036, UNT0037), with their fixes.

`t.position = p; t.rotation = r;` becomes `t.SetPositionAndRotation(p, r);` and
`var p = t.position; var r = t.rotation;` becomes `t.GetPositionAndRotation(out var p, out var r);`
(and the `local` variants), from `[[transform_pairs]]` in unity_api.toml.  Only two statements
next to each other in one block, on the same plain reference (`transform`, a field, `a.b`) known
to be a Transform, count.  The fix is left out when the second value reads the Transform (it
would see the old value once both are set in one call).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import parse_version, unity_api
from spark.unity.checks import on_word
from spark.unity.model import FileModel, node_text
from spark.unity.nodes import field_is, is_simple_reference
from spark.unity.rules import Edit, Finding
from spark.unity.scan import next_byte


@functools.cache
def _pairs() -> dict[str, list[dict[str, Any]]]:
    """Each member of a pair → the pairs it belongs to (with `since` parsed)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for pair in unity_api()["transform_pairs"]:
        entry = {**pair, "since_version": parse_version(pair["since"])}
        for member in pair["members"]:
            found.setdefault(member, []).append(entry)
    return found


def _set_or_read_whole(data: bytes, start: int, end: int) -> bool:
    """`x.rotation = ...` (not `==`) or `... = x.rotation;`, with a position in the statement
    before or after it: the only places a pair can be."""
    after = next_byte(data, end)
    if after == ord("="):
        if next_byte(data, data.index(b"=", end) + 1) == ord("="):
            return False
    elif after != ord(";"):
        return False
    previous = data.rfind(b";", 0, max(0, data.rfind(b";", 0, start)))
    following = data.find(b";", data.find(b";", end) + 1)
    return data.find(b"osition", max(0, previous), following if following >= 0 else len(data)) >= 0


@on_word("rotation", "localRotation", when=_set_or_read_whole)
def check_transform_pair(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """Anchored on the rotation (less common than the position): the pair is this statement
    and the one before it or after it."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    receiver = parent.child_by_field_name("expression")
    if receiver is None or not is_simple_reference(receiver):
        return
    member = node_text(leaf)
    for pair in _pairs()[member]:
        if model.version < pair["since_version"]:
            continue
        step = _set_step if pair["kind"] == "set" else _get_step
        this = step(parent)
        if this is None:
            continue
        position = pair["members"][0]
        after = _partner_step(step, _next_statement(this[0]), receiver, pair, member)
        before = _partner_step(step, _previous_statement(this[0]), receiver, pair, member)
        if (after or before) and model.type_of(receiver) != "Transform":
            return
        if after is not None:
            yield _finding(model, pair, receiver, (member, this), after)
        elif before is not None:
            yield _finding(model, pair, receiver, (position, before[1]), (member, this))


def _partner_step(
    step: Any, statement: Node | None, receiver: Node, pair: dict[str, Any], member: str
) -> tuple[str, tuple[Node, Node, Node]] | None:
    """The other member's step in `statement`, on the same receiver, if that is what it is:
    (the other member, its step)."""
    access = _access_of(statement)
    if access is None:
        return None
    other = next(m for m in pair["members"] if m != member)
    name = access.child_by_field_name("name")
    target = access.child_by_field_name("expression")
    if node_text(name) != other or target is None or not _same(target, receiver):
        return None
    found = step(access)
    return None if found is None else (other, found)


def _access_of(statement: Node | None) -> Node | None:
    """The `x.member` a set step (`x.member = v;`) or get step (`var v = x.member;`) holds."""
    if statement is None:
        return None
    if statement.type == "expression_statement":
        assignment = statement.named_children[0] if statement.named_children else None
        if assignment is None or assignment.type != "assignment_expression":
            return None
        access = assignment.child_by_field_name("left")
    elif statement.type == "local_declaration_statement":
        declaration = statement.named_children[-1] if statement.named_children else None
        declarators = declaration.named_children if declaration is not None else []
        value = declarators[-1].named_children if declarators else []
        access = value[-1] if value else None  # (the step checks it is the declarator's value)
    else:
        return None
    return access if access is not None and access.type == "member_access_expression" else None


def _set_step(access: Node) -> tuple[Node, Node, Node] | None:
    """`t.position = value;` as a statement in a block: (statement, value, the access)."""
    assignment = access.parent
    if assignment is None or assignment.type != "assignment_expression":
        return None
    operator = assignment.child_by_field_name("operator")
    value = assignment.child_by_field_name("right")
    if not field_is(assignment, "left", access) or value is None:
        return None
    if operator is not None and operator.type != "=":
        return None
    statement = assignment.parent
    if statement is None or statement.type != "expression_statement":
        return None
    return (statement, value, access) if _in_block(statement) else None


def _get_step(access: Node) -> tuple[Node, Node, Node] | None:
    """`var p = t.position;` (one variable) as a statement in a block: (statement, the
    declared name, the access)."""
    declarator = access.parent
    if declarator is None or declarator.type != "variable_declarator":
        return None
    name = declarator.child_by_field_name("name")
    declaration = declarator.parent
    statement = declaration.parent if declaration is not None else None
    if name is None or declaration is None or statement is None:
        return None
    declarators = [c for c in declaration.named_children if c.type == "variable_declarator"]
    if statement.type != "local_declaration_statement" or len(declarators) != 1:
        return None
    return (statement, name, access) if _in_block(statement) else None


def _in_block(statement: Node) -> bool:
    return statement.parent is not None and statement.parent.type == "block"


def _next_statement(statement: Node) -> Node | None:
    """The statement right after `statement` (None when a comment stands between)."""
    following = statement.next_named_sibling
    return None if following is None or following.type == "comment" else following


def _previous_statement(statement: Node) -> Node | None:
    """The statement right before `statement` (None when a comment stands between)."""
    preceding = statement.prev_named_sibling
    return None if preceding is None or preceding.type == "comment" else preceding


def _same(a: Node, b: Node) -> bool:
    return re.sub(r"\s+", "", node_text(a)) == re.sub(r"\s+", "", node_text(b))


def _finding(
    model: FileModel,
    pair: dict[str, Any],
    receiver: Node,
    first: tuple[str, tuple[Node, Node, Node]],
    second: tuple[str, tuple[Node, Node, Node]],
) -> Finding:
    """The finding on the first statement, with the fix that makes the two statements one."""
    (first_member, (statement, first_part, _)), (_, (partner, second_part, _)) = first, second
    target = edits.text(model, receiver)
    position_first = first_member == pair["members"][0]
    args = {"target": target, "method": pair["method"], "first": first_member}
    fix: tuple[Edit, ...] = ()
    if pair["kind"] == "set":
        reads = re.search(rf"(?<![\w.]){re.escape(target)}(?!\w)", edits.text(model, second_part))
        values = [edits.text(model, first_part), edits.text(model, second_part)]
        if not position_first:
            values.reverse()
        call = f"{target}.{pair['method']}({values[0]}, {values[1]});"
        fix = () if reads else (edits.replace(statement, call), _remove(model, partner))
    else:
        outs = [_out(model, statement, first_part), _out(model, partner, second_part)]
        if not position_first:
            outs.reverse()
        if all(outs):
            call = f"{target}.{pair['method']}({outs[0]}, {outs[1]});"
            fix = (edits.replace(statement, call), _remove(model, partner))
    return Finding(pair["rule"], statement, args, edits=fix)


def _out(model: FileModel, statement: Node, name: Node) -> str:
    """`out var p` / `out Vector3 p` for the declaration `var p = ...;` ("" when unusual)."""
    declaration = name.parent.parent if name.parent is not None else None
    type_node = declaration.child_by_field_name("type") if declaration is not None else None
    if type_node is None:
        return ""
    type_text = edits.text(model, type_node)
    if type_text not in {"var", "Vector3", "Quaternion"}:
        return ""
    return f"out {type_text} {edits.text(model, name)}"


def _remove(model: FileModel, statement: Node) -> Edit:
    return edits.remove_lines(model, statement.start_byte, statement.end_byte)
