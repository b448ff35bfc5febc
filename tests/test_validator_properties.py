"""Properties of the whole validator: what comes before the code, or how its lines end, never
changes what the rules find (issue 10, defect 10: leading white space used to switch 11 rules off).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark.unity.validator import validate
from tests.test_unity_rules import CASES, RULE_OPTIONS, behaviour

# Every rule's positive case, with the options under which it fires, and two syntax errors (one
# found from the text: a missing `;` between `get => x` and `set => ...`).
SCRIPTS = [
    (code, RULE_OPTIONS.get(rule_id, {})) for rule_id, (code, _) in sorted(CASES.items())
] + [
    (behaviour("    int x;\n    int X { get => x set => x = value; }"), {}),
    (behaviour("    void Start() { Go() }"), {}),
]

# What may stand before the first token of a C# file: white space of every kind, line ends,
# comments of every kind.  A BOM may only come first.
_SPACE = [" ", "\t", "\f", "\v", "\u00a0", "\n", "\r\n"]
_COMMENTS = ["// a comment\n", "/// <summary>doc</summary>\n", "/* block */", "/* 2\nlines */"]
_PIECES = st.sampled_from(_SPACE + _COMMENTS)


@st.composite
def prefixes(draw: st.DrawFn) -> str:
    """A prefix that ends a line, so that the script's own first line keeps its columns."""
    text = "\ufeff" if draw(st.booleans()) else ""
    text += "".join(draw(st.lists(_PIECES, max_size=8)))
    return text + draw(st.sampled_from(["\n", "\r\n"]))


def findings(code: str, options: dict[str, object], shift: int = 0) -> list[tuple[object, ...]]:
    report = validate(code, file_name="Player.cs", **options)  # type: ignore[arg-type]
    return [
        (d.rule_id, d.severity, d.line - shift, d.column, d.end_line - shift, d.message)
        for d in report.diagnostics
    ]


def test_every_rule_fires_in_the_property_scripts() -> None:
    # The property below is only worth something if the scripts have findings of every rule.
    fired = {f[0] for code, options in SCRIPTS for f in findings(code, options)}
    assert {*CASES, "CS-SYNTAX"} <= fired


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.sampled_from(SCRIPTS), prefix=prefixes())
def test_leading_text_only_shifts_the_lines(
    script: tuple[str, dict[str, object]], prefix: str
) -> None:
    code, options = script
    shift = prefix.count("\n")
    assert findings(prefix + code, options, shift) == findings(code, options)


@settings(max_examples=100, deadline=None)
@given(script=st.sampled_from(SCRIPTS), prefix=prefixes())
def test_crlf_line_ends_change_nothing(script: tuple[str, dict[str, object]], prefix: str) -> None:
    code, options = script
    shift = prefix.count("\n")
    crlf = prefix + code.replace("\n", "\r\n")
    assert findings(crlf, options, shift) == findings(code, options)
