"""Reading a Unity project without Unity: settings, packages, the script index and its summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from spark.config import Settings
from spark.errors import UsageError
from spark.unity import project_scripts
from spark.unity.project import (
    ProjectError,
    find_project_root,
    player_settings_entries,
    read_project,
)
from spark.unity.project_scripts import declared_types, load_script_index
from spark.unity.project_summary import rank_types, summarise_types, words
from spark.unity.target import UnityTarget, check_unity_version, resolve_target


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its modification time and size."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_mtime_ns, stat.st_size)
    return found


def test_the_fixture_project_is_read(project_files: Path) -> None:
    project = read_project(project_files)
    assert project.root == project_files.resolve()
    assert project.unity_version == "2022.3.10f1"
    assert project.input_system == "both"
    assert project.render_pipeline == "urp"
    assert project.api_compatibility == ".NET Standard 2.x"
    assert project.symbols_for("Standalone") == ("SPARK_FIXTURE", "USE_CHEATS")
    assert project.symbols_for("Android") == ("MOBILE_INPUT",)
    assert project.problems == ()
    urp = project.package("com.unity.render-pipelines.universal")
    assert urp is not None and urp.version == "14.0.8" and urp.direct
    core = project.package("com.unity.render-pipelines.core")
    assert core is not None and not core.direct and core.source == "builtin"
    labels = [p.label for p in project.notable_packages]
    assert labels[:3] == ["URP 14.0.8", "Input System 1.7.0", "TextMeshPro 3.0.6"]
    assert "Cinemachine 2.9.7" in labels
    assert project.has_textmeshpro
    assert json.loads(json.dumps(project.to_dict()))["render_pipeline"] == "urp"


def test_reading_writes_nothing_into_the_project(project_files: Path, tmp_path: Path) -> None:
    before = snapshot(project_files)
    read_project(project_files)
    load_script_index(project_files, cache_dir=tmp_path / "cache")
    load_script_index(project_files, cache_dir=tmp_path / "cache")
    assert snapshot(project_files) == before
    assert (tmp_path / "cache" / "projects").is_dir()  # the cache lives in SPARK's folder


def test_a_folder_that_is_not_a_project_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a Unity project"):
        read_project(tmp_path)
    with pytest.raises(ProjectError, match="does not exist"):
        read_project(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ProjectError, match="is a file"):
        read_project(tmp_path / "file.txt")


def test_a_subfolder_of_a_project_suggests_the_project(project_files: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        read_project(project_files / "Assets" / "Scripts")
    # Assets/Scripts has neither Assets/ nor ProjectSettings/ inside it.
    assert raised.value.hint == f"Did you mean {project_files.resolve()}?"
    assert find_project_root(project_files / "Assets" / "Scripts" / "PlayerStats.cs") == (
        project_files.resolve()
    )


def test_a_partial_project_falls_back_with_one_line_per_problem(tmp_path: Path) -> None:
    root = tmp_path / "Partial"
    (root / "Assets").mkdir(parents=True)
    (root / "Packages").mkdir()
    (root / "Packages" / "manifest.json").write_text("{not json")
    project = read_project(root)
    assert project.unity_version is None and project.input_system is None
    assert project.render_pipeline == "built-in"
    assert project.packages == ()
    assert project.problems == (
        "ProjectVersion.txt is missing.",
        "ProjectSettings.asset is missing.",
        "Packages/manifest.json is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)).",
    )
    target = UnityTarget(unity_version="6000.0", input_system="legacy").with_project(project)
    assert (target.unity_version, target.input_system) == ("6000.0", "legacy")


def test_binary_settings_are_named_with_the_fix(project_files: Path) -> None:
    (project_files / "ProjectSettings" / "ProjectSettings.asset").write_bytes(b"\x00\x01binary")
    project = read_project(project_files)
    assert project.input_system is None
    assert any("binary form" in p and "Force Text" in p for p in project.problems)


def test_old_projects_numeric_platforms_and_no_input_setting(project_files: Path) -> None:
    (project_files / "ProjectSettings" / "ProjectSettings.asset").write_text(
        "%YAML 1.1\n--- !u!129 &1\nPlayerSettings:\n  companyName: Old\n"
        "  scriptingDefineSymbols:\n    1: CROSS_PLATFORM_INPUT\n    7: MOBILE_INPUT;X\n"
        "  apiCompatibilityLevelPerPlatform: {Standalone: 3}\n"
    )
    project = read_project(project_files)
    assert project.symbols_for("Standalone") == ("CROSS_PLATFORM_INPUT",)
    assert project.symbols_for("Android") == ("MOBILE_INPUT", "X")
    assert project.api_compatibility == ".NET Framework (4.x)"
    assert project.input_system == "legacy"  # before 2019.3 there was only the Input Manager


def test_player_settings_reader_keeps_to_its_section() -> None:
    text = (
        "--- !u!1 &1\nOther:\n  activeInputHandler: 9\n--- !u!129 &2\nPlayerSettings:\n"
        "  activeInputHandler: 1\n  scriptingDefineSymbols: {}\n  nested:\n    a: 1\n"
    )
    entries = player_settings_entries(text)
    assert entries == {
        "activeInputHandler": "1",
        "scriptingDefineSymbols": {},
        "nested": {"a": "1"},
    }


def test_an_installed_but_unassigned_pipeline_is_built_in_with_a_note(project_files: Path) -> None:
    graphics = project_files / "ProjectSettings" / "GraphicsSettings.asset"
    graphics.write_text(
        graphics.read_text().replace(
            "m_CustomRenderPipeline: {fileID: 11400000, guid: 19ba41d7c0026c3459d37c2fe90c55a0, "
            "type: 2}",
            "m_CustomRenderPipeline: {fileID: 0}",
        )
    )
    project = read_project(project_files)
    assert project.render_pipeline == "built-in"
    assert any(
        p.startswith("URP is installed but no render pipeline asset") for p in project.problems
    )


def test_input_system_enabled_without_its_package_is_noted(project_files: Path) -> None:
    manifest = project_files / "Packages" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["dependencies"]["com.unity.inputsystem"]
    manifest.write_text(json.dumps(data))
    (project_files / "Packages" / "packages-lock.json").unlink()
    project = read_project(project_files)
    assert project.package("com.unity.inputsystem") is None
    assert "enables the Input System but the package is not installed" in " ".join(project.problems)


# -- targets ----------------------------------------------------------------------------------


def test_the_project_replaces_the_global_defaults(project_files: Path) -> None:
    settings = Settings(unity_version="6000.0", input_system="legacy")
    plain = resolve_target(settings)
    assert (plain.unity_version, plain.input_system, plain.project) == ("6000.0", "legacy", None)
    target = resolve_target(settings, project=project_files)
    assert (target.unity_version, target.input_system, target.render_pipeline) == (
        "2022.3.10f1",
        "both",
        "urp",
    )
    from_setting = resolve_target(Settings(unity_project=project_files))
    assert from_setting.project is not None and from_setting.unity_version == "2022.3.10f1"
    ignored = resolve_target(Settings(unity_project=project_files), allow_project=False)
    assert ignored.project is None


def test_a_stored_target_round_trips_and_rejects_nonsense() -> None:
    target = UnityTarget(unity_version="2021.3", input_system="new", render_pipeline="hdrp")
    assert UnityTarget.from_dict(json.loads(json.dumps(target.to_dict()))) == target
    kept = UnityTarget.from_dict({"input_system": "joystick", "render_pipeline": "vulkan"})
    assert (kept.input_system, kept.render_pipeline) == ("both", None)
    with pytest.raises(UsageError, match="not a Unity version"):
        UnityTarget.from_dict({"unity_version": "latest"})
    assert check_unity_version(" 6000.0.23f1 ") == "6000.0.23f1"


# -- the script index ---------------------------------------------------------------------------


def test_declarations_are_read_with_public_members() -> None:
    code = """
using UnityEngine;
namespace Game.Combat {
  [RequireComponent(typeof(Rigidbody))]
  public class Health : MonoBehaviour, IDamageable {
    [SerializeField] private float max = 10f;
    public float Current { get; private set; }
    public float Ratio { get; set; }
    public event System.Action<float> Changed;
    public int a, b = 2;
    private void Update() { }
    public void TakeDamage(float amount, DamageKind kind = DamageKind.Fire) { }
    public static T Find<T>(string name) where T : class => null;
    public const int Limit = 3;
    public class Inner { public int Z; }
  }
  public enum DamageKind { Fire, Ice = 2 }
  interface IDamageable { void TakeDamage(float amount, DamageKind kind); }
}
namespace Scoped.Name;
public record Point(int X, int Y);
"""
    found = {t.full_name: t for t in declared_types(code)}
    health = found["Game.Combat.Health"]
    assert health.bases == ("MonoBehaviour", "IDamageable")
    assert health.line == 5 and health.public and health.kind == "class"
    assert health.members == (
        "float Current { get; }",
        "float Ratio { get; set; }",
        "event System.Action<float> Changed",
        "int a, b",
        "void TakeDamage(float amount, DamageKind kind)",
        "static T Find<T>(string name)",
        "const int Limit",
    )
    assert found["Game.Combat.Health.Inner"].members == ("int Z",)
    assert found["Game.Combat.DamageKind"].members == ("Fire", "Ice")
    interface = found["Game.Combat.IDamageable"]
    assert not interface.public and interface.members == (
        "void TakeDamage(float amount, DamageKind kind)",
    )
    assert found["Scoped.Name.Point"].kind == "record"
    assert found["Scoped.Name.Point"].members == ("Point(int X, int Y)",)


def test_the_index_knows_assemblies_and_leaves_out_what_unity_does(
    project_files: Path, tmp_path: Path
) -> None:
    index = load_script_index(project_files, cache_dir=tmp_path)
    by_path = {f.path: f for f in index.files}
    assert set(by_path) == {
        "Assets/Editor/FixtureMenu.cs",
        "Assets/Gameplay/WaveSpawner.cs",
        "Assets/Scripts/Combat/Health.cs",
        "Assets/Scripts/Combat/IDamageable.cs",
        "Assets/Scripts/Internal/Wallet.cs",
        "Assets/Scripts/PlayerStats.cs",
    }  # no Samples~ (ignored by Unity), no test assembly
    assert by_path["Assets/Gameplay/WaveSpawner.cs"].assembly == "Fixture.Gameplay"
    assert by_path["Assets/Scripts/PlayerStats.cs"].assembly == "Assembly-CSharp"
    editor = by_path["Assets/Editor/FixtureMenu.cs"]
    assert editor.editor and editor.assembly == "Assembly-CSharp-Editor"
    assert [a.name for a in index.assemblies if a.tests] == ["Fixture.Tests"]
    runtime = {info.full_name for info, _ in index.types()}
    assert "FixtureMenu" not in runtime and "Fixture.Combat.Health" in runtime
    assert [f.path for f in index.declaring("Health")] == ["Assets/Scripts/Combat/Health.cs"]
    assert index.declaring("Nothing") == []


def test_the_index_cache_reparses_only_changed_files(
    project_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = project_scripts.declared_types

    def counting(code: str):
        parsed.append(code)
        return real(code)

    monkeypatch.setattr(project_scripts, "declared_types", counting)
    first = load_script_index(project_files, cache_dir=tmp_path)
    assert len(parsed) == 6
    parsed.clear()
    again = load_script_index(project_files, cache_dir=tmp_path)
    assert parsed == [] and again.files == first.files
    stats = project_files / "Assets" / "Scripts" / "PlayerStats.cs"
    stats.write_text(stats.read_text().replace("maxJumps", "maxDashes"))
    os.utime(stats, ns=(1, 1))
    changed = load_script_index(project_files, cache_dir=tmp_path)
    assert len(parsed) == 1
    members = {i.name: i.members for i, _ in changed.types()}
    assert members["PlayerStats"] == ("float moveSpeed", "int maxDashes")


def test_a_broken_asmdef_is_a_problem_not_a_crash(project_files: Path, tmp_path: Path) -> None:
    (project_files / "Assets" / "Gameplay" / "Fixture.Gameplay.asmdef").write_text("{oops")
    index = load_script_index(project_files, cache_dir=tmp_path)
    assert index.problems == (
        "Assets/Gameplay/Fixture.Gameplay.asmdef cannot be read (JSONDecodeError); its scripts "
        "are skipped.",
    )


# -- the summary for the prompt ---------------------------------------------------------------


def test_words_split_identifiers_and_fold_plurals() -> None:
    assert words("EnemyHealth takes damage from the WaveSpawners") == {
        "enemy",
        "health",
        "take",
        "damage",
        "wave",
        "spawner",
    }


def test_types_are_ranked_by_the_prompt(project_files: Path, tmp_path: Path) -> None:
    index = load_script_index(project_files, cache_dir=tmp_path)
    first = rank_types(index, "heal the player when health is low")[0]
    assert first.info.full_name == "Fixture.Combat.Health"
    first = rank_types(index, "start the next wave from a spawner")[0]
    assert first.info.full_name == "Fixture.Gameplay.WaveSpawner"


def test_the_summary_keeps_to_its_budget_and_says_what_it_left_out(
    project_files: Path, tmp_path: Path
) -> None:
    index = load_script_index(project_files, cache_dir=tmp_path)
    full = summarise_types(index, "health", budget_tokens=2000)
    assert full.startswith("- class Fixture.Combat.Health : MonoBehaviour, IDamageable")
    assert "void TakeDamage(float amount)" in full and "FixtureMenu" not in full
    assert "Other types" not in full
    small = summarise_types(index, "health", budget_tokens=60)
    assert len(small) <= 60 * 4
    assert small.startswith("- class Fixture.Combat.Health")
    assert "Other types: " in small and "more" in small
    assert summarise_types(index, "health", budget_tokens=0) == ""


def test_many_scripts_fit_the_budget(tmp_path: Path) -> None:
    root = tmp_path / "Big"
    scripts = root / "Assets" / "Scripts"
    scripts.mkdir(parents=True)
    (root / "ProjectSettings").mkdir()
    for n in range(300):
        (scripts / f"Thing{n}.cs").write_text(
            f"public class Thing{n} : UnityEngine.MonoBehaviour {{ public void Do{n}(int x) {{}} }}"
        )
    (scripts / "DoorOpener.cs").write_text("public class DoorOpener { public void Open() {} }")
    index = load_script_index(root, cache_dir=tmp_path / "cache")
    summary = summarise_types(index, "open the door", budget_tokens=200)
    assert summary.startswith("- class DoorOpener")
    assert len(summary) <= 200 * 4
    assert summary.rstrip().endswith("more")
