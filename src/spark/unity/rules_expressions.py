"""Unity checks on expressions: per-frame lookups, fake null, creation, coroutines, old APIs.

`check_expressions` finds every candidate node (calls by name, `?.`, `??`, `is null`, `new`,
static member accesses, deprecated names) from its token in the text, confirmed by its place in
the tree, and hands it to the check for its kind, which decides with the `FileModel`'s type
information whether it is a real finding.  Most of a big file's validation time beyond the parse
is spent here, so the text is scanned only for the names that can matter under the options, and
cheap text tests skip the tree lookups that cannot lead to a finding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tree_sitter import Node

from spark.unity.rules import FileModel, Finding, api_index, node_text, simple_type_name

_METHODS = {
    "method_declaration",
    "local_function_statement",
    "lambda_expression",
    "anonymous_method_expression",
    "accessor_declaration",
    "constructor_declaration",
}
_LOOPS = {"while_statement", "for_statement", "foreach_statement", "do_statement"}
_LOOPS_AND_METHODS = _LOOPS | _METHODS
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
    and the names to look for (with the keywords).

    This mirrors the checks below: a deprecated API only counts from its `since` version
    (SPK021), `Input.x` only with the new Input System (SPK022), `Time.x` always (SPK013), and
    the hot-path and string-name calls always (SPK010, SPK014, SPK019).  `Input` is in most
    scripts, and every name found costs a tree lookup.
    """
    index = api_index()

    def deprecated(kind: str, name: str) -> bool:
        return any(version >= since for _, since in index.deprecated.get((kind, name), ()))

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
    return active, frozenset(active) | _KEYWORDS


@functools.lru_cache(maxsize=64)  # a file's own names (coroutines) come and go
def _word_regex(names: frozenset[str]) -> re.Pattern[bytes]:
    """One pattern for all `names`, as a prefix tree (`Find(?:Object(?:OfType)?|...)`).

    The general (slow) scan, for names that are not plain ASCII words; see `_whole_words`.
    No look-behind: the word start is checked by the caller.
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
# The bytes of `\w` in a bytes pattern: what may not follow a name.
_NAME_BYTES = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PLAIN_NAME = re.compile(rb"[0-9_a-zA-Z]+")
# Maps every byte that cannot be part of a plain name to a space, so `split()` gives the words.
_WORDS_ONLY = bytes(b if b in _NAME_BYTES else 0x20 for b in range(256))


def _words(pattern: re.Pattern[bytes], data: bytes) -> Iterator[re.Match[bytes]]:
    """Matches of `pattern` that start a word (the byte before is not part of a name)."""
    for m in pattern.finditer(data):
        start = m.start()
        if start == 0 or (data[start - 1] not in _WORD_BYTES and data[start - 1] < 0x80):
            yield m


def text_words(data: bytes, wanted: frozenset[bytes]) -> frozenset[bytes]:
    """Which of `wanted` occur in `data` as a whole run of `[0-9A-Za-z_]`.

    A cheap first test before looking for each name (see `_whole_words`).
    """
    return wanted.intersection(data.translate(_WORDS_ONLY).split())


@functools.lru_cache(maxsize=64)
def _plain_bytes(names: frozenset[str]) -> frozenset[bytes]:
    """The bytes of those of `names` that are plain ASCII words (the only ones `words` tests)."""
    return frozenset(raw for raw in (name.encode() for name in names) if _PLAIN_NAME.fullmatch(raw))


# Up to this many names, one `bytes.find` pass per name beats one regex pass for all of them.
_MAX_FINDS = 8


@functools.lru_cache(maxsize=64)
def _encoded_names(names: frozenset[str]) -> dict[bytes, str] | None:
    """`names` by their UTF-8 bytes, or None when one is not a plain ASCII word."""
    encoded = {name.encode(): name for name in names}
    return encoded if all(_PLAIN_NAME.fullmatch(raw) for raw in encoded) else None


def _whole_words(
    data: bytes, names: frozenset[str], words: frozenset[bytes]
) -> list[tuple[int, int, str]]:
    r"""(start, end, name) of each of `names` standing as a whole word in `data`, in text order.

    A name counts where the byte before it is not part of a name (nor `@` or non-ASCII) and the
    byte after it is not in `\w`: what `_words(_word_regex(names), data)` finds.  For plain
    ASCII names (all of the API's) the text is searched only for the names in `words`, and, when
    they are few, with one `bytes.find` pass per name: a regex for all of them starts a match at
    every byte in its first-byte set, which holds so many common letters that it is several
    times slower.  A plain name cannot be a prefix of another name found at the same place, so
    the result is the regex's.  Other names (non-ASCII, `@name`, a missing name) keep the regex.
    """
    encoded = _encoded_names(names)
    if encoded is None:
        matches = _words(_word_regex(names), data)
        return [(m.start(), m.end(), m.group().decode()) for m in matches]
    present = [(encoded[raw], raw) for raw in words if raw in encoded]
    if len(present) > _MAX_FINDS:
        matches = _words(_word_regex(frozenset(name for name, _ in present)), data)
        return [(m.start(), m.end(), m.group().decode()) for m in matches]
    found: list[tuple[int, int, str]] = []
    size = len(data)
    for name, raw in present:
        start = data.find(raw)
        while start >= 0:
            end = start + len(raw)
            before = data[start - 1] if start else 0x20
            if (
                before not in _WORD_BYTES
                and before < 0x80
                and (end == size or data[end] not in _NAME_BYTES)
            ):
                found.append((start, end, name))
            start = data.find(raw, start + 1)
    found.sort()
    return found


def _field_is(parent: Node, name: str, node: Node) -> bool:
    child = parent.child_by_field_name(name)
    return child is not None and child.id == node.id


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
    yield from _check_operators(model, root, data)
    coroutines = _coroutines(model, data)
    name_kinds, names = _active_name_kinds(model.version, model.options.input_system)
    wanted = _plain_bytes(names)
    if coroutines[0]:
        wanted |= _plain_bytes(coroutines[0])
    words = text_words(data, wanted)
    if coroutines[0]:
        yield from _check_bare_calls(model, root, data, coroutines, words)
    error_free = not root.has_error
    for start, end, name in _whole_words(data, names, words):
        if error_free and not _may_matter(model, name, data, start, end, name_kinds):
            continue  # no tree lookup for `new Vector3(...)` or a parameter named `velocity`
        node = root.descendant_for_byte_range(start, end)
        parent = node.parent if node is not None else None
        if node is None or parent is None:
            continue
        if name in _KEYWORDS:
            yield from _check_keyword(model, name, node, parent)
        elif node.type == "identifier":
            for kind in name_kinds[name]:
                yield from _check_name(model, kind, node, parent)


_SPACE_BYTES = frozenset(b" \t\r\n\f\v")
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
            type_name in _WAITS or model.is_component_type(type_name) or type_name in model.by_name
        )
    if name_kinds.get(name) == ("member",):
        return _after_member_operator(data, start)
    return True


def _after_member_operator(data: bytes, start: int) -> bool:
    """Whether the name at `start` may be the name of `x.name` or `p->name`, in a tree without
    errors: the token before it is `.` or `->`, unless a comment or directive stands between.

    So: the last byte before it, past ASCII white space, is `.`, `>` or the `/` of `*/`, or is
    on a line with `//` or a directive, or is not ASCII (other white space, which we do not
    skip).
    """
    i = start - 1
    while i >= 0 and data[i] in _SPACE_BYTES:
        i -= 1
    if i < 0:
        return False
    if data[i] in b".>/" or data[i] >= 0x80:
        return True
    line = data[data.rfind(b"\n", 0, i) + 1 : i + 1]
    return b"//" in line or line.lstrip().startswith(b"#")


def _check_operators(model: FileModel, root: Node, data: bytes) -> Iterator[Finding]:
    """`x ?? y`, `x ??= y`, `x?.y` and `x?[i]` on a Unity object."""
    for m in _OPERATORS.finditer(data):
        leaf = root.descendant_for_byte_range(m.start(), m.start() + 1)
        parent = leaf.parent if leaf is not None else None
        if leaf is None or parent is None:
            continue
        kind = leaf.type
        if kind == "??" or kind == "??=":
            target = parent.child_by_field_name("left")
            if kind == "??" and parent.type == "binary_expression" and target is not None:
                yield from _fake_null(model, "SPK016", target, {"op": "??"})
            elif kind == "??=" and parent.type == "assignment_expression" and target is not None:
                yield from _fake_null(model, "SPK016", target, {"op": "??="})
        elif kind == "?" and parent.type == "conditional_access_expression":
            for first in parent.named_children[:1]:
                yield from _fake_null(model, "SPK015", first, {})


def _check_keyword(model: FileModel, word: str, leaf: Node, parent: Node) -> Iterator[Finding]:
    """`new T(...)`, `x is [not] null`, `x.tag == "..."`."""
    if word == "new" and leaf.type == "new":
        type_node = parent.child_by_field_name("type")
        if parent.type == "object_creation_expression" and type_node is not None:
            yield from _check_new(model, parent, type_node)
    elif word == "is" and leaf.type == "is" and parent.type == "is_pattern_expression":
        target = _is_null_target(parent)
        if target is not None:
            pattern = node_text(parent.child_by_field_name("pattern"))
            yield from _fake_null(model, "SPK017", target, {"pattern": f"is {pattern}"})
    elif word == "tag" and leaf.type == "identifier":
        binary = _tag_comparison(leaf, parent)
        if binary is not None:
            yield from _tag_compare(binary)


def _is_null_target(node: Node) -> Node | None:
    """`x` in `x is null` / `x is not null`."""
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
    return target


def _tag_comparison(tag: Node, access: Node) -> Node | None:
    """The comparison in `x.tag == "..."` or `"..." != x.tag`."""
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
        return binary
    return None


def _coroutines(model: FileModel, data: bytes) -> tuple[frozenset[str], frozenset[int]]:
    """Names of the IEnumerator methods of the file's classes, and where those names stand in
    their declarations (never a call)."""
    names: set[str] = set()
    declared_at: set[int] = set()
    if b"IEnumerator" in data:
        for c in model.classes:
            for m in c.methods:
                if _contains(data, m, b"IEnumerator") and _return_type_text(m) == b"IEnumerator":
                    name = m.child_by_field_name("name")
                    names.add(node_text(name))
                    if name is not None:
                        declared_at.add(name.start_byte)
    return frozenset(names), frozenset(declared_at)


def _contains(data: bytes, node: Node, text: bytes) -> bool:
    """Whether `text` is in the node's text: cheaper than reading the node's children."""
    return data.find(text, node.start_byte, node.end_byte) >= 0


def _check_bare_calls(
    model: FileModel,
    root: Node,
    data: bytes,
    coroutines: tuple[frozenset[str], frozenset[int]],
    words: frozenset[bytes],
) -> Iterator[Finding]:
    """`Fade();` as a statement, where Fade is an IEnumerator method of a class in this file."""
    names, declared_at = coroutines
    for start, end, _ in _whole_words(data, names, words):
        if start in declared_at:
            continue  # the method's own name
        node = root.descendant_for_byte_range(start, end)
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
        if parent.type == "member_access_expression" and _field_is(parent, "name", fn):
            fn, parent = parent, parent.parent  # type: ignore[assignment]
            if parent is None:
                return
        if parent.type == "invocation_expression" and _field_is(parent, "function", fn):
            yield from _check_call(model, parent, node_text(node))
    elif kind == "static":
        member = parent.child_by_field_name("name")
        if (
            parent.type == "member_access_expression"
            and _field_is(parent, "expression", node)
            and member is not None
            and member.type == "identifier"
        ):
            yield from _check_static(model, parent, node_text(node), node_text(member))
    elif kind == "member":
        obj = parent.child_by_field_name("expression")
        named = parent.type == "member_access_expression" and _field_is(parent, "name", node)
        if named and obj is not None:
            yield from _check_member(model, parent, obj, node_text(node))
    else:
        yield from _check_identifier(model, node)


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


def _deprecated(model: FileModel, kind: str, name: str) -> dict[str, str] | None:
    for dep, since in model.index.deprecated.get((kind, name), ()):
        if model.version >= since:
            return dep
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
    index = model.index
    # Only the hot-path rules need the enclosing method, which costs a walk up the tree, and only
    # in a file that has an Update-like method at all.
    hot_path = (name in index.lookups or name in index.forces) and model.may_run_per_frame
    method = _unity_method_name(model, call) if hot_path else ""
    receiver = _receiver(call)
    receiver_text = node_text(receiver) if receiver is not None else ""
    # transform.Find searches children only; GameObject.Find searches the whole scene.
    child_find = name == "Find" and receiver_text not in {"", "GameObject"}
    if name in index.lookups and method in index.per_frame and not child_find:
        yield Finding("SPK010", call, {"call": f"{name}", "method": method})
    if name in index.forces and method in {"Update", "LateUpdate"}:
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
    if type_name and model.is_unity_object_type(type_name):
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


_WAITS = frozenset({"WaitForSeconds", "WaitForSecondsRealtime"})


def _check_new(model: FileModel, node: Node, type_node: Node) -> Iterator[Finding]:
    name = simple_type_name(type_node)
    if name in _WAITS:
        scope = model.enclosing(node, _LOOPS_AND_METHODS)
        if scope is not None and scope.type in _LOOPS:
            yield Finding("SPK018", node)
        return
    if name in {"GameObject"} or type_node.type not in {"identifier", "qualified_name"}:
        return
    info = model.by_name.get(name)
    if model.is_component_type(name) and (info is None or info.kind == "component"):
        if name not in model.index.components or "UnityEngine" in model.usings or info:
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
    if findings and not (receiver in model.by_name or _is_local_name(model, node, receiver)):
        yield from findings  # else: a class or variable of the user's that shares the name


def _is_local_name(model: FileModel, node: Node, name: str) -> bool:
    method = _enclosing_method(model, node)
    while method is not None:
        if model.declares(method, name):
            return True
        method = model.enclosing(method, _METHODS)
    cls = model.enclosing_class(node)
    return cls is not None and model.member_type(cls, name) is not None


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
