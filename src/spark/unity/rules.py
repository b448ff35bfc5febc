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
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, cast

from tree_sitter import Node, Tree

from spark.unity.validator import Diagnostic, InputSystem, Severity, SourceText, captures

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
    members: dict[str, str] = field(default_factory=dict)  # field/property name → type name


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


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


def modifiers_of(node: Node) -> set[str]:
    return {node_text(c) for c in node.children if c.type == "modifier"}


class FileModel:
    """Classes, usings and declared names of one parsed file, shared by all checks."""

    def __init__(self, src: SourceText, tree: Tree, options: RuleOptions) -> None:
        self.src = src
        self.tree = tree
        self.root = tree.root_node
        self.options = options
        self.api = unity_api()
        self.version = parse_version(options.unity_version)
        self.usings: set[str] = set()
        self.aliases: set[str] = set()
        self.using_count = 0  # every using directive, of any kind
        self.global_usings = False  # C# 10 `global using`: the project may import more elsewhere
        self.namespaces: list[str] = []
        self.other_types: set[str] = set()  # structs, interfaces, enums, delegates
        class_nodes: list[Node] = []
        self._walk_declarations(self.root, class_nodes)
        self.classes = [self._class_info(node) for node in class_nodes]
        self.by_name = {c.name: c for c in self.classes}
        self._classify()
        self._locals: dict[int, dict[str, str]] = {}

    def _walk_declarations(self, node: Node, classes: list[Node]) -> None:
        """Visit namespaces and type bodies only (never statements): cheap even on big files."""
        for child in node.named_children:
            kind = child.type
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
                if kind == "class_declaration":
                    classes.append(child)
                else:
                    self.other_types.add(node_text(child.child_by_field_name("name")))
                body = child.child_by_field_name("body")
                if body is not None:
                    self._walk_declarations(body, classes)
            elif kind in {"enum_declaration", "delegate_declaration"}:
                self.other_types.add(node_text(child.child_by_field_name("name")))
            elif kind in {"preproc_if", "preproc_else", "preproc_elif", "preproc_region"}:
                self._walk_declarations(child, classes)

    def _add_using(self, using: Node) -> None:
        self.using_count += 1
        if any(c.type == "global" for c in using.children):
            self.global_usings = True
        alias = using.child_by_field_name("name")
        named = [c for c in using.named_children if c is not alias]
        target = node_text(named[-1]) if named else ""
        if alias is not None:
            self.aliases.add(node_text(alias))
        elif not any(c.type == "static" for c in using.children):
            self.usings.add(target.replace(" ", ""))

    def _class_info(self, node: Node) -> ClassInfo:
        bases: list[str] = []
        for child in node.children:
            if child.type == "base_list":
                for base in child.named_children:
                    if base.type == "primary_constructor_base_type":
                        base = base.named_children[0] if base.named_children else base
                    bases.append(simple_type_name(base))
        parent = node.parent
        nested = False
        while parent is not None:
            if parent.type in {"class_declaration", "struct_declaration"}:
                nested = True
                break
            parent = parent.parent
        info = ClassInfo(
            name=node_text(node.child_by_field_name("name")),
            node=node,
            bases=bases,
            modifiers=modifiers_of(node),
            generic=any(c.type == "type_parameter_list" for c in node.children),
            nested=nested,
        )
        body = node.child_by_field_name("body")
        for member in _members(body):
            if member.type == "method_declaration":
                info.methods.append(member)
            elif member.type == "field_declaration":
                decl = next(
                    (c for c in member.named_children if c.type == "variable_declaration"), None
                )
                if decl is not None:
                    type_name = simple_type_name(decl.child_by_field_name("type"))
                    for var in decl.named_children:
                        if var.type == "variable_declarator":
                            info.members[node_text(var.child_by_field_name("name"))] = type_name
            elif member.type == "property_declaration":
                info.members[node_text(member.child_by_field_name("name"))] = simple_type_name(
                    member.child_by_field_name("type")
                )
        return info

    def _classify(self) -> None:
        components = set(self.api["component_bases"])
        scriptables = set(self.api["scriptable_bases"])
        messages = set(self.api["message_bases"])
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
    @functools.cached_property
    def unity_object_types(self) -> set[str]:
        """Type names deriving from UnityEngine.Object: engine types and this file's classes."""
        names = set(self.api["components"]) | set(self.api["objects"])
        names |= {c.name for c in self.classes if c.kind != "other"}
        return names

    @functools.cached_property
    def component_types(self) -> set[str]:
        return set(self.api["components"]) | {c.name for c in self.classes if c.kind == "component"}

    def enclosing(self, node: Node, types: set[str]) -> Node | None:
        parent = node.parent
        while parent is not None:
            if parent.type in types:
                return parent
            parent = parent.parent
        return None

    def enclosing_class(self, node: Node) -> ClassInfo | None:
        cls = self.enclosing(node, {"class_declaration"})
        if cls is None:
            return None
        for info in self.classes:
            if info.node.id == cls.id:
                return info
        return None

    def method_locals(self, method: Node) -> dict[str, str]:
        """Parameter and local variable names of a method → their simple type names."""
        cached = self._locals.get(method.id)
        if cached is not None:
            return cached
        names: dict[str, str] = {}
        found = captures(method, _LOCALS_QUERY)
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

    def type_of(self, expr: Node) -> str:
        """Best-effort static type of a simple expression; "" when unknown."""
        if expr.type == "parenthesized_expression" and expr.named_children:
            return self.type_of(expr.named_children[0])
        if expr.type == "member_access_expression":
            obj = expr.child_by_field_name("expression")
            if obj is None or obj.type != "this_expression":
                return ""
            expr = expr.child_by_field_name("name") or expr
            return self._member_type(expr, node_text(expr))
        if expr.type == "invocation_expression":
            return _generic_lookup_type(expr)
        if expr.type != "identifier":
            return ""
        name = node_text(expr)
        method = self.enclosing(
            expr,
            {
                "method_declaration",
                "constructor_declaration",
                "accessor_declaration",
                "local_function_statement",
                "lambda_expression",
            },
        )
        while method is not None:
            local = self.method_locals(method)
            if name in local:
                return local[name]
            method = self.enclosing(
                method, {"method_declaration", "local_function_statement", "lambda_expression"}
            )
        return self._member_type(expr, name)

    def _member_type(self, node: Node, name: str) -> str:
        cls = self.enclosing_class(node)
        if cls is None:
            return ""
        if name in cls.members:
            return cls.members[name]
        return (
            {"gameObject": "GameObject", "transform": "Transform"}.get(name, "")
            if (cls.kind == "component")
            else ""
        )


def _members(body: Node | None) -> Iterator[Node]:
    """Members of a type body, including those inside `#if` / `#region` blocks."""
    for member in body.named_children if body is not None else []:
        if member.type.startswith("preproc_"):
            yield from _members(member)
        else:
            yield member


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


def run_rules(src: SourceText, tree: Tree, options: RuleOptions) -> RulesResult:
    """Run every Unity check on a parsed file."""
    from spark.unity import rules_unity

    model = FileModel(src, tree, options)
    table = rule_table()
    diagnostics = [_to_diagnostic(src, table[f.rule_id], f) for f in rules_unity.check_all(model)]
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
