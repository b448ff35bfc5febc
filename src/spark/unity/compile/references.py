"""What a script is compiled against: references, defines, language version, project scripts.

Two sources, in order:

1. The IDE project file Unity writes for code editors, ``Assembly-CSharp.csproj`` at the project
   root: its ``<Reference><HintPath>`` assemblies, ``<DefineConstants>``, ``<LangVersion>``,
   ``<NoWarn>``, ``<AllowUnsafeBlocks>``, its ``<Compile>`` scripts, and its
   ``<ProjectReference>`` assemblies (the compiled copy in ``Library/ScriptAssemblies`` when there
   is one, else that project file's own scripts, built the same way).
2. Without it: the Editor's managed assemblies (``UnityEngine`` and its modules, ``netstandard``
   for Roslyn), the package assemblies Unity compiled into ``Library/ScriptAssemblies``, the
   project's runtime scripts under ``Assets/`` (Editor scripts and test assemblies left out) and
   the define symbols Unity would set for the project's version, input handling and settings.

An :class:`AssemblyPlan` is one assembly to compile; :class:`ReferenceSet` is the plan the
checked script joins, with a description of where it came from for reports.
"""

from __future__ import annotations

import functools
import glob
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

from spark.unity.compile.discovery import EditorInstall
from spark.unity.project import UnityProject
from spark.unity.project_scripts import ScriptIndex

# Warnings Unity's own compilation hides for serialized fields and the like.
UNITY_NOWARN = ("0169", "0414", "0649")
_MAX_PROJECT_REFERENCE_DEPTH = 8


@dataclass(frozen=True, slots=True)
class AssemblyPlan:
    """One assembly: its sources and how to compile them."""

    name: str
    sources: tuple[Path, ...] = ()
    references: tuple[Path, ...] = ()
    defines: tuple[str, ...] = ()
    lang_version: str | None = None
    nowarn: tuple[str, ...] = UNITY_NOWARN
    unsafe: bool = False
    nostdlib: bool = False  # the references bring their own mscorlib/netstandard
    dependencies: tuple[AssemblyPlan, ...] = ()  # built first, then referenced


@dataclass(frozen=True, slots=True)
class ReferenceSet:
    """The assembly a checked script joins, and where its settings came from."""

    origin: str  # "Assembly-CSharp.csproj", "Unity 2022.3.10f1 Editor + Library/ScriptAssemblies"
    plan: AssemblyPlan
    missing: tuple[str, ...] = ()  # referenced assemblies that are not on this machine
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def describe(self) -> str:
        """``Assembly-CSharp.csproj: 84 references, 120 defines, C# 9.0, 25 project scripts``."""
        plan = self.plan
        parts = [f"{len(plan.references)} references", f"{len(plan.defines)} defines"]
        if plan.lang_version:
            parts.append(f"C# {plan.lang_version}")
        parts.append(f"{len(plan.sources)} project scripts")
        if self.missing:
            parts.append(f"{len(self.missing)} missing")
        return f"{self.origin}: {', '.join(parts)}"

    def without(self, excluded: set[Path]) -> ReferenceSet:
        """The same set with ``excluded`` scripts left out of the project's sources."""
        keep = tuple(s for s in self.plan.sources if _key(s) not in {_key(e) for e in excluded})
        return replace(self, plan=replace(self.plan, sources=keep))


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


# -- the IDE project file -----------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _path(raw: str, base: Path) -> Path:
    """A path from a project file, written with either slash, relative to ``base``."""
    text = raw.strip().replace("\\", "/") if os.sep == "/" else raw.strip()
    path = Path(text)
    return path if path.is_absolute() else base / path


def _expand(raw: str, base: Path) -> list[Path]:
    path = _path(raw, base)
    if any(ch in str(path) for ch in "*?["):
        return [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]
    return [path]


@dataclass
class _ProjectFile:
    name: str
    lang_version: str | None = None
    defines: list[str] = field(default_factory=list)
    nowarn: list[str] = field(default_factory=list)
    unsafe: bool = False
    nostdlib: bool = False
    references: list[Path] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)
    project_references: list[Path] = field(default_factory=list)


@functools.lru_cache(maxsize=32)
def _parse_project_file(path: Path, stamp: tuple[int, int]) -> _ProjectFile:
    """A .csproj's settings (cached per modification time and size)."""
    del stamp
    base = path.parent
    root = ET.parse(path).getroot()
    found = _ProjectFile(name=path.stem)
    for element in root.iter():
        tag, text = _local(element.tag), (element.text or "").strip()
        if tag == "AssemblyName" and text:
            found.name = text
        elif tag == "LangVersion" and text:
            found.lang_version = text
        elif tag == "DefineConstants":
            found.defines += [d.strip() for d in text.split(";") if d.strip()]
        elif tag == "NoWarn":
            found.nowarn += [w.strip().removeprefix("CS") for w in text.split(";") if w.strip()]
        elif tag == "AllowUnsafeBlocks":
            found.unsafe = text.lower() == "true"
        elif tag == "NoStdLib":
            found.nostdlib = text.lower() == "true"
        elif tag == "Compile" and element.get("Include"):
            found.sources += _expand(element.get("Include", ""), base)
        elif tag == "ProjectReference" and element.get("Include"):
            found.project_references.append(_path(element.get("Include", ""), base))
        elif tag == "Reference":
            hint = next((c for c in element if _local(c.tag) == "HintPath"), None)
            if hint is not None and (hint.text or "").strip():
                found.references.append(_path(hint.text or "", base))
    return found


def read_project_file(path: Path) -> _ProjectFile:
    stat = path.stat()
    return _parse_project_file(path.resolve(), (stat.st_mtime_ns, stat.st_size))


def _plan_from_project_file(
    path: Path, project_root: Path, missing: list[str], depth: int = 0
) -> AssemblyPlan:
    parsed = read_project_file(path)
    references: list[Path] = []
    for reference in dict.fromkeys(parsed.references):
        if reference.exists():
            references.append(reference)
        else:
            missing.append(str(reference))
    dependencies: list[AssemblyPlan] = []
    for other in parsed.project_references:
        if depth >= _MAX_PROJECT_REFERENCE_DEPTH or not other.is_file():
            missing.append(str(other))
            continue
        name = read_project_file(other).name
        compiled = project_root / "Library" / "ScriptAssemblies" / f"{name}.dll"
        if compiled.is_file():
            references.append(compiled)
        else:
            dependencies.append(_plan_from_project_file(other, project_root, missing, depth + 1))
    return AssemblyPlan(
        name=parsed.name,
        sources=tuple(s for s in dict.fromkeys(parsed.sources) if s.is_file()),
        references=tuple(references),
        defines=tuple(dict.fromkeys(parsed.defines)),
        lang_version=parsed.lang_version,
        nowarn=tuple(dict.fromkeys([*UNITY_NOWARN, *parsed.nowarn])),
        unsafe=parsed.unsafe,
        nostdlib=parsed.nostdlib
        or any(r.name.lower() in ("mscorlib.dll", "netstandard.dll") for r in references),
        dependencies=tuple(dependencies),
    )


def references_from_project_file(path: Path, project_root: Path) -> ReferenceSet:
    """The reference set an IDE project file describes (raises OSError / ET.ParseError)."""
    missing: list[str] = []
    plan = _plan_from_project_file(path, project_root, missing)
    return ReferenceSet(origin=path.name, plan=plan, missing=tuple(missing))


# -- from the Editor and the project's folders --------------------------------------------------


def unity_defines(version: str, input_system: str | None) -> list[str]:
    """The version, editor and input symbols Unity defines when compiling a project."""
    numbers = [int(n) for n in version.replace("f", ".").split(".")[:2] if n.isdigit()]
    major, minor = [*numbers, 0, 0][:2]
    defines = ["UNITY_EDITOR", "UNITY_STANDALONE", "DEBUG", "TRACE", "UNITY_ASSERTIONS"]
    defines += [f"UNITY_{major}", f"UNITY_{major}_{minor}"]
    known = [(5, m) for m in range(3, 7)] + [(y, m) for y in range(2017, 2024) for m in range(1, 5)]
    known += [(6000, m) for m in range(0, 6)]
    defines += [f"UNITY_{y}_{m}_OR_NEWER" for y, m in known if (y, m) <= (major, minor)]
    if input_system in ("new", "both"):
        defines.append("ENABLE_INPUT_SYSTEM")
    if input_system in ("legacy", "both", None):
        defines.append("ENABLE_LEGACY_INPUT_MANAGER")
    return defines


def _editor_references(editor: EditorInstall, roslyn: bool) -> list[Path]:
    found: list[Path] = []
    managed = editor.managed
    if managed is not None:
        engine = managed / "UnityEngine"
        found += sorted(engine.glob("*.dll")) if engine.is_dir() else []
        if (
            not any(p.name == "UnityEngine.dll" for p in found)
            and (managed / "UnityEngine.dll").is_file()
        ):
            found.append(managed / "UnityEngine.dll")
    netstandard = editor.netstandard
    if roslyn and netstandard is not None:
        found += sorted(netstandard.glob("ref/2.1.0/netstandard.dll"))
        found += sorted(netstandard.glob("compat/2.1.0/shims/netfx/*.dll"))
    return found


def references_from_folders(
    *,
    editor: EditorInstall,
    roslyn: bool,
    project: UnityProject | None,
    index: ScriptIndex | None,
) -> ReferenceSet:
    """The reference set from an Editor installation and the project's folders."""
    references = _editor_references(editor, roslyn)
    origin = f"Unity {editor.version} Editor"
    sources: tuple[Path, ...] = ()
    defines = unity_defines(editor.version, None)
    if project is not None:
        own = {f.assembly for f in index.files} if index is not None else set()
        compiled = project.root / "Library" / "ScriptAssemblies"
        packages = [
            p
            for p in sorted(compiled.glob("*.dll"))
            if not p.stem.startswith("Assembly-CSharp") and p.stem not in own
        ]
        references += packages
        origin += " + Library/ScriptAssemblies" if packages else ""
        defines = unity_defines(project.unity_version or editor.version, project.input_system)
        defines += project.symbols_for("Standalone")
        if index is not None:
            sources = tuple(project.root / f.path for f in index.files if not f.editor)
    plan = AssemblyPlan(
        name="Assembly-CSharp",
        sources=sources,
        references=tuple(references),
        defines=tuple(dict.fromkeys(defines)),
        nostdlib=any(r.name == "netstandard.dll" for r in references),
    )
    return ReferenceSet(origin=origin, plan=plan)
