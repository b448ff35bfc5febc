"""The file model the Unity checks share: classes, usings, declared names and their types.

`FileModel` is built once per validated file from the tree (declarations only: namespaces and
type bodies, never statements) and answers the questions the checks ask: what kind of Unity
class encloses a node, what type a name or a simple expression has, which names a method
declares.  Unknown answers are "", and a check that gets one stays silent.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any, Literal

from tree_sitter import Node, Tree

from spark.unity.api import api_index, parse_version, unity_api
from spark.unity.parsing import captures
from spark.unity.report import InputSystem, SourceText


@dataclass(frozen=True)
class RuleOptions:
    """Settings that change what the rules report."""

    file_name: str | None = None
    unity_version: str = "6000.0"
    input_system: InputSystem = "both"
    # Rule ids switched on beyond the defaults (opt-in rules) and switched off.
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()


UnityKind = Literal["component", "scriptable", "other"]


@dataclass
class ClassInfo:
    """A class declared in the file, with what the rules need to know about it."""

    name: str
    node: Node
    bases: list[str]
    modifiers: set[str]
    generic: bool
    nested: bool
    kind: UnityKind = "other"
    unity_base: str = ""
    receives_messages: bool = False
    message_set: str = ""  # the key of its messages in `ApiIndex.message_sets` ("": none)
    methods: list[Node] = field(default_factory=list)
    # The methods' start bytes, in order (`_method_around` finds a method by position with it).
    method_starts: list[int] = field(default_factory=list)
    # Field and property declarations; `FileModel.member_type` reads them when it is asked.
    member_nodes: list[Node] = field(default_factory=list)


# Where names used at one place are declared: enclosing scopes (innermost first) and class.
Scope = tuple[tuple[Node, ...], "ClassInfo | None"]


def node_text(node: Node | None) -> str:
    if node is None:
        return ""
    text = node.text  # each read copies the bytes out of the tree
    return "" if text is None else text.decode("utf-8", "replace")


def simple_type_name(node: Node | None) -> str:
    """`UnityEngine.Rigidbody` → `Rigidbody`, `Rigidbody?` → `Rigidbody`; other shapes → text."""
    if node is None:
        return ""
    if node.type == "nullable_type":
        return simple_type_name(node.named_children[0] if node.named_children else None)
    if node.type in {"qualified_name", "alias_qualified_name"}:
        text = node_text(node)
        if text.startswith(("System.", "global::System.")):
            return text.replace(" ", "")  # `System.Object` is not UnityEngine.Object
        return simple_type_name(node.child_by_field_name("name") or node.named_children[-1])
    if node.type == "generic_name":
        return node_text(node.named_children[0]) if node.named_children else ""
    return node_text(node)


class FileModel:
    """Classes, usings and declared names of one parsed file, shared by all checks."""

    def __init__(self, src: SourceText, tree: Tree, data: bytes, options: RuleOptions) -> None:
        self.src = src
        self.tree = tree
        self.root = tree.root_node
        # The bytes the tree was parsed from (a normalised copy after a re-parse), from the
        # file's first byte: tree offsets index this, never the root node's own text.
        self.data = data
        self.options = options
        # The rules that report anything in this run (see `rule_on`); None: every rule.
        self.rules_on: frozenset[str] | None = None
        # What a check worked out once per file and reuses (keys start with its rule id).
        self.memo: dict[str, Any] = {}
        # The anchor words of the checks that stand in the text (set by the scan that finds
        # them: `spark.unity.rules_expressions.check_expressions`); None until then.
        self.words: frozenset[bytes] | None = None
        self.api = unity_api()
        self.index = api_index()
        self.version = parse_version(options.unity_version)
        self.usings: set[str] = set()
        self.aliases: set[str] = set()
        self.using_count = 0  # every using directive, of any kind
        self.global_usings = False  # C# 10 `global using`: the project may import more elsewhere
        self.namespaces: list[str] = []
        self.other_types: set[str] = set()  # structs, interfaces, enums, delegates
        self._locals: dict[int, dict[str, str]] = {}
        self._params: dict[int, dict[str, str]] = {}
        self._fields_alone: dict[tuple[int, str], str | None] = {}
        self._type_ends: frozenset[int] | None = None  # see `declared_type`
        self._bare: dict[int, bool] = {}
        self._member_types: dict[tuple[int, str], str | None] = {}
        class_nodes: list[tuple[Node, Node | None]] = []
        self._walk_declarations(self.root, class_nodes)
        self.classes = [self._class_info(node, body) for node, body in class_nodes]
        self.by_name = {c.name: c for c in self.classes}
        self._classify()
        self._unity_class_names = frozenset(c.name for c in self.classes if c.kind != "other")
        self._component_class_names = frozenset(
            c.name for c in self.classes if c.kind == "component"
        )
        self._may_run_per_frame: bool | None = None
        self._class_by_node: dict[int, ClassInfo] = {}
        for info in self.classes:
            self._class_by_node.setdefault(info.node.id, info)

    def _walk_declarations(self, node: Node, classes: list[tuple[Node, Node | None]]) -> None:
        """Visit namespaces and type bodies only (never statements): cheap even on big files.

        Collects each class with its body (the same node object, whose children tree-sitter has
        then already listed for `_class_info`).
        """
        for child in node.named_children:
            kind = child.type
            if kind not in _DECLARATION_KINDS:
                continue  # methods, fields, ...: nothing to collect
            if kind == "using_directive":
                self._add_using(child)
            elif kind in {"namespace_declaration", "file_scoped_namespace_declaration"}:
                self.namespaces.append(node_text(child.child_by_field_name("name")))
                self._walk_declarations(child, classes)
            elif kind == "declaration_list":
                self._walk_declarations(child, classes)
            elif kind in {
                "class_declaration",
                "struct_declaration",
                "record_declaration",
                "interface_declaration",
            }:
                body = child.child_by_field_name("body")
                if kind == "class_declaration":
                    classes.append((child, body))
                else:
                    self.other_types.add(node_text(child.child_by_field_name("name")))
                if body is not None:
                    self._walk_declarations(body, classes)
            elif kind in {"enum_declaration", "delegate_declaration"}:
                self.other_types.add(node_text(child.child_by_field_name("name")))
            elif kind in {"preproc_if", "preproc_else", "preproc_elif", "preproc_region"}:
                self._walk_declarations(child, classes)

    def _add_using(self, using: Node) -> None:
        self.using_count += 1
        static = False
        for child in using.children:
            if child.type == "global":
                self.global_usings = True
            elif child.type == "static":
                static = True
        alias = using.child_by_field_name("name")
        if alias is not None:
            self.aliases.add(node_text(alias))
        elif not static:
            named = using.named_children
            self.usings.add(node_text(named[-1]).replace(" ", "") if named else "")

    def _class_info(self, node: Node, body: Node | None) -> ClassInfo:
        bases: list[str] = []
        modifiers: set[str] = set()
        generic = False
        for child in node.children:
            kind = child.type
            if kind == "base_list":
                for base in child.named_children:
                    if base.type == "primary_constructor_base_type":
                        base = base.named_children[0] if base.named_children else base
                    bases.append(simple_type_name(base))
            elif kind == "modifier":
                modifiers.add(node_text(child))
            elif kind == "type_parameter_list":
                generic = True
        info = ClassInfo(
            name=node_text(node.child_by_field_name("name")),
            node=node,
            bases=bases,
            modifiers=modifiers,
            generic=generic,
            nested=self.enclosing(node, ("class_declaration", "struct_declaration")) is not None,
        )
        for member in _members(body):
            kind = member.type
            if kind == "method_declaration":
                info.methods.append(member)
            elif kind in {"field_declaration", "property_declaration"}:
                info.member_nodes.append(member)
        return info

    def _classify(self) -> None:
        components = self.index.component_bases
        scriptables = self.index.scriptable_bases
        changed = True
        while changed:  # follow in-file inheritance: `class Boss : Enemy`, `Enemy : MonoBehaviour`
            changed = False
            for info in self.classes:
                if info.kind != "other":
                    continue
                for base in info.bases:
                    parent = self.by_name.get(base)
                    if base in components or (parent is not None and parent.kind == "component"):
                        info.kind = "component"
                    elif base in scriptables or (
                        parent is not None and parent.kind == "scriptable"
                    ):
                        info.kind = "scriptable"
                    else:
                        continue
                    info.unity_base = base if parent is None else parent.unity_base
                    info.message_set = self._message_set(info)
                    info.receives_messages = bool(info.message_set)
                    changed = True
                    break

    def _message_set(self, info: ClassInfo) -> str:
        """Which messages Unity sends the class: those of its Unity base, if it has any."""
        if info.unity_base in self.index.message_bases:
            return "MonoBehaviour"
        if info.unity_base in self.index.message_sets:
            return info.unity_base
        return "ScriptableObject" if info.kind == "scriptable" else ""

    def messages_of(self, info: ClassInfo) -> dict[str, dict[str, Any]]:
        """The messages Unity sends `info` by name, with their specs (see unity_api.toml)."""
        return self.index.message_sets.get(info.message_set, {})

    # -- queries the checks share -------------------------------------------------------------
    def rule_on(self, rule_id: str) -> bool:
        """Whether `rule_id` reports in this run (an opt-in rule only when enabled): a check of
        a rule that is off can return at once."""
        return self.rules_on is None or rule_id in self.rules_on

    def is_unity_object_type(self, name: str) -> bool:
        """Whether `name` derives from UnityEngine.Object: an engine type or a Unity class here."""
        if name in self._unity_class_names:
            return True
        return name in self.index.unity_objects and not self._ui_toolkit_element(name)

    def is_component_type(self, name: str) -> bool:
        """Whether `name` is a component: an engine one or a component class of this file."""
        if name in self._component_class_names:
            return True
        return name in self.index.components and not self._ui_toolkit_element(name)

    def _ui_toolkit_element(self, name: str) -> bool:
        """Whether the engine name `name` means UI Toolkit's element here (`Button` in a file
        that imports UnityEngine.UIElements and not UnityEngine.UI), not a uGUI component."""
        return (
            name in self.index.ui_toolkit_names
            and "UnityEngine.UIElements" in self.usings
            and "UnityEngine.UI" not in self.usings
        )

    @property
    def may_run_per_frame(self) -> bool:
        """Whether a method here may be a per-frame message (False: no such name in the text)."""
        if self._may_run_per_frame is None:
            needles = self.index.per_frame_needles
            self._may_run_per_frame = any(needle in self.data for needle in needles)
        return self._may_run_per_frame

    def enclosing(self, node: Node, types: Container[str]) -> Node | None:
        parent = node.parent
        while parent is not None:
            if parent.type in types:
                return parent
            parent = parent.parent
        return None

    def enclosing_class(self, node: Node) -> ClassInfo | None:
        """The innermost class around `node` (not `node` itself).

        Found from the classes' byte ranges: walking up the tree costs a walk down from the
        root for every step.
        """
        start, end, found = node.start_byte, node.end_byte, None
        for info in self.classes:
            outer = info.node
            around = outer.start_byte <= start and end <= outer.end_byte and outer.id != node.id
            if around and (found is None or outer.start_byte >= found.node.start_byte):
                found = info
        return found

    def method_locals(self, method: Node) -> dict[str, str]:
        """Parameter and local variable names of a method → their simple type names."""
        cached = self._locals.get(method.id)
        if cached is not None:
            return cached
        names: dict[str, str] = {}
        found = captures(method, _LOCALS_QUERY)
        # In source order, so that a name declared twice (invalid, but models write it) always
        # takes its last declaration's type; the query's own order varies between runs.
        for nodes in found.values():
            nodes.sort(key=lambda node: node.start_byte)
        for param in found.get("param", []):
            names[node_text(param.child_by_field_name("name"))] = simple_type_name(
                param.child_by_field_name("type")
            )
        for decl in found.get("decl", []):
            type_node = decl.child_by_field_name("type")
            type_name = simple_type_name(type_node)
            for var in decl.named_children:
                if var.type != "variable_declarator":
                    continue
                name = node_text(var.child_by_field_name("name"))
                if type_node is not None and type_node.type == "implicit_type":
                    names[name] = _inferred_type(var) or self._own_call_type(var)
                else:
                    names[name] = type_name
        for loop in found.get("foreach", []):  # `foreach (Transform child in ...)`
            left, type_node = loop.child_by_field_name("left"), loop.child_by_field_name("type")
            if left is not None and left.type == "identifier":
                typed = type_node is not None and type_node.type != "implicit_type"
                names[node_text(left)] = simple_type_name(type_node) if typed else ""
        for other in found.get("other", []):
            names.setdefault(node_text(other), "")
        self._locals[method.id] = names
        return names

    def declares(self, scope: Node, name: str) -> bool:
        """Whether `name`, used inside `scope` (a method, lambda, ...), is declared by it."""
        return self.declared_type(scope, name) is not None

    def declared_type(self, scope: Node, name: str) -> str | None:
        """The type of `name` where `scope` declares it (a parameter or local), else None.

        That is, `method_locals(scope).get(name)`, answered without the tree query that collects
        the scope's names whenever the text shows enough: the declaration and the use are two
        occurrences of the name; a parameter is in the parameter list; and a local is declared
        after a type (`Vector3 v`, `var v`, `List<int> v`, `out var v`, `is Foo v`) unless the
        scope has a lambda or a deconstruction, whose names stand alone.
        """
        start, end = scope.start_byte, scope.end_byte
        raw = name.encode()
        if not name or self.data.count(raw, start, end) < 2:
            return None
        params = self._parameters(scope)
        if name in params:
            return params[name]
        bare = self._bare.get(scope.id)
        if bare is None:  # lambdas or deconstructions in the scope: names that follow no type
            bare = self._bare[scope.id] = _has_bare_declarations(self.data, start, end)
        if self._type_ends is None:
            self._type_ends = _UNSAFE_TYPE_ENDS if b"unsafe" in self.data else _TYPE_ENDS
        if not bare and not _after_a_type(self.data, raw, start, end, self._type_ends):
            return None
        return self.method_locals(scope).get(name)

    def _parameters(self, scope: Node) -> dict[str, str]:
        """The parameters of a method, local function or constructor → their type names."""
        found = self._params.get(scope.id)
        if found is None:
            found = {}
            params = scope.child_by_field_name("parameters")
            if params is not None and params.type == "parameter_list":
                for param in params.named_children:
                    if param.type == "parameter":
                        name = node_text(param.child_by_field_name("name"))
                        found[name] = simple_type_name(param.child_by_field_name("type"))
            self._params[scope.id] = found
        return found

    def type_of(self, expr: Node, scope: Scope | None = None) -> str:
        """Best-effort static type of a simple expression; "" when unknown.

        Knows names (locals, parameters, fields, properties), `this.x`, members of engine
        types (`other.gameObject`, `hit.collider`), generic lookups (`GetComponent<T>()`) and
        calls of the class's own methods.  `scope` is `scope_of(expr)` when the caller asks about
        several expressions of one place (it saves a walk up the tree for each name).
        """
        if expr.type == "parenthesized_expression" and expr.named_children:
            return self.type_of(expr.named_children[0], scope)
        if expr.type == "member_access_expression":
            obj = expr.child_by_field_name("expression")
            name_node = expr.child_by_field_name("name")
            if obj is None or name_node is None:
                return ""
            if obj.type == "this":
                return self._member_type(self.enclosing_class(name_node), node_text(name_node))
            return self.member_of(self.type_of(obj, scope), node_text(name_node))
        if expr.type == "invocation_expression":
            return _generic_lookup_type(expr) or self._call_type(expr)
        if expr.type != "identifier":
            return ""
        name = node_text(expr)
        scopes, cls = scope if scope is not None else self.scope_of(expr)
        if cls is not None:
            field_type = self._undeclared_field(cls, name)
            if field_type is not None:
                return field_type  # no method of the class declares the name: it is the field
        for number, method in enumerate(scopes):
            if number == 0 or method.type in _OUTER_SCOPES:
                declared = self.declared_type(method, name)
                if declared is not None:
                    return declared
        return self._member_type(cls, name)

    def scope_of(self, node: Node) -> Scope:
        """The scopes a name used at `node` may be declared in (the innermost method, lambda,
        accessor... first) and the enclosing class.

        Walking up the tree costs a walk down from the root per step, so the usual case — a
        node in a method body with no lambda or anonymous method before it — is answered from
        the byte ranges of the file's classes and methods instead.
        """
        start, end = node.start_byte, node.end_byte
        inner = self.enclosing_class(node)
        if inner is not None:
            method = _method_around(inner, start, end)
            if method is not None:
                data, begin = self.data, method.start_byte
                if data.find(b"=>", begin, start) < 0 and data.find(b"delegate", begin, start) < 0:
                    return (method,), inner
        scopes: list[Node] = []
        cls_node = None
        ancestor = node.parent
        while ancestor is not None:
            kind = ancestor.type
            if kind in _SCOPES:
                scopes.append(ancestor)
            elif kind == "class_declaration" and cls_node is None:
                cls_node = ancestor
            ancestor = ancestor.parent
        cls = None if cls_node is None else self._class_by_node.get(cls_node.id)
        return tuple(scopes), cls

    def _undeclared_field(self, cls: ClassInfo, name: str) -> str | None:
        """The type of the field or property `name` of `cls` when nothing else in the class
        declares that name (no parameter, local, lambda parameter...), else None.

        Then every use of the name in the class is the field, and `type_of` needs no look at
        the scopes around a use: one look at the class's text per name and file.
        """
        key = (cls.node.id, name)
        if key in self._fields_alone:
            return self._fields_alone[key]
        found = self.member_type(cls, name)
        if found is not None:
            start, end, raw = cls.node.start_byte, cls.node.end_byte, name.encode()
            if self._type_ends is None:
                self._type_ends = _UNSAFE_TYPE_ENDS if b"unsafe" in self.data else _TYPE_ENDS
            declarations, bare = _declarations_and_bare_uses(
                self.data, raw, start, end, self._type_ends
            )
            # Its own declaration is one; a name followed by `=>`, `,` or `)` may be a lambda
            # parameter or in a deconstruction (or an argument: then the slow way is taken).
            if declarations != 1 or bare:
                found = None
        self._fields_alone[key] = found
        return found

    def member_type(self, cls: ClassInfo, name: str) -> str | None:
        """The type of the field or property `name` of `cls` (the last declared), else None."""
        key = (cls.node.id, name)
        if key not in self._member_types:
            raw = name.encode()
            found = None
            for member in cls.member_nodes:
                # Most classes have many members and few lookups: read only the declarations
                # whose text holds the name at all.
                if self.data.find(raw, member.start_byte, member.end_byte) >= 0:
                    for declared, type_name in _declared_members(member):
                        if declared == name:
                            found = type_name
            self._member_types[key] = found
        return self._member_types[key]

    def member_of(self, type_name: str, member: str) -> str:
        """The type of `member` of a value of `type_name` ("" when unknown)."""
        if not type_name:
            return ""
        tables = self.index.member_types
        found = tables.get(type_name, {}).get(member)
        if found is None and self.is_component_type(type_name):
            found = tables["Component"].get(member)
        if found is not None:
            return found
        cls = self.by_name.get(type_name)
        if cls is not None:
            return self._member_type(cls, member)
        return ""

    def _own_call_type(self, declarator: Node) -> str:
        """For `var x = F(...)`: the return type of the class's own method F, if it has one."""
        value = declarator.named_children[-1] if declarator.named_children else None
        return (
            self._call_type(value)
            if value is not None and value.type == "invocation_expression"
            else ""
        )

    def _call_type(self, call: Node) -> str:
        """The return type of a call of one of the enclosing class's own methods, `F()` or
        `this.F()`, when every method of that name returns the same type."""
        fn = call.child_by_field_name("function")
        if fn is not None and fn.type == "member_access_expression":
            obj = fn.child_by_field_name("expression")
            fn = fn.child_by_field_name("name") if obj and obj.type == "this" else None
        if fn is None or fn.type != "identifier":
            return ""
        cls = self.enclosing_class(call)
        name = node_text(fn)
        returns = {
            simple_type_name(m.child_by_field_name("returns") or m.child_by_field_name("type"))
            for m in (cls.methods if cls is not None else [])
            if node_text(m.child_by_field_name("name")) == name
        }
        return returns.pop() if len(returns) == 1 else ""

    def _member_type(self, cls: ClassInfo | None, name: str) -> str:
        if cls is None:
            return ""
        member = self.member_type(cls, name)
        if member is not None:
            return member
        return (
            {"gameObject": "GameObject", "transform": "Transform"}.get(name, "")
            if (cls.kind == "component")
            else ""
        )


_DECLARATION_KINDS = frozenset(
    {
        "using_directive",
        "namespace_declaration",
        "file_scoped_namespace_declaration",
        "declaration_list",
        "class_declaration",
        "struct_declaration",
        "record_declaration",
        "interface_declaration",
        "enum_declaration",
        "delegate_declaration",
        "preproc_if",
        "preproc_else",
        "preproc_elif",
        "preproc_region",
    }
)


def _method_around(info: ClassInfo, start: int, end: int) -> Node | None:
    """The method of `info` whose text holds `start:end`, by bisection of its methods' starts."""
    if len(info.method_starts) != len(info.methods):  # (the methods are in source order)
        info.method_starts = [m.start_byte for m in info.methods]
    at = bisect.bisect_right(info.method_starts, start) - 1
    if at < 0:
        return None
    method = info.methods[at]
    return method if end <= method.end_byte else None


def _declared_members(member: Node) -> list[tuple[str, str]]:
    """(name, type name) of each field or property a member declaration declares."""
    if member.type == "property_declaration":
        name = node_text(member.child_by_field_name("name"))
        return [(name, simple_type_name(member.child_by_field_name("type")))]
    for decl in member.named_children:
        if decl.type == "variable_declaration":
            type_name = simple_type_name(decl.child_by_field_name("type"))
            return [
                (node_text(var.child_by_field_name("name")), type_name)
                for var in decl.named_children
                if var.type == "variable_declarator"
            ]
    return []


def _members(body: Node | None) -> list[Node]:
    """Members of a type body, including those inside `#if` / `#region` blocks."""
    found: list[Node] = []
    for member in body.named_children if body is not None else []:
        if member.type.startswith("preproc_"):
            found.extend(_members(member))
        else:
            found.append(member)
    return found


# Where a name used in an expression may be declared: the innermost of _SCOPES, then outwards.
_SCOPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "accessor_declaration",
        "local_function_statement",
        "lambda_expression",
    }
)
_OUTER_SCOPES = frozenset({"method_declaration", "local_function_statement", "lambda_expression"})

# Declarations whose names do not follow a type: lambda parameters, deconstructions.  (Found
# with `bytes.find` and literal-led patterns: a pattern that starts with a character class is
# tried at every byte, several times slower.)
_DECONSTRUCTION = re.compile(rb"var\s*\(")
# What may end a type right before a declared name: `int x`, `List<T> x`, `T[] x`, `T? x`,
# `(int, int) x`, `is Foo { } x`, and in unsafe code `T* x` (elsewhere `a * x` is a product).
_TYPE_ENDS = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ>]?)}")
_UNSAFE_TYPE_ENDS = _TYPE_ENDS | {ord("*")}


def _has_bare_declarations(data: bytes, start: int, end: int) -> bool:
    return (
        data.find(b"=>", start, end) >= 0
        or data.find(b"delegate", start, end) >= 0
        or _DECONSTRUCTION.search(data, start, end) is not None
    )


def _after_a_type(data: bytes, name: bytes, start: int, end: int, ends: frozenset[int]) -> bool:
    """Whether `name` stands somewhere in `start:end` as a whole word right after white space
    that follows what may end a type (`ends`): where a declaration would put it."""
    return _declarations_and_bare_uses(data, name, start, end, ends)[0] > 0


_NAME_BYTES = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@")
_SPACES = b" \t\r\n\f\v"


def _declarations_and_bare_uses(
    data: bytes, name: bytes, start: int, end: int, ends: frozenset[int]
) -> tuple[int, bool]:
    """For each whole-word `name` in `start:end`: how many stand where a declaration would
    (after white space that follows what may end a type), and whether one is followed by
    `=>`, `,` or `)` (a lambda parameter, a deconstruction, or just an argument).

    One `bytes.find` pass: a pattern led by white space would be tried at every byte.
    """
    declarations, bare = 0, False
    at = data.find(name, start, end)
    while at >= 0:
        after = at + len(name)
        starts_word = at == 0 or (data[at - 1] not in _NAME_BYTES and data[at - 1] != 0x2E)
        if starts_word and (after >= len(data) or data[after] not in _NAME_BYTES):
            before = at - 1
            while before >= start and data[before] in _SPACES:
                before -= 1
            if before < at - 1 and before >= start and data[before] in ends:
                declarations += 1
            rest = data[after : after + 8].lstrip(_SPACES)
            bare = bare or rest.startswith((b"=>", b",", b")"))
        at = data.find(name, after, end)
    return declarations, bare


_LOCALS_QUERY = """
(parameter) @param
(variable_declaration) @decl
(declaration_expression name: (identifier) @other)
(foreach_statement) @foreach
(catch_declaration name: (identifier) @other)
"""

# Generic methods that return their type argument: `X<T>(...)` is a T.
_LOOKUPS_WITH_TYPE = {
    "GetComponent",
    "AddComponent",
    "GetComponentInChildren",
    "GetComponentInParent",
    "FindObjectOfType",
    "FindFirstObjectByType",
    "FindAnyObjectByType",
    "ReadValue",  # the Input System's InputAction / InputControl
    "Load",  # Resources.Load<T>
    "LoadAssetAtPath",  # AssetDatabase.LoadAssetAtPath<T>
    "CreateInstance",  # ScriptableObject.CreateInstance<T>
    "FromJson",  # JsonUtility.FromJson<T>
}


def _generic_lookup_type(call: Node) -> str:
    """`GetComponent<Rigidbody>()` → "Rigidbody", `ReadValue<Vector2>()` → "Vector2" (a method
    of :data:`_LOOKUPS_WITH_TYPE`); anything else → ""."""
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_access_expression":
        fn = fn.child_by_field_name("name")
    if fn is None or fn.type != "generic_name" or not fn.named_children:
        return ""
    if node_text(fn.named_children[0]) not in _LOOKUPS_WITH_TYPE:
        return ""
    args = fn.named_children[1] if len(fn.named_children) > 1 else None
    if args is None or len(args.named_children) != 1:
        return ""
    return simple_type_name(args.named_children[0])


def _inferred_type(declarator: Node) -> str:
    """The type of `var x = ...` where the value says it: `GetComponent<T>()`, `new T(...)`,
    `... as T`, `(T)...`; else ""."""
    for child in declarator.named_children:
        kind = child.type
        if kind == "invocation_expression":
            return _generic_lookup_type(child)
        if kind in {"object_creation_expression", "cast_expression"}:
            return simple_type_name(child.child_by_field_name("type"))
        if kind == "as_expression":
            return simple_type_name(child.child_by_field_name("right"))
    return ""
