"""A reply, checked: the script extracted, validated (with automatic fixes) and compiled.

The engine (:mod:`spark.generation`) checks the first reply and every repair round's reply in
one step: :func:`extract`, :func:`validate`, :func:`compile_check` (telling its displays after
each), giving a :class:`Draft`; the best draft (fewest errors) is what the generation returns.
Nothing here calls a provider.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark.unity.extract import ExtractedCode, extract_code

if TYPE_CHECKING:
    from spark.unity.compile import CompileReport
    from spark.unity.project_write import ProjectDestination
    from spark.unity.report import ValidationReport
    from spark.unity.target import UnityTarget
    from spark.unity.workspace import Workspace

log = logging.getLogger("spark.generation")


@dataclass(frozen=True, slots=True)
class Draft:
    """One reply's script and what the checks found in it."""

    reply: str  # the reply as the model wrote it
    script: ExtractedCode
    report: ValidationReport
    compiled: CompileReport | None  # None: not compile-checked

    @property
    def errors(self) -> int:
        """Errors a repair round should fix: the validator's and the compiler's."""
        compiled = len(self.compiled.errors) if self.compiled is not None else 0
        return len(self.report.errors) + compiled

    def findings(self) -> str:
        """The findings as the repair prompt lists them."""
        from spark.unity.compile import format_for_repair as compile_findings
        from spark.unity.validator import format_for_repair

        compiled = self.compiled
        parts = []
        if self.report.errors or self.report.warnings or compiled is None or not compiled.errors:
            parts.append(format_for_repair(self.report, self.script.code))
        if compiled is not None and compiled.errors:
            parts.append(compile_findings(compiled))
        return "\n\n".join(parts)


def extract(reply: str) -> ExtractedCode | None:
    """The script in ``reply``; None when the reply holds no code."""
    script = extract_code(reply)
    return script if script.code.strip() else None


def validate(
    script: ExtractedCode,
    target: UnityTarget,
    *,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> tuple[ExtractedCode, ValidationReport]:
    """Validate the script for ``target`` and apply the validator's automatic fixes before
    anything else looks at it: a finding fixed here costs no repair round (the report lists the
    fixes). The script as fixed, and the report of what is left. ``enable`` / ``disable``: the
    validator rules switched on and off (SPARK_VALIDATOR_ENABLE / SPARK_VALIDATOR_DISABLE)."""
    from spark.unity.fixer import check_generated

    return check_generated(
        script,
        unity_version=target.unity_version,
        input_system=target.input_system,
        enable=enable,
        disable=disable,
    )


async def compile_check(
    workspace: Workspace, script: ExtractedCode, destination: ProjectDestination | None
) -> CompileReport | None:
    """Compile the script in the workspace's project (in a thread: it runs a compiler); None
    when there is nothing to compile against. A failure of the check itself is logged and never
    fails the generation."""
    if not workspace.may_compile():
        return None
    path = destination.path_for(script.file_name) if destination is not None else None
    try:
        return await asyncio.to_thread(workspace.compile, script.code, script.file_name, path)
    except Exception:
        log.exception("the compile check failed; the script is kept without it")
        return None
