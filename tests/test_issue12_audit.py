"""Issue 12's lists, item by item, as the user meets them.

"Close the gaps" (each shape is reported, with the fixed output where the rule fixes it), "no
false alarms where the analyzers deliberately stay silent", the syntax edge cases, and
`spark rules` showing id, UNT id, severity, fix and a one-line description for every rule
(a real `spark` process). Other parts of the list live in their own files: per-rule case counts
in tests/test_rule_coverage.py, `--fix`/`--diff` in tests/test_cli_validate.py, idempotence in
tests/test_fixes.py and tests/test_corpus_check.py, leading text and line ends in
tests/test_validator_properties.py.
"""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from spark.unity.fixer import fix_code
from spark.unity.rules import iter_rules
from spark.unity.validator import validate
from tests.test_fixes import scripts as generated_scripts
from tests.test_unity_rules import behaviour

U = "using UnityEngine;\n"
ED = "using UnityEditor;\nusing UnityEngine;\n"

# (issue item, code, rule expected, the fixed code or None where the rule offers no fix)
GAPS: list[tuple[str, str, str, str | None]] = [
    (
        "UNT0002 unqualified tag ==",
        behaviour('    void Update() { if (tag == "Enemy") Go(); }'),
        "SPK009",
        behaviour('    void Update() { if (CompareTag("Enemy")) Go(); }'),
    ),
    (
        "UNT0002 null != transform.tag",
        behaviour("    void Update() { if (null != transform.tag) Go(); }"),
        "SPK009",
        None,  # a comparison with null is reported, not rewritten (CompareTag(null) throws)
    ),
    (
        "UNT0002 tag.Equals",
        behaviour('    void Update() { if (tag.Equals("Enemy")) Go(); }'),
        "SPK009",
        behaviour('    void Update() { if (CompareTag("Enemy")) Go(); }'),
    ),
    (
        "UNT0006 EditorWindow message signature",
        ED + "public class Player : EditorWindow { void OnGUI(int pass) { Go(); } }",
        "SPK007",
        None,
    ),
    (
        "UNT0006 Editor message signature",
        ED + "public class Player : Editor { void OnSceneGUI(SceneView view) { Go(); } }",
        "SPK007",
        None,
    ),
    (
        "UNT0006 static AssetPostprocessor.OnPostprocessAllAssets signature",
        ED
        + "public class Player : AssetPostprocessor { static void OnPostprocessAllAssets(string[] imported) { Go(); } }",
        "SPK007",
        None,
    ),
    (
        "UNT0033 EditorWindow message case",
        ED + "public class Player : EditorWindow { void onGUI() { Go(); } }",
        "SPK005",
        ED + "public class Player : EditorWindow { void OnGUI() { Go(); } }",
    ),
    (
        "UNT0033 Editor message case",
        ED + "public class Player : Editor { void onSceneGUI() { Go(); } }",
        "SPK005",
        ED + "public class Player : Editor { void OnSceneGUI() { Go(); } }",
    ),
    (
        "UNT0033 static OnPostprocessAllAssets case",
        ED
        + "public class Player : AssetPostprocessor { static void OnPostProcessAllAssets(string[] a, string[] b, string[] c, string[] d) { Go(); } }",
        "SPK005",
        ED
        + "public class Player : AssetPostprocessor { static void OnPostprocessAllAssets(string[] a, string[] b, string[] c, string[] d) { Go(); } }",
    ),
    (
        "UNT0007 this.a ?? this.b",
        behaviour("    Transform a, b;\n    Transform Pick() => this.a ?? this.b;"),
        "SPK016",
        behaviour("    Transform a, b;\n    Transform Pick() => this.a != null ? this.a : this.b;"),
    ),
    (
        "UNT0007 A() ?? B()",
        behaviour(
            "    Transform A() => null;\n    Transform B() => transform;\n    Transform Pick() => A() ?? B();"
        ),
        "SPK016",
        None,  # A() would run twice in `A() != null ? A() : B()`
    ),
    (
        "UNT0008 GetComponent<Camera>().gameObject?.x",
        behaviour("    void Start() { GetComponent<Camera>().gameObject?.SetActive(false); }"),
        "SPK015",
        None,  # not a plain name or member chain: GetComponent would run twice
    ),
    (
        "UNT0010 class deriving straight from Component",
        U
        + "public class Marker : Component { }\npublic class Player : MonoBehaviour { void Awake() { var m = new Marker(); } }",
        "SPK011",
        U
        + "public class Marker : Component { }\npublic class Player : MonoBehaviour { void Awake() { var m = gameObject.AddComponent<Marker>(); } }",
    ),
    (
        "UNT0016 comments inside the argument list",
        behaviour('    void Start() { Invoke(/* later */ "Go", 1f); }\n    void Go() { }'),
        "SPK019",
        behaviour("    void Start() { Invoke(/* later */ nameof(Go), 1f); }\n    void Go() { }"),
    ),
    (
        "UNT0016 b.InvokeRepeating on another object",
        behaviour(
            '    Player b;\n    void Start() { b.InvokeRepeating("Go", 0f, 1f); }\n    void Go() { }'
        ),
        "SPK019",
        behaviour(
            "    Player b;\n    void Start() { b.InvokeRepeating(nameof(Player.Go), 0f, 1f); }\n    void Go() { }"
        ),
    ),
    (
        "UNT0038 new WaitForSeconds repeated in a coroutine without a loop",
        behaviour(
            "    IEnumerator Fade() { yield return new WaitForSeconds(1f); Go(); yield return new WaitForSeconds(1f); }"
        ),
        "SPK018",
        behaviour(
            "    private static readonly WaitForSeconds Wait1s = new WaitForSeconds(1f);\n"
            "    IEnumerator Fade() { yield return Wait1s; Go(); yield return Wait1s; }"
        ),
    ),
]


@pytest.mark.parametrize(("item", "code", "rule_id", "fixed"), GAPS, ids=[g[0] for g in GAPS])
def test_gap_is_closed(item: str, code: str, rule_id: str, fixed: str | None) -> None:
    report = validate(code, file_name="Player.cs")
    found = [d for d in report.diagnostics if d.rule_id == rule_id]
    assert found, item
    assert not [d for d in report.diagnostics if d.rule_id.startswith("CS-")]
    result = fix_code(code, file_name="Player.cs")
    if fixed is None:
        assert all(d.fix is None for d in found)
        assert rule_id not in {f.rule_id for f in result.applied}
    else:
        assert result.code == fixed
        assert fix_code(result.code, file_name="Player.cs").applied == ()


SILENCES: list[tuple[str, str]] = [
    (
        "explicit interface implementation void IFailure.FixedUpdate() { }",
        U
        + "interface IFailure { void FixedUpdate(); }\npublic class Player : MonoBehaviour, IFailure { void IFailure.FixedUpdate() { } }",
    ),
    (
        "public virtual void FixedUpdate() { }",
        behaviour("    public virtual void FixedUpdate() { }"),
    ),
    ("object ??", behaviour("    object a, b;\n    object Pick() => a ?? b;")),
    ("System.Object ??=", behaviour("    System.Object a;\n    void Go() { a ??= new object(); }")),
    ("object ?.", behaviour("    object a;\n    string Text() => a?.ToString();")),
    (
        "System.Object ?.",
        behaviour("    System.Object a;\n    int Hash() => a?.GetHashCode() ?? 0;"),
    ),
    ("object is null", behaviour("    object a;\n    bool Missing() => a is null;")),
    (
        "System.Object is not null",
        behaviour("    System.Object a;\n    bool Here() => a is not null;"),
    ),
]


@pytest.mark.parametrize(("item", "code"), SILENCES, ids=[s[0] for s in SILENCES])
def test_deliberate_silence(item: str, code: str) -> None:
    report = validate(code, file_name="Player.cs")
    assert [d.format() for d in report.diagnostics] == [], item


@pytest.mark.parametrize(
    "body",
    [
        "    bool Starts(int[] a) => a is [1, .. var rest] && rest.Length > 0;",
        "    bool Ends(int[] a) => a is [.., 3];",
        "    void Use<T>(T t) where T : allows ref struct { }",
        "    void Use<T, U>(T t, U u) where T : class where U : struct, allows ref struct { }",
    ],
)
def test_new_syntax_parses_as_valid_csharp(body: str) -> None:
    assert validate(behaviour(body), file_name="Player.cs").diagnostics == ()


@pytest.mark.parametrize(
    ("symbol", "note"),
    [("UNITY_EDITOR", "(not checked)"), ("UNITY_5", "(this target does not compile)")],
)
def test_syntax_error_in_an_inactive_if_branch_is_a_warning_naming_the_symbol(
    symbol: str, note: str
) -> None:
    code = behaviour(
        f'    void Start()\n    {{\n#if {symbol}\n        Debug.Log("x")\n#endif\n    }}'
    )
    report = validate(code, file_name="Player.cs")
    assert report.ok  # a warning, not an error
    (finding,) = report.diagnostics
    assert finding.rule_id == "CS-BRANCH" and finding.severity == "warning"
    assert f"'#if {symbol}' branch" in finding.message and note in finding.message


def _spark(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "spark", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_spark_rules_lists_every_rule_with_id_unt_id_severity_fix_and_title() -> None:
    rules = list(iter_rules())
    listed = json.loads(_spark("rules", "--json").stdout)
    by_id = {r["id"]: r for r in listed}
    assert set(by_id) == {r.id for r in rules}
    table = _spark("rules").stdout
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.startswith("│")}
    for rule in rules:
        entry = by_id[rule.id]
        assert entry["analyzer_id"] == rule.analyzer_id
        assert entry["severity"] == rule.severity
        assert entry["has_fix"] == bool(rule.fix)
        assert entry["title"] == rule.title and rule.title
        cells = [cell.strip() for cell in rows[rule.id].split("│")[1:-1]]
        assert cells[1].split()[:1] == ([rule.analyzer_id] if rule.analyzer_id else ["—"])
        assert cells[2].startswith(rule.severity)
        assert cells[3] == ("yes" if rule.fix else "—")
        assert cells[4] == rule.title


FIXABLE = (
    "using UnityEngine;\r\n\r\npublic class Coin : MonoBehaviour\r\n{\r\n"
    '    void onTriggerEnter(Collider c) { if (c.tag == "Player") Take(); }\r\n'
    "    void Take() { Destroy(gameObject); }\r\n}\r\n"
)
FIXED = FIXABLE.replace("onTriggerEnter", "OnTriggerEnter").replace(
    'c.tag == "Player"', 'c.CompareTag("Player")'
)


def test_spark_validate_diff_then_fix_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "Coin.cs"
    path.write_bytes(FIXABLE.encode())
    diff = _spark("validate", "--diff", str(path))
    assert diff.returncode == 0
    assert path.read_bytes() == FIXABLE.encode()  # --diff writes nothing
    assert (
        '+    void OnTriggerEnter(Collider c) { if (c.CompareTag("Player")) Take(); }'
        in diff.stdout
    )
    fixed = _spark("validate", "--fix", str(path))
    assert fixed.returncode == 0
    assert path.read_bytes() == FIXED.encode()  # CRLF kept
    assert "fixed SPK005" in fixed.stdout and "fixed SPK009" in fixed.stdout
    again = _spark("validate", "--fix", str(path))
    assert again.returncode == 0 and "fixed" not in again.stdout
    assert path.read_bytes() == FIXED.encode()  # a second --fix changes nothing


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=generated_scripts())
def test_line_ends_do_not_change_the_fixes(code: str) -> None:
    # Rules and fixes are blind to line ends (the leading-text half of the property is in
    # tests/test_fixes.py and tests/test_validator_properties.py): a CRLF script gets the same
    # fixes as its LF twin, with its own line ends kept, including in the lines fixes add.
    lf = code.replace("\r\n", "\n")
    plain = fix_code(lf, file_name="Player.cs")
    crlf = fix_code(lf.replace("\n", "\r\n"), file_name="Player.cs")
    assert crlf.code == plain.code.replace("\n", "\r\n")
    assert [(f.rule_id, f.title, f.line) for f in crlf.applied] == [
        (f.rule_id, f.title, f.line) for f in plain.applied
    ]
