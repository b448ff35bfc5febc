"""Every Unity rule on at least three shapes it must report and three it must not.

The negatives include the places where Microsoft's analyzers deliberately stay silent (explicit
interface implementations, virtual hooks, `object` / `System.Object`, UnityEvent.Invoke, ...).
A member snippet is wrapped in `public class Player : MonoBehaviour`; a snippet that declares a
class is the whole file.
"""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

import pytest

from spark.unity.rules import iter_rules
from spark.unity.validator import validate
from tests.test_unity_rules import RULE_OPTIONS, behaviour

U = "using UnityEngine;\n"
F = "    Rigidbody rb;\n    Transform target;\n    Camera cam;\n"
EDITOR = "using UnityEditor;\nusing UnityEngine;\n"

POSITIVE: dict[str, list[str]] = {
    "SPK001": [
        U + "public class Enemy : MonoBehaviour { }",
        U + "public class Settings : ScriptableObject { }",
        U + "namespace Game { public sealed class Mover : MonoBehaviour { } }",
    ],
    "SPK002": [
        U + "public class Player : MonoBehaviour { }\npublic class Helper : MonoBehaviour { }",
        U + "public class Player : MonoBehaviour { }\npublic class Data : ScriptableObject { }",
        U
        + "public class Base : MonoBehaviour { }\npublic class Player : Base { }\npublic class Other : Base { }",
    ],
    "SPK003": [
        U + "public abstract class Player : MonoBehaviour { }",
        U + "public class Player<T> : MonoBehaviour { }",
        U
        + "namespace G { public abstract class Player : MonoBehaviour { protected abstract void Go(); } }",
    ],
    "SPK004": [
        "using System;\npublic class Player : MonoBehaviour { }",
        "using System.Collections;\nusing UnityEngine.UI;\npublic class Player : MonoBehaviour { }",
        "using System;\npublic class Player : ScriptableObject { }",
    ],
    "SPK005": [
        behaviour("    void update() { Go(); }"),
        behaviour("    void ontriggerenter(Collider c) { Go(); }"),
        U + "using UnityEditor;\npublic class Tool : EditorWindow { void onGUI() { Go(); } }",
    ],
    "SPK006": [
        behaviour("    void OnColisionEnter(Collision c) { Go(); }"),
        behaviour("    void FixedUpdat() { Go(); }"),
        behaviour("    void OnTrigerExit(Collider c) { Go(); }"),
    ],
    "SPK007": [
        behaviour("    void OnTriggerEnter(Collision c) { Go(); }"),
        behaviour("    void OnApplicationPause(int foo, bool pause) { Go(); }"),
        U
        + "using UnityEditor;\npublic class Post : AssetPostprocessor { void OnPostprocessTexture(Texture t) { Go(); } }",
    ],
    "SPK008": [
        behaviour("    void Update() { }"),
        behaviour("    private void FixedUpdate()\n    {\n    }"),
        U + "using UnityEditor;\npublic class Tool : EditorWindow { void OnFocus() { } }",
    ],
    "SPK009": [
        behaviour('    void OnTriggerEnter(Collider c) { if (c.tag == "Player") Go(); }'),
        behaviour('    bool Mine() => tag == "Player";'),
        behaviour(
            '    void OnCollisionEnter(Collision c) { if (null != c.gameObject.tag || c.transform.tag.Equals("x")) Go(); }'
        ),
    ],
    "SPK010": [
        behaviour("    void Update() { GetComponent<Rigidbody>().WakeUp(); }"),
        behaviour('    void LateUpdate() { var p = GameObject.Find("Player"); }'),
        behaviour(
            "    void FixedUpdate() { var all = FindObjectsByType<Camera>(FindObjectsSortMode.None); }"
        ),
    ],
    "SPK011": [
        behaviour("    void Awake() { var b = new Rigidbody(); }"),
        behaviour("    void Awake() { var p = new Player(); }"),
        U
        + "public class Foo : Component { }\npublic class Player : MonoBehaviour { void Start() { var f = new Foo(); } }",
    ],
    "SPK012": [
        behaviour(
            "    void Awake() { var d = new Data(); }",
            extra="public class Data : ScriptableObject { }\n",
        ),
        behaviour("    Data d = new Data();", extra="public class Data : ScriptableObject { }\n"),
        behaviour(
            "    void Awake() { Use(new Data { }); }",
            extra="public class Data : ScriptableObject { }\n",
        ),
    ],
    "SPK013": [
        behaviour("    void Update() { Move(Time.fixedDeltaTime); }"),
        behaviour("    void LateUpdate() { float dt = Time.fixedDeltaTime * 2f; }"),
        behaviour("    void Update() { if (Time.fixedDeltaTime > 0.02f) Go(); }"),
    ],
    "SPK014": [
        behaviour(F + "    void Update() { rb.AddForce(Vector3.forward); }"),
        behaviour(F + "    void LateUpdate() { rb.AddTorque(Vector3.up * 2f); }"),
        behaviour(
            F
            + "    void Update() { rb.AddRelativeForce(Vector3.forward, ForceMode.Acceleration); }"
        ),
    ],
    "SPK015": [
        behaviour(F + "    void Start() { target?.Rotate(0, 1, 0); }"),
        behaviour("    void Start() { GetComponent<Camera>().gameObject?.SetActive(false); }"),
        behaviour("    void OnCollisionEnter(Collision c) { var n = c.rigidbody?.mass; }"),
    ],
    "SPK016": [
        behaviour(F + "    void Start() { target = target ?? transform; }"),
        behaviour(
            F
            + "    Transform A() => target;\n    Transform B() => transform;\n    Transform F() { return A() ?? B(); }"
        ),
        behaviour(
            F
            + "    Transform F() { return this.target ?? this.transform; }\n    void G() { cam ??= Camera.main; }"
        ),
    ],
    "SPK017": [
        behaviour(F + "    void Start() { if (rb is null) Go(); }"),
        behaviour(F + "    bool Ok() => target is not null;"),
        behaviour("    void Start() { if (GetComponent<Rigidbody>() is null) Go(); }"),
    ],
    "SPK018": [
        behaviour(
            "    IEnumerator Tick() { while (true) { yield return new WaitForSeconds(1f); } }"
        ),
        behaviour(
            "    IEnumerator Tick() { for (int i = 0; i < 3; i++) yield return new WaitForSecondsRealtime(0.1f); }"
        ),
        behaviour(
            "    IEnumerator Tick() { yield return new WaitForSeconds(1); Go(); yield return new WaitForSeconds(1); }"
        ),
    ],
    "SPK019": [
        behaviour(
            '    void Start() { StartCoroutine("Tick"); }\n    IEnumerator Tick() { yield return null; }'
        ),
        behaviour(
            '    void Start() { Invoke(/* later */ "Spawn", 1f); }\n    void Spawn() { Go(); }'
        ),
        behaviour(
            '    Player other;\n    void Start() { other.InvokeRepeating("Spawn", 0f, 1f); }\n    void Spawn() { Go(); }'
        ),
    ],
    "SPK020": [
        behaviour("    void Start() { Tick(); }\n    IEnumerator Tick() { yield return null; }"),
        behaviour(
            "    void OnEnable() { if (ready) Fade(1f); }\n    bool ready;\n    IEnumerator Fade(float t) { yield return null; }"
        ),
        behaviour("    void Go() { Tick(); }\n    IEnumerator Tick() { yield break; }"),
    ],
    "SPK021": [
        behaviour("    void Start() { var p = FindObjectOfType<Player>(); }"),
        behaviour(F + "    void FixedUpdate() { rb.velocity = Vector3.zero; }"),
        behaviour("    void Start() { rigidbody.AddForce(Vector3.up); Application.LoadLevel(1); }"),
    ],
    "SPK022": [
        behaviour("    void Update() { if (Input.GetKeyDown(KeyCode.Space)) Go(); }"),
        behaviour("    void Update() { var m = Input.mousePosition; }"),
        behaviour('    void Update() { float h = Input.GetAxis("Horizontal"); }'),
    ],
    "SPK023": [
        behaviour("    async void Load() { await Task.Delay(1); }"),
        behaviour("    public async void Save(int slot) { await Task.Yield(); }"),
        "using System.Threading.Tasks;\npublic class Loader { async void Run() { await Task.Delay(1); } }",
    ],
    "SPK024": [
        behaviour(
            "    float speed;\n    void Update() { transform.position += transform.forward * speed * Time.deltaTime; }"
        ),
        behaviour("    float speed;\n    Vector3 Push() => 2f * Vector3.up * speed;"),
        behaviour(
            "    Rigidbody rb;\n    Vector3 Kick(float k) => rb.velocity.normalized * k * Mathf.Sin(Time.time) * 0.5f;"
        ),
    ],
    "SPK025": [
        behaviour(
            "    void Start() { var body = GetComponent<Rigidbody>(); if (body != null) body.Sleep(); }"
        ),
        behaviour(
            "    void Hit(Collider c) { AudioSource s = c.GetComponent<AudioSource>();\n        if (s == null) return; s.Play(); }"
        ),
        behaviour(
            "    void Start() { var l = gameObject.GetComponent<Light>(); if (l) l.enabled = false; }"
        ),
    ],
    "SPK026": [
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.position = p; transform.rotation = r; }"
        ),
        behaviour(
            "    Transform t;\n    void Place(Vector3 p, Quaternion r)\n    {\n        t.rotation = r;\n        t.position = p;\n    }"
        ),
        behaviour(
            "    Transform t;\n    void Aim(Vector3 p, Vector3 target) { t.position = p; t.rotation = Quaternion.LookRotation(target - t.position); }"
        ),
    ],
    "SPK027": [
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.localPosition = p; transform.localRotation = r; }"
        ),
        behaviour(
            "    Transform hand;\n    void Grip() { hand.localRotation = Quaternion.identity; hand.localPosition = Vector3.zero; }"
        ),
        behaviour(
            "    void Reset() { this.transform.localPosition = Vector3.zero;\n        this.transform.localRotation = Quaternion.identity; }"
        ),
    ],
    "SPK028": [
        behaviour(
            "    void Save() { var p = transform.position; var r = transform.rotation; Keep(p, r); }"
        ),
        behaviour(
            "    Transform t;\n    void Save() { Quaternion r = t.rotation; Vector3 p = t.position; Keep(p, r); }"
        ),
        behaviour(
            "    Transform t;\n    void Save() { var p = t.position;\n        var r = t.rotation;\n        Keep(p, r); }"
        ),
    ],
    "SPK029": [
        behaviour(
            "    void Save() { var p = transform.localPosition; var r = transform.localRotation; Keep(p, r); }"
        ),
        behaviour(
            "    Transform t;\n    void Save() { var r = t.localRotation; var p = t.localPosition; Keep(p, r); }"
        ),
        behaviour(
            "    Transform t;\n    void Save() { Vector3 p = t.localPosition; Quaternion r = t.localRotation; Keep(p, r); }"
        ),
    ],
    "SPK030": [
        behaviour(
            '    Animator animator;\n    void Update() { animator.SetBool("Running", true); }'
        ),
        behaviour(
            '    Animator animator;\n    void Go() { for (int i = 0; i < 3; i++) animator.SetTrigger("Hit"); }'
        ),
        behaviour(
            '    Animator anim;\n    void Jump() { anim.SetTrigger("Jump"); }\n    void Land() { anim.ResetTrigger("Jump"); }'
        ),
    ],
    "SPK031": [
        behaviour("    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); }"),
        behaviour(
            "    AudioSource source;\n    void Start() { source = gameObject.GetComponent<AudioSource>(); source.Play(); }"
        ),
        U
        + "[DisallowMultipleComponent]\npublic class Player : MonoBehaviour { Animator a; void Awake() { a = this.GetComponent<Animator>(); } }",
    ],
    "SPK032": [
        behaviour(
            "    Rigidbody body;\n    void FixedUpdate() { body.MovePosition(body.position + Vector3.forward * Time.deltaTime); }"
        ),
        behaviour("    float t;\n    void FixedUpdate() { t += Time.deltaTime; }"),
        behaviour("    void FixedUpdate() { Step(Time.deltaTime * 2f); }"),
    ],
    "SPK033": [
        behaviour(
            "    void Update() { foreach (var hit in Physics.RaycastAll(transform.position, Vector3.down)) Hit(hit); }"
        ),
        behaviour(
            "    void Explode() { var cols = UnityEngine.Physics.OverlapSphere(transform.position, 2f, ~0); }"
        ),
        behaviour("    Collider2D[] Near() => Physics2D.OverlapCircleAll(transform.position, 1f);"),
    ],
    "SPK034": [
        behaviour("    [SerializeField]\n    private static int lives = 3;"),
        behaviour(
            '    [SerializeField, Tooltip("cap")] readonly float max = 2f;\n    [SerializeField] const int Size = 4;'
        ),
        behaviour(
            "    [UnityEngine.SerializeFieldAttribute] public int Health { get; private set; }"
        ),
    ],
    "SPK035": [
        behaviour(
            "    Vector2 Flat() { return new Vector2(transform.position.x, transform.position.y); }"
        ),
        behaviour(
            "    Vector3 pos;\n    Vector2 aim;\n    void Update() { var d = Vector2.Distance(aim, new UnityEngine.Vector2(pos.x, pos.y)); }"
        ),
        behaviour(
            "    void OnCollisionEnter(Collision c) { Vector3 p = c.transform.position; var n = new Vector2( p.x , p.y ).normalized; }"
        ),
    ],
    "SPK036": [
        behaviour("    Vector2 aim;\n    Vector3 Aim3() => new Vector3(aim.x, aim.y, 0f);"),
        behaviour(
            "    Rigidbody2D body;\n    void Update() { transform.position = new Vector3(body.position.x, body.position.y); }"
        ),
        behaviour(
            "    void Place(Vector2 p) { Vector3 offset = Vector3.up; transform.localPosition = new Vector3(p.x, p.y, 0) + offset; }"
        ),
        # A `var` typed by the Input System's ReadValue<T>() (the corpus's one miss).
        behaviour(
            "    UnityEngine.InputSystem.InputAction move;\n    void Update() { var movement = move.ReadValue<Vector2>(); transform.Translate(new Vector3(movement.x, movement.y, 0)); }"
        ),
    ],
    "SPK037": [
        behaviour('    void Update() { if (Input.GetKeyDown("space")) Jump(); }'),
        behaviour(
            '    void Update() { bool run = UnityEngine.Input.GetKey( "left shift" ) && Input.GetKeyUp("[3]"); }'
        ),
        behaviour('    bool Fire() => Input.GetKey("jump");'),  # unknown: throws
    ],
    "SPK038": [
        behaviour(
            "    Mesh mesh;\n    void Update() { for (int i = 0; i < mesh.vertices.Length; i++) Draw(i); }"
        ),
        behaviour(
            "    void Bake(MeshFilter filter) { int i = 0; while (i < 10) { Draw(filter.sharedMesh.normals[i]); i++; } }"
        ),
        behaviour(
            "    void Bake(Mesh[] meshes) { foreach (Mesh m in meshes) { foreach (int t in m.triangles) Draw(t); do { Draw(m.uv[0]); } while (false); } }"
        ),
    ],
    "SPK039": [
        behaviour(F + "    void Awake() { rb = GetComponent(typeof(Rigidbody)) as Rigidbody; }"),
        behaviour(
            "    void Awake() { var c = (Collider)gameObject.GetComponentInChildren(typeof(Collider), true); }"
        ),
        behaviour(
            "    void OnTriggerEnter(Collider other) { var all = other.GetComponents( typeof(AudioSource)); }"
        ),
    ],
    "SPK040": [
        EDITOR + "public class Setup { [InitializeOnLoadMethod] void Load() { Go(); } }",
        behaviour(
            "    [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]\n    static void Boot(int level) { Go(); }"
        ),
        U
        + "public static class Reloaded\n{\n    [UnityEditor.Callbacks.DidReloadScriptsAttribute]\n    private static void OnReload(string why) { }\n    [InitializeOnLoadMethod] public void Init() { }\n}",
    ],
    "SPK041": [
        EDITOR + 'public class Tools { [MenuItem("Tools/Clear")] void Clear() { Go(); } }',
        EDITOR
        + 'public class Tools : EditorWindow\n{\n    [MenuItem("Window/Tools", false, 10)]\n    public void Open() { GetWindow<Tools>(); }\n}',
        U
        + 'public class Tools\n{\n    [UnityEditor.MenuItem("Tools/Build", true)]\n    private bool CanBuild() => true;\n}',
    ],
    "SPK042": [
        behaviour("    void Clear() { foreach (Transform child in transform) Destroy(child); }"),
        behaviour("    void Clear() { Object.Destroy(transform.GetChild(0), 2f); }"),
        behaviour(
            "    RectTransform panel;\n    void Close() { UnityEngine.Object.DestroyImmediate(this.panel); }"
        ),
        behaviour(
            "    void Update() { if (Physics.Raycast(transform.position, transform.forward, out RaycastHit hit)) Destroy(hit.transform); }"
        ),
    ],
    "SPK046": [
        U
        + "using UnityEditor;\n[InitializeOnLoad]\npublic class Startup { static void Init() { Go(); } }",
        U + "[InitializeOnLoad]\npublic class Player : MonoBehaviour { public Player() { Go(); } }",
        "using System;\nnamespace Tools\n{\n    [Serializable, UnityEditor.InitializeOnLoadAttribute]\n    class Settings { void Load() { } }\n}",
    ],
    "SPK047": [
        behaviour("    void Start() { var go = GetComponent<GameObject>(); }"),
        behaviour("    int hp;\n    void Start() { hp = this.GetComponent<int>(); }"),
        behaviour(
            "    void OnTriggerEnter(Collider other) { var s = other.GetComponentInChildren<Settings>(); other.TryGetComponent<Data>(out var d); }",
            extra="public class Settings : ScriptableObject { }\npublic class Data { }\n",
        ),
    ],
    "SPK048": [
        behaviour("    Texture2D tex;\n    void Paint(Color[] c) { tex.SetPixels(c); }"),
        behaviour(
            "    void Start() { var t = new Texture2D(4, 4); t.SetPixels(0, 0, 2, 2, new Color[4]); t.Apply(); }"
        ),
        behaviour(
            "    void Start() { var t = GetComponent<Renderer>().material.mainTexture as Texture2D; t.SetPixels(new Color[16]); }"
        ),
    ],
    "SPK049": [
        behaviour(
            '    object target;\n    void Update() { var f = target.GetType().GetField("hp"); }'
        ),
        behaviour(
            '    void OnGUI() { var m = typeof(Player).GetMethod("Draw", BindingFlags.NonPublic | BindingFlags.Instance); }'
        ),
        behaviour(
            "    System.Type kind;\n    void LateUpdate() { foreach (var p in kind.GetProperties()) Log(p); }"
        ),
    ],
    "SPK050": [
        behaviour("    void Start() { gameObject.gameObject.SetActive(true); }"),
        behaviour("    GameObject enemy;\n    void Start() { Destroy(enemy.gameObject); }"),
        behaviour(
            "    void Start() { foreach (Transform child in transform) child.transform.localScale = Vector3.one; }"
        ),
    ],
    "SPK051": [
        behaviour("    void Awake() { Go(); }"),
        behaviour("    public void OnTriggerEnter(Collider c) { Go(); }"),
        U
        + "using UnityEditor;\npublic class Tool : EditorWindow { private void OnGUI() { Go(); } }",
    ],
    "SPK052": [
        EDITOR
        + "public class RangeDrawer : PropertyDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l) { base.OnGUI(p, s, l); }\n}",
        EDITOR
        + "public class BaseDrawer : PropertyDrawer { }\npublic class RangeDrawer : BaseDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l)\n    {\n        base.OnGUI(p, s, l);\n    }\n}",
        EDITOR
        + "public class RangeDrawer : PropertyDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l) { if (s == null) base.OnGUI(p, s, l); }\n}",
    ],
    "SPK053": [
        EDITOR
        + 'public static class Setup\n{\n    [InitializeOnLoadMethod]\n    static void Load() { var m = AssetDatabase.LoadAssetAtPath<Material>("Assets/M.mat"); }\n}',
        EDITOR
        + '[InitializeOnLoad]\npublic class Setup\n{\n    static Setup() { var ids = AssetDatabase.FindAssets("t:Material"); }\n}',
        EDITOR
        + "public static class Setup\n{\n    [UnityEditor.Callbacks.DidReloadScripts]\n    static void Reloaded() { AssetDatabase.Refresh(); }\n}",
    ],
    "SPK054": [
        behaviour("    void Start() { if (gameObject.isStatic) Go(); }"),
        behaviour(
            "    GameObject[] all;\n    void Update() { foreach (GameObject g in all) Log(g.isStatic); }"
        ),
        behaviour("    void OnCollisionEnter(Collision c) { if (c.gameObject.isStatic) Go(); }"),
    ],
    "SPK055": [
        behaviour(
            '    void Start()\n    {\n#if UNITY_EDITR\n        Debug.Log("editor");\n#endif\n    }'
        ),
        "#if UNITY_2021_3_OR_LATER\nusing UnityEngine;\n#endif\npublic class Player { }",
        behaviour(
            "    void Start()\n    {\n#if UNITY_IOS\n        Go();\n#elif !unity_android && ENABLE_INPUTSYSTEM\n        Stop();\n#endif\n    }"
        ),
    ],
    "SPK056": [
        behaviour("    void OnCollisionEnter(Collision c) { var p = c.contacts[0].point; }"),
        behaviour("    void Update() { if (Input.touches.Length > 0) Go(); }"),
        behaviour(
            "    void OnCollisionEnter2D(Collision2D c) { for (int i = 0; i < c.contacts.Length; i++) Log(c.contacts[i].normal); }"
        ),
    ],
    "SPK057": [
        behaviour(
            '    Material m;\n    void Show() { m.SetFloat(Shader.PropertyToID("_Glow"), 1f); }\n    void Hide() { m.SetFloat(Shader.PropertyToID("_Glow"), 0f); }'
        ),
        behaviour(
            '    Material m;\n    Color Swap(Color c) { var old = m.GetColor(Shader.PropertyToID("_Color")); m.SetColor(Shader.PropertyToID("_Color"), c); return old; }'
        ),
        behaviour(
            '    static readonly int Tint = Shader.PropertyToID("_Tint");\n    Material m;\n    void A() { m.SetColor(Shader.PropertyToID("_Tint"), Color.red); }\n    void B() { m.SetColor(Shader.PropertyToID("_Tint"), Color.blue); }'
        ),
    ],
    "SPK058": [
        behaviour("    Task Save(bool dirty) { if (!dirty) return null; return Task.Delay(1); }"),
        behaviour("    Awaitable Wait() => null;"),
        behaviour(
            "    Task<int> Load(bool cached) { return cached ? Task.FromResult(1) : null; }\n    Task Skip() { return default; }"
        ),
        U + "public class Saver { System.Threading.Tasks.Task<bool> Save() => null; }",
    ],
    "SPK059": [
        behaviour(
            '    async void Start() { Debug.Log($"Score: {LoadScore()}"); }\n    Task<int> LoadScore() => Task.FromResult(3);'
        ),
        behaviour(
            '    async void Start() { var t = LoadScore(); print("score " + t); }\n    Task<int> LoadScore() => Task.FromResult(3);'
        ),
        behaviour(
            "    Awaitable<string> name;\n    void Show(UnityEngine.UI.Text label) { label.text = name.ToString(); }"
        ),
    ],
}

NEGATIVE: dict[str, list[str]] = {
    "SPK001": [
        behaviour(""),
        U + "using UnityEditor;\npublic class PlayerEditor : Editor { }",
        U + "public class Helper { }\npublic class Player : MonoBehaviour { }",
    ],
    "SPK002": [
        behaviour("", extra="public class Helper { }\n"),
        behaviour("", extra="class Hidden : MonoBehaviour { }\n"),
        U
        + "using UnityEditor;\npublic class Player : MonoBehaviour { }\npublic class PlayerEditor : Editor { }",
    ],
    "SPK003": [
        behaviour(""),
        U + "public abstract class Base : MonoBehaviour { }\npublic class Player : Base { }",
        U + "public class Pool<T> : MonoBehaviour { }\npublic class Player : Pool<int> { }",
    ],
    "SPK004": [
        U + "public class Player : MonoBehaviour { }",
        "namespace UnityEngine.Custom { public class Player : MonoBehaviour { } }",
        "using MonoBehaviour = UnityEngine.MonoBehaviour;\npublic class Player : MonoBehaviour { }",
    ],
    "SPK005": [
        behaviour("    void Update() { Go(); }"),
        behaviour("    public void start() { Go(); }"),
        "public class Player { void update() { } }",
    ],
    "SPK006": [
        behaviour("    void OnCollisionEnter(Collision c) { Go(); }"),
        behaviour("    void OnEnabled() { Go(); }\n    void OnDestroyed() { Go(); }"),
        behaviour("    public void FixedUpdat() { Go(); }"),
    ],
    "SPK007": [
        behaviour(
            "    void OnTriggerEnter(Collider c) { Go(); }\n    void OnCollisionEnter() { Go(); }"
        ),
        behaviour("    void OnApplicationPause(bool paused) { Go(); }"),
        U
        + "using UnityEditor;\npublic class Post : AssetPostprocessor { static void OnPostprocessAllAssets(string[] a, string[] b, string[] c, string[] d, bool reload) { Go(); } }",
    ],
    "SPK008": [
        behaviour("    void Update() { Go(); }\n    void Start() { /* later */ }"),
        "using UnityEngine;\ninterface IFailure { void FixedUpdate(); }\npublic class Player : MonoBehaviour, IFailure { void IFailure.FixedUpdate() { } }",
        behaviour(
            "    public virtual void FixedUpdate() { }\n    protected override void OnDestroy() { }"
        ),
    ],
    "SPK009": [
        behaviour('    void OnTriggerEnter(Collider c) { if (c.CompareTag("Player")) Go(); }'),
        behaviour(
            '    Item item;\n    bool Mine() => item.tag == "x";',
            extra="public class Item { public string tag; }\n",
        ),
        behaviour(
            '    string tag2;\n    void Start() { var t = "a"; if (t == "b" && tag2 == "c") Go(); }'
        ),
    ],
    "SPK010": [
        behaviour(F + "    void Awake() { rb = GetComponent<Rigidbody>(); }"),
        behaviour(F + '    void Update() { var c = transform.Find("Child"); }'),
        behaviour(F + "    void Update() { System.Action a = () => GetComponent<Rigidbody>(); }"),
    ],
    "SPK011": [
        behaviour(
            "    void Awake() { var b = gameObject.AddComponent<Rigidbody>(); var g = new GameObject(); }"
        ),
        behaviour(
            "    void Awake() { var v = new Vector3(1, 2, 3); var l = new System.Collections.Generic.List<int>(); }"
        ),
        behaviour("    void Awake() { var h = new Helper(); }", extra="public class Helper { }\n"),
    ],
    "SPK012": [
        behaviour(
            "    void Awake() { var d = ScriptableObject.CreateInstance<Data>(); }",
            extra="public class Data : ScriptableObject { }\n",
        ),
        behaviour("    void Awake() { var d = new Data(); }", extra="public class Data { }\n"),
        behaviour(
            "    void Awake() { var e = new Ed(); }", extra="public class Ed : System.Object { }\n"
        ),
    ],
    "SPK013": [
        behaviour("    void FixedUpdate() { Move(Time.fixedDeltaTime); }"),
        behaviour("    void Update() { Time.fixedDeltaTime = 0.01f; }"),
        behaviour("    void Update() { Move(Time.deltaTime); }"),
    ],
    "SPK014": [
        behaviour(F + "    void FixedUpdate() { rb.AddForce(Vector3.forward); }"),
        behaviour(
            F
            + "    void Update() { if (jump) rb.AddForce(Vector3.up, ForceMode.Impulse); }\n    bool jump;"
        ),
        behaviour(F + "    void Start() { rb.AddForce(Vector3.up); }"),
    ],
    "SPK015": [
        behaviour(F + "    System.Action cb;\n    void Start() { cb?.Invoke(); }"),
        behaviour("    object o;\n    void Start() { var s = o?.ToString(); }"),
        behaviour(
            "    System.Object o;\n    string s;\n    void Start() { var t = o?.ToString(); var n = s?.Length; }"
        ),
    ],
    "SPK016": [
        behaviour('    string label;\n    void Start() { label = label ?? "x"; }'),
        behaviour("    object a, b;\n    object F() => a ?? b;"),
        behaviour("    System.Object a, b;\n    void F() { a ??= b; }"),
    ],
    "SPK017": [
        behaviour("    object data;\n    void Start() { if (data is null) Go(); }"),
        behaviour(F + "    void Start() { if (rb == null) Go(); }"),
        behaviour("    System.Object o;\n    bool Ok() => o is not null;"),
    ],
    "SPK018": [
        behaviour(
            "    IEnumerator Tick() { var wait = new WaitForSeconds(1f); while (true) { yield return wait; } }"
        ),
        behaviour("    IEnumerator Once() { yield return new WaitForSeconds(2f); }"),
        behaviour(
            "    static readonly WaitForSeconds W = new WaitForSeconds(1f);\n    IEnumerator Tick() { while (true) yield return W; }"
        ),
    ],
    "SPK019": [
        behaviour(
            "    void Start() { StartCoroutine(Tick()); Invoke(nameof(Spawn), 1f); }\n    IEnumerator Tick() { yield return null; }\n    void Spawn() { Go(); }"
        ),
        behaviour(
            '    UnityEngine.Events.UnityEvent<string> onHit;\n    void Start() { onHit.Invoke("Spawn"); }'
        ),
        'using UnityEngine;\npublic class Helper { void Start() { Invoke("Spawn", 1f); } void Invoke(string s, float t) { } }',
    ],
    "SPK020": [
        behaviour(
            "    void Start() { StartCoroutine(Tick()); }\n    IEnumerator Tick() { yield return null; }"
        ),
        behaviour(
            "    void Start() { var e = Tick(); }\n    IEnumerator Tick() { yield return null; }"
        ),
        "using System.Collections;\npublic class Plain { void Start() { Tick(); } IEnumerator Tick() { yield return null; } }",
    ],
    "SPK021": [
        behaviour("    void Start() { var p = FindFirstObjectByType<Player>(); }"),
        behaviour("    Mover m;\n    void FixedUpdate() { m.velocity = 1f; }"),
        behaviour("    Rigidbody rigidbody;\n    void Start() { rigidbody.AddForce(Vector3.up); }"),
    ],
    "SPK022": [
        behaviour("    void Update() { if (Keyboard.current.spaceKey.wasPressedThisFrame) Go(); }"),
        behaviour(
            "    void Update() {\n#if ENABLE_LEGACY_INPUT_MANAGER\n        if (Input.GetKey(KeyCode.A)) Go();\n#endif\n    }"
        ),
        behaviour("    InputMap Input;\n    void Update() { if (Input.GetKey(1)) Go(); }"),
    ],
    "SPK023": [
        behaviour("    async void Start() { await Task.Yield(); }"),
        behaviour("    async Task Load() { await Task.Delay(1); }"),
        behaviour(
            "    async void OnClick(object sender, System.EventArgs e) { await Task.Yield(); }"
        ),
    ],
    "SPK024": [
        behaviour(
            "    float speed;\n    void Update() { transform.position += speed * Time.deltaTime * transform.forward; }"
        ),
        behaviour(
            "    float speed;\n    void Update() { transform.position += transform.forward * (speed * Time.deltaTime); }"
        ),
        behaviour("    float a, b, c;\n    Thing v;\n    object F() => v * a * b * c;"),
    ],
    "SPK025": [
        behaviour(
            "    void Start() { if (TryGetComponent<Rigidbody>(out var body)) body.Sleep(); }"
        ),
        behaviour(
            "    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); body.Sleep(); }"
        ),
        behaviour(
            "    void Start() { var body = GetComponent<Rigidbody>(); Log(body); if (body != null) body.Sleep(); }"
        ),
    ],
    "SPK026": [
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.SetPositionAndRotation(p, r); }"
        ),
        behaviour(
            "    Transform a, b;\n    void Place(Vector3 p, Quaternion r) { a.position = p; b.rotation = r; }"
        ),
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.position = p; Log(p); transform.rotation = r; }"
        ),
    ],
    "SPK027": [
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.SetLocalPositionAndRotation(p, r); }"
        ),
        behaviour(
            "    void Place(Vector3 p, Quaternion r) { transform.localPosition = p; transform.rotation = r; }"
        ),
        behaviour(
            "    void Place(Vector3 p) { transform.localPosition += p; transform.localRotation = Quaternion.identity; }"
        ),
    ],
    "SPK028": [
        behaviour(
            "    void Save() { transform.GetPositionAndRotation(out var p, out var r); Keep(p, r); }"
        ),
        behaviour(
            "    Vector3 p; Quaternion r;\n    void Save() { p = transform.position; r = transform.rotation; }"
        ),
        behaviour(
            "    void Save() { var p = transform.position; var s = transform.localScale; Keep(p, s); }"
        ),
    ],
    "SPK029": [
        behaviour(
            "    void Save() { transform.GetLocalPositionAndRotation(out var p, out var r); Keep(p, r); }"
        ),
        behaviour(
            "    void Save() { var p = transform.localPosition; var r = transform.rotation; Keep(p, r); }"
        ),
        behaviour(
            "    Thing t;\n    void Save() { var p = t.localPosition; var r = t.localRotation; Keep(p, r); }"
        ),
    ],
    "SPK030": [
        behaviour(
            '    static readonly int Running = Animator.StringToHash("Running");\n    Animator animator;\n    void Update() { animator.SetBool(Running, true); }'
        ),
        behaviour('    Animator animator;\n    void Jump() { animator.SetTrigger("Jump"); }'),
        behaviour('    Brain brain;\n    void Update() { brain.SetBool("Running", true); }'),
    ],
    "SPK031": [
        U
        + "[RequireComponent(typeof(Rigidbody))]\npublic class Player : MonoBehaviour { Rigidbody b; void Awake() { b = GetComponent<Rigidbody>(); } }",
        behaviour(
            "    Rigidbody body;\n    void Reset() { body = GetComponent<Rigidbody>(); }\n    void Awake() { var t = GetComponent<Transform>(); var d = GetComponent<IDamageable>(); }"
        ),
        behaviour(
            "    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); if (body == null) enabled = false; }\n    Rigidbody Other(GameObject g) => g.GetComponent<Rigidbody>();"
        ),
    ],
    "SPK032": [
        behaviour("    void FixedUpdate() { Step(Time.fixedDeltaTime); }"),
        behaviour("    void Update() { Step(Time.deltaTime); }"),
        behaviour("    void FixedUpdate() { System.Action a = () => Step(Time.deltaTime); }"),
    ],
    "SPK033": [
        behaviour(
            "    RaycastHit[] hits = new RaycastHit[8];\n    void Update() { int n = Physics.RaycastNonAlloc(transform.position, Vector3.down, hits); bool any = Physics.Raycast(transform.position, Vector3.down); }"
        ),
        # A project's own Physics class, and another object's RaycastAll.
        U
        + "public static class Physics { public static int[] RaycastAll(Vector3 a, Vector3 b) => null; }\npublic class Player : MonoBehaviour { void Update() { var h = Physics.RaycastAll(Vector3.zero, Vector3.up); } }",
        behaviour(
            "    PhysicsScene scene;\n    void Update() { var h = world.RaycastAll(Vector3.zero, Vector3.up); }"
        ),
        behaviour(
            "    void Update()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        var h = Physics.RaycastAll(Vector3.zero, Vector3.up);\n#endif\n    }"
        ),
    ],
    "SPK034": [
        behaviour(
            "    [SerializeField] private int lives = 3;\n    [SerializeField] float[] speeds;"
        ),
        behaviour("    [field: SerializeField] public int Health { get; private set; }"),
        # A project's own SerializeField, the attribute in a comment, and an #if branch
        # that Unity 6 does not compile.
        U
        + "public class SerializeField : System.Attribute { }\npublic class Player : MonoBehaviour { [SerializeField] static int lives; }",
        behaviour("    // [SerializeField]\n    static int lives;"),
        behaviour(
            "#if !UNITY_2019_1_OR_NEWER\n    [SerializeField] static int lives;\n#endif\n    int hp;"
        ),
    ],
    "SPK035": [
        behaviour(
            "    Vector3 pos;\n    Vector2 aim;\n    void Update() { var a = new Vector2(pos.x, pos.z); var b = new Vector2(aim.x, aim.y); var c = new Vector2(pos.y, pos.x); }"
        ),
        # A Vector2 of the project's own, and an unknown source type.
        "public struct Vector2 { public Vector2(float x, float y) { } }\npublic class Grid { UnityEngine.Vector3 p; object Cell() => new Vector2(p.x, p.y); }",
        behaviour("    void Update() { var a = new Vector2(target.x, target.y); }"),
        behaviour(
            "    Vector3 pos;\n    void Update()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        var a = new Vector2(pos.x, pos.y);\n#endif\n    }"
        ),
    ],
    "SPK036": [
        behaviour(
            "    Vector2 aim;\n    Vector3 a() => new Vector3(aim.x, aim.y, 1f);\n    Vector3 b() => new Vector3(aim.x, 0f, aim.y);"
        ),
        "using UnityEngine;\npublic class Vector3 { public Vector3(float x, float y, float z) { } }\npublic class Grid { Vector2 p; object Cell() => new Vector3(p.x, p.y, 0); }",
        behaviour("    Vector3 pos;\n    Vector3 Copy() => new Vector3(pos.x, pos.y, 0f);"),
        # ReadValue<Vector3>() is a Vector3 already: nothing to convert.
        behaviour(
            "    UnityEngine.InputSystem.InputAction tilt;\n    void Update() { var t = tilt.ReadValue<Vector3>(); var v = new Vector3(t.x, t.y, 0); }"
        ),
        behaviour(
            "    Vector2 aim;\n    Vector3 A()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        return new Vector3(aim.x, aim.y, 0);\n#else\n        return aim;\n#endif\n    }"
        ),
    ],
    "SPK037": [
        behaviour(
            '    string key = "space";\n    void Update() { if (Input.GetKeyDown(KeyCode.Space) || Input.GetButtonDown("Jump") || Input.GetKey(key)) Jump(); }'
        ),
        # A project's own Input class, and another object's GetKey.
        U
        + 'public static class Input { public static bool GetKey(string k) => false; }\npublic class Player : MonoBehaviour { void Update() { if (Input.GetKey("space")) Go(); } }',
        behaviour(
            '    Dictionary<string, int> keys;\n    void Update() { var k = settings.GetKey("space"); }'
        ),
        behaviour(
            '    void Update()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        if (Input.GetKey("space")) Go();\n#endif\n    }'
        ),
    ],
    "SPK038": [
        behaviour(
            "    Mesh mesh;\n    void Update() { var v = mesh.vertices; for (int i = 0; i < v.Length; i++) Draw(v[i]); foreach (var n in mesh.normals) Draw(n); for (int i = 0; i < 3; i++) mesh.vertices = v; }"
        ),
        # A project's own Mesh class, whose arrays are plain fields.
        U
        + "public class Mesh { public int[] triangles; }\npublic class Player : MonoBehaviour { Mesh mesh; void Update() { for (int i = 0; i < mesh.triangles.Length; i++) Draw(i); } }",
        behaviour(
            "    Mesh mesh;\n    void Update() { for (int i = 0; i < mesh.vertexCount; i++) Draw(i); }"
        ),
        behaviour(
            "    Mesh mesh;\n    void Update()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        for (int i = 0; i < mesh.vertices.Length; i++) Draw(i);\n#endif\n    }"
        ),
    ],
    "SPK039": [
        behaviour(
            '    System.Type kind;\n    void Awake() { var c = GetComponent(kind); var d = GetComponent("Rigidbody"); var e = GetComponent<Rigidbody>(); }'
        ),
        # A registry of one's own with a GetComponent(Type), and the class's own method.
        U
        + "public class Registry { public object GetComponent(System.Type t) => null; }\npublic class Player : MonoBehaviour { Registry r; void Awake() { var x = r.GetComponent(typeof(Rigidbody)); } }",
        behaviour(
            "    void Awake() { var x = GetComponent(typeof(Rigidbody)); }\n    object GetComponent(System.Type t) => null;"
        ),
        behaviour(
            "    void Awake()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        var rb = GetComponent(typeof(Rigidbody)) as Rigidbody;\n#endif\n    }"
        ),
    ],
    "SPK040": [
        EDITOR + "public class Setup { [InitializeOnLoadMethod] static void Load() { Go(); } }",
        # A project's own attribute of that name, and the attribute in a comment.
        U
        + "public class InitializeOnLoadMethodAttribute : System.Attribute { }\npublic class Setup { [InitializeOnLoadMethod] void Load(int a) { } }",
        behaviour("    // [RuntimeInitializeOnLoadMethod]\n    void Boot(int level) { Go(); }"),
        # In the #else of a symbol every Unity 6 build defines.
        behaviour(
            "#if UNITY_2019_1_OR_NEWER\n    [RuntimeInitializeOnLoadMethod]\n    static void Boot() { }\n#else\n    [RuntimeInitializeOnLoadMethod]\n    void Boot() { }\n#endif"
        ),
    ],
    "SPK041": [
        EDITOR + 'public class Tools { [MenuItem("Tools/Clear")] static void Clear() { Go(); } }',
        # A project's own MenuItem attribute, and [MenuItem] in a string and a comment.
        U
        + 'public class MenuItem : System.Attribute { public MenuItem(string p) { } }\npublic class Tools { [MenuItem("x")] void Clear() { } }',
        behaviour(
            '    // [MenuItem("Tools/Clear")]\n    void Clear() { Log("[MenuItem(\\"x\\")]"); }'
        ),
        behaviour(
            '#if UNITY_2019_1_OR_NEWER\n    [UnityEditor.MenuItem("Tools/Clear")]\n    static void Clear() { }\n#else\n    [UnityEditor.MenuItem("Tools/Clear")]\n    void Clear() { }\n#endif'
        ),
    ],
    "SPK042": [
        behaviour(
            "    void Clear() { foreach (Transform child in transform) Destroy(child.gameObject); Destroy(GetComponent<Rigidbody>()); }"
        ),
        # The class's own Destroy, and a project's own Object type.
        behaviour("    void Clear() { Destroy(transform); }\n    void Destroy(Transform t) { }"),
        U
        + "public class Object { public static void Destroy(Transform t) { } }\npublic class Pool { void Clear(Transform t) { Object.Destroy(t); } }",
        behaviour(
            "    void Clear()\n    {\n#if !UNITY_2019_1_OR_NEWER\n        Destroy(transform);\n#endif\n    }"
        ),
    ],
    "SPK046": [
        U
        + "using UnityEditor;\n[InitializeOnLoad]\npublic class Startup\n{\n#if UNITY_EDITOR\n    static Startup() { Go(); }\n#endif\n}",
        U + "using UnityEditor;\n[InitializeOnLoad]\npublic partial class Startup { }",
        U
        + "using UnityEditor;\npublic class Startup\n{\n    [InitializeOnLoadMethod] static void Init() { Go(); }\n    [RuntimeInitializeOnLoadMethod] static void Boot() { Go(); }\n}",
    ],
    "SPK047": [
        behaviour(
            "    void Start() { var b = GetComponent<Rigidbody>(); var d = GetComponent<IDamageable>(); var t = GetComponent<Transform>(); }",
            extra="public interface IDamageable { }\n",
        ),
        behaviour(
            "    T Find<T>() => GetComponent<T>();\n    void Start() { var h = GetComponent<Health>(); var n = GetComponent<Enemy>(); }",
            extra="public class Enemy : Health { }\n",
        ),
        U
        + "public class Registry\n{\n    T GetComponent<T>() => default;\n    void Go() { var x = GetComponent<int>(); }\n}\npublic class Player : MonoBehaviour { Registry r; void Start() { var y = r.GetComponent<int>(); } }",
        # A project's own component may be called Touch; a partial class may have its base elsewhere.
        behaviour(
            "    void Start() { var t = GetComponent<Touch>(); var s = GetComponent<Stats>(); }",
            extra="public partial class Stats { }\n",
        ),
    ],
    "SPK048": [
        behaviour("    Texture2D tex;\n    void Paint(Color32[] c) { tex.SetPixels32(c); }"),
        behaviour(
            "    void Start() { var t = new Texture2D(4, 4, TextureFormat.RGBAFloat, false); t.SetPixels(new Color[16]); }"
        ),
        behaviour(
            "    Cubemap cube;\n    Canvas2 other;\n    void Paint(Color[] c) { cube.SetPixels(c, CubemapFace.PositiveX); other.SetPixels(c); }"
        ),
    ],
    "SPK049": [
        behaviour(
            '    System.Reflection.FieldInfo f;\n    void Awake() { f = GetType().GetField("hp"); }\n    void Update() { var v = f.GetValue(this); }'
        ),
        behaviour(
            "    object target;\n    void Update() { if (target.GetType() == typeof(Player)) Go(); }"
        ),
        behaviour(
            '    Sheet sheet;\n    void Update() { var v = sheet.GetField("hp"); }\n    void Tick() { var f = typeof(Player).GetField("hp"); }'
        ),
    ],
    "SPK050": [
        behaviour("    void OnTriggerEnter(Collider other) { Destroy(other.gameObject); }"),
        behaviour(
            "    RectTransform rt;\n    void Start() { var t = rt.transform; var g = transform.gameObject; }"
        ),
        behaviour(
            "    Holder h;\n    void Start() { h.gameObject.SetActive(false); }",
            extra="public class Holder { public GameObject gameObject; }\n",
        ),
    ],
    "SPK051": [
        behaviour("    protected void Update() { Go(); }\n    protected virtual void Start() { }"),
        U
        + "public sealed class Player : MonoBehaviour { void Update() { Go(); } }\npublic class Base : MonoBehaviour { protected virtual void Awake() { } }\npublic class Child : Base { protected override void Awake() { } }",
        U
        + "interface IFoo { void Update(); }\npublic class Player : MonoBehaviour, IFoo { void IFoo.Update() { } void Move() { } }",
    ],
    "SPK052": [
        EDITOR
        + "public class BaseDrawer : PropertyDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l) { EditorGUI.PropertyField(p, s, l); }\n}\npublic class RangeDrawer : BaseDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l) { base.OnGUI(p, s, l); }\n}",
        EDITOR
        + "public class RangeDrawer : ExternalDrawer\n{\n    public override void OnGUI(Rect p, SerializedProperty s, GUIContent l) { base.OnGUI(p, s, l); }\n}",
        EDITOR
        + "public class PlayerEditor : Editor\n{\n    public override void OnInspectorGUI() { base.OnInspectorGUI(); }\n}\npublic class Panel : MonoBehaviour\n{\n    protected virtual void OnGUI() { }\n}\npublic class Sub : Panel\n{\n    protected override void OnGUI() { base.OnGUI(); }\n}",
    ],
    "SPK053": [
        EDITOR
        + 'public static class Setup\n{\n    [InitializeOnLoadMethod]\n    static void Load() { EditorApplication.delayCall += () => { var m = AssetDatabase.LoadAssetAtPath<Material>("Assets/M.mat"); }; }\n}',
        EDITOR
        + 'public static class Setup\n{\n    [MenuItem("Tools/Load")]\n    static void Load() { var m = AssetDatabase.LoadAssetAtPath<Material>("Assets/M.mat"); }\n}',
        EDITOR
        + "[InitializeOnLoad]\npublic class Setup\n{\n    static Setup() { EditorApplication.update += Tick; }\n    static void Tick() { AssetDatabase.Refresh(); }\n    [RuntimeInitializeOnLoadMethod] static void Boot() { AssetDatabase.Refresh(); }\n}",
    ],
    "SPK054": [
        behaviour(
            '    bool s;\n    void OnValidate() { s = gameObject.isStatic; }\n    [ContextMenu("Check")] void Check() { Log(gameObject.isStatic); }'
        ),
        behaviour(
            "    void Start()\n    {\n#if UNITY_EDITOR\n        if (gameObject.isStatic) Go();\n#endif\n    }"
        ),
        "using UnityEditor;\nusing UnityEngine;\npublic class Tool : EditorWindow { GameObject go; Block b; void OnGUI() { GUILayout.Label(go.isStatic.ToString()); } bool B() => b.isStatic; }",
    ],
    "SPK055": [
        behaviour(
            "    void Start()\n    {\n#if UNITY_EDITOR && !UNITY_WEBGL || UNITY_2022_3_OR_NEWER || UNITY_6000\n        Go();\n#endif\n    }"
        ),
        "#define FEATURE_X\nusing UnityEngine;\npublic class Player : MonoBehaviour\n{\n    void Start()\n    {\n#if FEATURE_X || ODIN_INSPECTOR || DOTWEEN\n        Go();\n#endif\n    }\n}",
        behaviour(
            '    void Start()\n    {\n        // #if UNITY_EDITR is wrong\n        Log("#if UNITY_EDITR");\n    }'
        ),
    ],
    "SPK056": [
        behaviour(
            "    void OnCollisionEnter(Collision c) { foreach (var p in c.contacts) Log(p.point); var all = c.contacts; var n = c.contactCount; }"
        ),
        behaviour(
            "    void OnCollisionEnter(Collision c) { c.contacts[0] = default; var s = c.contacts[0].ToString(); }"
        ),
        behaviour(
            "    Sensor s;\n    void Update() { var n = s.contacts.Length; var t = s.touches[0]; }"
        ),
    ],
    "SPK057": [
        behaviour(
            '    Material m;\n    void Update() { m.SetFloat(Shader.PropertyToID("_Glow"), Time.time); }'
        ),
        behaviour(
            '    Material m;\n    void A() { m.SetFloat(Shader.PropertyToID("_A"), 1f); m.SetFloat(Shader.PropertyToID("_B"), 1f); }'
        ),
        behaviour(
            '    static readonly int Glow = Shader.PropertyToID("_Glow");\n    int other = Shader.PropertyToID("_Glow");\n    Material m;\n    void A(string n) { m.SetFloat(Shader.PropertyToID(n), 1f); m.SetFloat(Shader.PropertyToID(n), 2f); }'
        ),
        # One of the two calls is in a branch Unity 6 does not compile.
        behaviour(
            '    Material m;\n    void A()\n    {\n#if UNITY_2019_1_OR_NEWER\n        m.SetFloat(Shader.PropertyToID("_Glow"), 1f);\n#else\n        m.SetFloat(Shader.PropertyToID("_Glow"), 1f);\n#endif\n    }'
        ),
    ],
    "SPK058": [
        behaviour("    async Task<string> Name() { await Task.Yield(); return null; }"),
        behaviour(
            "    Task Run() { System.Func<string> f = () => null; return Task.CompletedTask; }"
        ),
        behaviour("    ValueTask<int> Count() => default;\n    string Name() => null;"),
        U + "public class Quest { Task Next() => null; }\npublic class Task { }",
        U + "public class Quest { Task Next() => null; }",  # Task of another namespace
    ],
    "SPK059": [
        behaviour(
            '    async void Start() { Debug.Log($"Score: {await LoadScore()}"); var t = LoadScore(); Debug.Log(t.Status); }\n    Task<int> LoadScore() => Task.FromResult(3);'
        ),
        behaviour(
            "    Awaitable wait;\n    void Show() { Log(wait); Debug.Log(wait.IsCompleted); }"
        ),
        U
        + 'public class Quest { Task current; void Show() { Debug.Log("task: " + current); } }\npublic class Task { }',
    ],
}

OPTIONS = RULE_OPTIONS


def test_every_rule_has_three_cases_of_each_kind() -> None:
    rules = {r.id for r in iter_rules() if r.id.startswith("SPK")}
    assert set(POSITIVE) == rules == set(NEGATIVE)
    for rule_id in rules:
        assert len(set(POSITIVE[rule_id])) >= 3 and len(set(NEGATIVE[rule_id])) >= 3, rule_id


def _ids(code: str, rule_id: str) -> list[str]:
    report = validate(code, file_name="Player.cs", **OPTIONS.get(rule_id, {}))  # type: ignore[arg-type]
    assert [d.format() for d in report.diagnostics if d.rule_id.startswith("CS-")] == []
    return [d.rule_id for d in report.diagnostics]


@pytest.mark.parametrize(
    ("rule_id", "code"), [(r, c) for r, cases in sorted(POSITIVE.items()) for c in cases]
)
def test_positive_case(rule_id: str, code: str) -> None:
    assert rule_id in _ids(code, rule_id)


@pytest.mark.parametrize(
    ("rule_id", "code"), [(r, c) for r, cases in sorted(NEGATIVE.items()) for c in cases]
)
def test_negative_case(rule_id: str, code: str) -> None:
    assert rule_id not in _ids(code, rule_id)
