// Test stub of part of TextMeshPro, written for SPARK's compile-check tests (C# 7).
namespace TMPro
{
    public class TMP_Text : UnityEngine.UI.MaskableGraphic
    {
        public virtual string text { get; set; }
        public float fontSize { get; set; }
        public void SetText(string sourceText) { }
        public void SetText(string format, float arg0) { }
    }
    public class TextMeshProUGUI : TMP_Text { }
    public class TextMeshPro : TMP_Text { }
    public class TMP_InputField : UnityEngine.UI.Selectable { public string text { get; set; } }
}
