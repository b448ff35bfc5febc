using UnityEngine;

[CreateAssetMenu(fileName = "PlayerStats", menuName = "Fixture/Player Stats")]
public class PlayerStats : ScriptableObject
{
    public float moveSpeed = 5f;
    public int maxJumps = 2;
}
