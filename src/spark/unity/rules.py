"""Unity rules: the rule table, what a check reports (`Finding`, `Edit`), and the runner.

Rule metadata (id, severity, title, message template, fix hint, the title of its automatic fix,
Microsoft.Unity.Analyzers id, a bad and a good example) lives in `rules.toml`; Unity API facts
(messages and their signatures, deprecated APIs by version, component types) live in
`unity_api.toml` (read by `spark.unity.api`); the file model the checks share is
`spark.unity.model.FileModel`.  The checks themselves are in `rules_unity.py` and the modules
listed in `spark.unity.checks`; each yields `Finding`s, which the runner turns into positioned
`Diagnostic`s.  A finding may carry `Edit`s (byte ranges of the parsed text and their
replacement, built with `spark.unity.edits`): the runner turns them into the diagnostic's `Fix`,
which `spark.unity.fixer` applies.  The checks are deliberately conservative: a rule that cannot
tell whether code is wrong stays silent, and a fix is only offered where the rewrite is certain
to mean what the author meant.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from tree_sitter import Node, Tree

from spark.unity.api import ApiIndex, api_index, parse_version, read_toml, unity_api
from spark.unity.model import (
    ClassInfo,
    FileModel,
    RuleOptions,
    UnityKind,
    node_text,
    simple_type_name,
)
from spark.unity.report import Diagnostic, Fix, Severity, SourceText, TextEdit

# Names of this module that other modules (and other helpers' code) import from here.
__all__ = [
    "DOCS_PAGE",
    "ApiIndex",
    "ClassInfo",
    "Edit",
    "FileModel",
    "Finding",
    "RuleOptions",
    "RulesResult",
    "UnityKind",
    "UnityRule",
    "active_rules",
    "api_index",
    "iter_rules",
    "node_text",
    "parse_rule_ids",
    "parse_version",
    "rule_table",
    "run_rules",
    "simple_type_name",
    "unity_api",
    "unknown_rule_ids",
]

DOCS_PAGE = "docs/validation.md"


@dataclass(frozen=True)
class UnityRule:
    """One row of rules.toml: what a diagnostic means and how to fix it."""

    id: str
    severity: Severity
    title: str
    message: str
    hint: str
    analyzer_id: str | None
    fix: str | None = None  # the title of its automatic fix (a template), if it has one
    analyzer_also: tuple[str, ...] = ()  # more analyzer ids some of its findings match
    bad: str = ""  # an example that it reports ...
    good: str = ""  # ... and the same code written as it should be
    enabled: bool = True  # False: an opt-in rule, off unless enabled (`spark validate --enable`)

    @property
    def docs(self) -> str:
        return f"{DOCS_PAGE}#{self.id.lower()}"

    @property
    def analyzer_ids(self) -> tuple[str, ...]:
        """Every Microsoft.Unity.Analyzers id this rule stands for."""
        return ((self.analyzer_id,) if self.analyzer_id else ()) + self.analyzer_also

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON-ready data (``spark rules --json``, MCP's ``spark://rules``)."""
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "hint": self.hint,
            "analyzer_id": self.analyzer_id,
            "analyzer_ids": list(self.analyzer_ids),
            "fix": self.fix,
            "has_fix": self.fix is not None,
            "enabled_by_default": self.enabled,
            "bad": self.bad,
            "good": self.good,
            "docs": self.docs,
        }


class Edit(NamedTuple):
    """Replace the bytes `start:end` of the parsed text with `text` (see `spark.unity.edits`)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Finding:
    """A rule hit on a node, with the values its message and hint templates need, and the edits
    of its automatic fix (none: no fix for this occurrence)."""

    rule_id: str
    node: Node
    args: dict[str, str] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's severity when set
    edits: tuple[Edit, ...] = ()
    analyzer_id: str | None = None  # overrides the rule's analyzer id when set


@dataclass(frozen=True)
class RulesResult:
    diagnostics: tuple[Diagnostic, ...]
    class_names: tuple[str, ...]


@functools.cache
def rule_table() -> dict[str, UnityRule]:
    """All rules by id, in the order of rules.toml."""
    table: dict[str, UnityRule] = {}
    for rule_id, row in read_toml("rules.toml").items():
        table[rule_id] = UnityRule(
            id=rule_id,
            severity=cast(Severity, row["severity"]),
            title=row["title"],
            message=row["message"],
            hint=row["hint"],
            analyzer_id=row.get("analyzer"),
            fix=row.get("fix"),
            analyzer_also=tuple(row.get("analyzer_also", ())),
            bad=row.get("bad", ""),
            good=row.get("good", ""),
            enabled=row.get("enabled", True),
        )
    return table


# -- which rules run: defaults, opt-in rules enabled, rules disabled ----------------------------


def parse_rule_ids(text: str) -> tuple[str, ...]:
    """`"spk051, SPK052 SPK053"` → ("SPK051", "SPK052", "SPK053"): ids separated by commas or
    white space, as `--enable` and SPARK_VALIDATOR_ENABLE take them."""
    return tuple(dict.fromkeys(part.upper() for part in text.replace(",", " ").split()))


def unknown_rule_ids(ids: Iterable[str]) -> list[str]:
    """Those of `ids` that are not Unity rules (SPKnnn) one can switch on or off."""
    table = rule_table()
    return [i for i in ids if i not in table or not i.startswith("SPK")]


@functools.lru_cache(maxsize=64)
def active_rules(enable: frozenset[str], disable: frozenset[str]) -> frozenset[str]:
    """The ids of the rules that report: those on by default and those in `enable`, less those
    in `disable` (syntax diagnostics are not rules one can switch)."""
    return frozenset(
        rule.id
        for rule in rule_table().values()
        if (rule.enabled or rule.id in enable) and rule.id not in disable
    )


# -- runner --------------------------------------------------------------------------------------


def run_rules(src: SourceText, tree: Tree, data: bytes, options: RuleOptions) -> RulesResult:
    """Run every Unity check on a file parsed from `data` (the exact bytes given to the parser)."""
    from spark.unity import rules_unity
    from spark.unity.preprocessor import inactive_rows

    model = FileModel(src, tree, data, options)
    model.rules_on = on = active_rules(options.enable, options.disable)
    table = rule_table()
    # Code in an #if branch the target never compiles (e.g. the `#else` of
    # UNITY_6000_0_OR_NEWER on Unity 6) gets no Unity findings.
    skipped = inactive_rows(src.code, options.unity_version, options.input_system)
    diagnostics = [
        _to_diagnostic(src, table[f.rule_id], f, model.root.has_error)
        for f in rules_unity.check_all(model)
        if f.node.start_point.row not in skipped and f.rule_id in on
    ]
    names = tuple(c.name for c in model.classes if c.name)
    return RulesResult(diagnostics=tuple(diagnostics), class_names=names)


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _to_diagnostic(
    src: SourceText, rule: UnityRule, finding: Finding, tree_has_errors: bool
) -> Diagnostic:
    args = _Defaults(finding.args)
    node = finding.node
    fix = None
    if finding.edits and rule.fix and not (tree_has_errors and _near_error(node)):
        fix = Fix(
            title=rule.fix.format_map(args),
            edits=tuple(
                TextEdit(src.char_offset(e.start), src.char_offset(e.end), e.text)
                for e in sorted(finding.edits)
            ),
        )
    return src.diagnostic(
        rule_id=rule.id,
        severity=finding.severity or rule.severity,
        message=rule.message.format_map(args),
        start=(node.start_point.row, node.start_point.column),
        end=(node.end_point.row, node.end_point.column),
        hint=rule.hint.format_map(args),
        docs=rule.docs,
        analyzer_id=finding.analyzer_id or rule.analyzer_id,
        fix=fix,
    )


def _near_error(node: Node) -> bool:
    """Whether `node` holds or sits in a part the parser could not read: no fix there."""
    if node.has_error:
        return True
    parent = node.parent
    while parent is not None:
        if parent.type == "ERROR":
            return True
        parent = parent.parent
    return False


def iter_rules() -> Iterator[UnityRule]:
    """Every rule, for `spark rules` and the docs."""
    yield from rule_table().values()
