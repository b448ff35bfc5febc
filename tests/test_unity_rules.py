"""Unity rules SPK001-SPK023: one example that fires and one that must not, per rule."""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import pytest

from spark.unity.rules import iter_rules, parse_version, rule_table
from spark.unity.validator import validate


def behaviour(body: str, name: str = "Player", extra: str = "") -> str:
    return (
        "using System.Collections;\nusing System.Threading.Tasks;\nusing UnityEngine;\n\n"
        f"{extra}public class {name} : MonoBehaviour\n{{\n{body}\n}}\n"
    )


def rule_ids(code: str, **kwargs: object) -> list[str]:
    kwargs.setdefault("file_name", "Player.cs")
    report = validate(code, **kwargs)  # type: ignore[arg-type]
    syntax = [d.format() for d in report.errors if d.rule_id.startswith("CS-")]
    assert syntax == []
    return [d.rule_id for d in report.diagnostics]


FIELDS = "    Rigidbody rb;\n    Transform target;\n    GameObject other;\n"

# rule id -> (code that fires it, similar code that must not)
CASES: dict[str, tuple[str, str]] = {
    "SPK001": (behaviour("", name="Enemy"), behaviour("")),
    "SPK002": (
        behaviour("", extra="public class Helper : MonoBehaviour { }\n"),
        behaviour("", extra="public class Helper { }\n"),
    ),
    "SPK003": (
        "using UnityEngine;\npublic abstract class Player : MonoBehaviour { }\n",
        "using UnityEngine;\npublic abstract class Base : MonoBehaviour { }\n"
        "public class Player : Base { }\n",
    ),
    "SPK004": (
        "public class Player : MonoBehaviour { }\n",
        "using UnityEngine;\npublic class Player : MonoBehaviour { }\n",
    ),
    "SPK005": (
        behaviour("    void update() { Step(); }"),
        behaviour("    void Update() { Step(); }"),
    ),
    "SPK006": (
        behaviour("    void OnColisionEnter(Collision c) { Hit(c); }"),
        behaviour("    void OnCollisionEnter(Collision c) { Hit(c); }"),
    ),
    "SPK007": (
        behaviour("    void OnTriggerEnter(Collision c) { Hit(c); }"),
        behaviour(
            "    void OnTriggerEnter(Collider c) { Hit(c); }\n    void OnCollisionEnter() { }"
        ),
    ),
    "SPK008": (behaviour("    void Update() { }"), behaviour("    void Update() { Step(); }")),
    "SPK009": (
        behaviour('    void OnTriggerEnter(Collider c) { if (c.tag == "Player") Hit(); }'),
        behaviour('    void OnTriggerEnter(Collider c) { if (c.CompareTag("Player")) Hit(); }'),
    ),
    "SPK010": (
        behaviour("    void Update() { GetComponent<Rigidbody>().AddForce(Vector3.up); }"),
        behaviour(FIELDS + "    void Awake() { rb = GetComponent<Rigidbody>(); }"),
    ),
    "SPK011": (
        behaviour("    void Awake() { var b = new Rigidbody(); }"),
        behaviour(
            "    void Awake() { var b = gameObject.AddComponent<Rigidbody>(); var g = new GameObject(); }"
        ),
    ),
    "SPK012": (
        behaviour(
            "    void Awake() { var d = new Data(); }",
            extra="public class Data : ScriptableObject { }\n",
        ),
        behaviour(
            "    void Awake() { var d = ScriptableObject.CreateInstance<Data>(); }",
            extra="public class Data : ScriptableObject { }\n",
        ),
    ),
    "SPK013": (
        behaviour("    void Update() { Move(Time.fixedDeltaTime); }"),
        behaviour(
            "    void FixedUpdate() { Move(Time.fixedDeltaTime); }\n    void Update() { Time.fixedDeltaTime = 0.01f; }"
        ),
    ),
    "SPK014": (
        behaviour(FIELDS + "    void Update() { rb.AddForce(Vector3.forward); }"),
        behaviour(
            FIELDS + "    void Update() { rb.AddForce(Vector3.up, ForceMode.Impulse); }\n"
            "    void FixedUpdate() { rb.AddForce(Vector3.forward); }"
        ),
    ),
    "SPK015": (
        behaviour(FIELDS + "    void Start() { target?.Rotate(0, 1, 0); }"),
        behaviour(
            FIELDS
            + "    System.Action cb;\n    void Start() { cb?.Invoke(); if (target != null) target.Rotate(0, 1, 0); }"
        ),
    ),
    "SPK016": (
        behaviour(FIELDS + "    void Start() { target = target ?? transform; }"),
        behaviour(FIELDS + '    string label;\n    void Start() { label = label ?? "x"; }'),
    ),
    "SPK017": (
        behaviour(FIELDS + "    void Start() { if (other is null) Spawn(); }"),
        behaviour(
            FIELDS
            + "    object data;\n    void Start() { if (data is null) Spawn(); if (other == null) Spawn(); }"
        ),
    ),
    "SPK018": (
        behaviour(
            "    IEnumerator Tick() { while (true) { yield return new WaitForSeconds(1f); } }"
        ),
        behaviour(
            "    IEnumerator Tick() { var wait = new WaitForSeconds(1f); while (true) { yield return wait; } }"
        ),
    ),
    "SPK019": (
        behaviour(
            '    void Start() { StartCoroutine("Tick"); }\n    IEnumerator Tick() { yield return null; }'
        ),
        behaviour(
            "    void Start() { StartCoroutine(Tick()); Invoke(nameof(Spawn), 1f); }\n"
            "    IEnumerator Tick() { yield return null; }\n    void Spawn() { Go(); }"
        ),
    ),
    "SPK020": (
        behaviour("    void Start() { Tick(); }\n    IEnumerator Tick() { yield return null; }"),
        behaviour(
            "    void Start() { StartCoroutine(Tick()); }\n    IEnumerator Tick() { yield return null; }"
        ),
    ),
    "SPK021": (
        behaviour("    void Start() { var p = FindObjectOfType<Player>(); }"),
        behaviour("    void Start() { var p = FindFirstObjectByType<Player>(); }"),
    ),
    "SPK022": (
        behaviour("    void Update() { if (Input.GetKeyDown(KeyCode.Space)) Jump(); }"),
        behaviour(
            "    void Update() { if (Keyboard.current.spaceKey.wasPressedThisFrame) Jump(); }"
        ),
    ),
    "SPK024": (
        behaviour(
            "    float speed;\n    void Update() { transform.position += transform.forward * speed * Time.deltaTime; }"
        ),
        behaviour(
            "    float speed;\n    void Update() { transform.position += speed * Time.deltaTime * transform.forward; }"
        ),
    ),
    "SPK025": (
        behaviour(
            "    void Start() { var body = GetComponent<Rigidbody>(); if (body != null) body.Sleep(); }"
        ),
        behaviour(
            "    void Start() { if (TryGetComponent<Rigidbody>(out var body)) body.Sleep(); }"
        ),
    ),
    "SPK026": (
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.position = p; transform.rotation = r; }"
        ),
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.SetPositionAndRotation(p, r); }"
        ),
    ),
    "SPK027": (
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.localPosition = p; transform.localRotation = r; }"
        ),
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.SetLocalPositionAndRotation(p, r); }"
        ),
    ),
    "SPK028": (
        behaviour(
            "    void Save() { var p = transform.position; var r = transform.rotation; Keep(p, r); }"
        ),
        behaviour(
            "    void Save() { transform.GetPositionAndRotation(out var p, out var r); Keep(p, r); }"
        ),
    ),
    "SPK029": (
        behaviour(
            "    void Save() { var p = transform.localPosition; var r = transform.localRotation; Keep(p, r); }"
        ),
        behaviour(
            "    void Save() { transform.GetLocalPositionAndRotation(out var p, out var r); Keep(p, r); }"
        ),
    ),
    "SPK030": (
        behaviour(
            '    Animator animator;\n    void Update() { animator.SetBool("Running", true); }'
        ),
        behaviour('    Animator animator;\n    void Jump() { animator.SetTrigger("Jump"); }'),
    ),
    "SPK031": (
        behaviour("    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); }"),
        behaviour("    Rigidbody body;\n    void Reset() { body = GetComponent<Rigidbody>(); }"),
    ),
    "SPK032": (
        behaviour("    float t;\n    void FixedUpdate() { t += Time.deltaTime; }"),
        behaviour("    float t;\n    void FixedUpdate() { t += Time.fixedDeltaTime; }"),
    ),
    "SPK033": (
        behaviour("    void Update() { var c = Physics.OverlapSphere(Vector3.zero, 1f); }"),
        behaviour(
            "    Collider[] c = new Collider[4];\n    void Update() { Physics.OverlapSphereNonAlloc(Vector3.zero, 1f, c); }"
        ),
    ),
    "SPK034": (
        behaviour("    [SerializeField] static float speed = 2f;"),
        behaviour("    [SerializeField] float speed = 2f;"),
    ),
    "SPK035": (
        behaviour("    Vector3 p;\n    Vector2 Flat() => new Vector2(p.x, p.y);"),
        behaviour("    Vector3 p;\n    Vector2 Flat() => p;"),
    ),
    "SPK036": (
        behaviour("    Vector2 p;\n    Vector3 Up() => new Vector3(p.x, p.y, 0f);"),
        behaviour("    Vector2 p;\n    Vector3 Up() => new Vector3(p.x, p.y, 1f);"),
    ),
    "SPK037": (
        behaviour('    void Update() { if (Input.GetKey("a")) Step(); }'),
        behaviour("    void Update() { if (Input.GetKey(KeyCode.A)) Step(); }"),
    ),
    "SPK038": (
        behaviour("    Mesh m;\n    void Update() { for (int i = 0; i < 4; i++) Draw(m.uv[i]); }"),
        behaviour(
            "    Mesh m;\n    void Update() { var uv = m.uv; for (int i = 0; i < 4; i++) Draw(uv[i]); }"
        ),
    ),
    "SPK039": (
        behaviour("    void Awake() { var rb = (Rigidbody)GetComponent(typeof(Rigidbody)); }"),
        behaviour("    void Awake() { var rb = GetComponent<Rigidbody>(); }"),
    ),
    "SPK040": (
        behaviour("    [RuntimeInitializeOnLoadMethod]\n    void Boot() { }"),
        behaviour("    [RuntimeInitializeOnLoadMethod]\n    static void Boot() { }"),
    ),
    "SPK041": (
        behaviour('    [UnityEditor.MenuItem("Tools/Reset")]\n    void ResetAll() { }'),
        behaviour('    [UnityEditor.MenuItem("Tools/Reset")]\n    static void ResetAll() { }'),
    ),
    "SPK042": (
        behaviour("    void Die() { Destroy(transform, 1f); }"),
        behaviour("    void Die() { Destroy(transform.gameObject, 1f); }"),
    ),
    "SPK046": (
        "using UnityEditor;\n[InitializeOnLoad]\npublic class Startup { static void Init() { } }\n",
        "using UnityEditor;\n[InitializeOnLoad]\npublic class Startup { static Startup() { } }\n",
    ),
    "SPK047": (
        behaviour("    void Start() { var go = GetComponent<GameObject>(); }"),
        behaviour("    void Start() { var go = gameObject; }"),
    ),
    "SPK048": (
        behaviour("    Texture2D tex;\n    void Paint(Color[] c) { tex.SetPixels(c); }"),
        behaviour("    Texture2D tex;\n    void Paint(Color32[] c) { tex.SetPixels32(c); }"),
    ),
    "SPK049": (
        behaviour('    object t;\n    void Update() { var f = t.GetType().GetField("hp"); }'),
        behaviour('    object t;\n    void Awake() { var f = t.GetType().GetField("hp"); }'),
    ),
    "SPK050": (
        behaviour("    GameObject enemy;\n    void Start() { Destroy(enemy.gameObject); }"),
        behaviour("    GameObject enemy;\n    void Start() { Destroy(enemy); }"),
    ),
    "SPK051": (
        behaviour("    void Awake() { Step(); }"),
        behaviour("    protected void Awake() { Step(); }"),
    ),
    "SPK052": (
        "using UnityEditor;\nusing UnityEngine;\npublic class D : PropertyDrawer { public override void"
        " OnGUI(Rect p, SerializedProperty s, GUIContent l) { base.OnGUI(p, s, l); } }\n",
        "using UnityEditor;\nusing UnityEngine;\npublic class D : PropertyDrawer { public override void"
        " OnGUI(Rect p, SerializedProperty s, GUIContent l) { EditorGUI.PropertyField(p, s, l); } }\n",
    ),
    "SPK053": (
        "using UnityEditor;\npublic static class S { [InitializeOnLoadMethod] static void L()"
        " { AssetDatabase.Refresh(); } }\n",
        'using UnityEditor;\npublic static class S { [MenuItem("A/B")] static void L()'
        " { AssetDatabase.Refresh(); } }\n",
    ),
    "SPK054": (
        behaviour("    void Start() { if (gameObject.isStatic) Step(); }"),
        behaviour("    bool s;\n    void Reset() { s = gameObject.isStatic; }"),
    ),
    "SPK055": (
        behaviour("    void Start()\n    {\n#if UNITY_EDITR\n        Step();\n#endif\n    }"),
        behaviour("    void Start()\n    {\n#if UNITY_EDITOR\n        Step();\n#endif\n    }"),
    ),
    "SPK056": (
        behaviour("    void OnCollisionEnter(Collision c) { var p = c.contacts[0].point; }"),
        behaviour("    void OnCollisionEnter(Collision c) { var p = c.GetContact(0).point; }"),
    ),
    "SPK057": (
        behaviour(
            '    Material m;\n    void A() { m.SetFloat(Shader.PropertyToID("_G"), 1f); }\n'
            '    void B() { m.SetFloat(Shader.PropertyToID("_G"), 0f); }'
        ),
        behaviour(
            '    static readonly int G = Shader.PropertyToID("_G");\n    Material m;\n'
            "    void A() { m.SetFloat(G, 1f); }\n    void B() { m.SetFloat(G, 0f); }"
        ),
    ),
    "SPK058": (
        behaviour("    Task Save() => null;"),
        behaviour("    Task Save() => Task.CompletedTask;"),
    ),
    "SPK059": (
        behaviour('    Task<int> score;\n    void Show() { Debug.Log("score " + score); }'),
        behaviour(
            '    Task<int> score;\n    async void Show() { Debug.Log("score " + await score); }'
        ),
    ),
    "SPK023": (
        behaviour("    async void Load() { await Task.Delay(1); }"),
        behaviour(
            "    async void Start() { await Load(); }\n    async Task Load() { await Task.Delay(1); }"
        ),
    ),
}


# The options under which a rule reports: the Input System one, and the opt-in rules.
RULE_OPTIONS: dict[str, dict[str, object]] = {
    "SPK022": {"input_system": "new"},
    **{r.id: {"enable": [r.id]} for r in iter_rules() if not r.enabled},
}


def test_every_rule_has_cases() -> None:
    spk = {r.id for r in iter_rules() if r.id.startswith("SPK")}
    assert spk == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str) -> None:
    positive, _ = CASES[rule_id]
    assert rule_id in rule_ids(positive, **RULE_OPTIONS.get(rule_id, {}))


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_stays_silent(rule_id: str) -> None:
    _, negative = CASES[rule_id]
    assert rule_id not in rule_ids(negative, **RULE_OPTIONS.get(rule_id, {}))


def test_rule_metadata_is_complete() -> None:
    for rule in iter_rules():
        assert rule.severity in {"error", "warning", "info"}
        assert rule.title and rule.message and rule.hint
        assert rule.docs == f"docs/validation.md#{rule.id.lower()}"
    table = rule_table()
    assert table["SPK008"].analyzer_id == "UNT0001"
    assert table["SPK009"].analyzer_id == "UNT0002"
    assert table["SPK007"].analyzer_id == "UNT0006"
    assert table["SPK011"].analyzer_id == "UNT0010"
    assert table["SPK012"].analyzer_id == "UNT0011"
    assert table["SPK005"].analyzer_id == "UNT0033"
    # Only syntax and the certain compile failure are errors.
    assert {r.id for r in iter_rules() if r.severity == "error"} == {
        "CS-SYNTAX",
        "CS-TRUNCATED",
        "SPK004",
    }


def test_diagnostic_carries_rule_data() -> None:
    report = validate(CASES["SPK007"][0], file_name="Player.cs")
    [d] = [d for d in report.diagnostics if d.rule_id == "SPK007"]
    assert d.severity == "warning"
    assert d.analyzer_id == "UNT0006"
    assert d.docs == "docs/validation.md#spk007"
    assert "OnTriggerEnter(Collider)" in d.message
    assert d.hint == "Use the signature OnTriggerEnter(Collider)."


@pytest.mark.parametrize(
    ("version", "fires"), [("2022.3", False), ("2023.1", True), ("6000.0", True), ("5.6", False)]
)
def test_deprecation_depends_on_target_version(version: str, fires: bool) -> None:
    code = CASES["SPK021"][0]
    assert ("SPK021" in rule_ids(code, unity_version=version)) is fires


def test_rigidbody_velocity_is_obsolete_only_in_unity_6() -> None:
    code = behaviour(FIELDS + "    void FixedUpdate() { rb.velocity = Vector3.zero; }")
    assert "SPK021" in rule_ids(code, unity_version="6000.0")
    assert "SPK021" not in rule_ids(code, unity_version="2022.3")
    # Not a Rigidbody: a user type with its own velocity is fine.
    mover = behaviour("    Mover m;\n    void FixedUpdate() { m.velocity = 1f; }")
    assert "SPK021" not in rule_ids(mover)


def test_physic_material_and_component_shortcuts() -> None:
    code = behaviour(
        "    public PhysicMaterial mat;\n    void Start() { rigidbody.AddForce(Vector3.up); }"
    )
    messages = [d.message for d in validate(code, file_name="Player.cs").diagnostics]
    assert any("PhysicMaterial" in m for m in messages)
    assert any("'rigidbody'" in m for m in messages)
    declared = behaviour(
        "    Rigidbody rigidbody;\n    void Start() { rigidbody.AddForce(Vector3.up); }"
    )
    assert "SPK021" not in rule_ids(declared)


def test_legacy_input_only_flagged_for_new_input_system() -> None:
    code = CASES["SPK022"][0]
    assert "SPK022" not in rule_ids(code, input_system="legacy")
    assert "SPK022" not in rule_ids(code, input_system="both")


def test_unity_message_rules_ignore_plain_classes() -> None:
    code = "using UnityEngine;\npublic class Player { void update() { } void Update() { } }\n"
    assert rule_ids(code) == []


def test_message_rules_follow_in_file_inheritance() -> None:
    code = (
        "using UnityEngine;\npublic class Unit : MonoBehaviour { }\n"
        "public class Player : Unit { void start() { Go(); } }\n"
    )
    assert "SPK005" in rule_ids(code)


def test_using_rule_respects_namespace_and_alias() -> None:
    assert "SPK004" not in rule_ids(
        "namespace UnityEngine.Custom { public class Player : MonoBehaviour { } }"
    )
    aliased = (
        "using MonoBehaviour = UnityEngine.MonoBehaviour;\npublic class Player : MonoBehaviour { }"
    )
    assert "SPK004" not in rule_ids(aliased)
    report = validate(
        "using System;\npublic class Player : MonoBehaviour { }", file_name="Player.cs"
    )
    assert not report.ok and report.errors[0].rule_id == "SPK004"


@pytest.mark.parametrize(
    "code",
    [
        "public class Player : MonoBehaviour { }\n",  # no using at all: may rely on global usings
        "global using System;\nnamespace Mod;\npublic class Player : MonoBehaviour { }\n",
        # A namespace of the project's own may declare a MonoBehaviour of its own.
        "using System;\nusing Netcode.Shim;\npublic class Player : MonoBehaviour { }\n",
    ],
)
def test_missing_using_is_only_a_warning_when_global_usings_may_supply_it(code: str) -> None:
    report = validate(code, file_name="Player.cs")
    assert report.ok
    assert [(d.rule_id, d.severity) for d in report.diagnostics] == [("SPK004", "warning")]


def test_global_using_unityengine_counts_as_the_using() -> None:
    code = "global using UnityEngine;\npublic class Player : MonoBehaviour { }\n"
    assert rule_ids(code) == []


def test_file_name_rules_skip_editor_classes_and_partial_parts() -> None:
    # The file's class derives from a base this file cannot see; its editor lives beside it.
    tile = (
        "using UnityEngine;\nusing UnityEditor;\npublic class RoadTile : TileBase { }\n"
        "[CustomEditor(typeof(RoadTile))]\npublic class RoadTileEditor : Editor { }\n"
    )
    assert rule_ids(tile, file_name="RoadTile.cs") == []
    window = "using UnityEditor;\npublic class Tools : EditorWindow { }\npublic class More : EditorWindow { }\n"
    assert rule_ids(window, file_name="ToolsMenu.cs") == []
    partial = (
        "using UnityEngine;\npublic partial class Player : MonoBehaviour { int a; }\n"
        "#if UNITY_EDITOR\npublic partial class Player : MonoBehaviour { int b; }\n#endif\n"
    )
    assert rule_ids(partial) == []
    # A plain class named like the file does not make a second component attachable.
    plain = "using UnityEngine;\npublic class Player { }\npublic class Mover : MonoBehaviour { }\n"
    assert "SPK001" in rule_ids(plain)


def test_parse_version() -> None:
    assert parse_version("2022.3.10f1") == (2022, 3, 10)
    assert parse_version("6000.0") == (6000, 0)
    assert parse_version("5") == (5,)
    assert parse_version("garbage") == (0,)


def test_clean_script_has_no_findings() -> None:
    from pathlib import Path

    code = (Path(__file__).parent / "data" / "csharp" / "PlayerController.cs").read_text()
    assert rule_ids(code, file_name="PlayerController.cs") == []


def test_misspelling_rule_leaves_past_tense_handler_names_alone() -> None:
    # `OnEnabled` / `OnDestroyed` are the author's own event handlers, not typos of the messages.
    code = behaviour("    void OnEnabled() { Go(); }\n    void OnDestroyed() { Go(); }")
    assert "SPK006" not in rule_ids(code)
    assert "SPK006" in rule_ids(behaviour("    void OnTrigerEnter(Collider c) { Go(); }"))


def test_wrong_case_rule_leaves_public_methods_alone() -> None:
    # A public `start()` is an API of the author's own (e.g. mirrored from another language).
    assert "SPK005" not in rule_ids(behaviour("    public void start() { Go(); }"))
    assert "SPK005" in rule_ids(behaviour("    void start() { Go(); }"))


# --- code in #if branches the target does not compile ---------------------------------------

FIND_GUARDED = behaviour(
    "    Transform t;\n    void Start()\n    {\n"
    "#if UNITY_2023_1_OR_NEWER\n        t = FindFirstObjectByType<Camera>().transform;\n"
    "#else\n        t = FindObjectOfType<Camera>().transform;\n#endif\n    }"
)


def test_no_obsolete_warning_in_the_branch_unity_6_skips() -> None:
    assert "SPK021" not in rule_ids(FIND_GUARDED, unity_version="6000.0")
    unguarded = FIND_GUARDED.replace("#if UNITY_2023_1_OR_NEWER", "#if UNITY_EDITOR")
    assert "SPK021" in rule_ids(unguarded, unity_version="6000.0")  # unknown: still checked
    assert "SPK021" in rule_ids(FIND_GUARDED.replace("#if", "#if !"), unity_version="6000.0")


def test_velocity_in_the_else_of_a_unity_6_check() -> None:
    code = behaviour(
        "    Rigidbody rb;\n    void FixedUpdate()\n    {\n#if UNITY_6000_0_OR_NEWER\n"
        "        rb.linearVelocity = Vector3.zero;\n#else\n        rb.velocity = Vector3.zero;\n"
        "#endif\n    }"
    )
    assert rule_ids(code, unity_version="6000.0") == []
    assert rule_ids(code.replace("UNITY_6000_0_OR_NEWER", "SOME_FLAG")) == ["SPK021"]


def test_no_legacy_input_warning_in_the_legacy_branch_of_an_input_system_project() -> None:
    code = behaviour(
        "    void Update()\n    {\n#if ENABLE_INPUT_SYSTEM\n        Move(UnityEngine.InputSystem.Keyboard.current.spaceKey.isPressed);\n"
        "#elif ENABLE_LEGACY_INPUT_MANAGER\n        Move(Input.GetKey(KeyCode.Space));\n#endif\n    }"
    )
    assert "SPK022" not in rule_ids(code, input_system="new")
    plain = code.replace("#elif ENABLE_LEGACY_INPUT_MANAGER", "#else").replace(
        "#if ENABLE_INPUT_SYSTEM", "#if SOME_FLAG"
    )
    assert "SPK022" in rule_ids(plain, input_system="new")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_end_lines(separator: str) -> None:
    """C# counts U+2028, U+2029 and U+0085 as line ends (they end // comments too)."""
    code = (
        f"using UnityEngine; // a comment{separator}"
        f"public class Player : MonoBehaviour{separator}{{{separator}    int x = 1{separator}}}\n"
    )
    report = validate(code, file_name="Player.cs")
    assert [(d.rule_id, d.line, d.message) for d in report.errors] == [
        ("CS-SYNTAX", 4, "expected ';'")
    ]
    assert validate(code.replace("= 1", "= 1;"), file_name="Player.cs").ok
