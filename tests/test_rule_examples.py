"""Each rule's bad and good example (rules.toml): the bad one is reported, the good one is not,
the rule's fix turns the bad one into the good one, and docs/validation.md shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spark.unity.fixer import fix_code
from spark.unity.rules import UnityRule, iter_rules, rule_table
from spark.unity.validator import validate
from tests.test_unity_rules import RULE_OPTIONS

DOCS = Path(__file__).parents[1] / "docs" / "validation.md"
UNITY_RULES = sorted(r.id for r in iter_rules() if r.id.startswith("SPK"))
_HEADER = "using System.Collections;\nusing System.Threading.Tasks;\nusing UnityEngine;\n"


def as_script(example: str) -> str:
    """The example as a file: a member of a MonoBehaviour unless it declares a class itself."""
    code = example.replace("⏎", "\n")
    if "class " not in code:
        return f"{_HEADER}public class Player : MonoBehaviour\n{{\n    {code}\n}}\n"
    return code if code.startswith("using") else _HEADER + code + "\n"


def findings(rule: UnityRule, code: str) -> list[str]:
    report = validate(code, file_name="Player.cs", **RULE_OPTIONS.get(rule.id, {}))  # type: ignore[arg-type]
    return [d.rule_id for d in report.diagnostics]


def squeezed(code: str) -> str:
    return re.sub(r"\s+", "", code)


@pytest.mark.parametrize("rule_id", UNITY_RULES)
def test_bad_example_is_reported_and_good_one_is_not(rule_id: str) -> None:
    rule = rule_table()[rule_id]
    assert rule.bad and (rule.good or rule.fix), rule_id
    assert rule_id in findings(rule, as_script(rule.bad))
    assert rule_id not in findings(rule, as_script(rule.good))


@pytest.mark.parametrize("rule_id", [r for r in UNITY_RULES if rule_table()[r].fix])
def test_fix_turns_the_bad_example_into_the_good_one(rule_id: str) -> None:
    rule = rule_table()[rule_id]
    options = RULE_OPTIONS.get(rule_id, {})
    result = fix_code(as_script(rule.bad), file_name="Player.cs", **options)  # type: ignore[arg-type]
    assert rule_id in {f.rule_id for f in result.applied}
    assert squeezed(result.code) == squeezed(as_script(rule.good))


def docs_table() -> str:
    """The rules table of docs/validation.md, as rules.toml says it must read."""
    rows = [
        "| id | UNT id | severity | fix | title | bad | good |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule in iter_rules():
        cells = [
            f"[{rule.id}](#{rule.id.lower()})",
            ", ".join(rule.analyzer_ids) or "—",
            rule.severity if rule.enabled else f"{rule.severity} (opt-in)",
            "yes" if rule.fix else "—",
            rule.title,
            f"`{rule.bad}`",
            f"`{rule.good}`" if rule.good else "*(deleted)*",
        ]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def test_docs_table_matches_the_rules() -> None:
    assert docs_table() in DOCS.read_text(encoding="utf-8"), (
        "docs/validation.md's rules table is out of date; the expected table:\n" + docs_table()
    )


def test_every_rule_has_a_docs_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in iter_rules():
        assert f"\n## {rule.id}\n" in text, rule.id
