using UnityEngine;

public class BrokenMissingSemicolon : MonoBehaviour
{
    private void Start()
    {
        Debug.Log("hello")
    }
}
