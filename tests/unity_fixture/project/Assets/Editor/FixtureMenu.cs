// An Editor script: Unity compiles it into Assembly-CSharp-Editor, never into the game.
using UnityEditor;

public static class FixtureMenu
{
    [MenuItem("Tools/Fixture")]
    private static void Run() { }
}
