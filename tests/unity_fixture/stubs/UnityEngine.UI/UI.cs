// Test stub of part of Unity UI (uGUI), written for SPARK's compile-check tests (C# 7).
using System;
using UnityEngine.Events;

namespace UnityEngine.EventSystems
{
    public class UIBehaviour : MonoBehaviour { }
    public class BaseEventData { }
    public enum PointerButton { Left = 0, Right = 1, Middle = 2 }
    public class PointerEventData : BaseEventData
    {
        public Vector2 position { get; set; }
        public Vector2 delta { get; set; }
        public int pointerId { get; set; }
        public PointerButton button { get; set; }
    }
    public interface IEventSystemHandler { }
    public interface IPointerClickHandler : IEventSystemHandler { void OnPointerClick(PointerEventData eventData); }
    public interface IPointerEnterHandler : IEventSystemHandler { void OnPointerEnter(PointerEventData eventData); }
    public interface IPointerExitHandler : IEventSystemHandler { void OnPointerExit(PointerEventData eventData); }
    public interface IPointerDownHandler : IEventSystemHandler { void OnPointerDown(PointerEventData eventData); }
    public interface IPointerUpHandler : IEventSystemHandler { void OnPointerUp(PointerEventData eventData); }
    public interface IBeginDragHandler : IEventSystemHandler { void OnBeginDrag(PointerEventData eventData); }
    public interface IDragHandler : IEventSystemHandler { void OnDrag(PointerEventData eventData); }
    public interface IEndDragHandler : IEventSystemHandler { void OnEndDrag(PointerEventData eventData); }
    public class EventSystem : UIBehaviour
    {
        public static EventSystem current { get; set; }
        public void SetSelectedGameObject(GameObject selected) { }
        public bool IsPointerOverGameObject() { return false; }
    }
}

namespace UnityEngine.UI
{
    using UnityEngine.EventSystems;

    public abstract class Graphic : UIBehaviour
    {
        public virtual Color color { get; set; }
        public bool raycastTarget { get; set; }
    }
    public abstract class MaskableGraphic : Graphic { }
    public class Text : MaskableGraphic
    {
        public virtual string text { get; set; }
        public int fontSize { get; set; }
    }
    public enum ImageType { Simple, Sliced, Tiled, Filled }
    public class Image : MaskableGraphic
    {
        public Sprite sprite { get; set; }
        public float fillAmount { get; set; }
        public ImageType type { get; set; }
    }
    public class RawImage : MaskableGraphic { public Texture texture { get; set; } }
    public class Selectable : UIBehaviour { public bool interactable { get; set; } public void Select() { } }
    public class Button : Selectable
    {
        [Serializable] public class ButtonClickedEvent : UnityEvent { }
        public ButtonClickedEvent onClick { get; set; }
    }
    public class Slider : Selectable
    {
        [Serializable] public class SliderEvent : UnityEvent<float> { }
        public float value { get; set; }
        public float minValue { get; set; }
        public float maxValue { get; set; }
        public SliderEvent onValueChanged { get; set; }
    }
    public class Toggle : Selectable
    {
        [Serializable] public class ToggleEvent : UnityEvent<bool> { }
        public bool isOn { get; set; }
        public ToggleEvent onValueChanged { get; set; }
    }
    public class InputField : Selectable
    {
        [Serializable] public class OnChangeEvent : UnityEvent<string> { }
        [Serializable] public class SubmitEvent : UnityEvent<string> { }
        public string text { get; set; }
        public OnChangeEvent onValueChanged { get; set; }
        public SubmitEvent onEndEdit { get; set; }
    }
    public class LayoutGroup : UIBehaviour { }
    public class VerticalLayoutGroup : LayoutGroup { }
    public class HorizontalLayoutGroup : LayoutGroup { }
}
