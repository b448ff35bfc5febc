"""Syntax diagnostics: valid modern C# is never an error; real breaks are found exactly."""

# ruff: noqa: E501  (C# test snippets read best on one line)

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark.unity.validator import ValidationReport, format_for_repair, parse, validate

DATA = Path(__file__).parent / "data" / "csharp"


def errors(report: ValidationReport) -> list[str]:
    return [f"{d.line}:{d.column} {d.rule_id} {d.message}" for d in report.errors]


def in_method(body: str) -> str:
    return f"using System;\nclass A {{\n    void F()\n    {{\n{body}\n    }}\n}}\n"


# Each construct the issue lists, plus the usual Unity idioms.  None may give an error.
VALID = {
    "preprocessor": "#if UNITY_EDITOR\nusing UnityEditor;\n#elif UNITY_ANDROID\nusing X;\n"
    "#else\nusing Y;\n#endif\n#pragma warning disable CS0649\nclass A { }\n",
    "attributes": '[Serializable, Obsolete("x", false)]\nclass A {\n'
    "  [SerializeField, Range(0, 1)] float v;\n  [field: SerializeField] public int P { get; set; }\n}",
    "generics": "class A<T> where T : class, new() {\n  Dictionary<string, List<T>> d = new();\n"
    "  U Get<U>() where U : Component => default;\n}",
    "nullable": "#nullable enable\nclass A { string? s; int? n; List<int?>? l; void F() { var x = s!.Length; } }",
    "records": "public record Point(int X, int Y);\npublic record struct V(float A);\n"
    "public readonly record struct Id(int Value);",
    "switch_expression": in_method('var s = x switch { 1 => "a", > 5 and < 9 => "b", _ => "c" };'),
    "pattern_matching": in_method(
        "if (o is int n && n > 0) { }\nif (o is not null) { }\n"
        'if (o is Foo { Bar: > 2, Baz.Qux: "x" } f) { }\nif (list is [1, .., var last]) { }'
    ),
    "raw_strings": in_method(
        'var s = """\n    raw "quoted" text\n    """;\nvar t = $$"""{{a}} {b}""";'
    ),
    "interpolated_strings": in_method(
        'var s = $"{a,5:F2} {(b ? "x" : "y")} {{literal}}";\nvar v = $@"C:\\{name}";'
    ),
    "file_scoped_namespace": "namespace Game.Core;\n\npublic class A { }\n",
    "primary_constructors": "public class Service(ILogger log, int n) { public void F() => log.Log(n); }",
    "collection_expressions": "class A { int[] a = [1, 2, 3]; List<int> b = []; int[] c = [..a, 4]; }",
    "async_await": "class A {\n  async Task<int> F() { await Task.Delay(1); return 1; }\n"
    "  async void Start() { await F(); }\n  async IAsyncEnumerable<int> G() { yield return 1; }\n"
    "  async Task H() { await foreach (var x in G()) { } }\n}",
    "local_functions": in_method(
        "int Twice(int v) => v * 2;\nstatic int Add(int a, int b) { return a + b; }"
    ),
    "tuples": in_method('var (a, b) = (1, "x");\n(int x, string y) t = (a, b);\n(a, a) = (a, a);'),
    "lambdas": in_method(
        "Func<int, int> f = x => x + 1;\nvar g = (int x) => x;\nAction h = async () => await Task.Yield();"
    ),
    "linq": in_method("var q = from x in xs where x > 1 orderby x descending select x * 2;"),
    "init_required": "class A { public required string Name { get; init; } }",
    "static_abstract": "interface I { static abstract int Make(); }",
    "ranges": in_method("var s = arr[1..^1];\nSpan<int> sp = stackalloc int[4];"),
    "var_as_identifier": in_method("var var = 1;\nint await = 2;\nvar nameof2 = var;"),
    "contextual_keywords": in_method(
        "int record = 1, with = 2, when = 3, get = 4, set = 5, value = 6, select = 7;"
    ),
    "verbatim_identifiers": in_method("var @class = 1;\nvar @event = @class;"),
    "expression_bodied_accessors": "class A { int x; public int X { get => x; set => x = value; } }",
    "operators": "class A { public static A operator +(A a, A b) => a; public static implicit operator int(A a) => 1; }",
    "unsafe_fixed": "unsafe class A { void F(int* p) { fixed (int* q = &x) { } } }",
    "endregion_without_newline": "class A {\n#region X\n}\n#endregion",
    "if_branches_open_blocks": "class A {\n#if UNITY_EDITOR\n  void F() {\n#else\n  void G() {\n#endif\n  }\n}",
    "directive_inside_expression": "class A {\n  int x = 1\n#if DEBUG\n    + 2\n#endif\n  ;\n}",
    "async_as_variable_name": "using System.Collections;\nusing UnityEngine;\nclass Loader : MonoBehaviour {\n"
    "  AsyncOperation async;\n  IEnumerator Load() {\n    async = Application.LoadLevelAsync(1);\n"
    "    async.allowSceneActivation = false;\n    while (!async.isDone) { bar.value = async.progress; yield return null; }\n"
    "    yield return async;\n    Use(async, async != null);\n  }\n  AsyncOperation Get() { return async; }\n"
    "  async void Start() { await Task.Yield(); }\n}\n",
    "partial_as_variable_name": in_method("bool partial = true;\nif (partial) { Go(partial); }"),
    "other_contextual_keywords_as_names": in_method(
        "var with = 2;\nwith++;\nbool required = true;\nif (required) { Go(with); }"
    ),
    "nint_and_nuint_as_names": in_method("int nint = 3, nuint = 4;\nGo(nint + nuint);"),
    "nint_and_nuint_as_types": (
        "unsafe class P { nint F(nint a, void* p) { nint b = (nint)p + a; "
        "var l = new List<nuint>(); return nint.MaxValue - b; } }"
    ),
    "async_as_loop_variable": in_method(
        "foreach (Job async in jobs) { if (async is null || async as Job == null) { } }"
    ),
    "crlf": "class A\r\n{\r\n    void F() { }\r\n}\r\n",
    "bom": "\ufeffusing UnityEngine;\nclass A { }\n",
    "control_z_at_end": "class A { }\r\n\x1a",
    "pointer_indirection_of_a_cast": "unsafe class B { int Bits(float f) { return *(int*)&f; } }",
    "pointer_indirection_of_a_sum": "unsafe class B { int At(int* p, int i) { int v = *(p + i); return v; } }",
    "double_indirection_after_pointer_cast": (
        "unsafe class B { long F(void* p) { var q = (long*) *((long**) p); return **(long**)p; } }"
    ),
    "list_pattern_slices": in_method(
        "if (a is [1, .. var rest]) { }\nif (a is [.., 3]) { }\nif (a is [_, .. [2, 3], _]) { }\n"
        "if (a is [var first, ..]) { }\nif (a is [.. List middle, 9]) { }\nvar r = a[..^1];"
    ),
    "allows_ref_struct": (
        "class A<T> where T : allows ref struct { }\n"
        "class B<T, U> where T : class, allows ref struct where U : new()\n"
        "{ void F<V>(V v) where V : allows ref struct { } }"
    ),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_construct_has_no_error(name: str) -> None:
    report = validate(VALID[name])
    assert errors(report) == [], name
    assert report.ok
    assert not report.truncated


@pytest.mark.parametrize("path", sorted(DATA.glob("*.cs")), ids=lambda p: p.name)
def test_sample_files(path: Path) -> None:
    report = validate(path.read_text(encoding="utf-8"))
    broken = path.name.startswith(("Broken", "Truncated"))
    assert report.ok is not broken, errors(report)


def test_missing_semicolon_exact_position() -> None:
    report = validate((DATA / "BrokenMissingSemicolon.cs").read_text())
    [err] = report.errors
    assert (err.rule_id, err.message, err.line, err.column) == ("CS-SYNTAX", "expected ';'", 7, 27)
    assert err.source_line == '        Debug.Log("hello")'
    assert err.caret == " " * 26 + "^"
    assert err.docs == "docs/validation.md#cs-syntax"


def test_missing_semicolon_before_next_statement() -> None:
    report = validate(in_method("        x = 1;\n        y = 2\n        z = 3;"))
    assert errors(report) == ["6:14 CS-SYNTAX expected ';'"]


def test_missing_semicolon_between_accessors_is_caught() -> None:
    # Grammar quirk: `get => x set => ...` parses as a lambda with a typed parameter, no ERROR.
    report = validate("class A { int x; public int X { get => x set => x = value; } }")
    assert errors(report) == ["1:41 CS-SYNTAX expected ';'"]


def test_async_as_a_name_does_not_hide_real_errors() -> None:
    # `async` as a variable name is re-parsed under another name; other breaks must survive that.
    report = validate(
        in_method("        AsyncOperation async = Load();\n        Go(async)\n        Use(async);")
    )
    assert errors(report) == ["6:18 CS-SYNTAX expected ';'"]
    report = validate(
        in_method("        var async = Load();\n        if (async.isDone {\n        }")
    )
    assert not report.ok


def test_nint_as_a_name_does_not_hide_real_errors() -> None:
    report = validate(in_method("        int nint = 3\n        Go(nint + 1);"))
    assert errors(report) == ["5:21 CS-SYNTAX expected ';'"]


def test_pointer_indirection_rewrite_does_not_hide_real_errors() -> None:
    # `*(` is re-parsed as `!(`; a missing `;` or `)` next to it must still be reported.
    report = validate("unsafe class B { int F(float f) { int i = *(int*)&f\n return i; } }")
    assert not report.ok
    report = validate("unsafe class B { int F(float f) { return *(int*&f; } }")
    assert not report.ok
    # A block comment opened right before a parenthesis is not a pointer indirection.
    assert validate("class B { int F() { return 1 /*(note)*/; } }").ok


@pytest.mark.parametrize(
    "code",
    [
        in_method("if (a is [1, .. var rest) { }"),  # the `]` is missing
        in_method("if (a is [1, .. var rest]) { }\nGo()"),  # a `;` is missing after it
        in_method("var x = a[.. +];"),
        "class A<T> where T : allows ref { }",
        "class A<T> where T : allows ref struct { void F() { Go() } }",
    ],
)
def test_slice_and_anti_constraint_rewrites_do_not_hide_real_errors(code: str) -> None:
    assert not validate(code).ok


def test_await_with_its_operand_missing_is_still_an_error() -> None:
    code = (
        "using System.Threading.Tasks;\nclass A {\n    async Task F() {\n        await;\n    }\n}\n"
    )
    assert not validate(code).ok


def test_unclosed_brace_names_its_line() -> None:
    code = "class A\n{\n    void F()\n    {\n        Run();\n\n    void G() { }\n}\n"
    report = validate(code)
    assert errors(report) == ["4:5 CS-SYNTAX unclosed '{' opened at line 4"]
    assert not report.truncated


def test_unexpected_else() -> None:
    code = in_method(
        "        if (a) {\n            b();\n        else {\n            c();\n        }"
    )
    report = validate(code)
    assert any("unexpected keyword 'else'" in e for e in errors(report))
    assert any("unclosed '{' opened at line 5" in e for e in errors(report))


def test_stray_closing_brace() -> None:
    report = validate("class A { void F() { } } }\n")
    assert errors(report) == ["1:26 CS-SYNTAX unexpected '}' with no matching opener"]


def test_missing_paren() -> None:
    report = validate(in_method("        Call(1, 2;"))
    assert report.errors and report.errors[0].line == 5


@pytest.mark.parametrize(
    "tail",
    [
        "            transform.position += Vector3.forward * Time.del",
        '            Debug.Log("cut in the middle of a string',
        "            /* a comment that never ends",
        "        }",
    ],
)
def test_truncated_reply_is_reported_as_truncated(tail: str) -> None:
    code = (
        "using UnityEngine;\npublic class T : MonoBehaviour\n{\n    void Update()\n    {\n" + tail
    )
    report = validate(code)
    assert report.truncated
    assert [d.rule_id for d in report.errors] == ["CS-TRUNCATED"]
    assert "cut off" in report.errors[0].message
    assert report.errors[0].line == code.count("\n") + 1
    assert "(truncated)" in report.summary()


def test_truncated_file_keeps_earlier_real_errors() -> None:
    code = "class A {\n    void F() {\n        int x = 1\n        Go();\n    }\n    void G() {\n        Go("
    report = validate(code)
    assert report.truncated
    assert [d.rule_id for d in report.errors] == ["CS-SYNTAX", "CS-TRUNCATED"]
    assert report.errors[0].line == 3


def test_columns_count_characters_not_bytes() -> None:
    report = validate('class A { void F() { var s = "héllo→"; Go() } }')
    [err] = report.errors
    assert err.column == len('class A { void F() { var s = "héllo→"; Go()') + 1


def test_tabs_are_kept_in_the_caret_line() -> None:
    report = validate("class A {\n\tvoid F() {\n\t\tGo()\n\t}\n}\n")
    [err] = report.errors
    assert err.caret == "\t\t    ^"


def test_reserved_keyword_as_identifier_is_an_error() -> None:
    report = validate("class A { publc void F() { } }")
    assert not report.ok


def test_report_shape_and_json() -> None:
    name = "BrokenMissingSemicolon.cs"
    report = validate((DATA / name).read_text(), file_name=name)
    data = report.to_dict()
    assert data["ok"] is False
    assert data["counts"]["error"] == 1
    assert data["diagnostics"][0]["rule_id"] == "CS-SYNTAX"
    assert report.summary().startswith("FAILED — 1 error, ")
    assert validate("class A { }").summary() == "OK — 0 errors, 0 warnings"


def test_format_for_repair_lists_errors_with_lines() -> None:
    code = (DATA / "BrokenMissingSemicolon.cs").read_text()
    text = format_for_repair(validate(code), code)
    assert "line 7, column 27: error CS-SYNTAX: expected ';'" in text
    assert 'Debug.Log("hello")' in text
    assert format_for_repair(validate("class A { }"), "class A { }") == "No errors or warnings."


def test_large_file_is_valid() -> None:
    """A 1,000-line script validates cleanly (its speed is measured in bench/validate.py)."""
    body = "\n".join(
        f'        if (x > {i}) {{ total += Mathf.Sin({i} * Time.deltaTime); Debug.Log($"{{total}}"); }}'
        for i in range(990)
    )
    code = (
        "using UnityEngine;\npublic class Big : MonoBehaviour\n{\n    float total, x;\n    void Update()\n    {\n"
        + body
        + "\n    }\n}\n"
    )
    assert code.count("\n") > 995
    report = validate(code, file_name="Big.cs")
    assert report.ok, report.diagnostics[:3]


# -- properties ----------------------------------------------------------------------------------

SCRIPT = (DATA / "PlayerController.cs").read_text()
_DELETABLE = {"{", "}", "(", ")", ";"}


def _token_offsets(code: str) -> list[int]:
    """Byte offsets of braces, parens and semicolons that are real tokens (not in text)."""
    tree = parse(code)
    found: list[int] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in {"comment", "string_literal", "character_literal"}:
            continue
        if node.child_count == 0 and node.type in _DELETABLE:
            found.append(node.start_byte)
        stack.extend(node.children)
    return sorted(found)


OFFSETS = _token_offsets(SCRIPT)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OFFSETS))
def test_deleting_one_token_is_detected(offset: int) -> None:
    assert SCRIPT.isascii()
    broken = SCRIPT[:offset] + SCRIPT[offset + 1 :]
    assert not validate(broken).ok


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    report = validate(text, file_name="Any.cs")
    assert isinstance(report, ValidationReport)
    assert all(d.rule_id != "SPK-INTERNAL" for d in report.diagnostics)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="{}()[];\"'@$#/*\n abc=<>?:.,", max_size=80))
def test_never_raises_on_punctuation_soup(text: str) -> None:
    report = validate(text)
    assert all(d.rule_id != "SPK-INTERNAL" for d in report.diagnostics)
    assert all(d.line >= 1 and d.column >= 1 for d in report.diagnostics)


# --- a syntax error in an #if branch the re-parse sets aside ---------------------------------

BRANCHED = (
    "using UnityEngine;\npublic class Player : MonoBehaviour\n{\n    void Start()\n    {\n"
    '#if SYMBOL\n        Debug.Log("editor")\n#endif\n        Go();\n    }\n}\n'
)


@pytest.mark.parametrize(
    ("symbol", "rule_id", "severity", "where"),
    [
        ("UNITY_EDITOR", "CS-BRANCH", "warning", "(not checked)"),
        ("!UNITY_2019_1_OR_NEWER", "CS-BRANCH", "warning", "(this target does not compile)"),
        ("UNITY_2019_1_OR_NEWER", "CS-SYNTAX", "error", ""),
    ],
)
def test_syntax_error_in_an_if_branch_is_reported_naming_its_symbol(
    symbol: str, rule_id: str, severity: str, where: str
) -> None:
    report = validate(BRANCHED.replace("SYMBOL", symbol), unity_version="6000.0")
    [d] = report.diagnostics
    assert (d.rule_id, d.severity, d.line, d.column) == (rule_id, severity, 7, 28)
    assert d.message.startswith("expected ';'")
    assert f"'#if {symbol}' branch" in d.message and where in d.message
    assert report.ok is (severity == "warning")


def test_syntax_error_in_an_else_branch_names_the_negated_symbol() -> None:
    code = BRANCHED.replace('"editor")', '"editor");').replace(
        "#endif", "#else\n        Go()\n#endif"
    )
    [d] = validate(code.replace("SYMBOL", "UNITY_EDITOR")).diagnostics
    assert (d.rule_id, d.line) == ("CS-BRANCH", 9)
    assert "'#if !(UNITY_EDITOR)' branch" in d.message


def test_valid_if_branches_give_no_branch_warning() -> None:
    fixed = BRANCHED.replace('"editor")', '"editor");')
    assert validate(fixed.replace("SYMBOL", "UNITY_EDITOR")).diagnostics == ()
