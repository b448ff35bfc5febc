"""A Unity project, Unity stub assemblies and an "Editor installation", without Unity.

- ``stubs/``: our own C# 7 sources for part of the UnityEngine API (MonoBehaviour, Transform,
  Rigidbody, Physics, Input, Debug, Mathf...), uGUI, TextMeshPro and the Input System package.
  :func:`cached_stubs` compiles them with Mono's ``mcs`` once into a temporary folder keyed by
  the sources' hash (shared by test sessions and benchmarks).
- ``project/``: a small Unity 2022.3 project (ProjectVersion.txt, a ProjectSettings.asset
  excerpt, GraphicsSettings with a URP asset, Packages/manifest.json and its lock file, runtime
  scripts, an asmdef assembly, an Editor script and a test assembly that must be left out).
  :func:`make_project` copies it and writes the IDE project files Unity would generate
  (``Assembly-CSharp.csproj`` with ``HintPath`` references to the stubs, and
  ``Fixture.Gameplay.csproj`` for the asmdef, referenced as a ``ProjectReference``).
- :func:`make_editor` lays out an Editor installation like Unity Hub's on Linux
  (``Hub/Editor/<version>/Editor/Data/Managed/UnityEngine/*.dll``) with the stubs as its
  assemblies. With ``runtime=True`` it also has ``NetCoreRuntime/dotnet`` and
  ``DotNetSdkRoslyn/csc.dll`` - the files SPARK looks for - where ``dotnet`` is a small script
  that runs ``mcs`` instead of Roslyn (dropping the Roslyn-only options), so the Editor path runs
  end to end on a machine without Unity.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
STUBS = HERE / "stubs"
TEMPLATE = HERE / "project"
UNITY_VERSION = "2022.3.10f1"
# Each stub assembly and the assemblies it references, in build order.
ASSEMBLIES: dict[str, tuple[str, ...]] = {
    "UnityEngine": (),
    "UnityEngine.UI": ("UnityEngine",),
    "Unity.TextMeshPro": ("UnityEngine", "UnityEngine.UI"),
    "Unity.InputSystem": ("UnityEngine",),
}
PROJECT_SCRIPTS = (
    "Assets/Scripts/Combat/Health.cs",
    "Assets/Scripts/Combat/IDamageable.cs",
    "Assets/Scripts/PlayerStats.cs",
    "Assets/Scripts/Internal/Wallet.cs",
)
GAMEPLAY_SCRIPTS = ("Assets/Gameplay/WaveSpawner.cs",)
_MSBUILD = "http://schemas.microsoft.com/developer/msbuild/2003"
_SHIM = '''#!{python}
"""Fixture Editor runtime: stands in for Unity's dotnet + Roslyn csc.dll by running mcs."""
import os, sys
args = [a for a in sys.argv[2:] if a not in ("-nologo", "-noconfig", "-shared")]
os.execvp("mcs", ["mcs", *args])
'''


def _sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(STUBS.rglob("*.cs")):
        digest.update(path.relative_to(STUBS).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_stubs(target: Path, mcs: str) -> dict[str, Path]:
    """Compile every stub assembly into ``target``; raise CalledProcessError with mcs' output."""
    target.mkdir(parents=True, exist_ok=True)
    built: dict[str, Path] = {}
    for name, needs in ASSEMBLIES.items():
        out = target / f"{name}.dll"
        sources = sorted(str(p) for p in (STUBS / name).glob("*.cs"))
        references = [f"-r:{built[n]}" for n in needs]
        subprocess.run(
            [
                mcs,
                "-target:library",
                "-nowarn:67,169,414,649",
                f"-out:{out}",
                *references,
                *sources,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        built[name] = out
    return built


def cached_stubs(mcs: str) -> dict[str, Path]:
    """The stub assemblies, built once per version of their sources (under the temp folder)."""
    folder = Path(tempfile.gettempdir()) / "spark-unity-stubs" / _sources_hash()
    if (folder / "complete").exists():
        return {name: folder / f"{name}.dll" for name in ASSEMBLIES}
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=_ensure(folder.parent)))
    try:
        build_stubs(staging, mcs)
        (staging / "complete").write_text("ok")
        with contextlib.suppress(OSError):  # another process finished first: use its copy
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: folder / f"{name}.dll" for name in ASSEMBLIES}


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _windows_path(relative: str) -> str:
    return relative.replace("/", "\\")


def _csproj(
    name: str,
    sources: tuple[str, ...],
    stubs: dict[str, Path],
    *,
    project_references: tuple[str, ...] = (),
) -> str:
    """An IDE project file in the format Unity writes (its "Legacy" style)."""
    compile_items = "\n".join(f'    <Compile Include="{_windows_path(s)}" />' for s in sources)
    references = "\n".join(
        f'    <Reference Include="{ref}">\n      <HintPath>{path}</HintPath>\n'
        "      <Private>False</Private>\n    </Reference>"
        for ref, path in stubs.items()
    )
    project_items = "\n".join(
        f'    <ProjectReference Include="{p}">\n      <Name>{Path(p).stem}</Name>\n'
        "    </ProjectReference>"
        for p in project_references
    )
    defines = (
        "UNITY_2022_3_10;UNITY_2022_3;UNITY_2022;UNITY_2021_3_OR_NEWER;UNITY_2022_1_OR_NEWER;"
        "UNITY_2022_2_OR_NEWER;UNITY_2022_3_OR_NEWER;UNITY_EDITOR;UNITY_STANDALONE;"
        "ENABLE_INPUT_SYSTEM;ENABLE_LEGACY_INPUT_MANAGER;SPARK_FIXTURE;USE_CHEATS;DEBUG;TRACE"
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project ToolsVersion="4.0" DefaultTargets="Build" xmlns="{_MSBUILD}">
  <!-- Generated file, do not modify, your changes will be overwritten -->
  <PropertyGroup>
    <LangVersion>9.0</LangVersion>
  </PropertyGroup>
  <PropertyGroup>
    <AssemblyName>{name}</AssemblyName>
    <OutputType>Library</OutputType>
    <TargetFrameworkVersion>v4.7.1</TargetFrameworkVersion>
    <BaseDirectory>.</BaseDirectory>
  </PropertyGroup>
  <PropertyGroup>
    <NoWarn>0169;USG0001</NoWarn>
    <DefineConstants>{defines}</DefineConstants>
    <AllowUnsafeBlocks>False</AllowUnsafeBlocks>
  </PropertyGroup>
  <PropertyGroup>
    <UnityVersion>{UNITY_VERSION}</UnityVersion>
  </PropertyGroup>
  <ItemGroup>
{compile_items}
  </ItemGroup>
  <ItemGroup>
{references}
  </ItemGroup>
  <ItemGroup>
{project_items}
  </ItemGroup>
  <Import Project="$(MSBuildToolsPath)\\Microsoft.CSharp.targets" />
</Project>
"""


def make_project(
    root: Path,
    stubs: dict[str, Path],
    *,
    csproj: bool = True,
    extra_scripts: dict[str, str] | None = None,
) -> Path:
    """Copy the fixture project to ``root`` (with its IDE project files unless told not to);
    ``extra_scripts`` (path under the project → text) are added to Assembly-CSharp."""
    shutil.copytree(TEMPLATE, root)
    extra = extra_scripts or {}
    for relative, text in extra.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, "utf-8")
    if csproj:
        (root / "Fixture.Gameplay.csproj").write_text(
            _csproj("Fixture.Gameplay", GAMEPLAY_SCRIPTS, stubs), "utf-8"
        )
        (root / "Assembly-CSharp.csproj").write_text(
            _csproj(
                "Assembly-CSharp",
                (*PROJECT_SCRIPTS, *extra),
                stubs,
                project_references=("Fixture.Gameplay.csproj",),
            ),
            "utf-8",
        )
    return root


def make_editor(
    hub_editor_folder: Path,
    stubs: dict[str, Path],
    *,
    version: str = UNITY_VERSION,
    runtime: bool = True,
) -> Path:
    """An Editor installation in ``hub_editor_folder/<version>`` (Linux layout); returns its
    data folder (``.../Editor/Data``)."""
    data = hub_editor_folder / version / "Editor" / "Data"
    engine = _ensure(data / "Managed" / "UnityEngine")
    for name in ("UnityEngine",):
        shutil.copyfile(stubs[name], engine / f"{name}.dll")
    if runtime:
        dotnet = _ensure(data / "NetCoreRuntime") / "dotnet"
        dotnet.write_text(_SHIM.format(python=sys.executable), "utf-8")
        dotnet.chmod(0o755)
        (_ensure(data / "DotNetSdkRoslyn") / "csc.dll").write_bytes(b"")
    (hub_editor_folder / version / "Editor" / "Unity").write_bytes(b"")
    return data
