"""Run the validator over a folder of real Unity scripts and summarise what it reports.

The corpus itself is never part of the repository (third-party code): keep it elsewhere, e.g.
/tmp/unity-corpus, and point this script at it.  Every `error` on a script that compiles in Unity
is a false positive to fix.

    .venv/bin/python bench/corpus_check.py /tmp/unity-corpus/files [--show error|warning|info]
        [--unity-version 6000.0] [--input-system both]

Prints: files, files with errors, errors / warnings / infos by rule id, total time and the
median time per file; with --show, every diagnostic of that severity (file:line:col rule message).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from spark.unity.validator import InputSystem, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path, help="folder searched recursively for *.cs files")
    parser.add_argument("--show", choices=["error", "warning", "info"], action="append", default=[])
    parser.add_argument("--unity-version", default="6000.0")
    parser.add_argument("--input-system", choices=["legacy", "new", "both"], default="both")
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
    for path in files:
        code = path.read_text(encoding="utf-8-sig", errors="replace")
        start = time.perf_counter()
        report = validate(
            code, file_name=path.name, unity_version=args.unity_version, input_system=mode
        )
        times.append(time.perf_counter() - start)
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
    return 1 if files_with_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
