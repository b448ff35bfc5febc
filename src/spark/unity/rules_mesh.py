"""A Mesh array property read inside a loop (SPK038, UNT0042): `mesh.vertices` copies the whole
array on every read, so `for (i = 0; i < mesh.vertices.Length; i++) ... mesh.vertices[i]` copies
it twice per iteration — with its fix, which reads it once before the loop.

The fix hoists the read out of the outermost loop (in the method) that neither changes the mesh
nor declares the reference to it: inside that loop the reference may only appear in reads of
the mesh's arrays (`[mesh_arrays]` in unity_api.toml), none of them written to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_word
from spark.unity.model import FileModel, node_text
from spark.unity.nodes import LOOPS, METHODS, field_is, is_simple_reference
from spark.unity.rules import Edit, Finding

_WRITE = r"\s*(?:=(?!=)|\+=|-=|\*=|/=|\+\+|--)"


@functools.cache
def _arrays() -> tuple[frozenset[str], frozenset[str]]:
    table = unity_api()["mesh_arrays"]
    return frozenset(table["names"]), frozenset(table["names"]) | frozenset(table["reads"])


def _member_read(data: bytes, start: int, end: int) -> bool:
    return start > 0 and data[start - 1] == ord(".")


@on_word(*sorted(_arrays()[0]), when=_member_read)
def check_mesh_array_in_loop(model: FileModel, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`mesh.vertices` (normals, uv, triangles, ...) read in the condition, update or body of a
    loop: reported once per loop, mesh and property."""
    if parent.type != "member_access_expression" or not field_is(parent, "name", leaf):
        return
    owner = parent.child_by_field_name("expression")
    above = parent.parent
    if owner is None or not is_simple_reference(owner) or above is None:
        return
    if above.type == "assignment_expression" and field_is(above, "left", parent):
        return  # `mesh.vertices = v;` sets the mesh, it does not copy it
    loops = _loops_around(parent)
    if not loops or model.type_of(owner) != "Mesh" or "Mesh" in model.by_name:
        return  # (a project's own Mesh class has plain array fields)
    member, owner_text = node_text(leaf), edits.text(model, owner)
    hoist = next((loop for loop in reversed(loops) if _can_hoist(model, loop, owner_text)), None)
    group = hoist if hoist is not None else loops[0]
    seen = model.memo.setdefault("SPK038 seen", set())
    key = (group.id, re.sub(r"\s+", "", owner_text), member)
    if key in seen:
        return
    seen.add(key)
    name = _free_name(model, member)
    fix = _hoist(model, hoist, owner_text, member, name) if hoist is not None else ()
    args = {"target": owner_text, "member": member, "name": name}
    yield Finding("SPK038", parent, args, edits=fix)


def _loops_around(node: Node) -> list[Node]:
    """The loops (innermost first) that run `node` again and again, up to its method."""
    found: list[Node] = []
    child, parent = node, node.parent
    while parent is not None and parent.type not in METHODS:
        if parent.type in LOOPS:
            once = (parent.type == "foreach_statement" and field_is(parent, "right", child)) or (
                parent.type == "for_statement" and field_is(parent, "initializer", child)
            )
            if not once:
                found.append(parent)
        child, parent = parent, parent.parent
    return found


def _can_hoist(model: FileModel, loop: Node, owner: str) -> bool:
    """Whether the loop only reads the mesh's arrays through `owner`, writes none of their
    elements, and stands as a statement of a block (where a line can go before it)."""
    if loop.parent is None or loop.parent.type != "block":
        return False
    body = model.src.data[loop.start_byte : loop.end_byte].decode("utf-8", "replace")
    root = re.match(r"(?:this\s*\.\s*)?\w+", owner)
    if root is None:
        return False
    name = root.group(0).rsplit(".", 1)[-1].strip()
    path = r"\s*\.\s*".join(re.escape(part.strip()) for part in owner.split("."))
    reads = "|".join(sorted(_arrays()[1]))
    allowed = re.compile(rf"{path}\s*\.\s*(?:{reads})\b(?!{_WRITE})(?!\s*\[[^\]]*\]{_WRITE})")
    for use in re.finditer(rf"(?<![\w.]){re.escape(name)}\b", body):
        start = use.start()
        if body[max(0, start - 5) : start] == "this." and owner.startswith("this"):
            start -= 5
        if allowed.match(body, start) is None:
            return False
    return True


def _hoist(model: FileModel, loop: Node, owner: str, member: str, name: str) -> tuple[Edit, ...]:
    """`var vertices = mesh.vertices;` before the loop, and the loop's reads replaced by it."""
    data = model.src.data
    line = edits.line_start(model, loop.start_byte)
    if data[line : loop.start_byte].strip():
        return ()
    path = r"\s*\.\s*".join(re.escape(part.strip()) for part in owner.split("."))
    found: list[Edit] = []
    pattern = re.compile(rf"(?<![\w.]){path}\s*\.\s*{re.escape(member)}\b".encode())
    for match in pattern.finditer(data, loop.start_byte, loop.end_byte):
        node = model.root.descendant_for_byte_range(match.start(), match.end())
        if node is None or node.type != "member_access_expression":
            continue  # (in a comment or a string)
        if (node.start_byte, node.end_byte) == match.span():
            found.append(Edit(match.start(), match.end(), name))
    if not found:
        return ()
    indent = edits.indent_at(model, loop.start_byte)
    declaration = f"{indent}var {name} = {owner}.{member};{edits.newline(model, line)}"
    return (Edit(line, line, declaration), *found)


def _free_name(model: FileModel, wanted: str) -> str:
    """`wanted` (or `wanted2`, ...): a name the file does not use on its own (`mesh.vertices`
    does not count) and that no other fix of this run declares."""
    taken: set[str] = model.memo.setdefault("SPK038 names", set())
    name, n = wanted, 1
    while name in taken or re.search(
        rb"(?<![\w@.])" + re.escape(name.encode()) + rb"(?!\w)", model.src.data
    ):
        n += 1
        name = f"{wanted}{n}"
    taken.add(name)
    return name
