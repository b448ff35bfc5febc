// Test stub of part of the UnityEngine API, written for SPARK's compile-check tests (C# 7, so
// Mono's mcs can build it). Signatures follow Unity's documentation; bodies do nothing.
using System;
using System.Collections;

namespace UnityEngine
{
    public enum HideFlags { None = 0, HideInHierarchy = 1, DontSave = 52 }
    public enum FindObjectsSortMode { None = 0, InstanceID = 1 }
    public enum FindObjectsInactive { Exclude = 0, Include = 1 }
    public enum PrimitiveType { Sphere, Capsule, Cylinder, Cube, Plane, Quad }
    public enum Space { World = 0, Self = 1 }
    public enum SendMessageOptions { RequireReceiver = 0, DontRequireReceiver = 1 }

    public class Object
    {
        public string name { get; set; }
        public HideFlags hideFlags { get; set; }
        public int GetInstanceID() { return 0; }
        public override string ToString() { return name; }
        public override bool Equals(object other) { return ReferenceEquals(this, other); }
        public override int GetHashCode() { return 0; }
        public static bool operator ==(Object x, Object y) { return ReferenceEquals(x, y); }
        public static bool operator !=(Object x, Object y) { return !ReferenceEquals(x, y); }
        public static implicit operator bool(Object exists) { return !ReferenceEquals(exists, null); }
        public static void Destroy(Object obj) { }
        public static void Destroy(Object obj, float t) { }
        public static void DestroyImmediate(Object obj) { }
        public static void DontDestroyOnLoad(Object target) { }
        public static Object Instantiate(Object original) { return original; }
        public static T Instantiate<T>(T original) where T : Object { return original; }
        public static T Instantiate<T>(T original, Transform parent) where T : Object { return original; }
        public static T Instantiate<T>(T original, Vector3 position, Quaternion rotation) where T : Object { return original; }
        public static T Instantiate<T>(T original, Vector3 position, Quaternion rotation, Transform parent) where T : Object { return original; }
        [Obsolete("Object.FindObjectOfType has been deprecated. Use Object.FindFirstObjectByType instead or if finding any instance is acceptable the faster Object.FindAnyObjectByType")]
        public static T FindObjectOfType<T>() where T : Object { return null; }
        public static T FindFirstObjectByType<T>() where T : Object { return null; }
        public static T FindAnyObjectByType<T>() where T : Object { return null; }
        public static T[] FindObjectsByType<T>(FindObjectsSortMode sortMode) where T : Object { return new T[0]; }
        public static T[] FindObjectsByType<T>(FindObjectsInactive findObjectsInactive, FindObjectsSortMode sortMode) where T : Object { return new T[0]; }
    }

    public class Component : Object
    {
        public Transform transform { get { return null; } }
        public GameObject gameObject { get { return null; } }
        public string tag { get; set; }
        public T GetComponent<T>() { return default(T); }
        public Component GetComponent(Type type) { return null; }
        public bool TryGetComponent<T>(out T component) { component = default(T); return false; }
        public T GetComponentInChildren<T>() { return default(T); }
        public T GetComponentInChildren<T>(bool includeInactive) { return default(T); }
        public T GetComponentInParent<T>() { return default(T); }
        public T[] GetComponents<T>() { return new T[0]; }
        public T[] GetComponentsInChildren<T>() { return new T[0]; }
        public T[] GetComponentsInChildren<T>(bool includeInactive) { return new T[0]; }
        public bool CompareTag(string tag) { return false; }
        public void SendMessage(string methodName) { }
        public void SendMessage(string methodName, object value, SendMessageOptions options) { }
        public void SendMessageUpwards(string methodName) { }
        public void SendMessageUpwards(string methodName, object value, SendMessageOptions options) { }
        public void BroadcastMessage(string methodName) { }
    }

    public class Behaviour : Component
    {
        public bool enabled { get; set; }
        public bool isActiveAndEnabled { get { return enabled; } }
    }

    public class MonoBehaviour : Behaviour
    {
        public bool useGUILayout { get; set; }
        public Coroutine StartCoroutine(IEnumerator routine) { return null; }
        public Coroutine StartCoroutine(string methodName) { return null; }
        public void StopCoroutine(Coroutine routine) { }
        public void StopCoroutine(IEnumerator routine) { }
        public void StopCoroutine(string methodName) { }
        public void StopAllCoroutines() { }
        public void Invoke(string methodName, float time) { }
        public void InvokeRepeating(string methodName, float time, float repeatRate) { }
        public void CancelInvoke() { }
        public void CancelInvoke(string methodName) { }
        public bool IsInvoking(string methodName) { return false; }
        public static void print(object message) { }
    }

    public class ScriptableObject : Object
    {
        public static T CreateInstance<T>() where T : ScriptableObject { return null; }
        public static ScriptableObject CreateInstance(Type type) { return null; }
    }

    public sealed class GameObject : Object
    {
        public GameObject() { }
        public GameObject(string name) { }
        public GameObject(string name, params Type[] components) { }
        public Transform transform { get { return null; } }
        public GameObject gameObject { get { return this; } }
        public int layer { get; set; }
        public string tag { get; set; }
        public bool activeSelf { get { return true; } }
        public bool activeInHierarchy { get { return true; } }
        public void SetActive(bool value) { }
        public T GetComponent<T>() { return default(T); }
        public Component GetComponent(Type type) { return null; }
        public bool TryGetComponent<T>(out T component) { component = default(T); return false; }
        public T GetComponentInChildren<T>() { return default(T); }
        public T GetComponentInParent<T>() { return default(T); }
        public T[] GetComponents<T>() { return new T[0]; }
        public T[] GetComponentsInChildren<T>() { return new T[0]; }
        public T AddComponent<T>() where T : Component { return null; }
        public Component AddComponent(Type componentType) { return null; }
        public bool CompareTag(string tag) { return false; }
        public void SendMessage(string methodName) { }
        public static GameObject Find(string name) { return null; }
        public static GameObject FindWithTag(string tag) { return null; }
        public static GameObject FindGameObjectWithTag(string tag) { return null; }
        public static GameObject[] FindGameObjectsWithTag(string tag) { return new GameObject[0]; }
        public static GameObject CreatePrimitive(PrimitiveType type) { return null; }
    }

    public class Transform : Component, IEnumerable
    {
        public Vector3 position { get; set; }
        public Vector3 localPosition { get; set; }
        public Vector3 eulerAngles { get; set; }
        public Vector3 localEulerAngles { get; set; }
        public Vector3 localScale { get; set; }
        public Vector3 lossyScale { get { return Vector3.one; } }
        public Vector3 right { get; set; }
        public Vector3 up { get; set; }
        public Vector3 forward { get; set; }
        public Quaternion rotation { get; set; }
        public Quaternion localRotation { get; set; }
        public Transform parent { get; set; }
        public Transform root { get { return this; } }
        public int childCount { get { return 0; } }
        public Transform GetChild(int index) { return null; }
        public Transform Find(string n) { return null; }
        public void SetParent(Transform p) { }
        public void SetParent(Transform p, bool worldPositionStays) { }
        public void SetPositionAndRotation(Vector3 position, Quaternion rotation) { }
        public void Translate(Vector3 translation) { }
        public void Translate(Vector3 translation, Space relativeTo) { }
        public void Translate(float x, float y, float z) { }
        public void Rotate(Vector3 eulers) { }
        public void Rotate(Vector3 eulers, Space relativeTo) { }
        public void Rotate(float xAngle, float yAngle, float zAngle) { }
        public void Rotate(float xAngle, float yAngle, float zAngle, Space relativeTo) { }
        public void Rotate(Vector3 axis, float angle) { }
        public void Rotate(Vector3 axis, float angle, Space relativeTo) { }
        public void RotateAround(Vector3 point, Vector3 axis, float angle) { }
        public void LookAt(Transform target) { }
        public void LookAt(Vector3 worldPosition) { }
        public void LookAt(Vector3 worldPosition, Vector3 worldUp) { }
        public Vector3 TransformPoint(Vector3 p) { return p; }
        public Vector3 InverseTransformPoint(Vector3 p) { return p; }
        public Vector3 TransformDirection(Vector3 d) { return d; }
        public Vector3 InverseTransformDirection(Vector3 d) { return d; }
        public void DetachChildren() { }
        public IEnumerator GetEnumerator() { return new Transform[0].GetEnumerator(); }
    }

    public sealed class RectTransform : Transform
    {
        public Vector2 anchoredPosition { get; set; }
        public Vector2 sizeDelta { get; set; }
        public Vector2 pivot { get; set; }
        public Vector2 anchorMin { get; set; }
        public Vector2 anchorMax { get; set; }
    }

    public class YieldInstruction { }
    public sealed class Coroutine : YieldInstruction { }
    public sealed class WaitForSeconds : YieldInstruction { public WaitForSeconds(float seconds) { } }
    public sealed class WaitForFixedUpdate : YieldInstruction { }
    public sealed class WaitForEndOfFrame : YieldInstruction { }
    public class AsyncOperation : YieldInstruction
    {
        public bool isDone { get { return true; } }
        public float progress { get { return 1f; } }
        public bool allowSceneActivation { get; set; }
    }

    public abstract class CustomYieldInstruction : IEnumerator
    {
        public abstract bool keepWaiting { get; }
        public object Current { get { return null; } }
        public bool MoveNext() { return keepWaiting; }
        public void Reset() { }
    }
    public sealed class WaitUntil : CustomYieldInstruction
    {
        public WaitUntil(Func<bool> predicate) { }
        public override bool keepWaiting { get { return false; } }
    }
    public sealed class WaitWhile : CustomYieldInstruction
    {
        public WaitWhile(Func<bool> predicate) { }
        public override bool keepWaiting { get { return false; } }
    }
    public class WaitForSecondsRealtime : CustomYieldInstruction
    {
        public WaitForSecondsRealtime(float time) { }
        public override bool keepWaiting { get { return false; } }
    }
}

namespace UnityEngine.Pool
{
    public class ObjectPool<T> : IDisposable where T : class
    {
        public ObjectPool(Func<T> createFunc, Action<T> actionOnGet = null, Action<T> actionOnRelease = null, Action<T> actionOnDestroy = null, bool collectionCheck = true, int defaultCapacity = 10, int maxSize = 10000) { }
        public int CountInactive { get { return 0; } }
        public T Get() { return null; }
        public void Release(T element) { }
        public void Clear() { }
        public void Dispose() { }
    }
}
