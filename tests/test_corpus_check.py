"""The real-world corpus check (bench/corpus_check.py), and the false alarms it found.

The corpus is third-party code and stays out of the repository; these tests run the check on
small scripts of our own, written to have the shape of what the corpus showed.
"""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark.unity.fixer import FixResult, fix_code
from tests.test_unity_rules import rule_ids

BENCH = Path(__file__).resolve().parents[1] / "bench" / "corpus_check.py"


def _corpus_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_check", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_check"] = module
    spec.loader.exec_module(module)
    return module


corpus_check = _corpus_check()

UI_TOOLKIT_WINDOW = """using UnityEditor;
using UnityEngine;
using UnityEngine.UIElements;

public class ToolWindow : EditorWindow
{
    Button _run;
    Image _icon;

    void CreateGUI()
    {
        _run = new Button(Run) { text = "Run" };
        _icon = new Image();
        rootVisualElement.Add(_run);
        _run?.Focus();
        var toggle = new Toggle("On");
        rootVisualElement.Add(toggle);
    }

    void Run() { }
}
"""


def test_ui_toolkit_elements_are_not_ugui_components() -> None:
    # `Button`, `Image`, `Toggle`, `Slider` are plain C# VisualElements in UI Toolkit.
    assert rule_ids(UI_TOOLKIT_WINDOW, file_name="ToolWindow.cs") == []


@pytest.mark.parametrize(
    "usings",
    [
        "using UnityEngine;\nusing UnityEngine.UI;\n",
        "using UnityEngine;\nusing UnityEngine.UI;\nusing UnityEngine.UIElements;\n",
        "using UnityEngine;\n",
    ],
)
def test_ugui_components_created_with_new_are_still_reported(usings: str) -> None:
    code = usings + (
        "public class Menu : MonoBehaviour\n{\n"
        "    void Start() { var b = new Button(); var i = new Image(); }\n}\n"
    )
    assert rule_ids(code, file_name="Menu.cs") == ["SPK011", "SPK011"]


def test_null_propagation_on_a_ugui_button_is_still_reported() -> None:
    code = (
        "using UnityEngine;\nusing UnityEngine.UI;\n"
        "public class Menu : MonoBehaviour\n{\n    Button play;\n"
        "    void Start() { play?.Select(); }\n}\n"
    )
    assert rule_ids(code, file_name="Menu.cs") == ["SPK015"]


SHARED_NATIVE_METHODS = """using System;
using System.Runtime.InteropServices;

namespace Native
{
    internal class NativeMethods
    {
        internal NativeMethods(IntPtr api)
        {
#if NETSTANDARD2_0
            _api = (Api)Marshal.PtrToStructure(api, typeof(Api));
#elif NET6_0_OR_GREATER || NETCOREAPP3_1 || NETFRAMEWORK || NET48 || NETSTANDARD
            _api = Marshal.PtrToStructure<Api>(api);
#else
            _api = default;
#endif
        }

        Api _api;
        struct Api { }
    }
}
"""


def test_dotnet_target_framework_symbols_are_not_typos() -> None:
    # A file shared between a Unity package and a NuGet build (ONNX Runtime's) tests the .NET
    # SDK's target-framework symbols on purpose; SPK055 took NETSTANDARD2_0 for a typo of
    # NET_STANDARD_2_0 and its fix changed which branch the NuGet build compiles.
    assert rule_ids(SHARED_NATIVE_METHODS, file_name="NativeMethods.shared.cs") == []


@pytest.mark.parametrize("symbol", ["NET_STANDRD_2_0", "UNITY_EDITR", "ENABLE_MONOO"])
def test_near_misses_next_to_dotnet_symbols_are_still_reported(symbol: str) -> None:
    code = SHARED_NATIVE_METHODS.replace("#if NETSTANDARD2_0", f"#if {symbol}")
    assert rule_ids(code, file_name="NativeMethods.shared.cs") == ["SPK055"]


def _component(members: str) -> str:
    return f"using UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{members}\n}}\n"


@pytest.mark.parametrize(
    "members",
    [
        # a field of a type this file does not declare (`Hit_FX hitFX = GetComponent<Hit_FX>()`)
        '    Hit_FX hitFX;\n    void Hurt() { hitFX.StartCoroutine("FlashFX"); }',
        # the result of GetComponent<T>() on another object
        "    GameObject massage;\n"
        '    void Go() { massage.GetComponent<Massage>().StartCoroutine("AutoClose"); }',
        "    Door door;\n"
        '    void Go() { door.CancelInvoke("Open"); door.InvokeRepeating("Open", 0f, 1f); }',
    ],
)
def test_coroutine_and_invoke_calls_on_components_of_other_files_are_reported(members: str) -> None:
    # Only MonoBehaviour has these names; the method lives in the other class, so no fix.
    report = corpus_check.validate(_component(members), file_name="Player.cs")
    found = [d for d in report.diagnostics if d.rule_id == "SPK019"]
    assert found and all(d.fix is None for d in found)


@pytest.mark.parametrize(
    "members",
    [
        # UnityEvent<string> and delegates have Invoke: never taken for MonoBehaviour.Invoke
        '    UnityEngine.Events.UnityEvent<string> onHit;\n    void Go() { onHit.Invoke("x"); }',
        '    Relay relay;\n    void Go() { relay.Invoke("x"); }',
        # a class of this file that is not a component, with a method of that name
        '    Runner runner;\n    void Go() { runner.StartCoroutine("x"); }\n}\n'
        "public class Runner\n{\n    public void StartCoroutine(string s) { }",
        # a receiver whose type cannot be told
        '    void Go() { Make().StartCoroutine("x"); }',
    ],
)
def test_string_name_calls_on_receivers_of_unknown_kind_stay_silent(members: str) -> None:
    assert "SPK019" not in rule_ids(_component(members), file_name="Player.cs")


# -- the check itself ----------------------------------------------------------------------------

MOVER = """using UnityEngine;

public class Mover : MonoBehaviour
{
    public float speed = 2f;
    Rigidbody body;

    void Start() { body = GetComponent<Rigidbody>(); }

    void Update()
    {
        transform.position += transform.forward * speed * Time.deltaTime;
    }

    void OnTriggerEnter(Collider other)
    {
        if (other.tag == "Player") body.velocity = Vector3.zero;
    }
}
"""

QUIET = (
    "using UnityEngine;\n\npublic class Quiet : MonoBehaviour\n{\n    public int lives = 3;\n}\n"
)


def _corpus(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    return tmp_path


def test_table_counts_files_findings_and_fixes_per_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _corpus(folder, {"Mover.cs": MOVER, "Quiet.cs": QUIET})
    diffs = tmp_path / "diffs"
    status = corpus_check.main([str(folder), "--fixes", "--diffs", str(diffs)])
    out = capsys.readouterr().out
    assert status == 0
    assert "files                   2 (" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:3] == "SPK"}
    # rule, severity, files, share, findings, fixes, fixed files
    assert rows["SPK009"][1:] == ["info", "1", "50.0%", "1", "1", "1"]  # half: not noisy
    assert rows["SPK024"][2] == "1" and rows["SPK024"][5] == "1"
    assert rows["SPK021"][1] == "warning" and rows["SPK021"][5] == "1"
    assert "files the fixes break   0" in out
    written = sorted(p.name for p in diffs.iterdir())
    assert written == ["Mover.cs.diff"]
    assert 'CompareTag("Player")' in (diffs / "Mover.cs.diff").read_text()


def test_a_rule_firing_in_most_files_is_marked_noisy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _corpus(tmp_path, {"Mover.cs": MOVER, "Other.cs": MOVER.replace("Mover", "Other")})
    corpus_check.main([str(tmp_path)])
    noisy = [line.split()[0] for line in capsys.readouterr().out.splitlines() if "NOISY" in line]
    assert "SPK009" in noisy and "SPK024" in noisy


def test_a_syntax_error_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _corpus(tmp_path, {"Broken.cs": QUIET.replace("= 3;", "= 3")})
    assert corpus_check.main([str(tmp_path), "--show", "error"]) == 1
    out = capsys.readouterr().out
    assert "Broken.cs:5:" in out and "CS-SYNTAX" in out
    assert "files with errors       1" in out


def test_a_fix_that_is_not_idempotent_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = {"n": 0}

    def drifting_fix(code: str, **kwargs: object) -> FixResult:
        # Each call appends one more line: fixing the fixed text changes it again.
        calls["n"] += 1
        result = fix_code(code, **kwargs)  # type: ignore[arg-type]
        return FixResult(code, result.code + f"// {calls['n']}\n", result.report)

    monkeypatch.setattr(corpus_check, "fix_code", drifting_fix)
    _corpus(tmp_path, {"Quiet.cs": QUIET})
    assert corpus_check.main([str(tmp_path), "--fixes"]) == 1
    out = capsys.readouterr().out
    assert "files the fixes break   1" in out
    assert "Quiet.cs: fixing twice changes the text again" in out


def test_the_fixes_of_every_rule_are_idempotent_on_corpus_shaped_scripts() -> None:
    # The promise the corpus check holds real code to, on the snippets above.
    for name, code in {"Mover.cs": MOVER, "ToolWindow.cs": UI_TOOLKIT_WINDOW}.items():
        report = corpus_check.validate(code, file_name=name)
        result, problem = corpus_check.check_fixes(code, report, "both", {"file_name": name})
        assert problem == ""
        assert result.changed == (name == "Mover.cs")


def test_an_empty_folder_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert corpus_check.main([str(tmp_path)]) == 2
    assert "no .cs files" in capsys.readouterr().out


# Members shaped like what the rebuilt corpus held (our own code): Unity 4 template comments and
# tabs, tag comparisons in trigger handlers, coroutine spawners, GetComponent + null test,
# position/rotation pairs, Animator parameters by name, Invoke by name, Time.deltaTime in
# FixedUpdate, `transform` of a Transform, a local function inside a method.
CORPUS_MEMBERS = [
    "\t// Use this for initialization\n\tvoid Start () {\n\t\n\t}\n\t\n\t// Update is called once per frame\n\tvoid Update () {\n\t\n\t}",
    '    void OnTriggerEnter2D(Collider2D other)\n    {\n        if (other.gameObject.tag == "Player")\n        {\n            Destroy(gameObject);\n        }\n    }',
    "    IEnumerator SpawnWave()\n    {\n        for (int i = 0; i < count; i++)\n        {\n            Spawn();\n            yield return new WaitForSeconds(1f);\n        }\n        yield return new WaitForSeconds(1.5f);\n    }",
    "    void Hit(Collider col)\n    {\n        Health hm = col.GetComponent<Health>();\n\n        if (hm != null)\n        {\n            hm.Damage(1);\n        }\n    }",
    "    void Place()\n    {\n        transform.position = new Vector3(0f, transform.position.y, 0f);\n        transform.rotation = Quaternion.identity;\n    }",
    '    void Animate()\n    {\n        animator.SetBool("Run", speed > 0f);\n        animator.SetFloat("Speed", speed);\n        if (speed > 9f) animator.SetBool("Run", false);\n    }',
    '    void Awake() { InvokeRepeating("Tick", 0f, 0.5f); }\n    void Tick() { count++; }',
    "    void FixedUpdate()\n    {\n        body.MovePosition(body.position + dir * speed * Time.deltaTime);\n    }",
    "    void LateUpdate() { cameraTarget.transform.position = player.transform.position; }",
    "    void Move()\n    {\n        Step();\n        void Step() { transform.Translate(Vector3.up * speed * Time.deltaTime); }\n    }",
]
CORPUS_FIELDS = "    Animator animator;\n    Rigidbody body;\n    Transform cameraTarget, player;\n    float speed;\n    int count;\n    Vector3 dir;\n"


@st.composite
def corpus_shaped_scripts(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(CORPUS_MEMBERS), min_size=1, max_size=5, unique=True))
    code = (
        "using System.Collections;\nusing UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n"
        + CORPUS_FIELDS
        + "\n".join(chosen)
        + "\n}\n"
    )
    if draw(st.booleans()):
        code = code.replace("\n", "\r\n")
    return ("\ufeff" if draw(st.booleans()) else "") + code


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=corpus_shaped_scripts())
def test_fixes_keep_corpus_shaped_scripts_valid_and_are_idempotent(code: str) -> None:
    # The promise bench/corpus_check.py holds the real corpus to: no new error, and fixing the
    # fixed text changes nothing (CRLF and a BOM as npm packages have them).
    report = corpus_check.validate(code, file_name="Player.cs")
    assert report.ok
    result, problem = corpus_check.check_fixes(code, report, "both", {"file_name": "Player.cs"})
    assert problem == ""
    assert result.changed
    assert ("\r\n" in code) == ("\r\n" in result.code)
