"""Switching rules on and off (opt-in rules, `--enable` / `--disable`, SPARK_VALIDATOR_ENABLE /
SPARK_VALIDATOR_DISABLE), and the fixes and target-version behaviour of SPK046-SPK058 that the
rule tables cannot show."""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from spark.cli import app
from spark.config import Settings
from spark.unity.fixer import fix_code
from spark.unity.rules import iter_rules, parse_rule_ids, unknown_rule_ids
from spark.unity.rules_directives import closest_symbol
from spark.unity.validator import validate
from tests.test_unity_rules import behaviour

OPT_IN = behaviour("    void Awake() { Step(); }\n    void Update() { Step(); }")


def ids(code: str, **options: object) -> list[str]:
    options.setdefault("file_name", "Player.cs")
    report = validate(code, **options)  # type: ignore[arg-type]
    return [d.rule_id for d in report.diagnostics]


# -- switches ------------------------------------------------------------------------------------


def test_opt_in_rules_are_off_until_enabled() -> None:
    assert [r.id for r in iter_rules() if not r.enabled] == ["SPK051"]
    assert "SPK051" not in ids(OPT_IN)
    assert ids(OPT_IN, enable=["SPK051"]).count("SPK051") == 2


def test_disable_switches_a_default_rule_off_and_wins_over_enable() -> None:
    code = behaviour("    void Update() { }")
    assert "SPK008" in ids(code)
    assert "SPK008" not in ids(code, disable=["SPK008"])
    assert "SPK051" not in ids(OPT_IN, enable=["SPK051"], disable=["SPK051"])


def test_syntax_errors_cannot_be_switched_off() -> None:
    code = behaviour("    void Update() { Step() }")
    assert "CS-SYNTAX" in ids(code, disable=["CS-SYNTAX"])
    assert unknown_rule_ids(["CS-SYNTAX", "SPK008", "SPK999"]) == ["CS-SYNTAX", "SPK999"]


def test_rule_ids_are_read_from_commas_and_spaces_in_any_case() -> None:
    assert parse_rule_ids(" spk051, SPK010  spk010,") == ("SPK051", "SPK010")
    assert parse_rule_ids("") == ()


def test_a_fix_of_an_opt_in_rule_needs_it_enabled() -> None:
    assert fix_code(OPT_IN, file_name="Player.cs").code == OPT_IN
    fixed = fix_code(OPT_IN, file_name="Player.cs", enable=["SPK051"])
    assert "protected void Awake()" in fixed.code and "protected void Update()" in fixed.code
    assert [f.rule_id for f in fixed.applied] == ["SPK051", "SPK051"]


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Spark:
    """`spark ARGS` run in a clean folder (a `.env` there is read), with extra environment."""
    monkeypatch.chdir(tmp_path)
    return Spark()


class Spark:
    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout


def test_validate_enable_and_disable_options(spark: Spark, tmp_path: Path) -> None:
    script = tmp_path / "Player.cs"
    script.write_text(OPT_IN)
    _, out = spark("validate", "--format", "json", str(script))
    assert "SPK051" not in out
    _, out = spark("validate", "--format", "json", "--enable", "spk051", str(script))
    assert [d["rule_id"] for d in json.loads(out)["files"][0]["diagnostics"]] == ["SPK051"] * 2
    _, out = spark(
        "validate", "--json", "--enable", "SPK051", "--disable", "SPK051,SPK008", str(script)
    )
    assert json.loads(out)["files"][0]["diagnostics"] == []


def test_validate_takes_the_switches_from_the_environment(spark: Spark, tmp_path: Path) -> None:
    script = tmp_path / "Player.cs"
    script.write_text(OPT_IN)
    _, out = spark("validate", str(script), env={"SPARK_VALIDATOR_ENABLE": "SPK051"})
    assert "info SPK051 (UNT0021): The Unity message 'Awake' is private" in out
    # The command line wins over the environment.
    _, out = spark(
        "validate", str(script), "--enable", "SPK008", env={"SPARK_VALIDATOR_ENABLE": "SPK051"}
    )
    assert "SPK051" not in out
    (tmp_path / ".env").write_text("SPARK_VALIDATOR_ENABLE=SPK051\n")
    _, out = spark("validate", "--fix", str(script))
    assert "fixed SPK051" in out
    assert "protected void Awake()" in script.read_text()


def test_an_unknown_rule_id_is_a_usage_error(spark: Spark, tmp_path: Path) -> None:
    script = tmp_path / "Player.cs"
    script.write_text(OPT_IN)
    code, out = spark("validate", "--enable", "SPK051,SPK999", str(script))
    assert code == 2
    assert "--enable: not a Unity rule id: SPK999 (see `spark rules`)" in out
    code, out = spark("validate", str(script), env={"SPARK_VALIDATOR_DISABLE": "CS-SYNTAX"})
    assert code == 2
    assert "SPARK_VALIDATOR_DISABLE: not a Unity rule id: CS-SYNTAX" in out


def test_rules_command_marks_opt_in_rules(spark: Spark) -> None:
    _, out = spark("rules", "--json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["SPK051"]["enabled_by_default"] is False
    assert rows["SPK050"]["enabled_by_default"] is True
    _, out = spark("rules")
    assert "info (opt-in)" in out


def test_settings_check_the_rule_ids() -> None:
    assert Settings(validator_enable="spk051 spk050").validator_enable == "SPK051,SPK050"
    with pytest.raises(ValidationError, match="not a Unity rule id: SPK999"):
        Settings(validator_disable="SPK999")


def test_generation_applies_the_enabled_rules(spark: Spark, tmp_path: Path) -> None:
    code, out = spark(
        "generate",
        "rotate an object at 90 degrees per second",
        "-o",
        "out/",
        env={"SPARK_VALIDATOR_ENABLE": "SPK051"},
    )
    assert code == 0, out
    assert "protected void Update()" in (tmp_path / "out" / "Rotator.cs").read_text()


# -- fixes and silences the rule tables do not show ---------------------------------------------


def test_protected_fix_keeps_other_modifiers_and_leaves_public_messages() -> None:
    code = behaviour(
        '    [ContextMenu("Go")] void Start() { Step(); }\n'
        "    private IEnumerator OnBecameVisible() { yield break; }\n"
        "    public void OnDisable() { Step(); }"
    )
    result = fix_code(code, file_name="Player.cs", enable=["SPK051"])
    assert '[ContextMenu("Go")] protected void Start()' in result.code
    assert "protected IEnumerator OnBecameVisible()" in result.code
    assert "public void OnDisable()" in result.code  # other scripts may call it
    assert [d.rule_id for d in result.report.diagnostics] == ["SPK051"]


def test_protected_fix_is_left_out_when_a_related_class_may_hide_it() -> None:
    code = (
        "using UnityEngine;\npublic class Unit : MonoBehaviour { void Awake() { } }\n"
        "public class Player : Unit { void Awake() { } }\n"
    )
    result = fix_code(code, file_name="Player.cs", enable=["SPK051"])
    assert result.code == code
    assert [d.rule_id for d in result.report.diagnostics].count("SPK051") == 2


def test_property_drawer_base_call_is_removed_with_its_line() -> None:
    code = (
        "using UnityEditor;\nusing UnityEngine;\n\npublic class RangeDrawer : PropertyDrawer\n{\n"
        "    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l)\n    {\n"
        "        base.OnGUI(p, s, l);\n        EditorGUI.PropertyField(p, s, l);\n    }\n}\n"
    )
    result = fix_code(code, file_name="RangeDrawer.cs")
    assert result.code == code.replace("        base.OnGUI(p, s, l);\n", "")
    guarded = code.replace("base.OnGUI(p, s, l);", "if (s == null) base.OnGUI(p, s, l);")
    assert fix_code(guarded, file_name="RangeDrawer.cs").code == guarded


@pytest.mark.parametrize(
    ("rule_id", "body"),
    [
        # Many GameObjects are not one `gameObject`.
        ("SPK047", "    void Start() { var all = GetComponentsInChildren<GameObject>(); }"),
        # UNITY_PS3, UNITY_PS4 or UNITY_PS5?
        ("SPK055", "    void Start()\n    {\n#if UNITY_PS\n        Step();\n#endif\n    }"),
        # An index that awaits: the array read before the wait, GetContact after it.
        (
            "SPK056",
            "    async void Hit(Collision c) { var p = c.contacts[await Index()]; Step(c.contacts.Length); }",
        ),
    ],
)
def test_reported_but_not_fixed_where_the_rewrite_is_a_guess(rule_id: str, body: str) -> None:
    code = behaviour(body)
    assert rule_id in ids(code)
    result = fix_code(code, file_name="Player.cs")
    assert "await Index()]" in result.code or rule_id != "SPK056"
    if rule_id != "SPK056":
        assert result.code == code
        assert rule_id in [d.rule_id for d in result.report.diagnostics]


def test_symbol_typos() -> None:
    assert closest_symbol("UNITY_EDITR") == ("UNITY_EDITOR", True)
    assert closest_symbol("UNITY_STANDLONE_WIN") == ("UNITY_STANDALONE_WIN", True)
    assert closest_symbol("unity_webgl") == ("UNITY_WEBGL", True)
    assert closest_symbol("UNITY_6000_0_OR_ABOVE") == ("UNITY_6000_0_OR_NEWER", True)
    assert closest_symbol("UNITY_ANDROI") == ("UNITY_ANDROID", True)
    assert closest_symbol("UNITY_PS") == ("UNITY_PS3", False)  # UNITY_PS4 and _PS5 are as close
    assert closest_symbol("DEBUGS") == ("DEBUG", True)
    assert closest_symbol("ODIN_INSPECTOR") == ("", False)
    assert closest_symbol("UNITY_IAP") == ("", False)  # a project's own? two edits from UNITY_IOS
    assert closest_symbol("IOS") == ("", False)


def test_rules_follow_the_target_version_and_inactive_branches() -> None:
    contacts = behaviour("    void OnCollisionEnter(Collision c) { var p = c.contacts[0].point; }")
    assert "SPK056" in ids(contacts, unity_version="2018.3")
    assert "SPK056" not in ids(contacts, unity_version="2018.2")  # no GetContact before
    pixels = behaviour("    Texture2D tex;\n    void Paint(Color[] c) { tex.SetPixels(c); }")
    assert "SPK048" in ids(pixels, unity_version="2019.4")
    assert "SPK048" not in ids(pixels, unity_version="2018.4")  # SetPixels32: RGBA32 only
    branches = behaviour(
        "    void Start()\n    {\n#if UNITY_5\n        var go = GetComponent<GameObject>();\n"
        "        if (gameObject.isStatic) Step();\n#else\n        Destroy(gameObject.gameObject);\n"
        "#endif\n    }"
    )
    assert ids(branches) == ["SPK050"]  # the UNITY_5 branch is not compiled by Unity 6
    assert sorted(ids(branches, unity_version="5.6")) == ["SPK047", "SPK054"]  # and not the #else


def test_editor_only_member_is_fine_in_editor_places() -> None:
    editor_file = "using UnityEditor;\nusing UnityEngine;\npublic class Baker { void Bake(GameObject g) { if (g.isStatic) Step(); } }\n"
    assert "SPK054" not in ids(editor_file)
    runtime = behaviour("    void Start() { if (gameObject.isStatic) Step(); }")
    assert "SPK054" in ids(runtime)
    assert "SPK054" not in ids(runtime, file_name="Assets/Tools/Editor/Player.cs")
    gizmos = behaviour("    void OnDrawGizmos() { if (!gameObject.isStatic) Step(); }")
    assert "SPK054" not in ids(gizmos)
