"""The project commands from the terminal: spark check, spark project info, spark validate
--project, spark generate --project and spark export (the offline provider: no network)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from spark.cli_check import main as check_main

ENEMY = """using UnityEngine;
using Fixture.Combat;

public class Enemy : MonoBehaviour
{
    [SerializeField] private Health health;

    private void Update()
    {
        transform.position.y = 2f;
    }
}
"""
CLEAN = ENEMY.replace("transform.position.y = 2f;", "health.TakeDamage(1f);")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `spark ...` in a clean folder; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = check_main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- spark check --------------------------------------------------------------------------------


def test_check_reports_like_validate_and_names_compiler_and_references(
    unity_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "Enemy.cs"
    script.write_text(ENEMY)
    code, out, err = check(capsys, str(script), "--project", str(unity_project))
    assert code == 1
    assert f"{script}:10:28: error CS1612: Cannot modify a value type return value" in out
    assert "    10 |         transform.position.y = 2f;" in out
    assert "compile: FAILED — 1 error, 0 warnings" in out
    assert "compiler: mcs (Mono C# compiler) from PATH" in err
    assert "references: Assembly-CSharp.csproj: 4 references" in err
    script.write_text(CLEAN)
    code, out, _ = check(capsys, str(script), "--project", str(unity_project))
    assert code == 0 and f"{script}: OK — 0 errors, 0 warnings" in out


def test_check_json_and_the_project_found_from_the_file(
    unity_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = unity_project / "Assets" / "Scripts" / "Enemy.cs"
    script.write_text(ENEMY)
    code, out, _ = check(capsys, str(script), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["project"] == str(unity_project.resolve())
    assert document["status"] == "failed" and document["ok"] is False
    assert document["compiler"].startswith("mcs (Mono C# compiler)")
    (entry,) = document["files"]
    assert entry["file"] == str(script)
    assert [(d["rule_id"], d["line"], d["column"]) for d in entry["diagnostics"]] == [
        ("CS1612", 10, 28)
    ]


def test_check_without_a_compiler_is_skipped_with_exit_zero(
    unity_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "none"))
    script = tmp_path / "Enemy.cs"
    script.write_text(ENEMY)
    code, out, _ = check(capsys, str(script), "--project", str(unity_project))
    assert code == 0
    assert "compile check skipped: no C# compiler found" in out
    assert "error" not in out


def test_check_usage_problems_exit_two(
    project_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, str(tmp_path / "missing.cs"))
    assert code == 2 and "cannot read file" in out
    script = tmp_path / "A.cs"
    script.write_text(CLEAN)
    code, _, err = check(capsys, str(script), "--project", str(tmp_path / "nowhere"))
    assert code == 2 and "does not exist" in err


def test_spark_check_runs_as_a_command(unity_project: Path, tmp_path: Path) -> None:
    script = tmp_path / "Enemy.cs"
    script.write_text(ENEMY)
    done = subprocess.run(
        [sys.executable, "-m", "spark", "check", str(script), "--project", str(unity_project)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "error CS1612" in done.stdout


# -- spark project info and spark validate --project --------------------------------------------


def test_project_info_text_and_json(cli, unity_project: Path) -> None:
    code, out, _ = cli("project", "info", str(unity_project))
    assert code == 0
    assert "2022.3.10f1" in out and "URP 14.0.8" in out
    assert "both (Input Manager and Input System)" in out
    assert "SPARK_FIXTURE" in out
    assert "mcs (Mono C# compiler)" in out
    code, out, _ = cli("project", "info", str(unity_project), "--json")
    data = json.loads(out)
    assert data["unity_version"] == "2022.3.10f1" and data["render_pipeline"] == "urp"
    assert data["scripts"]["assemblies"] == ["Assembly-CSharp", "Fixture.Gameplay"]
    assert data["scripts"]["editor_files"] == 1
    assert data["compile"]["references"].startswith("Assembly-CSharp.csproj")


def test_project_info_on_a_folder_that_is_not_a_project(cli, tmp_path: Path) -> None:
    code, _, err = cli("project", "info", str(tmp_path))
    assert code == 2
    assert "is not a Unity project" in err


def test_validate_takes_version_and_input_from_the_project(
    project_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spark.cli_validate import main as validate_main

    script = tmp_path / "Finder.cs"
    script.write_text(
        "using UnityEngine;\npublic class Finder : MonoBehaviour\n{\n"
        "    void Start() { var p = FindObjectOfType<Finder>(); }\n}\n"
    )
    validate_main([str(script)])
    assert "SPK021" in capsys.readouterr().out  # obsolete in the default 6000.0
    validate_main([str(script), "--project", str(project_files)])
    assert "SPK021" not in capsys.readouterr().out  # fine in the project's 2022.3
    assert validate_main([str(script), "--project", str(tmp_path / "none")]) == 2


def test_estimate_prices_the_projects_system_prompt(
    cli, unity_project: Path, tmp_path: Path
) -> None:
    """`spark estimate --project` prices the system prompt `spark generate --project` sends
    (the project's version, packages and classes); a folder that is no project is refused."""
    args = ("estimate", "--prompt-tokens", "100", "-p", "anthropic", "--json")
    code, out, err = cli(*args)
    assert code == 0, err
    bare = json.loads(out)["system_prompt_tokens"]
    code, out, err = cli(*args, "--project", str(unity_project))
    assert code == 0, err
    assert json.loads(out)["system_prompt_tokens"] > bare
    code, out, _ = cli(*args, "--project", str(tmp_path / "nowhere"))
    assert code == 2 and "nowhere" in json.loads(out)["error"]["message"]


# -- spark generate --project -------------------------------------------------------------------


def test_generate_writes_script_and_meta_into_the_project(cli, unity_project: Path) -> None:
    code, out, err = cli("generate", "a coin that spins", "--project", str(unity_project))
    assert code == 0, out + err
    script = unity_project / "Assets" / "Scripts" / "SPARK" / "SpinningCoin.cs"
    assert f"Wrote {script.resolve()}" in out
    assert "compile: OK — 0 errors, 0 warnings (mcs (Mono C# compiler)" in out
    meta = (script.parent / "SpinningCoin.cs.meta").read_text()
    assert meta.startswith("fileFormatVersion: 2\nguid: ") and "MonoImporter:" in meta
    assert (script.parent.parent / "SPARK.meta").is_file()
    assert "Assets/Scripts/SPARK/SpinningCoin.cs.meta (new GUID" in err
    code, _, err = cli("generate", "a coin that spins", "--project", str(unity_project), "--force")
    assert code == 0 and "kept its GUID" in err


def test_generate_refuses_a_class_the_project_has(cli, unity_project: Path, tmp_path: Path) -> None:
    code, out, err = cli(
        "generate", "a health component with 100 hit points", "--project", str(unity_project)
    )
    assert code == 1
    assert "SPK-PROJECT" in out and "Assets/Scripts/Combat/Health.cs" in out
    assert "already has a class named Health in Assets/Scripts/Combat/Health.cs" in err
    assert not (unity_project / "Assets" / "Scripts" / "SPARK" / "Health.cs").exists()
    saved = re.search(r"! Wrote (\S+/unsaved/Health\.cs)", out)  # nothing paid for is lost
    assert saved is not None and "class Health" in Path(saved.group(1)).read_text()


def test_generate_refuses_an_output_outside_the_project(
    cli, unity_project: Path, tmp_path: Path
) -> None:
    code, _, err = cli(
        "generate", "a coin that spins", "--project", str(unity_project), "-o", f"{tmp_path}/x/"
    )
    assert code == 2
    assert "outside the project's Assets/ folder" in err
    assert not (tmp_path / "x").exists()


# -- spark export -------------------------------------------------------------------------------


def test_export_zip_and_unitypackage_from_history(cli, tmp_path: Path) -> None:
    for prompt in ("a coin that spins", "a door that opens when the player walks in"):
        assert cli("generate", prompt, "-o", "out/", "--no-stream")[0] == 0
    code, out, _ = cli("history", "--json")
    rows = json.loads(out)
    ids = [str(row["id"]) for row in rows]
    names = sorted(f"{row['class_name']}.cs" for row in rows)
    code, out, err = cli("export", *ids, "--zip", "scripts.zip", "--folder", "Assets/Scripts/Loot")
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "scripts.zip") as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"Assets/Scripts/Loot/{n}" for n in names]
            + [f"Assets/Scripts/Loot/{n}.meta" for n in names]
        )
    code, _, err = cli("export", *ids, "--unitypackage", "scripts.unitypackage")
    assert code == 0, err
    data = (tmp_path / "scripts.unitypackage").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        paths = sorted(
            archive.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.name.endswith("/pathname")
        )
    assert paths == [f"Assets/Scripts/SPARK/{n}" for n in names]
    code, _, err = cli("export", ids[0], "--zip", "scripts.zip")
    assert code == 2 and "already exists" in err


def test_export_usage_errors(cli) -> None:
    code, _, err = cli("export", "1", "--zip", "a.zip", "--unitypackage", "a.unitypackage")
    assert code == 2 and "one" in err
    code, _, err = cli("export", "999", "--zip", "a.zip")
    assert code == 2 and "no generation 999" in err
