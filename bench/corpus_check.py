"""Run the validator over a folder of real Unity scripts and summarise what it reports.

The corpus itself is never part of the repository (third-party code): keep it elsewhere, e.g.
/tmp/unity-corpus, and point this script at it.  Every `error` on a script that compiles in Unity
is a false positive to fix.  bench/fetch_npm_corpus.py rebuilds the npm part of the issue 12
corpus (/tmp/unity-corpus-300); docs/validation.md ("Fourth check") describes the rest.

    .venv/bin/python bench/corpus_check.py /tmp/unity-corpus/files [--show error|warning|info]
        [--unity-version 6000.0] [--input-system both] [--fixes] [--diffs DIR] [--enable IDS]

Prints: files and lines, files with errors, then one row per rule and severity: the files it
fires in (and their share of the corpus), its findings and, with --fixes, the fixes applied and
the files they changed.  A rule that fires in more than half of the files is marked NOISY (too
noisy for its severity).  Then the total time and the median time per file; with --show, every
diagnostic of that severity (file:line:col rule message).

With --fixes, also applies the automatic fixes to each file (in memory, nothing is written) and
checks that they add no error and are idempotent (fixing the fixed text changes nothing); every
file that breaks either promise is listed (exit 1).  --diffs DIR writes each changed file's
unified diff to DIR (one .diff per file) for reading by hand.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from spark.unity.fixer import FixResult, fix_code
from spark.unity.rules import parse_rule_ids
from spark.unity.validator import InputSystem, ValidationReport, validate

NOISY_SHARE = 0.5  # a rule firing in more than this share of the files is too noisy


@dataclass
class Tally:
    """What the corpus run found, by rule and severity."""

    files: int = 0
    lines: int = 0
    files_with_errors: int = 0
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    files_hit: Counter[tuple[str, str]] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    files_fixed: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def add_report(self, report: ValidationReport) -> None:
        keys = [(d.rule_id, d.severity) for d in report.diagnostics]
        self.findings.update(keys)
        self.files_hit.update(set(keys))
        self.files_with_errors += not report.ok

    def add_fixes(self, result: FixResult) -> None:
        rules = [f.rule_id for f in result.applied]
        self.fixes.update(rules)
        self.files_fixed.update(set(rules))

    def rows(self) -> list[tuple[str, str, int, int, int, int]]:
        """(rule, severity, files hit, findings, fixes, files fixed), errors first, then by the
        number of files the rule fires in."""
        order = {"error": 0, "warning": 1, "info": 2}
        keys = sorted(self.findings, key=lambda k: (order[k[1]], -self.files_hit[k], k[0]))
        fixed_only = sorted(set(self.fixes) - {rule for rule, _ in keys})
        rows = [
            (rule, sev, self.files_hit[rule, sev], n, self.fixes[rule], self.files_fixed[rule])
            for (rule, sev), n in ((k, self.findings[k]) for k in keys)
        ]
        # A rule whose findings have several severities gets its fixes on its first row only.
        seen: set[str] = set()
        for i, (rule, sev, hit, n, *_) in enumerate(rows):
            if rule in seen:
                rows[i] = (rule, sev, hit, n, 0, 0)
            seen.add(rule)
        rows += [(rule, "-", 0, 0, self.fixes[rule], self.files_fixed[rule]) for rule in fixed_only]
        return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path, help="folder searched recursively for *.cs files")
    parser.add_argument("--show", choices=["error", "warning", "info"], action="append", default=[])
    parser.add_argument("--unity-version", default="6000.0")
    parser.add_argument("--input-system", choices=["legacy", "new", "both"], default="both")
    parser.add_argument("--fixes", action="store_true", help="check the automatic fixes too")
    parser.add_argument("--diffs", type=Path, help="write each fixed file's diff to this folder")
    parser.add_argument(
        "--enable", default="", metavar="IDS", help="opt-in rules to switch on, e.g. SPK051"
    )
    args = parser.parse_args(argv)
    mode: InputSystem = args.input_system
    files = sorted(p for p in args.folder.rglob("*.cs") if p.is_file())
    if not files:
        print(f"no .cs files under {args.folder}")
        return 2
    if args.diffs:
        args.diffs.mkdir(parents=True, exist_ok=True)
    tally = Tally(files=len(files))
    shown: list[str] = []
    for path in files:
        rel = path.relative_to(args.folder)
        # bytes, not read_text: universal newlines would turn CRLF files into LF ones
        code = path.read_bytes().decode("utf-8-sig", errors="replace")
        tally.lines += code.count("\n") + (not code.endswith("\n"))
        options: dict[str, Any] = {
            "file_name": path.name,
            "unity_version": args.unity_version,
            "enable": parse_rule_ids(args.enable),
        }
        start = time.perf_counter()
        report = validate(code, input_system=mode, **options)
        tally.times.append(time.perf_counter() - start)
        tally.add_report(report)
        if args.fixes or args.diffs:
            result, problem = check_fixes(code, report, mode, options)
            tally.add_fixes(result)
            if problem:
                tally.broken.append(f"{rel}: {problem}")
            if args.diffs and result.changed:
                name = str(rel).replace("/", "__") + ".diff"
                (args.diffs / name).write_text(result.diff(str(rel)), encoding="utf-8")
        shown += [
            f"{rel}:{d.line}:{d.column}: {d.severity} {d.rule_id}: {d.message}"
            for d in report.diagnostics
            if d.severity in args.show
        ]
    for line in shown:
        print(line)
    if shown:
        print()
    print_summary(tally, with_fixes=bool(args.fixes or args.diffs))
    return 1 if tally.files_with_errors or tally.broken else 0


def check_fixes(
    code: str, report: ValidationReport, mode: InputSystem, options: dict[str, Any]
) -> tuple[FixResult, str]:
    """Fix `code`; the result and "" when the fixes add no error and fixing the fixed text
    again changes nothing, else why not."""
    once = fix_code(code, report=report, input_system=mode, **options)
    if len(once.report.errors) > len(report.errors):
        return once, "the fixes add an error: " + "; ".join(d.format() for d in once.report.errors)
    again = fix_code(once.code, input_system=mode, **options)
    if again.code != once.code:
        applied = ", ".join(f.format() for f in again.applied)
        return once, "fixing twice changes the text again: " + applied
    return once, ""


def print_summary(tally: Tally, *, with_fixes: bool) -> None:
    print(f"{'files':<24}{tally.files} ({tally.lines:,} lines)")
    print(f"{'files with errors':<24}{tally.files_with_errors}")
    for severity in ("error", "warning", "info"):
        counts = {rule: n for (rule, sev), n in tally.findings.items() if sev == severity}
        print(f"{severity + 's':<24}{sum(counts.values())} from {len(counts)} rules")
    print()
    header = f"{'rule':<14}{'severity':<10}{'files':>7}{'share':>8}{'findings':>10}"
    if with_fixes:
        header += f"{'fixes':>7}{'fixed files':>13}"
    print(header)
    for rule, sev, hit, n, fixes, fixed in tally.rows():
        share = hit / tally.files
        line = f"{rule:<14}{sev:<10}{hit:>7}{share:>8.1%}{n:>10}"
        if with_fixes:
            line += f"{fixes:>7}{fixed:>13}"
        if share > NOISY_SHARE:
            line += "  NOISY"
        print(line)
    print()
    print(f"{'total time':<24}{sum(tally.times):.2f} s")
    print(f"{'median per file':<24}{statistics.median(tally.times) * 1000:.2f} ms")
    if with_fixes:
        print(f"{'fixes applied':<24}{sum(tally.fixes.values())} in {len(tally.files_fixed)} rules")
        print(f"{'files the fixes break':<24}{len(tally.broken)}")
        for line in tally.broken:
            print(f"  {line}")


if __name__ == "__main__":
    raise SystemExit(main())
