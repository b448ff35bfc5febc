"""The compile check against the fixture project and stub assemblies, with Mono's mcs.

Covers the semantic errors language models make most (each reported at its line with its CS
id), a script using the project's own classes compiling clean, name collisions, the Editor path
(the fixture Editor's runtime runs mcs), old compilers and new syntax, a broken project, the
cache, and no compiler at all. Compiler output parsing (mcs and csc formats) needs no compiler.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from spark.unity.compile import CheckedScript, CompileEnvironment, prepare_environment
from spark.unity.compile.build import build_assembly
from spark.unity.compile.output import parse_output
from spark.unity.project import read_project
from spark.unity.project_scripts import load_script_index

HEADER = "using UnityEngine;\nusing Fixture.Combat;\n\npublic class Probe : MonoBehaviour\n{\n"


def probe(body: str) -> str:
    """A MonoBehaviour whose members are ``body`` (its first line is line 6)."""
    return HEADER + body + "\n}\n"


def environment(root: Path, tmp_path: Path, **options: object) -> CompileEnvironment:
    project = read_project(root)
    index = load_script_index(root, cache_dir=tmp_path / "cache")
    return prepare_environment(
        cache_dir=tmp_path / "cache" / "compile",
        project=project,
        index=index,
        home=tmp_path / "home",
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def env(unity_project: Path, tmp_path: Path) -> CompileEnvironment:
    return environment(unity_project, tmp_path)


SEMANTIC_ERRORS = [
    ("CS0246", 6, "    [SerializeField] private Helth health;"),
    (
        "CS1061",
        8,
        "    [SerializeField] private Health health;\n\n    void Start() { health.Explode(); }",
    ),
    ("CS1501", 7, '    void Start()\n    {        Debug.Log("a", this, 3, 4);\n    }'),
    ("CS0103", 6, "    void Update() { transform.Translate(Vector3.up * speed); }"),
    ("CS0029", 7, '    void Start()\n    {   int lives = "three";\n        Debug.Log(lives); }'),
    ("CS1612", 8, "    void Update()\n    {\n        transform.position.y = 0f;\n    }"),
]


@pytest.mark.parametrize(
    ("rule_id", "line", "body"), SEMANTIC_ERRORS, ids=[e[0] for e in SEMANTIC_ERRORS]
)
def test_each_common_semantic_error_is_reported_at_its_line(
    env: CompileEnvironment, rule_id: str, line: int, body: str
) -> None:
    report = env.check([CheckedScript("Probe.cs", probe(body))])
    assert report.status == "failed"
    errors = report.errors
    assert [(d.rule_id, d.line) for d in errors] == [(rule_id, line)]
    diagnostic = errors[0]
    assert diagnostic.source_line == probe(body).split("\n")[line - 1]
    assert diagnostic.hint  # each of these has advice for the repair round
    assert report.compiler is not None and report.compiler.startswith("mcs (Mono C# compiler)")
    assert report.references is not None and report.references.startswith(
        "Assembly-CSharp.csproj: 4 references"
    )


def test_the_error_column_points_at_the_member(env: CompileEnvironment) -> None:
    code = probe(
        "    [SerializeField] private Health health;\n    void Start() { health.Explode(); }"
    )
    (error,) = env.check([CheckedScript("Probe.cs", code)]).errors
    assert error.source_line[error.column - 1 :].startswith("Explode")


def test_a_script_using_the_projects_classes_compiles_clean(env: CompileEnvironment) -> None:
    code = """using UnityEngine;
using Fixture.Combat;
using Fixture.Gameplay;

public class WaveDirector : MonoBehaviour
{
    [SerializeField] private Health baseHealth;
    [SerializeField] private WaveSpawner spawner;
    [SerializeField] private PlayerStats stats;
    private readonly Wallet wallet = new Wallet();

    private void Start()
    {
        baseHealth.Died += () => spawner.StartWave(spawner.CurrentWave + 1);
        IDamageable target = baseHealth;
        target.TakeDamage(stats.moveSpeed);
        wallet.Add(wallet.Coins + 1);
    }
}
"""
    report = env.check([CheckedScript("WaveDirector.cs", code)])
    assert (report.status, report.errors, report.notes) == ("ok", (), ())
    assert report.report_for("WaveDirector.cs") is not None


def test_the_offline_templates_compile_against_the_stubs(env: CompileEnvironment) -> None:
    from spark.providers.template_fill import render_template_for_prompt
    from spark.providers.template_index import get_library

    scripts = []
    for template in get_library().templates:
        render = render_template_for_prompt(template.samples[0])
        scripts.append(CheckedScript(f"{render.class_name}.cs", render.code))
    # Without the index: the fixture project's own Health would collide with the template's.
    report = replace(env, index=None).check(scripts)
    assert [d.format() for d in report.errors] == []
    assert report.status == "ok"


def test_a_class_the_project_already_has_is_an_error_naming_its_file(
    env: CompileEnvironment, unity_project: Path
) -> None:
    code = (
        "using UnityEngine;\n\n[DisallowMultipleComponent]\n"
        "public class Health : MonoBehaviour { }\n"
    )
    report = env.check([CheckedScript("Health.cs", code)])
    (error,) = report.errors
    assert (error.rule_id, error.line) == ("SPK-PROJECT", 4)
    assert "already has a class named 'Health' (Assets/Scripts/Combat/Health.cs)" in error.message
    # The project's own file, checked in place, is no collision with itself.
    own = unity_project / "Assets" / "Scripts" / "Combat" / "Health.cs"
    report = env.check([CheckedScript(str(own), own.read_text(), own)])
    assert report.status == "ok"


def test_a_project_script_checked_in_place_replaces_its_copy(
    env: CompileEnvironment, unity_project: Path
) -> None:
    stats = unity_project / "Assets" / "Scripts" / "PlayerStats.cs"
    broken = stats.read_text().replace("public int maxJumps = 2;", 'public int maxJumps = "two";')
    report = env.check([CheckedScript(str(stats), broken, stats)])
    assert [(d.rule_id, d.line) for d in report.errors] == [("CS0029", 7)]


def test_new_syntax_is_not_an_error_for_an_old_compiler(env: CompileEnvironment) -> None:
    code = probe(
        "    [SerializeField] private Rigidbody body;\n"
        "    void Update()\n"
        "    {\n"
        "        if (body is not null) body.AddForce(Vector3.up);\n"
        '        var label = Time.frameCount switch { 0 => "first", _ => "later" };\n'
        "    }"
    )
    report = env.check([CheckedScript("Probe.cs", code)])
    assert report.status == "incomplete" and report.ok
    infos = report.files[0][1].infos
    assert infos and all(d.message.startswith("compiler too old for this syntax") for d in infos)
    assert {d.line for d in infos} == {9, 10}
    assert "were not checked" in report.notes[0]


def test_real_syntax_errors_stay_errors(env: CompileEnvironment) -> None:
    report = env.check([CheckedScript("Probe.cs", probe("    void Update() { int x = 1 }"))])
    assert report.status == "failed"
    assert [d.severity for d in report.files[0][1].diagnostics] == ["error"]


def test_the_project_assembly_is_cached_and_rebuilt_when_a_script_changes(
    env: CompileEnvironment, unity_project: Path, tmp_path: Path
) -> None:
    assert env.compiler is not None and env.references is not None
    cache = tmp_path / "cache" / "compile"
    first = build_assembly(env.compiler, env.references.plan, cache_dir=cache, timeout=60)
    assert [b.cached for b in first] == [False, False]  # Fixture.Gameplay, then Assembly-CSharp
    again = build_assembly(env.compiler, env.references.plan, cache_dir=cache, timeout=60)
    assert [b.cached for b in again] == [True, True]
    assert [b.path for b in again] == [b.path for b in first]
    health = unity_project / "Assets" / "Scripts" / "Combat" / "Health.cs"
    health.write_text(health.read_text().replace("Heal(", "Restore("))
    os.utime(health, ns=(1, 1))
    changed = build_assembly(env.compiler, env.references.plan, cache_dir=cache, timeout=60)
    assert [b.cached for b in changed] == [True, False]
    report = env.check(
        [
            CheckedScript(
                "P.cs", probe("    void Start() { GetComponent<Health>().Heal(1f, false); }")
            )
        ]
    )
    assert [d.rule_id for d in report.errors] == ["CS1061"]


def test_a_project_that_does_not_compile_is_checked_together_with_a_note(
    unity_project: Path, tmp_path: Path
) -> None:
    wallet = unity_project / "Assets" / "Scripts" / "Internal" / "Wallet.cs"
    wallet.write_text(wallet.read_text().replace("Coins += amount;", "Coins += Missing;"))
    env = environment(unity_project, tmp_path)
    report = env.check(
        [
            CheckedScript(
                "P.cs", probe("    void Start() { var h = GetComponent<Health>(); h.Explode(); }")
            )
        ]
    )
    assert [(d.rule_id, d.line) for d in report.errors] == [("CS1061", 6)]
    assert any("do not compile with mcs" in n and "Missing" in n for n in report.notes)
    clean = env.check(
        [
            CheckedScript(
                "P.cs", probe("    void Start() { GetComponent<Health>().Heal(1f, true); }")
            )
        ]
    )
    assert clean.status == "incomplete"  # the build failed elsewhere: not everything was checked


def test_without_a_project_file_the_editor_and_project_folders_are_used(
    unity_stubs: dict[str, Path], unity_hub: Callable[..., Path], tmp_path: Path
) -> None:
    from tests.unity_fixture import make_project

    root = make_project(tmp_path / "NoIde", unity_stubs, csproj=False)
    data = unity_hub()
    env = environment(root, tmp_path)
    assert env.compiler is not None
    assert env.compiler.origin == "Unity 2022.3.10f1 Editor"
    assert env.compiler.command[0] == str(data / "NetCoreRuntime" / "dotnet")
    assert env.references is not None
    assert env.references.origin == "Unity 2022.3.10f1 Editor"
    sources = {p.relative_to(root).as_posix() for p in env.references.plan.sources}
    assert "Assets/Gameplay/WaveSpawner.cs" in sources  # asmdef scripts compiled along
    assert "Assets/Editor/FixtureMenu.cs" not in sources  # Editor scripts left out
    assert not any(s.startswith("Assets/Tests/") for s in sources)  # so are test assemblies
    assert {"UNITY_2022_3_OR_NEWER", "ENABLE_INPUT_SYSTEM", "SPARK_FIXTURE"} <= set(
        env.references.plan.defines
    )
    code = probe("    void Start() { GetComponent<Fixture.Gameplay.WaveSpawner>().StartWave(2); }")
    assert env.check([CheckedScript("P.cs", code)]).status == "ok"
    broken = probe("    void Update() { transform.position.x = 1f; }")
    assert [d.rule_id for d in env.check([CheckedScript("P.cs", broken)]).errors] == ["CS1612"]


def test_a_stale_project_file_gives_way_to_the_editor(
    unity_project: Path, unity_hub: Callable[..., Path], tmp_path: Path
) -> None:
    csproj = unity_project / "Assembly-CSharp.csproj"
    text = csproj.read_text()
    for line in text.splitlines():
        if "<HintPath>" in line:
            text = text.replace(
                line, "      <HintPath>C:\\Program Files\\Unity\\Gone.dll</HintPath>"
            )
    csproj.write_text(text)
    unity_hub()
    env = environment(unity_project, tmp_path)
    assert env.references is not None and env.references.origin == "Unity 2022.3.10f1 Editor"
    assert any("not on this machine" in n and "Editor's assemblies instead" in n for n in env.notes)


def test_no_compiler_means_skipped_with_a_notice(
    unity_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    env = environment(unity_project, tmp_path)
    assert env.compiler is None and not env.can_compile
    report = env.check([CheckedScript("P.cs", probe("    void Start() { Nope(); }"))])
    assert report.status == "skipped" and report.ok
    assert report.summary().startswith("compile check skipped: no C# compiler found")
    assert report.errors == ()


def test_no_unity_references_without_a_project_or_editor(
    mcs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = prepare_environment(cache_dir=tmp_path, unity_version="6000.0", home=tmp_path)
    assert env.compiler is not None and env.references is None
    assert env.skip_reason is not None and "no Unity assemblies" in env.skip_reason
    report = env.check([CheckedScript("P.cs", "public class P { }")])
    assert report.status == "skipped"


def test_a_compiler_that_cannot_start_is_a_skip(unity_project: Path, tmp_path: Path) -> None:
    env = environment(unity_project, tmp_path, csc_setting=str(tmp_path / "no-such-csc"))
    report = env.check([CheckedScript("P.cs", probe(""))])
    assert report.status == "skipped"
    assert "could not be started" in report.notes[0]


# -- output parsing (no compiler needed) --------------------------------------------------------


def test_mcs_and_csc_lines_are_parsed() -> None:
    csc_line = (
        "/p/Assets/Enemy.cs(12,17): error CS1061: 'Rigidbody' does not contain a definition for "
        "'velocty' [/p/Assembly-CSharp.csproj]"
    )
    output = f"""Microsoft (R) Visual C# Compiler version 4.3.0
{csc_line}
C:\\p\\Enemy.cs(3,1,3,9): warning CS0618: 'Object.FindObjectOfType<T>()' is obsolete
Enemy.cs(7,5): error CS0103: The name `speed' does not exist in the current context
/p/Wallet.dll (Location of the symbol related to previous error)
error CS0006: Metadata file 'UnityEngine.dll' could not be found
Compilation failed: 2 error(s), 0 warnings
Enemy.cs(7,5): error CS0103: The name `speed' does not exist in the current context
"""
    found = [(m.file, m.line, m.column, m.severity, m.rule_id) for m in parse_output(output)]
    assert found == [
        ("/p/Assets/Enemy.cs", 12, 17, "error", "CS1061"),
        ("C:\\p\\Enemy.cs", 3, 1, "warning", "CS0618"),
        ("Enemy.cs", 7, 5, "error", "CS0103"),
        (None, 0, 0, "error", "CS0006"),
    ]
    assert (
        parse_output(output)[0].message == "'Rigidbody' does not contain a definition for 'velocty'"
    )


def test_only_the_most_recently_used_builds_are_kept(tmp_path: Path) -> None:
    from spark.unity.compile.build import _prune

    for number in range(5):
        folder = tmp_path / f"key{number}"
        folder.mkdir()
        os.utime(folder, (number, number))
    (tmp_path / "build-running").mkdir()  # a build in progress is left alone
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build-running", "key3", "key4"]
