"""Compile check and project reading speed, with Mono's mcs and the test stub assemblies.

Lays out the fixture Unity project (tests/unity_fixture) twice: as it is (a handful of scripts)
and with ``--scripts`` generated MonoBehaviours added to Assembly-CSharp (each about 40 lines,
in 50 namespaces, referring to one another). For each it times checking one new script the way
`spark check` does in-process (find compiler and references, build or reuse the cached assembly
of the project's scripts, compile the script against it):

- cold: empty cache, so the project's scripts are compiled first;
- warm: the cached assembly is reused (median and minimum of ``--runs``);

then `spark check` as a command (a new process, warm cache), and reading the big project:
the script index cold (every file parsed with tree-sitter) and warm (cached by modification
time), and the prompt summary.

    .venv/bin/python bench/compile_check.py [--scripts 2000] [--runs 7]

Target (issue 11): one script checked in <= 1.5 s against a project's references.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.unity_fixture import cached_stubs, make_project  # noqa: E402

from spark.unity.compile import CheckedScript, prepare_environment  # noqa: E402
from spark.unity.project import read_project  # noqa: E402
from spark.unity.project_scripts import load_script_index  # noqa: E402
from spark.unity.project_summary import summarise_types  # noqa: E402

SCRIPT = """using System.Collections.Generic;
using UnityEngine;

namespace Bench.Module{module}
{{
    public class Component{n} : MonoBehaviour
    {{
        [SerializeField] private float speed = {n}f;
        [SerializeField] private Transform target;
        private readonly List<Vector3> points = new List<Vector3>();

        public int Count {{ get {{ return points.Count; }} }}
        public event System.Action<int> Changed;

        private void Update()
        {{
            if (target == null) return;
            float reach = speed * Time.deltaTime;
            Vector3 step = Vector3.MoveTowards(transform.position, target.position, reach);
            transform.position = step;
            points.Add(step);
            if (points.Count > 100) points.RemoveAt(0);
            if (Changed != null) Changed(points.Count);
        }}

        public void Configure(float value)
        {{
            speed = Mathf.Clamp(value, 0f, 100f);
            points.Clear();
        }}

        public float DistanceTo(Bench.Module{other_module}.Component{other} other)
        {{
            if (other == null) return 0f;
            return Vector3.Distance(transform.position, other.transform.position);
        }}
    }}
}}
"""
CHECKED = """using UnityEngine;
using Fixture.Combat;

public class EnemyFloor : MonoBehaviour
{
    [SerializeField] private Health health;
    [SerializeField] private float floor = 0f;

    private void Update()
    {
        Vector3 position = transform.position;
        position.y = Mathf.Max(position.y, floor);
        transform.position = position;
        if (health.IsDead) Destroy(gameObject);
    }
}
"""


def generated(count: int) -> dict[str, str]:
    scripts = {}
    for n in range(count):
        module, other = n % 50, (n + 1) % count
        text = SCRIPT.format(module=module, n=n, other=other, other_module=other % 50)
        scripts[f"Assets/Bench/Module{module}/Component{n}.cs"] = text
    return scripts


def check_once(root: Path, cache: Path) -> tuple[float, str]:
    """Seconds for one in-process check (as `spark check` does it) and its summary."""
    started = time.perf_counter()
    project = read_project(root)
    index = load_script_index(root, cache_dir=cache)
    environment = prepare_environment(
        cache_dir=cache / "compile", project=project, index=index, home=cache / "home"
    )
    report = environment.check([CheckedScript("EnemyFloor.cs", CHECKED)])
    seconds = time.perf_counter() - started
    if report.status != "ok":
        raise SystemExit(f"the benchmark script did not compile: {report.summary()} {report.notes}")
    return seconds, report.summary()


def timed(runs: int, work: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", type=int, default=2000, help="generated project scripts")
    parser.add_argument("--runs", type=int, default=7, help="timed warm runs")
    args = parser.parse_args()
    mcs = shutil.which("mcs")
    if mcs is None:
        raise SystemExit("needs Mono's mcs (apt-get install -y mono-mcs)")
    stubs = cached_stubs(mcs)
    work = Path(tempfile.mkdtemp(prefix="spark-bench-compile-"))
    rows: list[tuple[str, str, str]] = []
    try:
        projects = {
            "fixture project (5 scripts)": make_project(work / "Small", stubs),
            f"fixture + {args.scripts:,} scripts": make_project(
                work / "Big", stubs, extra_scripts=generated(args.scripts)
            ),
        }
        for label, root in projects.items():
            cache = work / f"cache-{root.name}"
            cold, summary = check_once(root, cache)
            warm = [check_once(root, cache)[0] for _ in range(args.runs)]
            rows.append((f"check one script, {label}: cold", fmt(cold), "—"))
            rows.append(
                (
                    f"check one script, {label}: warm",
                    fmt(statistics.median(warm)),
                    fmt(min(warm)),
                )
            )
        big = projects[f"fixture + {args.scripts:,} scripts"]
        script = work / "EnemyFloor.cs"
        script.write_text(CHECKED)
        command = [sys.executable, "-m", "spark", "check", str(script), "--project", str(big)]
        env = {"SPARK_DATA_DIR": str(work / "cli-data"), "PATH": os.environ["PATH"]}
        subprocess.run(command, env=env, capture_output=True, check=True)  # fills the cache
        cli = timed(args.runs, lambda: subprocess.run(command, env=env, capture_output=True))
        rows.append(
            ("`spark check` command, big project, warm", fmt(statistics.median(cli)), fmt(min(cli)))
        )
        index_cache = work / "index-cache"
        cold_index = timed(1, lambda: load_script_index(big, cache_dir=index_cache))
        warm_index = timed(args.runs, lambda: load_script_index(big, cache_dir=index_cache))
        index = load_script_index(big, cache_dir=index_cache)
        files = len(index.files)
        rows.append((f"script index, {files:,} files: cold (parse all)", fmt(cold_index[0]), "—"))
        rows.append(
            (
                f"script index, {files:,} files: warm (cached)",
                fmt(statistics.median(warm_index)),
                fmt(min(warm_index)),
            )
        )
        summary_times = timed(
            args.runs,
            lambda: summarise_types(index, "enemy that moves to a target", budget_tokens=1500),
        )
        rows.append(
            (
                "prompt summary (1,500 tokens)",
                fmt(statistics.median(summary_times)),
                fmt(min(summary_times)),
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"compiler: mcs ({mcs}); {summary}")
    print()
    print(f"| {'what':<58} | {'median':>9} | {'min':>9} |")
    print(f"| {'-' * 58} | {'-' * 8}: | {'-' * 8}: |")
    for what, median, best in rows:
        print(f"| {what:<58} | {median:>9} | {best:>9} |")


if __name__ == "__main__":
    main()
