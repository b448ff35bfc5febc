using UnityEngine;
#if UNITY_EDITOR
using UnityEditor;
#endif

public class EditorOnly : MonoBehaviour
{
    #region Settings
    public float radius = 1f;
    #endregion

#if UNITY_EDITOR
    private void OnDrawGizmosSelected()
    {
#else
    private void Unused()
    {
#endif
        Gizmos.DrawWireSphere(transform.position, radius);
    }

    public int Score
    {
        get => score;
        set => score = Mathf.Max(0, value);
    }

    private int score;
}
#region Tail
#endregion