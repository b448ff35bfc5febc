"""Each way of finding a C# compiler: the project's Unity Editor (Hub folders on Windows, macOS
and Linux, the Hub's chosen folder, SPARK_UNITY_EDITOR), SPARK_CSC, and csc/mcs/dotnet on PATH.

Editor installations are laid out in temporary folders the way Unity Hub installs them; PATH
holds small executable files named like the compilers. Nothing here runs a compiler.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark.unity.compile.discovery import (
    compiler_from_command,
    editor_at,
    find_compiler,
    find_editor,
    hub_editor_folders,
)


def editor_layout(root: Path, *, mac: bool = False, old: bool = False) -> Path:
    """An Editor in ``root`` (the version folder); returns its data folder."""
    data = root / "Unity.app" / "Contents" if mac else root / "Editor" / "Data"
    (data / "Managed" / "UnityEngine").mkdir(parents=True)
    (data / "Managed" / "UnityEngine" / "UnityEngine.CoreModule.dll").write_bytes(b"")
    if old:
        (data / "Tools" / "Roslyn").mkdir(parents=True)
        (data / "Tools" / "Roslyn" / "csc.exe").write_bytes(b"")
        (data / "MonoBleedingEdge" / "bin").mkdir(parents=True)
        (data / "MonoBleedingEdge" / "bin" / "mono").write_bytes(b"")
    else:
        (data / "NetCoreRuntime").mkdir()
        (data / "NetCoreRuntime" / "dotnet").write_bytes(b"")
        (data / "DotNetSdkRoslyn").mkdir()
        (data / "DotNetSdkRoslyn" / "csc.dll").write_bytes(b"")
    return data


def executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_linux_hub_folder_exact_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = editor_layout(home / "Unity" / "Hub" / "Editor" / "2022.3.10f1")
    editor_layout(home / "Unity" / "Hub" / "Editor" / "2022.3.20f1")
    editor, note = find_editor("2022.3.10f1", platform="linux", environ={}, home=home)
    assert editor is not None and note is None
    assert (editor.version, editor.data) == ("2022.3.10f1", data)
    compiler = editor.compiler()
    assert compiler is not None and compiler.kind == "roslyn"
    assert compiler.command == (
        str(data / "NetCoreRuntime" / "dotnet"),
        str(data / "DotNetSdkRoslyn" / "csc.dll"),
    )
    assert compiler.origin == "Unity 2022.3.10f1 Editor"
    assert find_compiler(editor=editor, path="") == compiler


def test_same_stream_when_the_exact_version_is_missing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for version in ("2022.3.5f1", "2022.3.21f1", "2023.1.0f1"):
        editor_layout(home / "Unity" / "Hub" / "Editor" / version)
    editor, note = find_editor("2022.3.10f1", platform="linux", environ={}, home=home)
    assert editor is not None and editor.version == "2022.3.21f1"
    assert note == "Unity 2022.3.10f1 is not installed; using the 2022.3.21f1 Editor"
    assert find_editor("2021.3.1f1", platform="linux", environ={}, home=home) == (None, None)
    assert find_editor(None, platform="linux", environ={}, home=home) == (None, None)


def test_windows_program_files_layout(tmp_path: Path) -> None:
    program_files = tmp_path / "Program Files"
    data = editor_layout(program_files / "Unity" / "Hub" / "Editor" / "6000.0.23f1")
    environ = {"ProgramFiles": str(program_files), "APPDATA": str(tmp_path / "AppData")}
    editor, _ = find_editor("6000.0.23f1", platform="win32", environ=environ, home=tmp_path)
    assert editor is not None and editor.data == data
    assert hub_editor_folders(platform="win32", environ=environ, home=tmp_path) == [
        program_files / "Unity" / "Hub" / "Editor"
    ]


def test_macos_default_and_the_hubs_chosen_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert hub_editor_folders(platform="darwin", environ={}, home=home) == [
        Path("/Applications/Unity/Hub/Editor")
    ]
    chosen = tmp_path / "Volumes" / "Fast" / "Unity"
    data = editor_layout(chosen / "2022.3.10f1", mac=True)
    config = home / "Library" / "Application Support" / "UnityHub"
    config.mkdir(parents=True)
    (config / "secondaryInstallPath.json").write_text(json.dumps(str(chosen)))
    folders = hub_editor_folders(platform="darwin", environ={}, home=home)
    assert folders == [chosen, Path("/Applications/Unity/Hub/Editor")]
    editor, _ = find_editor("2022.3.10f1", platform="darwin", environ={}, home=home)
    assert editor is not None and editor.data == data
    assert editor.managed == data / "Managed"


def test_linux_hub_preferences_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chosen = tmp_path / "editors"
    editor_layout(chosen / "6000.1.0f1")
    (home / ".config" / "UnityHub").mkdir(parents=True)
    (home / ".config" / "UnityHub" / "secondaryInstallPath.json").write_text(f'"{chosen}"')
    editor, _ = find_editor("6000.1.0f1", platform="linux", environ={}, home=home)
    assert editor is not None and editor.data.is_relative_to(chosen)


@pytest.mark.parametrize(
    "given",
    ["version folder", "Editor folder", "data folder", "executable", "Unity.app"],
)
def test_spark_unity_editor_accepts_any_part_of_an_installation(tmp_path: Path, given: str) -> None:
    root = tmp_path / "2022.3.10f1"
    mac = given == "Unity.app"
    data = editor_layout(root, mac=mac)
    (root / "Editor").mkdir(exist_ok=True)
    (root / "Editor" / "Unity").write_bytes(b"")
    path = {
        "version folder": root,
        "Editor folder": root / "Editor",
        "data folder": data,
        "executable": root / "Editor" / "Unity",
        "Unity.app": root / "Unity.app",
    }[given]
    editor, note = find_editor("6000.0", editor_setting=str(path), home=tmp_path)
    assert note is None
    assert editor is not None and editor.data == data and editor.version == "2022.3.10f1"


def test_a_wrong_spark_unity_editor_is_named(tmp_path: Path) -> None:
    editor, note = find_editor("6000.0", editor_setting=str(tmp_path), home=tmp_path)
    assert editor is None
    assert note == f"SPARK_UNITY_EDITOR={tmp_path} is not a Unity Editor installation"


def test_an_older_editor_runs_its_roslyn_with_its_mono(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    data = editor_layout(tmp_path / "2020.3.48f1", old=True)
    editor = editor_at(tmp_path / "2020.3.48f1")
    assert editor is not None
    compiler = editor.compiler()
    assert compiler is not None and compiler.kind == "roslyn"
    assert compiler.command == (
        str(data / "MonoBleedingEdge" / "bin" / "mono"),
        str(data / "Tools" / "Roslyn" / "csc.exe"),
    )


def test_an_editor_without_a_compiler_falls_through(tmp_path: Path) -> None:
    data = tmp_path / "2022.3.1f1" / "Editor" / "Data" / "Managed"
    data.mkdir(parents=True)
    editor = editor_at(tmp_path / "2022.3.1f1")
    assert editor is not None and editor.compiler() is None
    mcs = executable(tmp_path / "bin", "mcs")
    found = find_compiler(editor=editor, path=str(tmp_path / "bin"))
    assert found is not None and found.command == (str(mcs),) and found.origin == "PATH"


def test_spark_csc_is_a_command_line(tmp_path: Path) -> None:
    executable(tmp_path / "bin", "csc")
    found = find_compiler(csc_setting="dotnet '/opt/my sdk/csc.dll'", path=str(tmp_path / "bin"))
    assert found is not None
    assert (found.kind, found.command, found.origin) == (
        "roslyn",
        ("dotnet", "/opt/my sdk/csc.dll"),
        "SPARK_CSC",
    )
    mono = compiler_from_command("/usr/bin/mcs -sdk:4.5", "SPARK_CSC")
    assert mono is not None and mono.kind == "roslyn"  # the last word decides: here an option
    assert compiler_from_command("mcs", "SPARK_CSC").kind == "mcs"  # type: ignore[union-attr]
    assert compiler_from_command("  ", "SPARK_CSC") is None


def test_path_order_csc_then_mcs_then_dotnet(tmp_path: Path) -> None:
    bin_ = tmp_path / "bin"
    assert find_compiler(path=str(bin_)) is None
    dotnet = executable(bin_, "dotnet")
    assert find_compiler(path=str(bin_)) is None  # a runtime without an SDK has no csc.dll
    for version in ("6.0.100", "8.0.204"):
        roslyn = bin_ / "sdk" / version / "Roslyn" / "bincore"
        roslyn.mkdir(parents=True)
        (roslyn / "csc.dll").write_bytes(b"")
    found = find_compiler(path=str(bin_))
    assert found is not None and found.kind == "roslyn"
    assert found.command == (
        str(dotnet),
        str(bin_.resolve() / "sdk" / "8.0.204" / "Roslyn" / "bincore" / "csc.dll"),
    )
    mcs = executable(bin_, "mcs")
    found = find_compiler(path=str(bin_))
    assert found is not None and (found.kind, found.command) == ("mcs", (str(mcs),))
    assert found.language_limit == "7"
    csc = executable(bin_, "csc")
    found = find_compiler(path=str(bin_))
    assert found is not None and (found.kind, found.command) == ("roslyn", (str(csc),))
    assert found.language_limit is None
