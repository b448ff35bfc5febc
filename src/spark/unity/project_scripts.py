"""Index a Unity project's own scripts: their types, namespaces and public members.

:func:`load_script_index` walks ``Assets/`` (skipping what Unity skips: hidden folders and
folders ending in ``~``), reads each ``.asmdef`` to know which assembly a script belongs to, and
reads every ``.cs`` file with the validator's tree-sitter parser, keeping only declarations:
type name, kind, namespace, base types and public members (as short C# signatures). Method
bodies are never walked.

Parsing thousands of scripts takes seconds, so results are cached per file, keyed by
modification time and size, in a JSON file under SPARK's cache folder (never in the project):
an unchanged project is indexed again in the time it takes to stat its files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from spark.unity.parsing import parse

log = logging.getLogger(__name__)

_CACHE_FORMAT = 2
_TYPE_NODES = {
    "class_declaration": "class",
    "struct_declaration": "struct",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "record_struct_declaration": "record struct",
    "delegate_declaration": "delegate",
}
_NAMESPACES = ("namespace_declaration", "file_scoped_namespace_declaration")
_MAX_MEMBERS = 40  # per type: a generated 3,000-line class must not flood the summary
_MAX_SIGNATURE = 120
_MAX_FILE_BYTES = 2_000_000  # generated data tables, not scripts a model should know about


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """One type declared in the project."""

    name: str  # Outer.Inner for nested types
    kind: str  # class, struct, interface, enum, record, record struct, delegate
    namespace: str
    bases: tuple[str, ...]
    members: tuple[str, ...]  # public members as short signatures; enum values for enums
    public: bool
    line: int  # 1-based line of the declaration

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def simple_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class ScriptFile:
    """One ``.cs`` file of the project and what it declares."""

    path: str  # relative to the project root, with forward slashes
    assembly: str
    editor: bool  # compiled only for the Editor (an Editor folder or an Editor-only asmdef)
    types: tuple[TypeInfo, ...]


@dataclass(frozen=True, slots=True)
class AssemblyDefinition:
    """An ``.asmdef`` file: a named assembly for the scripts in its folder."""

    name: str
    path: str  # of the .asmdef, relative to the project root
    references: tuple[str, ...] = ()
    editor_only: bool = False
    tests: bool = False  # a test assembly (NUnit, UNITY_INCLUDE_TESTS): not part of the game

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


@dataclass(frozen=True, slots=True)
class ScriptIndex:
    """Every script of a project (see :func:`load_script_index`)."""

    root: Path
    files: tuple[ScriptFile, ...] = ()
    assemblies: tuple[AssemblyDefinition, ...] = ()
    problems: tuple[str, ...] = ()

    def types(self, *, include_editor: bool = False) -> Iterator[tuple[TypeInfo, ScriptFile]]:
        """Each declared type with its file (Editor scripts only when asked)."""
        for script in self.files:
            if script.editor and not include_editor:
                continue
            for info in script.types:
                yield info, script

    def declaring(self, class_name: str) -> list[ScriptFile]:
        """Files that declare a top-level type called ``class_name`` (any namespace)."""
        return [
            script
            for script in self.files
            if any("." not in t.name and t.name.split("<")[0] == class_name for t in script.types)
        ]


@dataclass
class _Cache:
    path: Path | None
    entries: dict[str, Any] = field(default_factory=dict)
    changed: bool = False


# -- walking the project ------------------------------------------------------------------------


def _walk_assets(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, stat) of every .cs and .asmdef under Assets/, as Unity sees them."""
    stack = [root / "Assets"]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.endswith("~"):
                continue  # Unity ignores these (.git, Samples~, Documentation~)
            try:
                if entry.is_dir(follow_symlinks=True):
                    stack.append(Path(entry.path))
                elif name.endswith((".cs", ".asmdef")):
                    rel = Path(entry.path).relative_to(root).as_posix()
                    yield rel, entry.stat()
            except OSError:
                continue


def _read_asmdef(root: Path, rel: str, problems: list[str]) -> AssemblyDefinition | None:
    try:
        data = json.loads((root / rel).read_text("utf-8-sig"))
    except (OSError, ValueError) as exc:
        problems.append(f"{rel} cannot be read ({type(exc).__name__}); its scripts are skipped.")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        problems.append(f"{rel} has no assembly name; its scripts are skipped.")
        return None
    platforms = data.get("includePlatforms") or []
    constraints = data.get("defineConstraints") or []
    precompiled = data.get("precompiledReferences") or []
    optional = data.get("optionalUnityReferences") or []
    return AssemblyDefinition(
        name=data["name"],
        path=rel,
        references=tuple(str(r) for r in data.get("references") or []),
        editor_only=platforms == ["Editor"],
        tests="UNITY_INCLUDE_TESTS" in constraints
        or "nunit.framework.dll" in precompiled
        or "TestAssemblies" in optional,
    )


def _owner(rel: str, by_folder: dict[str, AssemblyDefinition]) -> AssemblyDefinition | None:
    folder = rel.rsplit("/", 1)[0]
    while True:
        if folder in by_folder:
            return by_folder[folder]
        if "/" not in folder:
            return None
        folder = folder.rsplit("/", 1)[0]


def load_script_index(root: Path, *, cache_dir: Path | None = None) -> ScriptIndex:
    """Index the scripts of the project at ``root`` (see the module docstring).

    ``cache_dir`` holds the per-file cache (SPARK's data folder); None reads everything.
    """
    problems: list[str] = []
    found = list(_walk_assets(root))
    assemblies = [
        a
        for rel, _ in found
        if rel.endswith(".asmdef") and (a := _read_asmdef(root, rel, problems)) is not None
    ]
    by_folder = {a.folder: a for a in assemblies}
    cache = _open_cache(root, cache_dir)
    files: list[ScriptFile] = []
    for rel, stat in found:
        if not rel.endswith(".cs"):
            continue
        owner = _owner(rel, by_folder)
        if owner is not None and owner.tests:
            continue
        in_editor_folder = "/Editor/" in f"/{rel}"
        editor = owner.editor_only if owner is not None else in_editor_folder
        assembly = owner.name if owner is not None else _default_assembly(rel, in_editor_folder)
        types = _types_of(root, rel, stat, cache)
        files.append(ScriptFile(rel, assembly, editor, types))
    _save_cache(cache, {f.path for f in files})
    files.sort(key=lambda f: f.path)
    return ScriptIndex(root, tuple(files), tuple(assemblies), tuple(problems))


def _default_assembly(rel: str, editor: bool) -> str:
    first_pass = rel.startswith(("Assets/Plugins/", "Assets/Standard Assets/"))
    name = "Assembly-CSharp-firstpass" if first_pass else "Assembly-CSharp"
    return f"{name}-Editor" if editor else name


# -- the per-file cache -------------------------------------------------------------------------


def _cache_file(root: Path, cache_dir: Path) -> Path:
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:20]
    return cache_dir / "projects" / key / "scripts.json"


def _open_cache(root: Path, cache_dir: Path | None) -> _Cache:
    if cache_dir is None:
        return _Cache(None)
    path = _cache_file(root, cache_dir)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return _Cache(path)
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT:
        return _Cache(path)
    entries = data.get("files")
    return _Cache(path, entries if isinstance(entries, dict) else {})


def _save_cache(cache: _Cache, live: set[str]) -> None:
    stale = set(cache.entries) - live
    for rel in stale:
        del cache.entries[rel]
    if cache.path is None or not (cache.changed or stale):
        return
    tmp = cache.path.with_name(f".{cache.path.name}.{os.getpid()}.tmp")
    try:
        cache.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"format": _CACHE_FORMAT, "files": cache.entries}), "utf-8")
        os.replace(tmp, cache.path)
    except OSError as exc:  # a cache that cannot be written only costs time
        log.debug("could not write the script index cache %s: %s", cache.path, exc)
        tmp.unlink(missing_ok=True)


def _types_of(root: Path, rel: str, stat: os.stat_result, cache: _Cache) -> tuple[TypeInfo, ...]:
    stamp = [stat.st_mtime_ns, stat.st_size]
    cached = cache.entries.get(rel)
    if isinstance(cached, dict) and cached.get("stamp") == stamp:
        try:
            return tuple(_type_from_json(t) for t in cached["types"])
        except (KeyError, TypeError, ValueError):
            pass
    if stat.st_size > _MAX_FILE_BYTES:
        types: tuple[TypeInfo, ...] = ()
    else:
        try:
            text = (root / rel).read_text("utf-8-sig", errors="replace")
        except OSError:
            return ()
        types = tuple(declared_types(text))
    cache.entries[rel] = {"stamp": stamp, "types": [asdict(t) for t in types]}
    cache.changed = True
    return types


def _type_from_json(data: dict[str, Any]) -> TypeInfo:
    return TypeInfo(
        name=str(data["name"]),
        kind=str(data["kind"]),
        namespace=str(data["namespace"]),
        bases=tuple(data["bases"]),
        members=tuple(data["members"]),
        public=bool(data["public"]),
        line=int(data["line"]),
    )


# -- declarations from a syntax tree ------------------------------------------------------------


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return " ".join(node.text.decode("utf-8", "replace").split())


def _modifiers(node: Node) -> set[str]:
    return {_text(c) for c in node.children if c.type == "modifier"}


def declared_types(code: str) -> Iterator[TypeInfo]:
    """The types ``code`` declares, outer types before the types nested in them."""
    yield from _declarations(parse(code).root_node, "", "", True)


def _declarations(node: Node, namespace: str, outer: str, visible: bool) -> Iterator[TypeInfo]:
    for child in node.children:
        if child.type in _NAMESPACES:
            name = _text(child.child_by_field_name("name"))
            inner = f"{namespace}.{name}" if namespace else name
            if child.type == "file_scoped_namespace_declaration":
                namespace = inner  # the rest of the file is inside it
                continue
            body = child.child_by_field_name("body")
            if body is not None:
                yield from _declarations(body, inner, outer, visible)
        elif child.type in _TYPE_NODES:
            info = _type_info(child, namespace, outer, visible)
            yield info
            body = child.child_by_field_name("body")
            if body is not None and child.type != "enum_declaration":
                yield from _declarations(body, namespace, info.name, info.public)
        elif child.type == "declaration_list":
            yield from _declarations(child, namespace, outer, visible)


def _type_info(node: Node, namespace: str, outer: str, visible: bool) -> TypeInfo:
    name_node = node.child_by_field_name("name")
    name = _text(name_node)
    type_parameters = next((c for c in node.children if c.type == "type_parameter_list"), None)
    if type_parameters is not None:
        name += _text(type_parameters)
    modifiers = _modifiers(node)
    kind = _TYPE_NODES[node.type]
    if kind == "record" and any(c.type == "struct" for c in node.children):
        kind = "record struct"
    bases: tuple[str, ...] = ()
    base_list = next((c for c in node.children if c.type == "base_list"), None)
    if base_list is not None:
        bases = tuple(_text(c) for c in base_list.named_children if c.type != "argument_list")
    members: tuple[str, ...]
    if kind == "delegate":
        members = (f"{_text(node.child_by_field_name('type'))} Invoke{_parameters(node)}",)
    elif kind == "enum":
        body = node.child_by_field_name("body")
        members = tuple(
            _text(c.child_by_field_name("name"))
            for c in (body.named_children if body is not None else [])
            if c.type == "enum_member_declaration"
        )
    else:
        members = tuple(_members(node, kind))
    return TypeInfo(
        name=f"{outer}.{name}" if outer else name,
        kind=kind,
        namespace=namespace,
        bases=bases,
        members=members[:_MAX_MEMBERS],
        public=visible and "public" in modifiers,
        line=(name_node or node).start_point.row + 1,  # the name's line, after attributes
    )


def _parameters(node: Node) -> str:
    parameters = node.child_by_field_name("parameters")
    if parameters is None:
        parameters = next((c for c in node.children if c.type == "parameter_list"), None)
    if parameters is None:
        return "()"
    shown = []
    for parameter in parameters.named_children:
        words = []
        for part in parameter.children:
            if part.type == "=":
                break  # default values make signatures long and do not change the call
            if part.type != "attribute_list":
                words.append(_text(part))
        shown.append(" ".join(w for w in words if w))
    return f"({', '.join(shown)})"


def _members(type_node: Node, kind: str) -> Iterator[str]:
    body = type_node.child_by_field_name("body")
    if body is None:
        if kind.startswith("record"):
            yield f"{_text(type_node.child_by_field_name('name'))}{_parameters(type_node)}"
        return
    for member in body.named_children:
        modifiers = _modifiers(member)
        if kind != "interface" and "public" not in modifiers:
            continue
        static = "static " if "static" in modifiers else ""
        signature = _member_signature(member, modifiers)
        if signature:
            yield (static + signature)[:_MAX_SIGNATURE]


def _member_signature(member: Node, modifiers: set[str]) -> str | None:
    kind = member.type
    name = _text(member.child_by_field_name("name"))
    if kind == "method_declaration":
        returns = _text(member.child_by_field_name("returns"))
        generic = next((c for c in member.children if c.type == "type_parameter_list"), None)
        return f"{returns} {name}{_text(generic)}{_parameters(member)}"
    if kind == "constructor_declaration":
        return f"new {name}{_parameters(member)}"
    if kind == "property_declaration":
        accessors = member.child_by_field_name("accessors")
        read_only = accessors is not None and not any(
            _text(a.child_by_field_name("name")) in ("set", "init")
            and "private" not in _modifiers(a)
            for a in accessors.named_children
        )
        suffix = " { get; }" if read_only or accessors is None else " { get; set; }"
        return f"{_text(member.child_by_field_name('type'))} {name}{suffix}"
    if kind in ("field_declaration", "event_field_declaration"):
        declaration = next((c for c in member.children if c.type == "variable_declaration"), None)
        if declaration is None:
            return None
        names = ", ".join(
            _text(d.child_by_field_name("name"))
            for d in declaration.named_children
            if d.type == "variable_declarator"
        )
        prefix = "event " if kind == "event_field_declaration" else ""
        prefix += "const " if "const" in modifiers else ""
        return f"{prefix}{_text(declaration.child_by_field_name('type'))} {names}"
    if kind == "event_declaration":
        return f"event {_text(member.child_by_field_name('type'))} {name}"
    return None
