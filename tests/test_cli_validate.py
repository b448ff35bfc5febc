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


# -- --fix and --diff ------------------------------------------------------------------------

FIXABLE = (
    "using UnityEngine;\r\npublic class Player : MonoBehaviour\r\n{\r\n"
    '    void onTriggerEnter(Collider c) { if (c.tag == "Coin") Take(); }\r\n'
    "    void Take() { }\r\n}\r\n"
)
FIXED = FIXABLE.replace("onTriggerEnter", "OnTriggerEnter").replace(
    'c.tag == "Coin"', 'c.CompareTag("Coin")'
)


def run_raw(paths: list[Path], **kwargs: object) -> tuple[int, str, str]:
    """Like `run`, with stdout byte for byte (as a pipe gets it) and stderr apart."""
    out, err = io.StringIO(), io.StringIO()
    options = {"json_output": False, "unity_version": "6000.0", "input_system": "both"}
    options.update(kwargs)
    code = validate_files(
        paths,
        console=Console(file=out, width=200, color_system=None),
        err_console=Console(file=err, width=200, color_system=None),
        **options,  # type: ignore[arg-type]
    )
    return code, out.getvalue(), err.getvalue()


def test_fix_rewrites_the_file_keeping_bom_line_ends_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_bytes(b"\xef\xbb\xbf" + FIXABLE.encode())
    path.chmod(0o640)
    code, out, _ = run_raw([path], fix=True)
    assert code == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + FIXED.encode()
    assert path.stat().st_mode & 0o777 == 0o640
    assert f"{path}:4: fixed SPK005: Rename to OnTriggerEnter" in out
    assert f"{path}:4: fixed SPK009: Use CompareTag" in out
    assert f"{path}: OK — 0 errors, 0 warnings" in out
    assert [p.name for p in tmp_path.iterdir()] == ["Player.cs"]  # no temporary file left
    assert run_raw([path], fix=True)[1].count("fixed") == 0  # nothing left to fix


def test_diff_prints_a_patch_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_bytes(FIXABLE.encode())
    code, out, err = run_raw([path], diff=True)
    assert code == 0
    assert path.read_bytes() == FIXABLE.encode()
    assert out.startswith(f"--- a{path}\r\n".replace("\r\n", "\n"))
    assert '-    void onTriggerEnter(Collider c) { if (c.tag == "Coin") Take(); }\r\n' in out
    assert '+    void OnTriggerEnter(Collider c) { if (c.CompareTag("Coin")) Take(); }\r\n' in out
    assert "2 fixes" in err


def test_fix_from_stdin_prints_the_fixed_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(FIXABLE))
    code, out, err = run_raw([Path("-")], fix=True)
    assert (code, out) == (0, FIXED)
    assert "<stdin>: OK" in err


def test_fix_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    latin1 = FIXABLE.replace("Coin", "Pièce").encode("latin-1")
    path.write_bytes(latin1)
    code, out, _ = run_raw([path], fix=True)
    assert code == 2
    assert "not valid UTF-8" in out
    assert path.read_bytes() == latin1


def test_fix_json_lists_the_fixes(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_bytes(FIXABLE.encode())
    code, out, _ = run_raw([path], fix=True, diff=True, json_output=True)
    doc = json.loads(out)
    [entry] = doc["files"]
    assert code == 0 and doc["ok"] is True
    assert entry["fixes"]["changed"] is True
    assert [f["rule_id"] for f in entry["fixes"]["applied"]] == ["SPK005", "SPK009"]
    assert entry["diff"].startswith("--- a")
    assert path.read_bytes() == FIXED.encode()


def test_plain_validation_says_which_findings_are_fixable(tmp_path: Path) -> None:
    path = tmp_path / "Player.cs"
    path.write_bytes(FIXABLE.encode())
    _, out = run([path])
    assert "SPK009 (UNT0002): comparing '.tag'" in out and "(fixable: --fix)" in out
    doc = json.loads(run([path], json_output=True)[1])
    tag = next(d for d in doc["files"][0]["diagnostics"] if d["rule_id"] == "SPK009")
    assert tag["fix"]["title"] == "Use CompareTag"
    assert tag["fix"]["edits"][0]["text"] == 'c.CompareTag("Coin")'
