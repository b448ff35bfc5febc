"""Unity rules: the rule table, the file model the checks share, and the runner.

Rule metadata (id, severity, title, message template, fix hint, Microsoft.Unity.Analyzers id)
lives in `rules.toml`; Unity API facts (messages and their signatures, deprecated APIs by version,
component types) live in `unity_api.toml`.  The checks themselves are in `rules_unity.py`; each
yields `Finding`s, which the runner turns into positioned `Diagnostic`s.  The checks are
deliberately conservative: a rule that cannot tell whether code is wrong stays silent.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, cast

from tree_sitter import Node, Tree

from spark.unity.parsing import captures
from spark.unity.report import Diagnostic, InputSystem, Severity, SourceText

DOCS_PAGE = "docs/validation.md"


@dataclass(frozen=True)
class UnityRule:
    """One row of rules.toml: what a diagnostic means and how to fix it."""

    id: str
    severity: Severity
    title: str
    message: str
    hint: str
    analyzer_id: str | None

    @property
    def docs(self) -> str:
        return f"{DOCS_PAGE}#{self.id.lower()}"


@dataclass(frozen=True)
class RuleOptions:
    """Settings that change what the rules report."""

    file_name: str | None = None
    unity_version: str = "6000.0"
    input_system: InputSystem = "both"


@dataclass(frozen=True)
class Finding:
    """A rule hit on a node, with the values its message and hint templates need."""

    rule_id: str
    node: Node
    args: dict[str, str] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's severity when set


@dataclass(frozen=True)
class RulesResult:
    diagnostics: tuple[Diagnostic, ...]
    class_names: tuple[str, ...]


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files("spark.unity").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def rule_table() -> dict[str, UnityRule]:
    """All rules by id, in the order of rules.toml."""
    table: dict[str, UnityRule] = {}
    for rule_id, row in _read_toml("rules.toml").items():
        table[rule_id] = UnityRule(
            id=rule_id,
            severity=cast(Severity, row["severity"]),
            title=row["title"],
            message=row["message"],
            hint=row["hint"],
            analyzer_id=row.get("analyzer"),
        )
    return table


@functools.cache
def unity_api() -> dict[str, Any]:
    """The parsed unity_api.toml."""
    return _read_toml("unity_api.toml")


@dataclass(frozen=True)
class ApiIndex:
    """Sets and lookups derived from unity_api.toml, built once per process (see `api_index`).

    The checks ask "is this name one of ..." many times per file; answering from lists, or
    rebuilding sets from them for every file, is most of the rules' fixed cost on a small file.
    """

    component_bases: frozenset[str]
    scriptable_bases: frozenset[str]
    message_bases: frozenset[str]
    editor_bases: frozenset[str]
    components: frozenset[str]
    unity_objects: frozenset[str]  # components and other UnityEngine.Object types
    lookups: frozenset[str]
    forces: frozenset[str]
    per_frame: frozenset[str]
    # Enough of the per-frame names to find any of them in a text: "Update" finds "LateUpdate".
    per_frame_needles: tuple[bytes, ...]
    legacy_input_class: str
    legacy_input_members: frozenset[str]
    messages: dict[str, dict[str, Any]]
    message_names: tuple[str, ...]
    # (kind, name) → the deprecated entries for it with their parsed `since`, in file order.
    deprecated: dict[tuple[str, str], tuple[tuple[dict[str, Any], tuple[int, ...]], ...]]


@functools.cache
def api_index() -> ApiIndex:
    """The `ApiIndex` of `unity_api()`."""
    api = unity_api()
    hot = api["hot_path"]
    deprecated: dict[tuple[str, str], list[tuple[dict[str, Any], tuple[int, ...]]]] = {}
    for dep in api["deprecated"]:
        deprecated.setdefault((dep["kind"], dep["name"]), []).append(
            (dep, parse_version(dep["since"]))
        )
    messages: dict[str, dict[str, Any]] = api["messages"]
    return ApiIndex(
        component_bases=frozenset(api["component_bases"]),
        scriptable_bases=frozenset(api["scriptable_bases"]),
        message_bases=frozenset(api["message_bases"]),
        editor_bases=frozenset(api["editor_bases"]),
        components=frozenset(api["components"]),
        unity_objects=frozenset(api["components"]) | frozenset(api["objects"]),
        lookups=frozenset(hot["lookups"]),
        forces=frozenset(hot["forces"]),
        per_frame=frozenset(hot["per_frame"]),
        per_frame_needles=tuple(
            name.encode()
            for name in hot["per_frame"]
            if not any(other != name and other in name for other in hot["per_frame"])
        ),
        legacy_input_class=api["input"]["legacy_class"],
        legacy_input_members=frozenset(api["input"]["legacy_members"]),
        messages=messages,
        message_names=tuple(messages),
        deprecated={key: tuple(deps) for key, deps in deprecated.items()},
    )


@functools.lru_cache(maxsize=256)
def parse_version(version: str) -> tuple[int, ...]:
    """`"2022.3.1f1"` → (2022, 3, 1); unparsable parts count as 0."""
    parts: list[int] = []
    for piece in version.strip().split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    return tuple(parts) or (0,)


# -- the file model ------------------------------------------------------------------------------

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
    methods: list[Node] = field(default_factory=list)
    # Field and property declarations; `FileModel.member_type` reads them when it is asked.
    member_nodes: list[Node] = field(default_factory=list)


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
        messages = self.index.message_bases
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
                    info.receives_messages = base in messages or (
                        parent is not None and parent.receives_messages
                    )
                    if base == "ScriptableObject" or (
                        parent is not None and parent.unity_base == "ScriptableObject"
                    ):
                        info.receives_messages = True  # Awake/OnEnable/OnDisable/OnValidate...
                    changed = True
                    break

    # -- queries the checks share -------------------------------------------------------------
    def is_unity_object_type(self, name: str) -> bool:
        """Whether `name` derives from UnityEngine.Object: an engine type or a Unity class here."""
        return name in self.index.unity_objects or name in self._unity_class_names

    def is_component_type(self, name: str) -> bool:
        """Whether `name` is a component: an engine one or a component class of this file."""
        return name in self.index.components or name in self._component_class_names

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
        cls = self.enclosing(node, ("class_declaration",))
        return None if cls is None else self._class_by_node.get(cls.id)

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
                    names[name] = _inferred_type(var)
                else:
                    names[name] = type_name
        for other in found.get("other", []):
            names.setdefault(node_text(other), "")
        self._locals[method.id] = names
        return names

    def declares(self, scope: Node, name: str) -> bool:
        """Whether `name`, used inside `scope` (a method, lambda, ...), is declared by it.

        That is, whether it is one of `method_locals(scope)`.  The declaration and the use are two
        occurrences of the name in the scope's text: with fewer, the answer is no without the
        tree query that collects the scope's names.
        """
        if name and self.data.count(name.encode(), scope.start_byte, scope.end_byte) < 2:
            return False
        return name in self.method_locals(scope)

    def type_of(self, expr: Node) -> str:
        """Best-effort static type of a simple expression; "" when unknown."""
        if expr.type == "parenthesized_expression" and expr.named_children:
            return self.type_of(expr.named_children[0])
        if expr.type == "member_access_expression":
            obj = expr.child_by_field_name("expression")
            if obj is None or obj.type != "this_expression":
                return ""
            expr = expr.child_by_field_name("name") or expr
            return self._member_type(self.enclosing_class(expr), node_text(expr))
        if expr.type == "invocation_expression":
            return _generic_lookup_type(expr)
        if expr.type != "identifier":
            return ""
        name = node_text(expr)
        # One walk up: the innermost scope, then the outer ones, and the enclosing class.
        scopes: Container[str] = _SCOPES
        cls_node = None
        ancestor = expr.parent
        while ancestor is not None:
            kind = ancestor.type
            if kind in scopes:
                if self.declares(ancestor, name):
                    return self.method_locals(ancestor)[name]
                scopes = _OUTER_SCOPES
            elif kind == "class_declaration" and cls_node is None:
                cls_node = ancestor
            ancestor = ancestor.parent
        cls = None if cls_node is None else self._class_by_node.get(cls_node.id)
        return self._member_type(cls, name)

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

_LOCALS_QUERY = """
(parameter) @param
(variable_declaration) @decl
(declaration_expression name: (identifier) @other)
(foreach_statement left: (identifier) @other)
(catch_declaration name: (identifier) @other)
"""

_LOOKUPS_WITH_TYPE = {
    "GetComponent",
    "AddComponent",
    "GetComponentInChildren",
    "GetComponentInParent",
    "FindObjectOfType",
    "FindFirstObjectByType",
    "FindAnyObjectByType",
}


def _generic_lookup_type(call: Node) -> str:
    """`GetComponent<Rigidbody>()` → "Rigidbody"; anything else → ""."""
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
    for child in declarator.named_children:
        if child.type == "invocation_expression":
            return _generic_lookup_type(child)
    return ""


# -- runner --------------------------------------------------------------------------------------


def run_rules(src: SourceText, tree: Tree, data: bytes, options: RuleOptions) -> RulesResult:
    """Run every Unity check on a file parsed from `data` (the exact bytes given to the parser)."""
    from spark.unity import rules_unity
    from spark.unity.preprocessor import inactive_rows

    model = FileModel(src, tree, data, options)
    table = rule_table()
    # Code in an #if branch the target never compiles (e.g. the `#else` of
    # UNITY_6000_0_OR_NEWER on Unity 6) gets no Unity findings.
    skipped = inactive_rows(src.code, options.unity_version, options.input_system)
    diagnostics = [
        _to_diagnostic(src, table[f.rule_id], f)
        for f in rules_unity.check_all(model)
        if f.node.start_point.row not in skipped
    ]
    names = tuple(c.name for c in model.classes if c.name)
    return RulesResult(diagnostics=tuple(diagnostics), class_names=names)


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _to_diagnostic(src: SourceText, rule: UnityRule, finding: Finding) -> Diagnostic:
    args = _Defaults(finding.args)
    node = finding.node
    return src.diagnostic(
        rule_id=rule.id,
        severity=finding.severity or rule.severity,
        message=rule.message.format_map(args),
        start=(node.start_point.row, node.start_point.column),
        end=(node.end_point.row, node.end_point.column),
        hint=rule.hint.format_map(args),
        docs=rule.docs,
        analyzer_id=rule.analyzer_id,
    )


def iter_rules() -> Iterator[UnityRule]:
    """Every rule, for `spark rules` and the docs."""
    yield from rule_table().values()
