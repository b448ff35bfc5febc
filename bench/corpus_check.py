"""Run the validator over a folder of real Unity scripts and summarise what it reports.

The corpus itself is never part of the repository (third-party code): keep it elsewhere, e.g.
/tmp/unity-corpus, and point this script at it.  Every `error` on a script that compiles in Unity
is a false positive to fix.

    .venv/bin/python bench/corpus_check.py /tmp/unity-corpus/files [--show error|warning|info]
        [--unity-version 6000.0] [--input-system both] [--fixes]

Prints: files, files with errors, errors / warnings / infos by rule id, total time and the
median time per file; with --show, every diagnostic of that severity (file:line:col rule message).
With --fixes, also applies the automatic fixes to each file (in memory, nothing is written) and
checks that they add no error and are idempotent (fixing the fixed text changes nothing); prints
the fixes applied by rule and every file that breaks either promise (exit 1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from spark.unity.fixer import fix_code
from spark.unity.validator import InputSystem, ValidationReport, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path, help="folder searched recursively for *.cs files")
    parser.add_argument("--show", choices=["error", "warning", "info"], action="append", default=[])
    parser.add_argument("--unity-version", default="6000.0")
    parser.add_argument("--input-system", choices=["legacy", "new", "both"], default="both")
    parser.add_argument("--fixes", action="store_true", help="check the automatic fixes too")
    args = parser.parse_args(argv)
    mode: InputSystem = args.input_system
    files = sorted(p for p in args.folder.rglob("*.cs") if p.is_file())
    if not files:
        print(f"no .cs files under {args.folder}")
        return 2
    by_severity: dict[str, Counter[str]] = {s: Counter() for s in ("error", "warning", "info")}
    files_with_errors = 0
    times: list[float] = []
    shown: list[str] = []
    fixed: Counter[str] = Counter()
    broken: list[str] = []
    for path in files:
        code = path.read_text(encoding="utf-8-sig", errors="replace")
        options = {"file_name": path.name, "unity_version": args.unity_version}
        start = time.perf_counter()
        report = validate(code, input_system=mode, **options)
        times.append(time.perf_counter() - start)
        if args.fixes:
            problem = _check_fixes(code, report, mode, options, fixed)
            if problem:
                broken.append(f"{path.relative_to(args.folder)}: {problem}")
        files_with_errors += not report.ok
        for d in report.diagnostics:
            by_severity[d.severity][d.rule_id] += 1
            if d.severity in args.show:
                rel = path.relative_to(args.folder)
                shown.append(f"{rel}:{d.line}:{d.column}: {d.severity} {d.rule_id}: {d.message}")
    for line in shown:
        print(line)
    if shown:
        print()
    print(f"{'files':<28}{len(files)}")
    print(f"{'files with errors':<28}{files_with_errors}")
    for severity, counts in by_severity.items():
        total = sum(counts.values())
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items())) or "-"
        print(f"{severity + 's by rule':<28}{total}: {detail}")
    print(f"{'total time':<28}{sum(times):.2f} s")
    print(f"{'median per file':<28}{statistics.median(times) * 1000:.2f} ms")
    if args.fixes:
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(fixed.items())) or "-"
        print(f"{'fixes applied by rule':<28}{sum(fixed.values())}: {detail}")
        print(f"{'files the fixes break':<28}{len(broken)}")
        for line in broken:
            print(f"  {line}")
    return 1 if files_with_errors or broken else 0


def _check_fixes(
    code: str,
    report: ValidationReport,
    mode: InputSystem,
    options: dict[str, str],
    fixed: Counter[str],
) -> str:
    """Fix `code`; "" when the fixes add no error and fixing again changes nothing, else why."""
    once = fix_code(code, report=report, input_system=mode, **options)
    fixed.update(f.rule_id for f in once.applied)
    if len(once.report.errors) > len(report.errors):
        return "the fixes add an error: " + "; ".join(d.format() for d in once.report.errors)
    again = fix_code(once.code, input_system=mode, **options)
    if again.code != once.code:
        return "fixing twice changes the text again: " + ", ".join(
            f.format() for f in again.applied
        )
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
