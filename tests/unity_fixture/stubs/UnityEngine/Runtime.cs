// Test stub: time, input, logging, application, rendering, audio, animation (see Object.cs).
using System;

namespace UnityEngine
{
    public static class Time
    {
        public static float deltaTime { get { return 0.016f; } }
        public static float fixedDeltaTime { get; set; }
        public static float unscaledDeltaTime { get { return 0.016f; } }
        public static float smoothDeltaTime { get { return 0.016f; } }
        public static float time { get { return 0f; } }
        public static float unscaledTime { get { return 0f; } }
        public static float fixedTime { get { return 0f; } }
        public static float timeSinceLevelLoad { get { return 0f; } }
        public static float realtimeSinceStartup { get { return 0f; } }
        public static float timeScale { get; set; }
        public static int frameCount { get { return 0; } }
    }

    public enum KeyCode
    {
        None = 0, Backspace = 8, Tab = 9, Return = 13, Escape = 27, Space = 32,
        Alpha0 = 48, Alpha1 = 49, Alpha2 = 50, Alpha3 = 51, Alpha4 = 52, Alpha5 = 53,
        A = 97, B = 98, C = 99, D = 100, E = 101, F = 102, G = 103, H = 104, I = 105, J = 106,
        K = 107, L = 108, M = 109, N = 110, O = 111, P = 112, Q = 113, R = 114, S = 115, T = 116,
        U = 117, V = 118, W = 119, X = 120, Y = 121, Z = 122,
        UpArrow = 273, DownArrow = 274, RightArrow = 275, LeftArrow = 276,
        RightShift = 303, LeftShift = 304, RightControl = 305, LeftControl = 306, LeftAlt = 308,
        Mouse0 = 323, Mouse1 = 324, Mouse2 = 325
    }

    public enum TouchPhase { Began, Moved, Stationary, Ended, Canceled }
    public struct Touch
    {
        public Vector2 position { get { return Vector2.zero; } }
        public Vector2 deltaPosition { get { return Vector2.zero; } }
        public TouchPhase phase { get { return TouchPhase.Began; } }
        public int fingerId { get { return 0; } }
    }

    public static class Input
    {
        public static Vector3 mousePosition { get { return Vector3.zero; } }
        public static Vector2 mouseScrollDelta { get { return Vector2.zero; } }
        public static bool anyKey { get { return false; } }
        public static bool anyKeyDown { get { return false; } }
        public static int touchCount { get { return 0; } }
        public static float GetAxis(string axisName) { return 0f; }
        public static float GetAxisRaw(string axisName) { return 0f; }
        public static bool GetButton(string buttonName) { return false; }
        public static bool GetButtonDown(string buttonName) { return false; }
        public static bool GetButtonUp(string buttonName) { return false; }
        public static bool GetKey(KeyCode key) { return false; }
        public static bool GetKey(string name) { return false; }
        public static bool GetKeyDown(KeyCode key) { return false; }
        public static bool GetKeyDown(string name) { return false; }
        public static bool GetKeyUp(KeyCode key) { return false; }
        public static bool GetKeyUp(string name) { return false; }
        public static bool GetMouseButton(int button) { return false; }
        public static bool GetMouseButtonDown(int button) { return false; }
        public static bool GetMouseButtonUp(int button) { return false; }
        public static Touch GetTouch(int index) { return new Touch(); }
    }

    public static class Debug
    {
        public static void Log(object message) { }
        public static void Log(object message, Object context) { }
        public static void LogFormat(string format, params object[] args) { }
        public static void LogWarning(object message) { }
        public static void LogWarning(object message, Object context) { }
        public static void LogError(object message) { }
        public static void LogError(object message, Object context) { }
        public static void LogException(Exception exception) { }
        public static void Assert(bool condition) { }
        public static void Assert(bool condition, string message) { }
        public static void DrawLine(Vector3 start, Vector3 end) { }
        public static void DrawLine(Vector3 start, Vector3 end, Color color) { }
        public static void DrawLine(Vector3 start, Vector3 end, Color color, float duration) { }
        public static void DrawRay(Vector3 start, Vector3 dir) { }
        public static void DrawRay(Vector3 start, Vector3 dir, Color color) { }
        public static void DrawRay(Vector3 start, Vector3 dir, Color color, float duration) { }
    }

    public static class Gizmos
    {
        public static Color color { get; set; }
        public static void DrawLine(Vector3 from, Vector3 to) { }
        public static void DrawRay(Vector3 from, Vector3 direction) { }
        public static void DrawSphere(Vector3 center, float radius) { }
        public static void DrawWireSphere(Vector3 center, float radius) { }
        public static void DrawCube(Vector3 center, Vector3 size) { }
        public static void DrawWireCube(Vector3 center, Vector3 size) { }
    }

    public static class Application
    {
        public static bool isPlaying { get { return true; } }
        public static bool isEditor { get { return false; } }
        public static int targetFrameRate { get; set; }
        public static string persistentDataPath { get { return ""; } }
        public static string dataPath { get { return ""; } }
        public static void Quit() { }
        public static void OpenURL(string url) { }
    }

    public static class Screen
    {
        public static int width { get { return 1920; } }
        public static int height { get { return 1080; } }
    }

    public enum CursorLockMode { None = 0, Locked = 1, Confined = 2 }
    public static class Cursor
    {
        public static CursorLockMode lockState { get; set; }
        public static bool visible { get; set; }
    }

    public static class PlayerPrefs
    {
        public static void SetInt(string key, int value) { }
        public static int GetInt(string key) { return 0; }
        public static int GetInt(string key, int defaultValue) { return defaultValue; }
        public static void SetFloat(string key, float value) { }
        public static float GetFloat(string key) { return 0f; }
        public static float GetFloat(string key, float defaultValue) { return defaultValue; }
        public static void SetString(string key, string value) { }
        public static string GetString(string key) { return ""; }
        public static string GetString(string key, string defaultValue) { return defaultValue; }
        public static bool HasKey(string key) { return false; }
        public static void DeleteKey(string key) { }
        public static void Save() { }
    }

    public static class JsonUtility
    {
        public static string ToJson(object obj) { return "{}"; }
        public static string ToJson(object obj, bool prettyPrint) { return "{}"; }
        public static T FromJson<T>(string json) { return default(T); }
    }

    public static class Resources
    {
        public static T Load<T>(string path) where T : Object { return null; }
    }

    public class Camera : Behaviour
    {
        public static Camera main { get { return null; } }
        public float fieldOfView { get; set; }
        public bool orthographic { get; set; }
        public float orthographicSize { get; set; }
        public float nearClipPlane { get; set; }
        public float farClipPlane { get; set; }
        public Color backgroundColor { get; set; }
        public Vector3 ScreenToWorldPoint(Vector3 position) { return position; }
        public Vector3 WorldToScreenPoint(Vector3 position) { return position; }
        public Vector3 ViewportToWorldPoint(Vector3 position) { return position; }
        public Ray ScreenPointToRay(Vector3 pos) { return new Ray(pos, Vector3.forward); }
    }

    public class Shader : Object
    {
        public static Shader Find(string name) { return null; }
        public static int PropertyToID(string name) { return 0; }
    }
    public class Texture : Object { public int width { get; set; } public int height { get; set; } }
    public class Texture2D : Texture { public Texture2D(int width, int height) { } }
    public class Sprite : Object { }
    public class Material : Object
    {
        public Material(Shader shader) { }
        public Material(Material source) { }
        public Color color { get; set; }
        public Texture mainTexture { get; set; }
        public Shader shader { get; set; }
        public void SetColor(string name, Color value) { }
        public void SetColor(int nameID, Color value) { }
        public Color GetColor(string name) { return Color.white; }
        public void SetFloat(string name, float value) { }
        public void SetFloat(int nameID, float value) { }
        public float GetFloat(string name) { return 0f; }
        public void EnableKeyword(string keyword) { }
        public void DisableKeyword(string keyword) { }
    }
    public class Mesh : Object
    {
        public Vector3[] vertices { get; set; }
        public Vector3[] normals { get; set; }
        public Vector2[] uv { get; set; }
        public int[] triangles { get; set; }
        public void RecalculateNormals() { }
        public void RecalculateBounds() { }
    }

    public class Renderer : Component
    {
        public bool enabled { get; set; }
        public bool isVisible { get { return true; } }
        public Material material { get; set; }
        public Material[] materials { get; set; }
        public Material sharedMaterial { get; set; }
        public Bounds bounds { get { return new Bounds(); } }
    }
    public class MeshRenderer : Renderer { }
    public class SkinnedMeshRenderer : Renderer { }
    public sealed class SpriteRenderer : Renderer
    {
        public Sprite sprite { get; set; }
        public Color color { get; set; }
        public bool flipX { get; set; }
        public bool flipY { get; set; }
        public int sortingOrder { get; set; }
    }
    public sealed class LineRenderer : Renderer
    {
        public int positionCount { get; set; }
        public float startWidth { get; set; }
        public float endWidth { get; set; }
        public void SetPosition(int index, Vector3 position) { }
    }
    public sealed class TrailRenderer : Renderer { public float time { get; set; } }
    public sealed class MeshFilter : Component { public Mesh mesh { get; set; } public Mesh sharedMesh { get; set; } }
    public sealed class Light : Behaviour
    {
        public float intensity { get; set; }
        public Color color { get; set; }
        public float range { get; set; }
    }
    public sealed class Canvas : Behaviour { public int sortingOrder { get; set; } }
    public sealed class CanvasGroup : Behaviour
    {
        public float alpha { get; set; }
        public bool interactable { get; set; }
        public bool blocksRaycasts { get; set; }
    }

    public sealed class ParticleSystem : Component
    {
        public bool isPlaying { get { return false; } }
        public void Play() { }
        public void Stop() { }
        public void Pause() { }
        public void Clear() { }
        public void Emit(int count) { }
    }

    public sealed class AudioClip : Object { public float length { get { return 0f; } } }
    public sealed class AudioSource : Behaviour
    {
        public AudioClip clip { get; set; }
        public float volume { get; set; }
        public float pitch { get; set; }
        public bool loop { get; set; }
        public bool playOnAwake { get; set; }
        public bool isPlaying { get { return false; } }
        public void Play() { }
        public void Stop() { }
        public void Pause() { }
        public void PlayOneShot(AudioClip clip) { }
        public void PlayOneShot(AudioClip clip, float volumeScale) { }
        public static void PlayClipAtPoint(AudioClip clip, Vector3 position) { }
    }

    public struct AnimatorStateInfo
    {
        public float normalizedTime { get { return 0f; } }
        public float length { get { return 0f; } }
        public bool IsName(string name) { return false; }
    }
    public class Animator : Behaviour
    {
        public float speed { get; set; }
        public bool applyRootMotion { get; set; }
        public static int StringToHash(string name) { return 0; }
        public void SetBool(string name, bool value) { }
        public void SetBool(int id, bool value) { }
        public bool GetBool(string name) { return false; }
        public void SetFloat(string name, float value) { }
        public void SetFloat(int id, float value) { }
        public void SetFloat(string name, float value, float dampTime, float deltaTime) { }
        public float GetFloat(string name) { return 0f; }
        public void SetInteger(string name, int value) { }
        public void SetInteger(int id, int value) { }
        public int GetInteger(string name) { return 0; }
        public void SetTrigger(string name) { }
        public void SetTrigger(int id) { }
        public void ResetTrigger(string name) { }
        public void Play(string stateName) { }
        public void CrossFade(string stateName, float normalizedTransitionDuration) { }
        public AnimatorStateInfo GetCurrentAnimatorStateInfo(int layerIndex) { return new AnimatorStateInfo(); }
    }
}

namespace UnityEngine.AI
{
    public sealed class NavMeshAgent : Behaviour
    {
        public Vector3 destination { get; set; }
        public float speed { get; set; }
        public float stoppingDistance { get; set; }
        public float remainingDistance { get { return 0f; } }
        public bool isStopped { get; set; }
        public bool pathPending { get { return false; } }
        public bool hasPath { get { return false; } }
        public bool isOnNavMesh { get { return true; } }
        public Vector3 velocity { get; set; }
        public bool SetDestination(Vector3 target) { return true; }
        public void ResetPath() { }
        public bool Warp(Vector3 newPosition) { return true; }
    }
}

namespace UnityEngine.SceneManagement
{
    public enum LoadSceneMode { Single = 0, Additive = 1 }
    public struct Scene
    {
        public string name { get { return ""; } }
        public int buildIndex { get { return 0; } }
    }
    public static class SceneManager
    {
        public static int sceneCountInBuildSettings { get { return 1; } }
        public static Scene GetActiveScene() { return new Scene(); }
        public static void LoadScene(string sceneName) { }
        public static void LoadScene(int sceneBuildIndex) { }
        public static void LoadScene(string sceneName, LoadSceneMode mode) { }
        public static AsyncOperation LoadSceneAsync(string sceneName) { return null; }
        public static AsyncOperation LoadSceneAsync(int sceneBuildIndex) { return null; }
    }
}

namespace UnityEngine.Events
{
    public delegate void UnityAction();
    public delegate void UnityAction<T0>(T0 arg0);
    public delegate void UnityAction<T0, T1>(T0 arg0, T1 arg1);

    public abstract class UnityEventBase { public void RemoveAllListeners() { } }
    [Serializable]
    public class UnityEvent : UnityEventBase
    {
        public void AddListener(UnityAction call) { }
        public void RemoveListener(UnityAction call) { }
        public void Invoke() { }
    }
    [Serializable]
    public class UnityEvent<T0> : UnityEventBase
    {
        public void AddListener(UnityAction<T0> call) { }
        public void RemoveListener(UnityAction<T0> call) { }
        public void Invoke(T0 arg0) { }
    }
    [Serializable]
    public class UnityEvent<T0, T1> : UnityEventBase
    {
        public void AddListener(UnityAction<T0, T1> call) { }
        public void RemoveListener(UnityAction<T0, T1> call) { }
        public void Invoke(T0 arg0, T1 arg1) { }
    }
}
