"""Conditional compilation: which rows the target Unity version and input handling compile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spark.unity.preprocessor import evaluate, inactive_rows, target_symbols

UNITY6 = target_symbols("6000.0", "both")


@pytest.mark.parametrize(
    ("condition", "truth"),
    [
        ("UNITY_6000_0_OR_NEWER", True),
        ("UNITY_2023_1_OR_NEWER", True),
        ("UNITY_5_3_OR_NEWER", True),
        ("UNITY_6000_1_OR_NEWER", False),
        ("UNITY_6000", True),
        ("UNITY_6000_0", True),
        ("UNITY_2022_3", False),
        ("UNITY_2022", False),
        ("!UNITY_2023_1_OR_NEWER", False),
        ("UNITY_EDITOR", None),
        ("UNITY_EDITOR || UNITY_2019_4_OR_NEWER", True),
        ("UNITY_EDITOR && UNITY_2019_4_OR_NEWER", None),
        ("UNITY_EDITOR && !UNITY_2019_4_OR_NEWER", False),
        ("(UNITY_2018_1_OR_NEWER && !UNITY_2019_1_OR_NEWER) || DEBUG", None),
        ("UNITY_2018_1_OR_NEWER && !(UNITY_2019_1_OR_NEWER)", False),
        ("ENABLE_INPUT_SYSTEM && ENABLE_LEGACY_INPUT_MANAGER", True),
        ("UNITY_2019_4_OR_NEWER == true", True),
        ("UNITY_2019_4_OR_NEWER != UNITY_6000_0_OR_NEWER", False),
        ("true", True),
        ("false // never", False),
        ("UNITY_2019_4_OR_NEWER &&", None),  # unreadable: unknown, never hides anything
        ("(", None),
        ("", None),
    ],
)
def test_conditions(condition: str, truth: bool | None) -> None:
    assert evaluate(condition, UNITY6) is truth


def test_input_handling_symbols() -> None:
    new = target_symbols("2022.3", "new")
    legacy = target_symbols("2022.3", "legacy")
    assert (new("ENABLE_INPUT_SYSTEM"), new("ENABLE_LEGACY_INPUT_MANAGER")) == (True, False)
    assert (legacy("ENABLE_INPUT_SYSTEM"), legacy("ENABLE_LEGACY_INPUT_MANAGER")) == (False, True)
    assert new("UNITY_2022_3") is True and new("UNITY_2022_3_OR_NEWER") is True


VERSIONED = """using UnityEngine;
public class Thrower : MonoBehaviour
{
    public Rigidbody body;
    void Throw(Vector3 v)
    {
#if UNITY_6000_0_OR_NEWER
        body.linearVelocity = v;
#else
        body.velocity = v;
#endif
    }
}
"""


def test_the_branch_the_target_skips_is_inactive() -> None:
    rows = VERSIONED.splitlines()
    unity6 = inactive_rows(VERSIONED, "6000.0", "both")
    assert rows.index("        body.velocity = v;") in unity6
    assert rows.index("        body.linearVelocity = v;") not in unity6
    unity2022 = inactive_rows(VERSIONED, "2022.3", "both")
    assert rows.index("        body.linearVelocity = v;") in unity2022
    assert rows.index("        body.velocity = v;") not in unity2022


def test_unknown_conditions_keep_every_branch() -> None:
    code = "#if UNITY_EDITOR\nA();\n#elif DEBUG\nB();\n#else\nC();\n#endif\n"
    assert inactive_rows(code, "6000.0", "both") == frozenset()


def test_elif_chains_nesting_and_defines() -> None:
    code = "\n".join(
        [
            "#define SPARK_FAST",  # 0
            "#if UNITY_2019_4_OR_NEWER",  # 1
            "  A();",  # 2  active
            "  #if SPARK_FAST",  # 3
            "  B();",  # 4  active
            "  #else",  # 5
            "  C();",  # 6  inactive
            "  #endif",  # 7
            "#elif UNITY_EDITOR",  # 8
            "  D();",  # 9  inactive: an earlier branch was taken
            "#else",  # 10
            "  #if DEBUG",  # 11 inactive (nested in an inactive branch)
            "  E();",  # 12
            "  #endif",  # 13
            "#endif",  # 14
            "F();",  # 15
        ]
    )
    inactive = inactive_rows(code, "6000.0", "legacy")
    assert {2, 4, 15}.isdisjoint(inactive)
    assert {6, 9, 12}.issubset(inactive)


def test_input_handling_branches() -> None:
    code = (
        "#if ENABLE_INPUT_SYSTEM\nvar k = Keyboard.current;\n"
        "#elif ENABLE_LEGACY_INPUT_MANAGER\nvar k = Input.GetKey(KeyCode.A);\n#endif\n"
    )
    assert inactive_rows(code, "6000.0", "new") == {3, 4}
    assert inactive_rows(code, "6000.0", "both") == {3, 4}  # the first branch wins
    assert inactive_rows(code, "6000.0", "legacy") == {1, 2}


def test_directive_spacing_and_stray_directives() -> None:
    code = "  #  if false\nA();\n# endif\n#endif\n#else\nB();\n"
    assert inactive_rows(code, "6000.0", "both") == {1, 2}


PIECES = ["#if ", "#elif ", "#else", "#endif", "#define ", "UNITY_2019_4_OR_NEWER", "!", "&&"]
PIECES += ["||", "(", ")", "x", "\n", " ", "true"]


@given(st.lists(st.sampled_from(PIECES), max_size=80).map("".join))
def test_never_raises(code: str) -> None:
    rows = inactive_rows(code, "6000.0", "both")
    assert all(0 <= row <= code.count("\n") for row in rows)
