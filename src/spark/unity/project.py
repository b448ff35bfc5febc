"""Read a Unity project folder without Unity: version, input handling, defines, packages.

:func:`read_project` reads what the project's own files say, never writing anything:

- ``ProjectSettings/ProjectVersion.txt`` → the Editor version (``2022.3.10f1``);
- ``ProjectSettings/ProjectSettings.asset`` → active input handling, scripting define symbols per
  platform and the API compatibility level (Unity YAML, read line by line: Unity's tags and
  anchors are not plain YAML, and only a handful of keys matter);
- ``ProjectSettings/GraphicsSettings.asset`` and ``QualitySettings.asset`` → whether a render
  pipeline asset is assigned;
- ``Packages/manifest.json`` and ``Packages/packages-lock.json`` → packages and their versions,
  and from them the render pipeline (URP, HDRP, built-in), Input System, TextMeshPro...

A partial or damaged project is still read: each file that is missing or cannot be parsed adds
one line to ``problems`` and its values fall back to SPARK's defaults. Only a folder that is not
a Unity project at all raises :class:`ProjectError`. The project's own scripts are indexed
separately (:mod:`spark.unity.project_scripts`), because that costs more than these files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from spark.errors import UsageError
from spark.unity.report import InputSystem

RenderPipeline = Literal["built-in", "urp", "hdrp", "custom"]

URP = "com.unity.render-pipelines.universal"
HDRP = "com.unity.render-pipelines.high-definition"
INPUT_SYSTEM = "com.unity.inputsystem"

# Packages worth naming to a model writing a script, with the name people know them by.
NOTABLE_PACKAGES = {
    URP: "URP",
    HDRP: "HDRP",
    INPUT_SYSTEM: "Input System",
    "com.unity.textmeshpro": "TextMeshPro",
    "com.unity.ugui": "Unity UI",
    "com.unity.cinemachine": "Cinemachine",
    "com.unity.netcode.gameobjects": "Netcode for GameObjects",
    "com.unity.netcode": "Netcode for Entities",
    "com.unity.addressables": "Addressables",
    "com.unity.ai.navigation": "AI Navigation",
    "com.unity.timeline": "Timeline",
    "com.unity.entities": "Entities",
    "com.unity.mathematics": "Mathematics",
    "com.unity.burst": "Burst",
    "com.unity.splines": "Splines",
    "com.unity.localization": "Localization",
    "com.unity.postprocessing": "Post Processing",
    "com.unity.animation.rigging": "Animation Rigging",
    "com.unity.xr.interaction.toolkit": "XR Interaction Toolkit",
    "com.unity.nuget.newtonsoft-json": "Newtonsoft Json",
    "com.unity.visualscripting": "Visual Scripting",
}

# PlayerSettings.activeInputHandler: 0 Input Manager (old), 1 Input System package, 2 both.
_INPUT_HANDLERS: dict[str, InputSystem] = {"0": "legacy", "1": "new", "2": "both"}
# UnityEditor.ApiCompatibilityLevel values as stored in ProjectSettings.asset.
_API_LEVELS = {
    "1": ".NET 2.0",
    "2": ".NET 2.0 Subset",
    "3": ".NET Framework (4.x)",
    "6": ".NET Standard 2.x",
}
# Old projects key per-platform settings by BuildTargetGroup number instead of name.
_TARGET_GROUPS = {
    "1": "Standalone",
    "4": "iOS",
    "7": "Android",
    "13": "WebGL",
    "14": "WSA",
    "19": "PS4",
    "21": "XboxOne",
    "25": "tvOS",
    "27": "Switch",
}
_VERSION = re.compile(r"^\s*m_EditorVersion:\s*(\S+)", re.M)
_PIPELINE_ASSET = re.compile(
    r"^\s*(?:m_CustomRenderPipeline|customRenderPipeline):\s*\{([^}]*)\}", re.M
)


class ProjectError(UsageError):
    """The folder is not a Unity project SPARK can use."""


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """One package of the project: requested in the manifest or pulled in by another."""

    name: str
    version: str
    source: str | None = None  # registry, builtin, embedded, local, git (from the lock file)
    direct: bool = True  # listed in manifest.json (else a dependency of one that is)

    @property
    def label(self) -> str:
        """``Input System 1.7.0``, or the package name when SPARK has no better name for it."""
        return f"{NOTABLE_PACKAGES.get(self.name, self.name)} {self.version}"


@dataclass(frozen=True, slots=True)
class UnityProject:
    """What a Unity project's settings files say (see the module docstring)."""

    root: Path
    unity_version: str | None = None
    input_system: InputSystem | None = None
    define_symbols: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    api_compatibility: str | None = None
    render_pipeline: RenderPipeline = "built-in"
    packages: tuple[PackageInfo, ...] = ()
    problems: tuple[str, ...] = ()

    def package(self, name: str) -> PackageInfo | None:
        """The package called ``name`` (``com.unity.inputsystem``), if the project has it."""
        return next((p for p in self.packages if p.name == name), None)

    @property
    def notable_packages(self) -> tuple[PackageInfo, ...]:
        """The packages in :data:`NOTABLE_PACKAGES`, in that table's order."""
        order = list(NOTABLE_PACKAGES)
        found = [p for p in self.packages if p.name in NOTABLE_PACKAGES]
        return tuple(sorted(found, key=lambda p: order.index(p.name)))

    @property
    def has_textmeshpro(self) -> bool:
        """TextMeshPro is its own package before Unity 6 and part of uGUI 2.0 from Unity 6."""
        if self.package("com.unity.textmeshpro") is not None:
            return True
        ugui = self.package("com.unity.ugui")
        return ugui is not None and _major(ugui.version) >= 2

    def symbols_for(self, platform: str = "Standalone") -> tuple[str, ...]:
        """The scripting define symbols the project sets for ``platform``."""
        return self.define_symbols.get(platform, ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "unity_version": self.unity_version,
            "input_system": self.input_system,
            "render_pipeline": self.render_pipeline,
            "api_compatibility": self.api_compatibility,
            "define_symbols": {k: list(v) for k, v in self.define_symbols.items()},
            "textmeshpro": self.has_textmeshpro,
            "packages": [
                {"name": p.name, "version": p.version, "source": p.source, "direct": p.direct}
                for p in self.packages
            ],
            "problems": list(self.problems),
        }


def _major(version: str) -> int:
    match = re.match(r"\d+", version)
    return int(match.group()) if match else 0


def find_project_root(start: Path) -> Path | None:
    """The Unity project folder holding ``start`` (a file or folder), or None."""
    here = start.resolve()
    for folder in [here, *here.parents]:
        if (folder / "ProjectSettings" / "ProjectVersion.txt").is_file() and (
            folder / "Assets"
        ).is_dir():
            return folder
    return None


def check_project_folder(path: Path) -> Path:
    """``path`` resolved, or ProjectError when it is not a Unity project folder."""
    shown = str(path)
    root = path.expanduser()
    if not root.exists():
        raise ProjectError(
            f"The Unity project folder '{shown}' does not exist.",
            hint="Pass the folder that holds Assets/ and ProjectSettings/.",
        )
    if not root.is_dir():
        raise ProjectError(
            f"'{shown}' is a file, not a Unity project folder.",
            hint="Pass the folder that holds Assets/ and ProjectSettings/.",
        )
    root = root.resolve()
    if not (root / "Assets").is_dir() and not (root / "ProjectSettings").is_dir():
        inside = find_project_root(root)
        hint = (
            f"Did you mean {inside}?"
            if inside is not None
            else "Pass the folder that holds Assets/ and ProjectSettings/."
        )
        raise ProjectError(
            f"'{shown}' is not a Unity project (no Assets/ or ProjectSettings/ folder).",
            hint=hint,
        )
    return root


def read_project(path: Path) -> UnityProject:
    """Read the project at ``path`` (see the module docstring); raise ProjectError only when
    ``path`` is not a Unity project folder at all."""
    root = check_project_folder(path)
    problems: list[str] = []
    version = _read_version(root, problems)
    settings = _read_player_settings(root, problems)
    packages = _read_packages(root, problems)
    input_system = _INPUT_HANDLERS.get(str(settings.get("activeInputHandler", "")))
    if settings and input_system is None:
        # Projects older than 2019.3 have no such setting: the Input Manager is all they have.
        input_system = "legacy" if "activeInputHandler" not in settings else None
    if input_system in ("new", "both") and not any(p.name == INPUT_SYSTEM for p in packages):
        problems.append(
            "ProjectSettings.asset enables the Input System but the package is not installed."
        )
    return UnityProject(
        root=root,
        unity_version=version,
        input_system=input_system,
        define_symbols=_define_symbols(settings.get("scriptingDefineSymbols")),
        api_compatibility=_api_level(settings),
        render_pipeline=_render_pipeline(root, packages, problems),
        packages=packages,
        problems=tuple(problems),
    )


# -- ProjectVersion.txt ---------------------------------------------------------------------------


def _read_text(path: Path, problems: list[str], what: str) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(f"{what} is missing.")
        return None
    except OSError as exc:
        problems.append(f"{what} cannot be read ({exc.strerror or exc}).")
        return None
    if b"\x00" in data[:4096]:
        problems.append(
            f"{what} is stored in binary form; set Edit > Project Settings > Editor > "
            "Asset Serialization to Force Text so SPARK can read it."
        )
        return None
    return data.decode("utf-8", "replace")


def _read_version(root: Path, problems: list[str]) -> str | None:
    text = _read_text(
        root / "ProjectSettings" / "ProjectVersion.txt", problems, "ProjectVersion.txt"
    )
    if text is None:
        return None
    match = _VERSION.search(text)
    if match is None or not re.match(r"\d+\.\d+", match.group(1)):
        problems.append("ProjectVersion.txt has no m_EditorVersion line.")
        return None
    return match.group(1)


# -- ProjectSettings.asset ------------------------------------------------------------------------

YamlValue = str | dict[str, str]


def _flow_mapping(text: str) -> dict[str, str]:
    """``{Standalone: 6, Android: 3}`` → a dict (Unity writes short mappings this way)."""
    inner = text.strip()[1:-1].strip()
    if not inner:
        return {}
    pairs = (part.split(":", 1) for part in inner.split(",") if ":" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def player_settings_entries(text: str) -> dict[str, YamlValue]:
    """The keys directly under ``PlayerSettings:``; nested mappings one level deep.

    Values are strings; a key whose value is a block or flow mapping gives a dict.
    """
    entries: dict[str, YamlValue] = {}
    inside = False
    current: str | None = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            inside = line == "PlayerSettings:"
            current = None
            continue
        if not inside or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if indent == 2:
            current = key.strip()
            if value.startswith("{") and value.endswith("}"):
                entries[current] = _flow_mapping(value)
            elif value:
                entries[current] = value
            else:
                entries[current] = {}
        elif indent == 4 and current is not None and isinstance(entries.get(current), dict):
            nested = entries[current]
            assert isinstance(nested, dict)
            nested[key.strip()] = value
    return entries


def _read_player_settings(root: Path, problems: list[str]) -> dict[str, YamlValue]:
    path = root / "ProjectSettings" / "ProjectSettings.asset"
    text = _read_text(path, problems, "ProjectSettings.asset")
    if text is None:
        return {}
    entries = player_settings_entries(text)
    if not entries:
        problems.append("ProjectSettings.asset has no PlayerSettings section SPARK can read.")
    return entries


def _define_symbols(value: YamlValue | None) -> dict[str, tuple[str, ...]]:
    if isinstance(value, str):  # a single string for every platform (Unity 5)
        value = {"Standalone": value}
    symbols: dict[str, tuple[str, ...]] = {}
    for platform, text in (value or {}).items():
        names = tuple(s.strip() for s in text.split(";") if s.strip())
        if names:
            symbols[_TARGET_GROUPS.get(platform, platform)] = names
    return symbols


def _api_level(settings: Mapping[str, YamlValue]) -> str | None:
    per_platform = settings.get("apiCompatibilityLevelPerPlatform")
    if isinstance(per_platform, dict):
        standalone = per_platform.get("Standalone") or per_platform.get("1")
        if standalone:
            return _API_LEVELS.get(standalone, f"level {standalone}")
    level = settings.get("apiCompatibilityLevel")
    if isinstance(level, str) and level:
        return _API_LEVELS.get(level, f"level {level}")
    return None


# -- packages and render pipeline -----------------------------------------------------------------


def _read_json(path: Path, problems: list[str], what: str) -> dict[str, Any] | None:
    text = _read_text(path, problems, what)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        problems.append(f"{what} is not valid JSON ({exc}).")
        return None
    if not isinstance(data, dict):
        problems.append(f"{what} is not a JSON object.")
        return None
    return data


def _read_packages(root: Path, problems: list[str]) -> tuple[PackageInfo, ...]:
    manifest = _read_json(root / "Packages" / "manifest.json", problems, "Packages/manifest.json")
    requested = (manifest or {}).get("dependencies") or {}
    if not isinstance(requested, dict):
        problems.append("Packages/manifest.json has no dependencies object.")
        requested = {}
    lock_path = root / "Packages" / "packages-lock.json"
    locked: dict[str, Any] = {}
    if lock_path.exists():
        lock = _read_json(lock_path, problems, "Packages/packages-lock.json")
        found = (lock or {}).get("dependencies") or {}
        locked = found if isinstance(found, dict) else {}
    packages: dict[str, PackageInfo] = {}
    for name, spec in requested.items():
        found_entry = locked.get(name)
        entry: dict[str, Any] = found_entry if isinstance(found_entry, dict) else {}
        version = str(entry.get("version") or spec)
        packages[name] = PackageInfo(name, version, entry.get("source"), direct=True)
    for name, entry in locked.items():
        if name not in packages and isinstance(entry, dict):
            packages[name] = PackageInfo(
                name, str(entry.get("version", "")), entry.get("source"), direct=False
            )
    return tuple(sorted(packages.values(), key=lambda p: p.name))


def _pipeline_assigned(root: Path) -> bool | None:
    """Whether Graphics or Quality settings assign a render pipeline asset (None: unknown)."""
    seen = False
    for name in ("GraphicsSettings.asset", "QualitySettings.asset"):
        try:
            text = (root / "ProjectSettings" / name).read_text("utf-8", "replace")
        except OSError:
            continue
        for match in _PIPELINE_ASSET.finditer(text):
            seen = True
            if "guid:" in match.group(1) and not re.search(r"fileID:\s*0\b", match.group(1)):
                return True
    return False if seen else None


def _render_pipeline(
    root: Path, packages: tuple[PackageInfo, ...], problems: list[str]
) -> RenderPipeline:
    names = {p.name for p in packages}
    installed: RenderPipeline | None = "hdrp" if HDRP in names else "urp" if URP in names else None
    assigned = _pipeline_assigned(root)
    if assigned is None:  # no settings to tell: the installed package decides
        return installed or "built-in"
    if assigned:
        return installed or "custom"
    if installed is not None:
        problems.append(
            f"{installed.upper()} is installed but no render pipeline asset is assigned in "
            "Graphics or Quality settings: assuming the built-in render pipeline."
        )
    return "built-in"
