#nullable enable
using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using UnityEngine;
using static System.Math;
using Alias = System.Collections.Generic.Dictionary<string, int>;

namespace Game.Core;

public record Point(int X, int Y);
public record struct Vec(float A, float B);
public readonly record struct Id(int Value);

public class Service(ILogger logger, int count)
{
    private readonly int _count = count;
    public void Log() => logger.Log($"{_count}");
}

public interface ILogger { void Log(string s); static abstract int Make(); }

[Serializable]
public sealed class Player : MonoBehaviour
{
    [SerializeField, Range(0f, 10f)] private float speed = 5f;
    [field: SerializeField] public int Health { get; private set; } = 100;
    public string? Name { get; init; }
    private List<int> items = [1, 2, 3];
    private int[] empty = [];
    private Dictionary<string, List<int>> map = new();
    public required string Tag2 { get; set; }

#if UNITY_EDITOR
    private void OnValidate() { speed = Mathf.Max(0, speed); }
#elif UNITY_ANDROID
    private void Foo() { }
#else
    private void Bar() { }
#endif

    #region Stuff
    async void Start()
    {
        await Task.Delay(10);
        var (a, b) = (1, "two");
        (int x, string y) t = (a, b);
        string raw = """
            raw "string" here
            """;
        string interp = $"{a,5:F2} {b}";
        string rawInterp = $$"""{{a}} {b}""";
        object o = a;
        var desc = o switch
        {
            int i when i > 0 => "pos",
            int and < 0 => "neg",
            null => "null",
            string { Length: > 2 } s => s,
            _ => "other"
        };
        if (o is not null and int n) Debug.Log(n);
        if (o is { } any) Debug.Log(any);
        int Local(int q) => q * 2;
        static int Local2(int q) { return q + 1; }
        Debug.Log(Local(2) + Local2(3));
        var list = new List<int> { 1, 2 };
        foreach (var item in list) { }
        int[] arr = { 1, 2, 3 };
        var slice = arr[1..^1];
        Span<int> sp = stackalloc int[4];
        Func<int, int> f = static x => x + 1;
        var lam = (int x) => x;
        using var d = new System.IO.MemoryStream();
        await foreach (var z in Gen()) { }
        checked { a++; }
        unsafe { }
        _ = nameof(Player);
        int? maybe = null;
        maybe ??= 3;
        var tup = (Name: "x", Age: 3);
        Debug.Log(tup.Name);
        goto end;
        end:
        return;
    }
    #endregion

    private async IAsyncEnumerable<int> Gen() { yield return 1; await Task.Yield(); }

    private System.Collections.IEnumerator Co()
    {
        yield return new WaitForSeconds(1f);
        yield break;
    }

    public T Get<T>() where T : Component, new() => GetComponent<T>();
    public ref int RefRet(ref int x) => ref x;
    public static Player operator +(Player a, Player b) => a;
    public int this[int i] { get => i; set { } }
    public event Action? OnDied;
    ~Player() { }
    public delegate void Handler(in int x, out int y, params int[] rest);
}

public enum State : byte { Idle = 0, Run, [Obsolete] Jump }
public struct S { public int A; public S() { A = 1; } }
file class Hidden { }
public static class Ext { public static int Twice(this int x) => x * 2; }
