"""`validate_files`, the function behind `spark validate`."""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from spark.cli_validate import validate_files

DATA = Path(__file__).parent / "data" / "csharp"


def run(paths: list[Path], **kwargs: object) -> tuple[int, str]:
    console = Console(record=True, width=200, force_terminal=False, color_system=None)
    options = {"json_output": False, "unity_version": "6000.0", "input_system": "both"}
    options.update(kwargs)
    code = validate_files(paths, console=console, **options)  # type: ignore[arg-type]
    return code, console.export_text()


def test_clean_file_exits_zero() -> None:
    code, out = run([DATA / "PlayerController.cs"])
    assert code == 0
    assert "PlayerController.cs: OK — 0 errors, 0 warnings" in out


def test_broken_file_exits_one_with_compiler_style_line() -> None:
    path = DATA / "BrokenMissingSemicolon.cs"
    code, out = run([DATA / "PlayerController.cs", path])
    assert code == 1
    assert f"{path}:7:27: error CS-SYNTAX: expected ';'" in out
    assert '7 |         Debug.Log("hello")' in out
    assert "hint: End the statement with ';'." in out
    assert "FAILED — 1 error" in out


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_text(
        "using UnityEngine;\npublic class Player : MonoBehaviour { void update() { Go(); } }\n"
    )
    code, out = run([path])
    assert code == 0
    assert "warning SPK005 (UNT0033)" in out


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run([tmp_path / "Nope.cs"])
    assert code == 2
    assert "cannot read file" in out


def test_bad_input_system_is_a_usage_error() -> None:
    code, out = run([DATA / "PlayerController.cs"], input_system="maybe")
    assert code == 2
    assert "--input-system" in out


def test_json_output_is_one_document() -> None:
    code, out = run([DATA / "PlayerController.cs", DATA / "Truncated.cs"], json_output=True)
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    clean, cut = doc["files"]
    assert clean["ok"] is True and clean["diagnostics"] == []
    assert cut["truncated"] is True
    assert cut["diagnostics"][0]["rule_id"] == "CS-TRUNCATED"


def test_json_to_a_file_console() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80)
    code = validate_files(
        [DATA / "BrokenMissingSemicolon.cs"],
        json_output=True,
        unity_version="6000.0",
        input_system="both",
        console=console,
    )
    assert code == 1
    doc = json.loads(buffer.getvalue())
    assert doc["files"][0]["diagnostics"][0]["line"] == 7


def test_stdin_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("class A { void F() { Go() } }\n"))
    code, out = run([Path("-")])
    assert code == 1
    assert "<stdin>:1:26: error CS-SYNTAX: expected ';'" in out


def test_options_reach_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_text(
        "using UnityEngine;\npublic class Player : MonoBehaviour\n{\n"
        "    void Update() { if (Input.GetKey(KeyCode.A)) Go(); var p = FindObjectOfType<Player>(); }\n}\n"
    )
    _, old = run([path], unity_version="2021.3", input_system="legacy")
    assert "SPK021" not in old and "SPK022" not in old
    _, new = run([path], unity_version="6000.0", input_system="new")
    assert "SPK021" in new and "SPK022" in new
