// Test stub: physics (see Object.cs).
using System;

namespace UnityEngine
{
    public enum ForceMode { Force = 0, Acceleration = 5, Impulse = 1, VelocityChange = 2 }
    public enum ForceMode2D { Force = 0, Impulse = 1 }
    public enum RigidbodyType2D { Dynamic = 0, Kinematic = 1, Static = 2 }
    public enum RigidbodyInterpolation { None = 0, Interpolate = 1, Extrapolate = 2 }
    public enum CollisionDetectionMode { Discrete = 0, Continuous = 1, ContinuousDynamic = 2, ContinuousSpeculative = 3 }
    public enum QueryTriggerInteraction { UseGlobal = 0, Ignore = 1, Collide = 2 }
    [Flags] public enum RigidbodyConstraints { None = 0, FreezePositionY = 4, FreezeRotationX = 16, FreezeRotationY = 32, FreezeRotationZ = 64, FreezeRotation = 112, FreezeAll = 126 }
    [Flags] public enum CollisionFlags { None = 0, Sides = 1, Above = 2, Below = 4 }

    public class Rigidbody : Component
    {
        [Obsolete("velocity has been renamed to linearVelocity. (UnityUpgradable) -> linearVelocity")]
        public Vector3 velocity { get; set; }
        public Vector3 linearVelocity { get; set; }
        public Vector3 angularVelocity { get; set; }
        public float mass { get; set; }
        public float drag { get; set; }
        public float linearDamping { get; set; }
        public float angularDrag { get; set; }
        public float angularDamping { get; set; }
        public bool useGravity { get; set; }
        public bool isKinematic { get; set; }
        public RigidbodyConstraints constraints { get; set; }
        public RigidbodyInterpolation interpolation { get; set; }
        public CollisionDetectionMode collisionDetectionMode { get; set; }
        public Vector3 position { get; set; }
        public Quaternion rotation { get; set; }
        public void AddForce(Vector3 force) { }
        public void AddForce(Vector3 force, ForceMode mode) { }
        public void AddForce(float x, float y, float z) { }
        public void AddRelativeForce(Vector3 force) { }
        public void AddRelativeForce(Vector3 force, ForceMode mode) { }
        public void AddTorque(Vector3 torque) { }
        public void AddTorque(Vector3 torque, ForceMode mode) { }
        public void AddExplosionForce(float explosionForce, Vector3 explosionPosition, float explosionRadius) { }
        public void MovePosition(Vector3 position) { }
        public void MoveRotation(Quaternion rot) { }
        public void Sleep() { }
        public void WakeUp() { }
    }

    public sealed class Rigidbody2D : Component
    {
        [Obsolete("velocity has been renamed to linearVelocity. (UnityUpgradable) -> linearVelocity")]
        public Vector2 velocity { get; set; }
        public Vector2 linearVelocity { get; set; }
        public float angularVelocity { get; set; }
        public float gravityScale { get; set; }
        public float mass { get; set; }
        public RigidbodyType2D bodyType { get; set; }
        public bool isKinematic { get; set; }
        public Vector2 position { get; set; }
        public float rotation { get; set; }
        public bool freezeRotation { get; set; }
        public bool IsTouching(ContactFilter2D contactFilter) { return false; }
        public bool IsTouching(Collider2D collider) { return false; }
        public void AddForce(Vector2 force) { }
        public void AddForce(Vector2 force, ForceMode2D mode) { }
        public void AddTorque(float torque) { }
        public void MovePosition(Vector2 position) { }
        public void MoveRotation(float angle) { }
    }

    public class Collider : Component
    {
        public bool enabled { get; set; }
        public bool isTrigger { get; set; }
        public Bounds bounds { get { return new Bounds(); } }
        public Rigidbody attachedRigidbody { get { return null; } }
        public Vector3 ClosestPoint(Vector3 position) { return position; }
    }
    public class BoxCollider : Collider { public Vector3 size { get; set; } public Vector3 center { get; set; } }
    public class SphereCollider : Collider { public float radius { get; set; } public Vector3 center { get; set; } }
    public class CapsuleCollider : Collider { public float radius { get; set; } public float height { get; set; } }
    public class MeshCollider : Collider { public bool convex { get; set; } }
    public class CharacterController : Collider
    {
        public bool isGrounded { get { return true; } }
        public Vector3 velocity { get { return Vector3.zero; } }
        public float height { get; set; }
        public float radius { get; set; }
        public Vector3 center { get; set; }
        public float slopeLimit { get; set; }
        public float stepOffset { get; set; }
        public CollisionFlags Move(Vector3 motion) { return CollisionFlags.None; }
        public bool SimpleMove(Vector3 speed) { return true; }
    }

    public class Collider2D : Behaviour
    {
        public bool isTrigger { get; set; }
        public Rigidbody2D attachedRigidbody { get { return null; } }
        public Bounds bounds { get { return new Bounds(); } }
    }
    public class BoxCollider2D : Collider2D { public Vector2 size { get; set; } }
    public class CircleCollider2D : Collider2D { public float radius { get; set; } }
    public class CapsuleCollider2D : Collider2D { public Vector2 size { get; set; } }

    public struct ContactFilter2D
    {
        public bool useTriggers;
        public void SetLayerMask(LayerMask layerMask) { }
        public void SetNormalAngle(float normalAngleMin, float normalAngleMax) { }
    }

    public struct ContactPoint
    {
        public Vector3 point { get { return Vector3.zero; } }
        public Vector3 normal { get { return Vector3.up; } }
    }
    public struct ContactPoint2D
    {
        public Vector2 point { get { return Vector2.zero; } }
        public Vector2 normal { get { return Vector2.up; } }
    }

    public class Collision
    {
        public GameObject gameObject { get { return null; } }
        public Transform transform { get { return null; } }
        public Collider collider { get { return null; } }
        public Rigidbody rigidbody { get { return null; } }
        public Vector3 relativeVelocity { get { return Vector3.zero; } }
        public Vector3 impulse { get { return Vector3.zero; } }
        public int contactCount { get { return 0; } }
        public ContactPoint[] contacts { get { return new ContactPoint[0]; } }
        public ContactPoint GetContact(int index) { return new ContactPoint(); }
    }

    public class Collision2D
    {
        public GameObject gameObject { get { return null; } }
        public Transform transform { get { return null; } }
        public Collider2D collider { get { return null; } }
        public Rigidbody2D rigidbody { get { return null; } }
        public Vector2 relativeVelocity { get { return Vector2.zero; } }
        public int contactCount { get { return 0; } }
        public ContactPoint2D[] contacts { get { return new ContactPoint2D[0]; } }
        public ContactPoint2D GetContact(int index) { return new ContactPoint2D(); }
    }

    public struct Ray
    {
        public Ray(Vector3 origin, Vector3 direction) : this() { this.origin = origin; this.direction = direction; }
        public Vector3 origin { get; set; }
        public Vector3 direction { get; set; }
        public Vector3 GetPoint(float distance) { return origin; }
    }

    public struct RaycastHit
    {
        public Vector3 point { get { return Vector3.zero; } }
        public Vector3 normal { get { return Vector3.up; } }
        public float distance { get { return 0f; } }
        public Collider collider { get { return null; } }
        public Transform transform { get { return null; } }
        public Rigidbody rigidbody { get { return null; } }
    }

    public struct RaycastHit2D
    {
        public Vector2 point { get { return Vector2.zero; } }
        public Vector2 normal { get { return Vector2.up; } }
        public float distance { get { return 0f; } }
        public Collider2D collider { get { return null; } }
        public Transform transform { get { return null; } }
        public Rigidbody2D rigidbody { get { return null; } }
        public static implicit operator bool(RaycastHit2D hit) { return hit.collider != null; }
    }

    public struct LayerMask
    {
        public int value { get; set; }
        public static int GetMask(params string[] layerNames) { return 0; }
        public static int NameToLayer(string layerName) { return 0; }
        public static string LayerToName(int layer) { return ""; }
        public static implicit operator int(LayerMask mask) { return mask.value; }
        public static implicit operator LayerMask(int intVal) { LayerMask mask = new LayerMask(); mask.value = intVal; return mask; }
    }

    public static class Physics
    {
        public static Vector3 gravity { get; set; }
        public static bool Raycast(Vector3 origin, Vector3 direction) { return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, float maxDistance) { return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, float maxDistance, int layerMask) { return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, out RaycastHit hitInfo) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, out RaycastHit hitInfo, float maxDistance) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, out RaycastHit hitInfo, float maxDistance, int layerMask) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Vector3 origin, Vector3 direction, out RaycastHit hitInfo, float maxDistance, int layerMask, QueryTriggerInteraction queryTriggerInteraction) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Ray ray) { return false; }
        public static bool Raycast(Ray ray, out RaycastHit hitInfo) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Ray ray, out RaycastHit hitInfo, float maxDistance) { hitInfo = new RaycastHit(); return false; }
        public static bool Raycast(Ray ray, out RaycastHit hitInfo, float maxDistance, int layerMask) { hitInfo = new RaycastHit(); return false; }
        public static RaycastHit[] RaycastAll(Vector3 origin, Vector3 direction, float maxDistance) { return new RaycastHit[0]; }
        public static bool SphereCast(Vector3 origin, float radius, Vector3 direction, out RaycastHit hitInfo, float maxDistance) { hitInfo = new RaycastHit(); return false; }
        public static bool Linecast(Vector3 start, Vector3 end) { return false; }
        public static bool CheckSphere(Vector3 position, float radius) { return false; }
        public static bool CheckSphere(Vector3 position, float radius, int layerMask) { return false; }
        public static Collider[] OverlapSphere(Vector3 position, float radius) { return new Collider[0]; }
        public static Collider[] OverlapSphere(Vector3 position, float radius, int layerMask) { return new Collider[0]; }
    }

    public static class Physics2D
    {
        public static Vector2 gravity { get; set; }
        public static RaycastHit2D Raycast(Vector2 origin, Vector2 direction) { return new RaycastHit2D(); }
        public static RaycastHit2D Raycast(Vector2 origin, Vector2 direction, float distance) { return new RaycastHit2D(); }
        public static RaycastHit2D Raycast(Vector2 origin, Vector2 direction, float distance, int layerMask) { return new RaycastHit2D(); }
        public static Collider2D OverlapCircle(Vector2 point, float radius) { return null; }
        public static Collider2D OverlapCircle(Vector2 point, float radius, int layerMask) { return null; }
        public static Collider2D[] OverlapCircleAll(Vector2 point, float radius) { return new Collider2D[0]; }
    }
}
