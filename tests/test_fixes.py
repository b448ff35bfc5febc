"""Automatic fixes: each rule's rewrite, and the fixer's guarantees (verified, idempotent)."""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark.unity.fixer import fix_code
from spark.unity.report import Diagnostic, Fix, TextEdit, ValidationReport
from spark.unity.validator import format_for_repair, validate
from tests.test_unity_rules import behaviour

FIELDS = "    Rigidbody rb;\n    Transform target;\n"

# (rule id, code with one finding, the code after `fix_code`): the body of a Player behaviour.
FIXES: list[tuple[str, str, str]] = [
    ("SPK005", "    void update() { Step(); }", "    void Update() { Step(); }"),
    (
        "SPK005",
        "    void onTriggerEnter(Collider c) { Hit(c); }",
        "    void OnTriggerEnter(Collider c) { Hit(c); }",
    ),
    (
        "SPK008",
        "    void Awake() { Go(); }\n\n    // Update is called once per frame\n    void Update()\n    {\n        \n    }\n",
        "    void Awake() { Go(); }\n",
    ),
    (
        "SPK008",
        "    int hp;\n\n    // Use this for initialization\n    void Start () {\n\t\t\n    }\n\n    void Go() { }",
        "    int hp;\n\n    void Go() { }",
    ),
    (
        "SPK008",
        "    /// <summary>Per frame.</summary>\n    void LateUpdate() { }\n\n    void Go() { }",
        "    void Go() { }",
    ),
    (
        "SPK009",
        '    void OnTriggerEnter(Collider c) { if (c.tag == "Player") Hit(); }',
        '    void OnTriggerEnter(Collider c) { if (c.CompareTag("Player")) Hit(); }',
    ),
    (
        "SPK009",
        '    void OnTriggerEnter(Collider c) { if ("Wall" != c.gameObject.tag) Hit(); }',
        '    void OnTriggerEnter(Collider c) { if (!c.gameObject.CompareTag("Wall")) Hit(); }',
    ),
    ("SPK009", '    bool Mine() => tag == "Player";', '    bool Mine() => CompareTag("Player");'),
    (
        "SPK009",
        '    bool Is(Collision c) => c.transform.tag.Equals("Enemy");',
        '    bool Is(Collision c) => c.transform.CompareTag("Enemy");',
    ),
    (
        "SPK011",
        "    void Awake() { var b = new Rigidbody(); }",
        "    void Awake() { var b = gameObject.AddComponent<Rigidbody>(); }",
    ),
    (
        "SPK013",
        "    void Update() { Move(Time.fixedDeltaTime); }",
        "    void Update() { Move(Time.deltaTime); }",
    ),
    (
        "SPK015",
        FIELDS + "    void Start() { target?.Rotate(0, 1, 0); }",
        FIELDS + "    void Start() { if (target != null) target.Rotate(0, 1, 0); }",
    ),
    (
        "SPK015",
        FIELDS + "    void Start() { this.target?.parent.Rotate(0, 1, 0); }",
        FIELDS
        + "    void Start() { if (this.target != null) this.target.parent.Rotate(0, 1, 0); }",
    ),
    (
        "SPK016",
        FIELDS + "    void Start() { target = target ?? transform; }",
        FIELDS + "    void Start() { target = target != null ? target : transform; }",
    ),
    (
        "SPK016",
        FIELDS + "    void Start() { Use(target ?? transform); }",
        FIELDS + "    void Start() { Use(target != null ? target : transform); }",
    ),
    (
        "SPK016",
        FIELDS + "    void Start() { target ??= transform; }",
        FIELDS + "    void Start() { if (target == null) target = transform; }",
    ),
    (
        "SPK017",
        FIELDS + "    void Start() { if (rb is null) Go(); if (target is not null) Go(); }",
        FIELDS + "    void Start() { if (rb == null) Go(); if (target != null) Go(); }",
    ),
    (
        "SPK017",
        FIELDS + "    bool Same(bool b) => b == target is null;",
        FIELDS + "    bool Same(bool b) => b == (target == null);",
    ),
    (
        "SPK018",
        "    IEnumerator Tick() { while (true) { yield return new WaitForSeconds(1f); } }",
        "    private static readonly WaitForSeconds Wait1s = new WaitForSeconds(1f);\n"
        "    IEnumerator Tick() { while (true) { yield return Wait1s; } }",
    ),
    (
        "SPK019",
        '    void Start() { Invoke("Spawn", 1f); }\n    void Spawn() { Go(); }',
        "    void Start() { Invoke(nameof(Spawn), 1f); }\n    void Spawn() { Go(); }",
    ),
    (
        "SPK020",
        "    void Start() { Tick(); }\n    IEnumerator Tick() { yield return null; }",
        "    void Start() { StartCoroutine(Tick()); }\n    IEnumerator Tick() { yield return null; }",
    ),
    (
        "SPK021",
        "    void Start() { var p = FindObjectOfType<Player>(); var all = FindObjectsOfType<Camera>(); }",
        "    void Start() { var p = FindFirstObjectByType<Player>(); var all = FindObjectsByType<Camera>(FindObjectsSortMode.None); }",
    ),
    (
        "SPK021",
        FIELDS
        + "    public PhysicMaterial mat;\n    void FixedUpdate() { rb.velocity = Vector3.zero; rb.drag = 1; }",
        FIELDS
        + "    public PhysicsMaterial mat;\n    void FixedUpdate() { rb.linearVelocity = Vector3.zero; rb.linearDamping = 1; }",
    ),
    (
        "SPK021",
        "    void Reset() { collider.enabled = false; }",  # (in Reset: no SPK031 after it)
        "    void Reset() { GetComponent<Collider>().enabled = false; }",
    ),
    (
        "SPK024",
        "    float speed;\n    void Update() { transform.position += transform.forward * speed * Time.deltaTime; }",
        "    float speed;\n    void Update() { transform.position += transform.forward * (speed * Time.deltaTime); }",
    ),
    (
        "SPK024",
        "    float speed;\n    Vector3 Push() => 2f * Vector3.up * speed;",
        "    float speed;\n    Vector3 Push() => 2f * speed * Vector3.up;",
    ),
    (
        "SPK025",
        "    void Hit(Collider c)\n    {\n        AudioSource s = c.GetComponent<AudioSource>();\n        if (s == null) return;\n        s.Play();\n    }",
        "    void Hit(Collider c)\n    {\n        if (!c.TryGetComponent(out AudioSource s)) return;\n        s.Play();\n    }",
    ),
    (
        "SPK026",
        "    Transform t;\n    void Place(Vector3 p, Quaternion r)\n    {\n        t.rotation = r;\n        t.position = p;\n    }",
        "    Transform t;\n    void Place(Vector3 p, Quaternion r)\n    {\n        t.SetPositionAndRotation(p, r);\n    }",
    ),
    (
        "SPK027",
        "    void Place(Vector3 p, Quaternion r) { transform.localPosition = p; transform.localRotation = r; }",
        "    void Place(Vector3 p, Quaternion r) { transform.SetLocalPositionAndRotation(p, r); }",
    ),
    (
        "SPK028",
        "    Transform t;\n    void Save() { Quaternion r = t.rotation; Vector3 p = t.position; Keep(p, r); }",
        "    Transform t;\n    void Save() { t.GetPositionAndRotation(out Vector3 p, out Quaternion r); Keep(p, r); }",
    ),
    (
        "SPK029",
        "    void Save()\n    {\n        var p = transform.localPosition;\n        var r = transform.localRotation;\n        Keep(p, r);\n    }",
        "    void Save()\n    {\n        transform.GetLocalPositionAndRotation(out var p, out var r);\n        Keep(p, r);\n    }",
    ),
    (
        "SPK030",
        '    Animator anim;\n    void Jump() { anim.SetTrigger("Jump"); }\n    void Land() { anim.ResetTrigger("Jump"); }',
        '    private static readonly int JumpHash = Animator.StringToHash("Jump");\n    Animator anim;\n    void Jump() { anim.SetTrigger(JumpHash); }\n    void Land() { anim.ResetTrigger(JumpHash); }',
    ),
    (
        "SPK032",
        "    float t;\n    void FixedUpdate() { t += Time.deltaTime; }",
        "    float t;\n    void FixedUpdate() { t += Time.fixedDeltaTime; }",
    ),
    (
        "SPK034",
        "    // Lives at start.\n    [SerializeField]\n    private static int lives = 3;\n    [SerializeField] readonly float speed = 2f;",
        "    // Lives at start.\n    private static int lives = 3;\n    readonly float speed = 2f;",
    ),
    (
        "SPK034",
        '    [Tooltip("hp"), SerializeField] public int Health { get; private set; }\n    [SerializeField] public int Mana { get; set; } = 5;',
        '    [Tooltip("hp")] public int Health { get; private set; }\n    [field: SerializeField] public int Mana { get; set; } = 5;',
    ),
    (
        "SPK035",
        "    Vector2 aim;\n    void Update() { Vector2 a = new Vector2(transform.position.x, transform.position.y); aim = new Vector2(a.x, a.y) * 2f; var n = new Vector2(transform.position.x, transform.position.y).normalized; }",
        "    Vector2 aim;\n    void Update() { Vector2 a = transform.position; aim = new Vector2(a.x, a.y) * 2f; var n = ((Vector2)transform.position).normalized; }",
    ),
    (
        "SPK036",
        "    Rigidbody2D body;\n    Vector3 offset;\n    void LateUpdate() { Vector3 p = new Vector3(body.position.x, body.position.y, 0f); transform.position = new Vector3(body.position.x, body.position.y) + offset; }",
        "    Rigidbody2D body;\n    Vector3 offset;\n    void LateUpdate() { Vector3 p = body.position; transform.position = (Vector3)body.position + offset; }",
    ),
    (
        "SPK037",
        '    void Update() { if (Input.GetKey("left shift") || Input.GetKeyDown("w") || Input.GetKeyUp("[3]") || Input.GetKey("f12") || Input.GetKey("mouse 1")) Run(); }',
        "    void Update() { if (Input.GetKey(KeyCode.LeftShift) || Input.GetKeyDown(KeyCode.W) || Input.GetKeyUp(KeyCode.Keypad3) || Input.GetKey(KeyCode.F12) || Input.GetKey(KeyCode.Mouse1)) Run(); }",
    ),
    (
        "SPK038",
        "    Mesh mesh;\n    void Update()\n    {\n        // Every vertex.\n        for (int i = 0; i < mesh.vertices.Length; i++)\n        {\n            Draw(mesh.vertices[i] + mesh.normals[i]);\n        }\n        for (int i = 0; i < mesh.vertexCount; i++) mesh.vertices[i] = Vector3.zero;\n    }",
        "    Mesh mesh;\n    void Update()\n    {\n        // Every vertex.\n        var normals = mesh.normals;\n        var vertices = mesh.vertices;\n        for (int i = 0; i < vertices.Length; i++)\n        {\n            Draw(vertices[i] + normals[i]);\n        }\n        for (int i = 0; i < mesh.vertexCount; i++) mesh.vertices[i] = Vector3.zero;\n    }",
    ),
    (
        "SPK038",
        "    void Bake(Mesh[] meshes)\n    {\n        foreach (Mesh m in meshes)\n        {\n            for (int t = 0; t < m.triangles.Length; t += 3) Draw(m.triangles[t]);\n        }\n    }",
        "    void Bake(Mesh[] meshes)\n    {\n        foreach (Mesh m in meshes)\n        {\n            var triangles = m.triangles;\n            for (int t = 0; t < triangles.Length; t += 3) Draw(triangles[t]);\n        }\n    }",
    ),
    (
        "SPK039",
        "    Collider hit;\n    void Reset() { hit = (Collider)GetComponent(typeof(Collider)); var all = gameObject.GetComponentsInChildren(typeof(Light), true); }",
        "    Collider hit;\n    void Reset() { hit = GetComponent<Collider>(); var all = gameObject.GetComponentsInChildren<Light>(true); }",
    ),
    (
        "SPK039",
        "    Rigidbody rb;\n    void Reset() { rb = GetComponent(typeof(Rigidbody)) /* body */ as Rigidbody; }",
        "    Rigidbody rb;\n    void Reset() { rb = GetComponent<Rigidbody>(); }",
    ),
    (
        "SPK040",
        '    [RuntimeInitializeOnLoadMethod]\n    private void Boot(int level) { Debug.Log("boot"); }',
        '    [RuntimeInitializeOnLoadMethod]\n    private static void Boot() { Debug.Log("boot"); }',
    ),
    (
        "SPK041",
        '    [UnityEditor.MenuItem("Tools/Clear")]\n    public void Clear() { PlayerPrefs.DeleteAll(); }',
        '    [UnityEditor.MenuItem("Tools/Clear")]\n    public static void Clear() { PlayerPrefs.DeleteAll(); }',
    ),
    (
        "SPK041",
        '    [UnityEditor.MenuItem("Tools/Off")]\n    async void Off() { await Task.Yield(); }',
        '    [UnityEditor.MenuItem("Tools/Off")]\n    static async void Off() { await Task.Yield(); }',
    ),
    (
        "SPK042",
        "    void Clear() { foreach (Transform child in transform) Destroy(child); Object.Destroy(transform.GetChild(0), 2f); }",
        "    void Clear() { foreach (Transform child in transform) Destroy(child.gameObject); Object.Destroy(transform.GetChild(0).gameObject, 2f); }",
    ),
    (
        "SPK042",
        "    void Update()\n    {\n        if (Physics.Raycast(transform.position, transform.forward, out RaycastHit hit))\n            Destroy(hit.transform); // gone\n    }",
        "    void Update()\n    {\n        if (Physics.Raycast(transform.position, transform.forward, out RaycastHit hit))\n            Destroy(hit.transform.gameObject); // gone\n    }",
    ),
    (
        "SPK047",
        "    void Start() { var go = GetComponent<GameObject>(); go.SetActive(false); }",
        "    void Start() { var go = gameObject; go.SetActive(false); }",
    ),
    (
        "SPK047",
        "    void OnTriggerEnter(Collider other) { Destroy(other.GetComponent<GameObject>()); }",
        "    void OnTriggerEnter(Collider other) { Destroy(other.gameObject); }",
    ),
    (
        "SPK050",
        "    GameObject enemy;\n    void Kill() { Destroy(enemy.gameObject, 1f); }",
        "    GameObject enemy;\n    void Kill() { Destroy(enemy, 1f); }",
    ),
    (
        "SPK050",
        "    void Grow()\n    {\n        foreach (Transform child in transform)\n            child.transform.localScale *= 2f;\n    }",
        "    void Grow()\n    {\n        foreach (Transform child in transform)\n            child.localScale *= 2f;\n    }",
    ),
    (
        "SPK055",
        "    void Start()\n    {\n#if UNITY_EDITR\n        Step();\n#endif\n    }",
        "    void Start()\n    {\n#if UNITY_EDITOR\n        Step();\n#endif\n    }",
    ),
    (
        "SPK055",
        "    void Start()\n    {\n#if UNITY_2022_3_OR_LATER && !UNITY_ANDRIOD\n        Step();\n#endif\n    }",
        "    void Start()\n    {\n#if UNITY_2022_3_OR_NEWER && !UNITY_ANDROID\n        Step();\n#endif\n    }",
    ),
    (
        "SPK056",
        "    void OnCollisionEnter(Collision c)\n    {\n        if (c.contacts.Length > 0) Hit(c.contacts[0].point);\n    }",
        "    void OnCollisionEnter(Collision c)\n    {\n        if (c.contactCount > 0) Hit(c.GetContact(0).point);\n    }",
    ),
    (
        "SPK056",
        "    void Update() { for (int i = 0; i < Input.touches.Length; i++) Aim(Input.touches[i].position); }",
        "    void Update() { for (int i = 0; i < Input.touchCount; i++) Aim(Input.GetTouch(i).position); }",
    ),
    (
        "SPK057",
        '    Material m;\n    void Show() { m.SetColor(Shader.PropertyToID("_BaseColor"), Color.red); }\n    void Hide() { m.SetColor(Shader.PropertyToID("_BaseColor"), Color.clear); }',
        '    private static readonly int BaseColorId = Shader.PropertyToID("_BaseColor");\n    Material m;\n    void Show() { m.SetColor(BaseColorId, Color.red); }\n    void Hide() { m.SetColor(BaseColorId, Color.clear); }',
    ),
]


@pytest.mark.parametrize(("rule_id", "body", "fixed"), FIXES, ids=[f[0] for f in FIXES])
def test_fix_rewrites_the_finding(rule_id: str, body: str, fixed: str) -> None:
    code = behaviour(body)
    before = validate(code, file_name="Player.cs")
    assert rule_id in {d.rule_id for d in before.fixable}
    result = fix_code(code, file_name="Player.cs")
    assert result.code == behaviour(fixed)
    assert rule_id in {f.rule_id for f in result.applied}
    assert rule_id not in {d.rule_id for d in result.report.fixable}
    assert result.report.ok


# (rule id, a whole file with a finding, the file after `fix_code`, validate options): rules whose
# findings need more than a member of a behaviour (a missing using, another class of the file,
# an editor class, an opt-in rule).
FILE_FIXES: list[tuple[str, str, str, dict[str, object]]] = [
    (
        "SPK004",
        "using System.Collections;\n\npublic class Player : MonoBehaviour\n{\n    IEnumerator Go() { yield return null; }\n}\n",
        "using UnityEngine;\nusing System.Collections;\n\npublic class Player : MonoBehaviour\n{\n    IEnumerator Go() { yield return null; }\n}\n",
        {},
    ),
    (
        "SPK004",
        "// Player settings\nusing System;\n\n[Serializable]\npublic class Player : ScriptableObject\n{\n    public int lives;\n}\n",
        "// Player settings\nusing UnityEngine;\nusing System;\n\n[Serializable]\npublic class Player : ScriptableObject\n{\n    public int lives;\n}\n",
        {},
    ),
    (
        "SPK012",
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n    Stats stats;\n    void Awake() { stats = new Stats(); }\n}\n\npublic class Stats : ScriptableObject { }\n",
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n    Stats stats;\n    void Awake() { stats = ScriptableObject.CreateInstance<Stats>(); }\n}\n\npublic class Stats : ScriptableObject { }\n",
        {},
    ),
    (
        "SPK031",
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n    Animator animator;\n    void Awake() { animator = GetComponent<Animator>(); }\n    void Jump() { animator.Play(0); }\n}\n",
        "using UnityEngine;\n\n[RequireComponent(typeof(Animator))]\npublic class Player : MonoBehaviour\n{\n    Animator animator;\n    void Awake() { animator = GetComponent<Animator>(); }\n    void Jump() { animator.Play(0); }\n}\n",
        {},
    ),
    (
        "SPK051",
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n    void OnEnable() { Go(); }\n    private void OnDisable() { Go(); }\n    void Go() { }\n}\n",
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n    protected void OnEnable() { Go(); }\n    protected void OnDisable() { Go(); }\n    void Go() { }\n}\n",
        {"enable": ["SPK051"]},
    ),
    (
        "SPK052",
        "using UnityEditor;\nusing UnityEngine;\n\n[CustomPropertyDrawer(typeof(Range))]\npublic class Player : PropertyDrawer\n{\n    public override void OnGUI(Rect rect, SerializedProperty p, GUIContent label)\n    {\n        base.OnGUI(rect, p, label);\n        EditorGUI.LabelField(rect, label);\n    }\n}\n",
        "using UnityEditor;\nusing UnityEngine;\n\n[CustomPropertyDrawer(typeof(Range))]\npublic class Player : PropertyDrawer\n{\n    public override void OnGUI(Rect rect, SerializedProperty p, GUIContent label)\n    {\n        EditorGUI.LabelField(rect, label);\n    }\n}\n",
        {},
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "code", "fixed", "options"), FILE_FIXES, ids=[f[0] for f in FILE_FIXES]
)
def test_fix_rewrites_the_finding_in_a_whole_file(
    rule_id: str, code: str, fixed: str, options: dict[str, object]
) -> None:
    before = validate(code, file_name="Player.cs", **options)  # type: ignore[arg-type]
    assert rule_id in {d.rule_id for d in before.fixable}
    result = fix_code(code, file_name="Player.cs", **options)  # type: ignore[arg-type]
    assert result.code == fixed
    assert rule_id in {f.rule_id for f in result.applied}
    assert rule_id not in {d.rule_id for d in result.report.fixable}
    assert result.report.ok
    assert fix_code(result.code, file_name="Player.cs", **options).applied == ()  # type: ignore[arg-type]


def test_scriptable_object_fix() -> None:
    code = behaviour(
        "    void Awake() { var d = new Data(); }",
        extra="public class Data : ScriptableObject { }\n",
    )
    result = fix_code(code, file_name="Player.cs")
    assert "var d = ScriptableObject.CreateInstance<Data>();" in result.code
    assert [f.rule_id for f in result.applied] == ["SPK012"]


def test_missing_using_is_added_above_the_first_using() -> None:
    code = "using System;\r\n\r\npublic class Player : MonoBehaviour\r\n{\r\n}\r\n"
    result = fix_code(code, file_name="Player.cs")
    assert result.code == "using UnityEngine;\r\n" + code
    assert result.report.ok and not validate(code, file_name="Player.cs").ok


@pytest.mark.parametrize(
    "body",
    [
        # No fix where the rewrite could change meaning or not compile.
        "    void update() { }\n    void Go() { update(); }",  # renaming breaks the call
        "    void Start() { }\n    void Go() { Start(); }",  # removing breaks the call
        "    public virtual void FixedUpdate() { }",  # a hook for subclasses: not even reported
        '    Item item;\n    bool Mine() => item.tag == "x";',  # not a Unity object
        FIELDS
        + "    Transform Get() => GetComponent<Transform>();\n    void Start() { Get()?.Rotate(0, 1, 0); }",
        '    void Start() { Invoke("Missing", 1f); }',  # no such method: nameof would not compile
        "    IEnumerator Tick() { while (true) { yield return new WaitForSecondsRealtime(1f); } }",
        "    float delay;\n    IEnumerator Tick() { while (true) { yield return new WaitForSeconds(delay); } }",
        "    void Start() { var p = FindObjectOfType<Player>(true); }",
        # SPK040/SPK041: the body uses the instance (static would not compile) or a parameter.
        "    int count;\n    [RuntimeInitializeOnLoadMethod]\n    void Boot() { count++; }",
        "    [RuntimeInitializeOnLoadMethod]\n    static void Boot(int level) { Debug.Log(level); }",
        '    [UnityEditor.MenuItem("Tools/Hide")]\n    void Hide() { gameObject.SetActive(false); }',
        # SPK037: a key name Unity does not know has no KeyCode.
        '    void Update() { if (Input.GetKey("jump")) Step(); }',
        # SPK038: the loop writes the mesh's array (the copy), or changes the mesh.
        "    Mesh mesh;\n    void Update() { for (int i = 0; i < 3; i++) { mesh.vertices[i] = Vector3.zero; } }",
        "    Mesh mesh;\n    void Update() { for (int i = 0; i < 3; i++) { Step(mesh.normals[i]); mesh.RecalculateNormals(); } }",
        "    Mesh mesh;\n    void Update() { for (int i = 0; i < 3; i++) Step(mesh.uv[i]); }",  # not on its own line
    ],
)
def test_no_fix_where_the_rewrite_is_not_certain(body: str) -> None:
    code = behaviour(body, extra="public class Item { public string tag; }\n")
    result = fix_code(code, file_name="Player.cs")
    assert result.code == code
    assert result.applied == ()


def _report_with_fix(code: str, edits: tuple[TextEdit, ...]) -> ValidationReport:
    diagnostic = Diagnostic(
        rule_id="SPK009", severity="info", message="test", line=1, column=1, end_line=1,
        end_column=1, fix=Fix("Break it", edits),
    )  # fmt: skip
    return ValidationReport(diagnostics=(diagnostic,))


def test_a_fix_that_breaks_the_syntax_is_dropped() -> None:
    code = behaviour("    void Go() { Step(); }")
    at = code.index("Step();") + len("Step()")
    report = _report_with_fix(code, (TextEdit(at, at + 1, ""),))  # removes the `;`
    result = fix_code(code, file_name="Player.cs", report=report)
    assert result.code == code
    assert [f.title for f in result.dropped] == ["Break it"] and result.applied == ()


def test_a_good_fix_survives_a_bad_one_in_the_same_round() -> None:
    code = behaviour("    void Go() { Step(); }\n    void update() { Step(); }")
    first = validate(code, file_name="Player.cs")
    at = code.index("Step();") + len("Step()")
    bad = _report_with_fix(code, (TextEdit(at, at + 1, ""),)).diagnostics
    report = ValidationReport(diagnostics=bad + first.diagnostics)
    result = fix_code(code, file_name="Player.cs", report=report)
    assert "void Update()" in result.code and "Step();" in result.code
    assert [f.rule_id for f in result.applied] == ["SPK005"]


def test_overlapping_fixes_are_applied_in_later_rounds() -> None:
    # Both tag comparisons sit inside the `??`'s operand region: one round each.
    code = behaviour(
        FIELDS
        + '    void OnTriggerEnter(Collider c) { if (c.tag == "a" || c.tag == "b") target = target ?? transform; }'
    )
    result = fix_code(code, file_name="Player.cs")
    assert 'c.CompareTag("a") || c.CompareTag("b")' in result.code
    assert "target != null ? target : transform" in result.code
    assert fix_code(result.code, file_name="Player.cs").code == result.code


def test_diff_is_a_unified_diff() -> None:
    code = behaviour("    void update() { Step(); }").rstrip("\n")  # no newline at the end
    result = fix_code(code, file_name="Player.cs")
    diff = result.diff("Assets/Player.cs")
    assert diff.startswith("--- a/Assets/Player.cs\n+++ b/Assets/Player.cs\n@@")
    assert "-    void update() { Step(); }\n+    void Update() { Step(); }\n" in diff
    assert fix_code(result.code).diff() == ""


# -- properties: idempotent, and blind to what precedes the code ---------------------------------

# Members with something to fix; a generated script is any selection of them, in any order.
MEMBERS = [body for _, body, _ in FIXES if not body.startswith(FIELDS)] + [
    '    void OnCollisionEnter(Collision c) { if (c.gameObject.tag == "Enemy" && c.collider.tag != "Wall") Hit(); }',
    "    void LateUpdate() { body?.Sleep(); cam = cam ?? Camera.main; if (cam is null) return; }",
    "    IEnumerator Spin() { yield return new WaitForSeconds(0.25f); yield return new WaitForSeconds(0.25f); }",
    "    void Reset() { }\n    void OnValidate() { }",
]


@st.composite
def scripts(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=6, unique=True))
    body = "    Rigidbody body;\n    Camera cam;\n" + "\n\n".join(chosen)
    code = behaviour(body)
    return code.replace("\n", "\r\n") if draw(st.booleans()) else code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=scripts())
def test_fixing_twice_changes_nothing(code: str) -> None:
    once = fix_code(code, file_name="Player.cs")
    assert len(once.report.errors) <= len(validate(code, file_name="Player.cs").errors)
    twice = fix_code(once.code, file_name="Player.cs")
    assert twice.code == once.code
    assert twice.applied == ()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=scripts(),
    prefix=st.sampled_from(["\n", "\ufeff\n", "  \t\r\n", "// header\n\n", "/* a\n b */\n"]),
)
def test_leading_text_does_not_change_the_fixes(code: str, prefix: str) -> None:
    plain = fix_code(code, file_name="Player.cs")
    prefixed = fix_code(prefix + code, file_name="Player.cs")
    assert prefixed.code == prefix + plain.code
    assert [(f.rule_id, f.title) for f in prefixed.applied] == [
        (f.rule_id, f.title) for f in plain.applied
    ]


def test_one_cached_field_per_wait_time_in_one_round() -> None:
    code = behaviour(
        "    IEnumerator A() { while (true) { yield return new WaitForSeconds(1); } }\n"
        "    IEnumerator B() { while (true) { yield return new WaitForSeconds(1f); } }\n"
        "    IEnumerator C() { while (true) { yield return new WaitForSeconds(0.5f); } }"
    )
    result = fix_code(code, file_name="Player.cs")
    assert (
        result.code.count("private static readonly WaitForSeconds Wait1s = new WaitForSeconds(1f);")
        == 1
    )
    assert (
        result.code.count(
            "private static readonly WaitForSeconds Wait0_5s = new WaitForSeconds(0.5f);"
        )
        == 1
    )
    assert result.code.count("yield return Wait1s;") == 2
    assert [f.rule_id for f in result.applied] == ["SPK018"] * 3
    assert result.report.ok and not result.report.fixable


def test_the_report_of_a_fixed_script_lists_the_fixes() -> None:
    result = fix_code(behaviour("    void update() { Step(); }"), file_name="Player.cs")
    assert [(f.rule_id, f.title, f.line) for f in result.report.fixed] == [
        ("SPK005", "Rename to Update", 7)
    ]
    assert result.report.summary() == "OK — 0 errors, 0 warnings, 1 fixed"
    assert result.report.to_dict()["fixed"][0]["rule_id"] == "SPK005"
    assert "1 fixed" not in format_for_repair(result.report, result.code)


def test_require_component_goes_above_the_class_once_per_type() -> None:
    code = (
        "using UnityEngine;\n\nnamespace Game\n{\n    [DisallowMultipleComponent]\n"
        "    public class Player : MonoBehaviour\n    {\n"
        "        void Awake() { var a = GetComponent<Rigidbody>(); var b = GetComponent<Animator>(); }\n"
        "        void Start() { GetComponent<Rigidbody>().Sleep(); }\n    }\n}\n"
    )
    result = fix_code(code, file_name="Player.cs")
    assert result.code == code.replace(
        "    [DisallowMultipleComponent]\n",
        "    [RequireComponent(typeof(Animator))]\n    [RequireComponent(typeof(Rigidbody))]\n"
        "    [DisallowMultipleComponent]\n",
    )
    assert [f.rule_id for f in result.applied] == ["SPK031"] * 3
    assert fix_code(result.code, file_name="Player.cs").applied == ()
