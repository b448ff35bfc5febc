// Test stub of part of the Input System package, written for SPARK's compile-check tests (C# 7).
using System;
using UnityEngine.InputSystem.Controls;

namespace UnityEngine.InputSystem.Controls
{
    public class InputControl { public string name { get { return ""; } } }
    public class InputControl<TValue> : InputControl where TValue : struct
    {
        public TValue ReadValue() { return default(TValue); }
    }
    public class AxisControl : InputControl<float> { }
    public class ButtonControl : AxisControl
    {
        public bool isPressed { get { return false; } }
        public bool wasPressedThisFrame { get { return false; } }
        public bool wasReleasedThisFrame { get { return false; } }
    }
    public class KeyControl : ButtonControl { public Key keyCode { get { return Key.None; } } }
    public class Vector2Control : InputControl<Vector2>
    {
        public AxisControl x { get { return null; } }
        public AxisControl y { get { return null; } }
    }
    public class StickControl : Vector2Control
    {
        public ButtonControl up { get { return null; } }
        public ButtonControl down { get { return null; } }
        public ButtonControl left { get { return null; } }
        public ButtonControl right { get { return null; } }
    }
    public class DeltaControl : Vector2Control { }
}

namespace UnityEngine.InputSystem
{
    public enum Key
    {
        None = 0, Space = 1, Enter = 2, Tab = 3, Escape = 60, LeftShift = 51, RightShift = 52,
        LeftCtrl = 55, A = 15, D = 18, E = 19, F = 20, Q = 31, R = 32, S = 33, W = 37,
        UpArrow = 63, DownArrow = 64, LeftArrow = 61, RightArrow = 62
    }

    public class InputDevice : InputControl { }
    public class Keyboard : InputDevice
    {
        public static Keyboard current { get { return null; } }
        public KeyControl this[Key key] { get { return null; } }
        public KeyControl spaceKey { get { return null; } }
        public KeyControl enterKey { get { return null; } }
        public KeyControl escapeKey { get { return null; } }
        public KeyControl leftShiftKey { get { return null; } }
        public KeyControl wKey { get { return null; } }
        public KeyControl aKey { get { return null; } }
        public KeyControl sKey { get { return null; } }
        public KeyControl dKey { get { return null; } }
        public KeyControl eKey { get { return null; } }
        public KeyControl fKey { get { return null; } }
        public KeyControl qKey { get { return null; } }
        public KeyControl rKey { get { return null; } }
        public KeyControl upArrowKey { get { return null; } }
        public KeyControl downArrowKey { get { return null; } }
        public KeyControl leftArrowKey { get { return null; } }
        public KeyControl rightArrowKey { get { return null; } }
    }
    public class Pointer : InputDevice
    {
        public Vector2Control position { get { return null; } }
        public DeltaControl delta { get { return null; } }
    }
    public class Mouse : Pointer
    {
        public static Mouse current { get { return null; } }
        public ButtonControl leftButton { get { return null; } }
        public ButtonControl rightButton { get { return null; } }
        public ButtonControl middleButton { get { return null; } }
        public DeltaControl scroll { get { return null; } }
    }
    public class Gamepad : InputDevice
    {
        public static Gamepad current { get { return null; } }
        public StickControl leftStick { get { return null; } }
        public StickControl rightStick { get { return null; } }
        public ButtonControl buttonSouth { get { return null; } }
        public ButtonControl buttonEast { get { return null; } }
        public ButtonControl buttonWest { get { return null; } }
        public ButtonControl buttonNorth { get { return null; } }
        public ButtonControl leftTrigger { get { return null; } }
        public ButtonControl rightTrigger { get { return null; } }
        public ButtonControl startButton { get { return null; } }
    }

    public enum InputActionType { Value = 0, Button = 1, PassThrough = 2 }
    public enum InputActionPhase { Disabled, Waiting, Started, Performed, Canceled }

    public sealed class InputAction
    {
        public struct CallbackContext
        {
            public InputAction action { get { return null; } }
            public InputActionPhase phase { get { return InputActionPhase.Performed; } }
            public bool started { get { return false; } }
            public bool performed { get { return false; } }
            public bool canceled { get { return false; } }
            public TValue ReadValue<TValue>() where TValue : struct { return default(TValue); }
            public bool ReadValueAsButton() { return false; }
        }

        public struct CompositeSyntax
        {
            public CompositeSyntax With(string name, string binding) { return this; }
        }

        public InputAction() { }
        public InputAction(string name = null, InputActionType type = InputActionType.Value, string binding = null, string interactions = null, string processors = null, string expectedControlType = null) { }
        public string name { get { return ""; } }
        public bool enabled { get { return false; } }
        public bool triggered { get { return false; } }
        public event Action<CallbackContext> started;
        public event Action<CallbackContext> performed;
        public event Action<CallbackContext> canceled;
        public void Enable() { }
        public void Disable() { }
        public TValue ReadValue<TValue>() where TValue : struct { return default(TValue); }
        public bool IsPressed() { return false; }
        public bool WasPressedThisFrame() { return false; }
        public bool WasReleasedThisFrame() { return false; }
        public void AddBinding(string path) { }
        public CompositeSyntax AddCompositeBinding(string composite) { return new CompositeSyntax(); }
        internal void Raise() { if (started != null && performed != null && canceled != null) { } }
    }

    public sealed class InputActionMap
    {
        public InputAction FindAction(string nameOrId) { return null; }
        public void Enable() { }
        public void Disable() { }
    }

    public class InputActionAsset : ScriptableObject
    {
        public InputAction FindAction(string actionNameOrId) { return null; }
        public InputActionMap FindActionMap(string nameOrId) { return null; }
        public void Enable() { }
        public void Disable() { }
    }

    public class InputActionReference : ScriptableObject
    {
        public InputAction action { get { return null; } }
    }

    public class InputValue
    {
        public TValue Get<TValue>() where TValue : struct { return default(TValue); }
        public bool isPressed { get { return false; } }
    }

    public class PlayerInput : MonoBehaviour
    {
        public InputActionAsset actions { get; set; }
        public string currentControlScheme { get { return ""; } }
        public void SwitchCurrentActionMap(string mapNameOrId) { }
    }
}
