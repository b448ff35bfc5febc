"""Finding a C# compiler: the project's Unity Editor, ``SPARK_CSC``, or one on PATH.

Order (first found wins):

1. The Unity Editor whose version matches the project (``SPARK_UNITY_EDITOR`` names one
   explicitly; else Unity Hub's install folders are searched: the default one for the OS and
   the one chosen in the Hub's preferences). An Editor ships Roslyn (``DotNetSdkRoslyn/csc.dll``)
   and its own .NET runtime (``NetCoreRuntime/dotnet``) - the compiler Unity itself uses; older
   Editors have ``Tools/Roslyn/csc.exe``, run by the Editor's Mono on macOS and Linux.
2. ``SPARK_CSC``: a command line such as ``mcs``, ``csc`` or ``dotnet /path/to/csc.dll``.
3. ``csc``, ``mcs`` or ``dotnet`` (with an SDK's ``Roslyn/bincore/csc.dll``) on PATH.

Where Unity Hub installs Editors by default:

- Windows: ``C:\\Program Files\\Unity\\Hub\\Editor\\<version>\\Editor\\Data``
- macOS: ``/Applications/Unity/Hub/Editor/<version>/Unity.app/Contents``
- Linux: ``~/Unity/Hub/Editor/<version>/Editor/Data``

Nothing here runs a compiler; :mod:`spark.unity.compile.build` does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CompilerKind = Literal["roslyn", "mcs"]


@dataclass(frozen=True, slots=True)
class EditorInstall:
    """A Unity Editor installation: its version and its data folder."""

    version: str
    data: Path  # Editor/Data (Windows, Linux) or Unity.app/Contents (macOS)

    def _first(self, *candidates: str) -> Path | None:
        return next((self.data / c for c in candidates if (self.data / c).exists()), None)

    @property
    def managed(self) -> Path | None:
        """The folder holding UnityEngine.dll and its modules."""
        return self._first("Managed", "Resources/Scripting/Managed")

    @property
    def netstandard(self) -> Path | None:
        """The .NET Standard reference folder Unity compiles scripts against."""
        return self._first("NetStandard", "Resources/Scripting/NetStandard")

    def compiler(self) -> Compiler | None:
        """The Editor's own Roslyn and the runtime it needs, when both are there."""
        dotnet = self._first("NetCoreRuntime/dotnet.exe", "NetCoreRuntime/dotnet")
        csc = self._first("DotNetSdkRoslyn/csc.dll")
        origin = f"Unity {self.version} Editor"
        if dotnet is not None and csc is not None:
            shared = (csc.parent / "VBCSCompiler.dll").exists()
            return Compiler("roslyn", (str(dotnet), str(csc)), origin, shared=shared)
        old = self._first("Tools/Roslyn/csc.exe")
        if old is None:
            return None
        if sys.platform == "win32":
            return Compiler("roslyn", (str(old),), origin)
        mono = self._first("MonoBleedingEdge/bin/mono")
        return Compiler("roslyn", (str(mono), str(old)), origin) if mono is not None else None


@dataclass(frozen=True, slots=True)
class Compiler:
    """A command line that compiles C#, and what kind of compiler it is."""

    kind: CompilerKind
    command: tuple[str, ...]
    origin: str  # where it was found: "Unity 2022.3.10f1 Editor", "SPARK_CSC", "PATH"
    shared: bool = False  # Roslyn with its compiler server (VBCSCompiler) beside it

    @property
    def name(self) -> str:
        return "mcs (Mono C# compiler)" if self.kind == "mcs" else "Roslyn csc"

    @property
    def describe(self) -> str:
        """``Roslyn csc from the Unity 2022.3.10f1 Editor (…/csc.dll)``, for reports."""
        return f"{self.name} from {self.origin} ({self.command[-1]})"

    @property
    def language_limit(self) -> str | None:
        """The newest C# the compiler knows, when it is older than what Unity accepts."""
        return "7" if self.kind == "mcs" else None


# -- Unity Editors --------------------------------------------------------------------------------


def hub_editor_folders(
    *, platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path
) -> list[Path]:
    """Folders where Unity Hub installs Editors (one subfolder per version), existing or not."""
    if platform == "win32":
        program_files = environ.get("ProgramFiles", r"C:\Program Files")
        folders = [Path(program_files) / "Unity" / "Hub" / "Editor"]
        config = Path(environ.get("APPDATA", home / "AppData" / "Roaming")) / "UnityHub"
    elif platform == "darwin":
        folders = [Path("/Applications/Unity/Hub/Editor")]
        config = home / "Library" / "Application Support" / "UnityHub"
    else:
        folders = [home / "Unity" / "Hub" / "Editor"]
        config = Path(environ.get("XDG_CONFIG_HOME", home / ".config")) / "UnityHub"
    try:  # the install location chosen in the Hub's preferences: a JSON string
        chosen = json.loads((config / "secondaryInstallPath.json").read_text("utf-8"))
    except (OSError, ValueError):
        chosen = None
    if isinstance(chosen, str) and chosen.strip():
        folders.insert(0, Path(chosen))
    return folders


def editor_at(path: Path) -> EditorInstall | None:
    """The Editor installed at ``path``: its version folder, its ``Editor`` folder, the data
    folder, ``Unity.app`` or the Unity executable itself."""
    path = path.expanduser()
    if path.is_file():
        path = path.parent
    candidates = [
        path,
        path / "Data",
        path / "Editor" / "Data",
        path / "Contents",
        path / "Unity.app" / "Contents",
        path.parent / "Data",  # the executable's folder was given
        path.parent,  # .../Contents/MacOS/Unity
    ]
    for data in candidates:
        if (data / "Managed").is_dir() or (data / "Resources" / "Scripting" / "Managed").is_dir():
            return EditorInstall(_version_of(data), data)
    return None


def _version_of(data: Path) -> str:
    """The version folder's name (``2022.3.10f1``), looked for above the data folder."""
    for folder in data.parents:
        if re.match(r"\d{4}\.\d+\.\d+", folder.name):
            return folder.name
    return "unknown"


def find_editor(
    version: str | None,
    *,
    editor_setting: str | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> tuple[EditorInstall | None, str | None]:
    """The Editor for ``version`` and a note when the match is not exact.

    ``editor_setting`` (SPARK_UNITY_EDITOR) wins; else the Hub folder with the exact version,
    else the newest with the same major.minor (``2022.3.*``).
    """
    if editor_setting:
        found = editor_at(Path(editor_setting))
        if found is None:
            return None, f"SPARK_UNITY_EDITOR={editor_setting} is not a Unity Editor installation"
        return found, None
    if not version:
        return None, None
    installed: list[EditorInstall] = []
    for folder in hub_editor_folders(platform=platform, environ=environ, home=home or Path.home()):
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue
        for child in children:
            editor = editor_at(child)
            if editor is not None:
                installed.append(EditorInstall(child.name, editor.data))
    exact = next((e for e in installed if e.version == version), None)
    if exact is not None:
        return exact, None
    stream = ".".join(version.split(".")[:2]) + "."
    close = [e for e in installed if e.version.startswith(stream)]
    if not close:
        return None, None
    best = max(close, key=lambda e: _version_key(e.version))
    return best, f"Unity {version} is not installed; using the {best.version} Editor"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


# -- compilers outside an Editor ------------------------------------------------------------------


def compiler_from_command(command: str, origin: str) -> Compiler | None:
    """A compiler from a command line (``mcs``, ``dotnet /x/csc.dll``); None if it is empty."""
    try:
        parts = tuple(shlex.split(command, posix=sys.platform != "win32"))
    except ValueError:
        return None
    if not parts:
        return None
    program = Path(parts[-1]).name.lower()
    kind: CompilerKind = "mcs" if program.startswith("mcs") else "roslyn"
    return Compiler(kind, parts, origin)


def _sdk_csc(dotnet: str) -> Path | None:
    """The newest SDK's Roslyn beside a ``dotnet`` executable."""
    root = Path(dotnet).resolve().parent
    found = sorted(
        root.glob("sdk/*/Roslyn/bincore/csc.dll"), key=lambda p: _version_key(p.parts[-4])
    )
    return found[-1] if found else None


def find_compiler(
    *,
    editor: EditorInstall | None = None,
    csc_setting: str | None = None,
    path: str | None = None,
) -> Compiler | None:
    """The compiler to use (see the module docstring), or None when there is none."""
    if editor is not None:
        found = editor.compiler()
        if found is not None:
            return found
    if csc_setting and csc_setting.strip():
        return compiler_from_command(csc_setting, "SPARK_CSC")
    search = path if path is not None else os.environ.get("PATH", "")
    for name in ("csc", "mcs"):
        program = shutil.which(name, path=search)
        if program is not None:
            return Compiler("mcs" if name == "mcs" else "roslyn", (program,), "PATH")
    dotnet = shutil.which("dotnet", path=search)
    if dotnet is not None:
        csc = _sdk_csc(dotnet)
        if csc is not None:
            return Compiler("roslyn", (dotnet, str(csc)), "PATH")
    return None
