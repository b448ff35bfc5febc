"""Issue 12's "Done when" for tests, enforced per rule: every Unity rule in rules.toml has at
least three positive cases of different shapes, three negative cases, its bad and good example,
and, when it has an automatic fix, fixed outputs beside its example's.

The rules are enumerated from rules.toml (`iter_rules`), so a rule added there is held to the
same bar without touching this file: its cases go in tests/test_rule_cases.py (POSITIVE,
NEGATIVE) and its fixed outputs in tests/test_fixes.py (FIXES for a member of a behaviour,
FILE_FIXES for a whole file).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from spark.unity.rules import UnityRule, iter_rules
from tests.test_fixes import FILE_FIXES, FIXES
from tests.test_rule_cases import NEGATIVE, POSITIVE

UNITY_RULES = sorted((r for r in iter_rules() if r.id.startswith("SPK")), key=lambda r: r.id)
FIXED_OUTPUTS = Counter(row[0] for row in [*FIXES, *FILE_FIXES])


def _shape(code: str) -> str:
    """The code without its white space: two cases that differ only in layout are one shape."""
    return re.sub(r"\s+", "", code)


def test_the_rules_are_enumerated_from_rules_toml() -> None:
    ids = [r.id for r in UNITY_RULES]
    assert len(ids) >= 40 and ids == sorted(set(ids))
    assert {"SPK009", "SPK019", "SPK031", "SPK059"} <= set(ids)


@pytest.mark.parametrize("rule", UNITY_RULES, ids=lambda r: r.id)
def test_three_positive_cases_of_different_shapes(rule: UnityRule) -> None:
    cases = POSITIVE.get(rule.id, [])
    assert len({_shape(c) for c in cases}) >= 3, f"{rule.id}: add positive cases"


@pytest.mark.parametrize("rule", UNITY_RULES, ids=lambda r: r.id)
def test_three_negative_cases(rule: UnityRule) -> None:
    cases = NEGATIVE.get(rule.id, [])
    assert len({_shape(c) for c in cases}) >= 3, f"{rule.id}: add negative cases"


@pytest.mark.parametrize("rule", UNITY_RULES, ids=lambda r: r.id)
def test_a_bad_and_a_good_example(rule: UnityRule) -> None:
    # (the good example may be empty: SPK008's fix deletes the message)
    assert rule.bad and _shape(rule.bad) != _shape(rule.good)


@pytest.mark.parametrize("rule", UNITY_RULES, ids=lambda r: r.id)
def test_fixed_outputs_exactly_for_the_rules_with_a_fix(rule: UnityRule) -> None:
    # A rule with `fix` in rules.toml has fixed outputs in the test tables (its docs example is
    # checked on top by tests/test_rule_examples.py); a rule without one has none there.
    count = FIXED_OUTPUTS[rule.id]
    if rule.fix:
        assert count >= 1, f"{rule.id} has a fix: add its fixed output to FIXES or FILE_FIXES"
    else:
        assert count == 0, f"{rule.id} has no fix in rules.toml but fixed outputs in the tests"


def test_the_case_tables_name_only_real_rules() -> None:
    ids = {r.id for r in UNITY_RULES}
    assert set(POSITIVE) <= ids and set(NEGATIVE) <= ids and set(FIXED_OUTPUTS) <= ids
