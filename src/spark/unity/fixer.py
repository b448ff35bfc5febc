"""Apply the validator's automatic fixes to a script, safely and to a fixed point.

`fix_code` validates the script (or takes the report already made), applies every diagnostic's
`Fix` that does not overlap another one (bottom-up, so that earlier offsets stay valid), and
validates the result.  A round that makes things worse — a new syntax error, or more errors of
any rule than before — is undone and its fixes are tried one by one, keeping only those that are
safe on their own.  Rounds repeat until no fix is left to apply, so the result is a fixed point:
fixing it again changes nothing.  `FixResult` says what was fixed, what was dropped, and gives
the unified diff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from spark.unity.extract import ExtractedCode
from spark.unity.report import (
    AppliedFix,
    Diagnostic,
    InputSystem,
    TextEdit,
    ValidationReport,
    unified_diff,
)
from spark.unity.validator import validate

# Each round removes at least one finding; real scripts need one or two.  A cap keeps a rule
# whose fix keeps finding new work from looping.
MAX_ROUNDS = 8


@dataclass(frozen=True)
class FixResult:
    """The fixed script, its report (whose `fixed` lists the fixes applied), and the fixes
    applied and dropped, in order."""

    original: str
    code: str
    report: ValidationReport
    applied: tuple[AppliedFix, ...] = ()
    dropped: tuple[AppliedFix, ...] = ()

    @property
    def changed(self) -> bool:
        return self.code != self.original

    def diff(self, name: str = "script.cs") -> str:
        """A unified diff from the original to the fixed script ("" when nothing changed)."""
        return unified_diff(self.original, self.code, name) if self.changed else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "applied": [f.to_dict() for f in self.applied],
            "dropped": [f.to_dict() for f in self.dropped],
        }


def fix_code(
    code: str,
    *,
    file_name: str | None = None,
    unity_version: str = "6000.0",
    input_system: InputSystem = "both",
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    report: ValidationReport | None = None,
) -> FixResult:
    """Apply every safe automatic fix to `code`; never raises (a failure fixes nothing).

    `report` is `validate(code, ...)` with the same options, when the caller has it already
    (`enable` / `disable`: the rules switched on and off, as for `validate`).
    """
    switched_on, switched_off = tuple(enable), tuple(disable)

    def check(text: str) -> ValidationReport:
        return validate(
            text,
            file_name=file_name,
            unity_version=unity_version,
            input_system=input_system,
            enable=switched_on,
            disable=switched_off,
        )

    first = report if report is not None else check(code)
    try:
        return _fix(code, first, check)
    except Exception:  # a fixer bug must not break validation or generation: fix nothing
        return FixResult(code, code, first)


def _fix(
    code: str, report: ValidationReport, check: Callable[[str], ValidationReport]
) -> FixResult:
    current = code
    current_report = report
    applied: list[AppliedFix] = []
    dropped: list[AppliedFix] = []
    seen = {code}
    for _ in range(MAX_ROUNDS):
        batch = _independent(current_report.fixable, current)
        if not batch:
            break
        text = _apply(current, batch)
        new_report = check(text)
        if not _worse(current_report, new_report):
            accepted = batch
        else:  # find the fixes that are safe alone, then apply those together
            accepted = [d for d in batch if not _worse(current_report, check(_apply(current, [d])))]
            dropped.extend(_described(d) for d in batch if d not in accepted)
            if not accepted:
                break
            text = _apply(current, accepted)
            new_report = check(text)
            if _worse(current_report, new_report):  # they interfere: one at a time
                accepted = accepted[:1]
                text = _apply(current, accepted)
                new_report = check(text)
        if text in seen:
            break  # a cycle: fixes undoing each other
        seen.add(text)
        applied.extend(_described(d) for d in accepted)
        current, current_report = text, new_report
    # Report a dropped fix once, and only if its finding is still there at the end.
    left = {(d.rule_id, d.message) for d in current_report.fixable}
    unique = {(f.rule_id, f.message): f for f in dropped if (f.rule_id, f.message) in left}
    final = replace(
        current_report,
        fixed=report.fixed + tuple(applied),
        before_fixes=report.before_fixes if report.fixed else code,
    )
    return FixResult(code, current, final, tuple(applied), tuple(unique.values()))


def _described(diagnostic: Diagnostic) -> AppliedFix:
    assert diagnostic.fix is not None
    return AppliedFix(
        rule_id=diagnostic.rule_id,
        title=diagnostic.fix.title,
        line=diagnostic.line,
        column=diagnostic.column,
        message=diagnostic.message,
    )


def _overlaps(a: TextEdit, b: TextEdit) -> bool:
    """Whether two edits touch the same text.  The same edit made by two fixes is shared (two
    fixes that declare one cached field); insertions at one place go in a fixed order; an
    insertion where another edit starts would be a guess."""
    if a == b:
        return False
    if a.start == b.start:
        return not (a.start == a.end and b.start == b.end)
    return a.start < b.end and b.start < a.end


def _independent(fixable: Sequence[Diagnostic], code: str) -> list[Diagnostic]:
    """The fixes of a round: in source order, each whose edits change the text and touch none
    of the fixes taken before it (the others wait for the next round)."""
    taken: list[Diagnostic] = []
    claimed: list[TextEdit] = []
    for diagnostic in fixable:
        assert diagnostic.fix is not None
        edits = diagnostic.fix.edits
        if all(code[e.start : e.end] == e.text for e in edits):
            continue  # changes nothing
        if any(_overlaps(e, c) for e in edits for c in claimed):
            continue
        taken.append(diagnostic)
        claimed.extend(edits)
    return taken


def _apply(code: str, fixes: Sequence[Diagnostic]) -> str:
    """`code` with the edits of `fixes` (which do not overlap) applied from the end backwards;
    an edit two fixes share is made once."""
    edits = sorted(
        {e for d in fixes if d.fix is not None for e in d.fix.edits},
        key=lambda e: (e.start, e.end, e.text),
        reverse=True,
    )
    for edit in edits:
        code = code[: edit.start] + edit.text + code[edit.end :]
    return code


def _worse(before: ValidationReport, after: ValidationReport) -> bool:
    """Whether `after` has a syntax error `before` did not, or more errors of any rule."""
    if after.truncated and not before.truncated:
        return True
    old = Counter(d.rule_id for d in before.errors)
    new = Counter(d.rule_id for d in after.errors)
    return any(count > old[rule_id] for rule_id, count in new.items())


def check_generated(
    script: ExtractedCode,
    *,
    unity_version: str,
    input_system: InputSystem,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> tuple[ExtractedCode, ValidationReport]:
    """Validate a generated script and apply the automatic fixes (the generation pipeline's
    step before it decides whether a repair round is needed): the fixed script and the report
    of what is left, whose `fixed` and `before_fixes` say what was fixed."""
    result = fix_code(
        script.code,
        file_name=script.file_name,
        unity_version=unity_version,
        input_system=input_system,
        enable=enable,
        disable=disable,
    )
    return (replace(script, code=result.code) if result.changed else script), result.report
