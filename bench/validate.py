"""Validator speed: parse + all rules against a bare tree-sitter parse of the same text, and
the automatic fixes.

Generates Unity-like MonoBehaviour scripts of about 100, 1,000 and 5,000 lines from a set of
realistic method templates (movement, physics, coroutines, UI text, events, LINQ, switch
expressions, null checks), then times, in the same process and interleaved, `validate()` (parse,
syntax checks and every Unity rule) and a bare `Parser.parse()` of the same bytes.  Also times
`spark validate FILE` on a small script in a fresh process (median of several runs) and the cold
in-process cost (import + first `validate()` in a new interpreter).  Fixes: a 1,000-line script
with a fixable finding in every fourth method (tag comparisons, `?.`, `is null`, strings naming
methods, WaitForSeconds in loops, key names, `Destroy` of a Transform, `GetComponent(typeof(T))`,
a Vector2 built from a Vector3's x and y) is fixed with `fix_code`, given its report as the
generation pipeline has it (every fix applied, then verified by validating the result).

    .venv/bin/python bench/validate.py [--runs 30] [--cli-runs 7]

`--runs` is the number of timed runs for 1,000 and 5,000 lines; the 100-line script, ten times
faster, gets ten times as many.

Targets (issue 3): validation <= 1.5x the bare parse, <= 10 ms for 1,000 lines; CLI <= 300 ms.
(issue 12): fixes for a 1,000-line file <= 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from spark.unity.fixer import fix_code  # noqa: E402
from spark.unity.validator import _parser, validate  # noqa: E402

HEADER = """using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using UnityEngine;
using UnityEngine.UI;

namespace Bench.Gameplay
{
    [RequireComponent(typeof(Rigidbody))]
    public class {name} : MonoBehaviour
    {
        [SerializeField] private float speed = 5f;
        [SerializeField] private float jumpForce = 7.5f;
        [SerializeField] private Transform target;
        [SerializeField] private Text label;
        [SerializeField] private List<Transform> waypoints = new List<Transform>();
        private Rigidbody body;
        private Vector3 input;
        private int score;
        public event Action<int> ScoreChanged;

        private void Awake()
        {
            body = GetComponent<Rigidbody>();
        }
"""

FOOTER = """    }
}
"""

# Each template is one method of ordinary Unity code; {i} keeps the names unique.
TEMPLATES = [
    """
        private void Move{i}(float dt)
        {
            input = new Vector3(Input.GetAxis("Horizontal"), 0f, Input.GetAxis("Vertical"));
            if (input.sqrMagnitude > 1f)
            {
                input.Normalize();
            }
            transform.position += input * speed * dt;
            var facing = Quaternion.LookRotation(input + Vector3.forward);
            transform.rotation = Quaternion.Slerp(transform.rotation, facing, dt * 4f);
        }
""",
    """
        private void Push{i}()
        {
            if (target == null)
            {
                return;
            }
            Vector3 direction = (target.position - transform.position).normalized;
            body.AddForce(direction * jumpForce, ForceMode.Impulse);
            Debug.DrawRay(transform.position, direction, Color.green, 0.5f);
        }
""",
    """
        private IEnumerator Blink{i}(Renderer rend, int times)
        {
            var wait = new WaitForSeconds(0.1f);
            for (int n = 0; n < times; n++)
            {
                rend.enabled = !rend.enabled;
                yield return wait;
            }
            rend.enabled = true;
        }
""",
    """
        public void AddScore{i}(int amount)
        {
            score = Mathf.Clamp(score + amount, 0, 9999);
            label.text = $"Score: {score:0000} ({amount:+#;-#;0})";
            ScoreChanged?.Invoke(score);
        }
""",
    """
        private Transform Closest{i}()
        {
            return waypoints
                .Where(w => w != null && w.gameObject.activeInHierarchy)
                .OrderBy(w => Vector3.Distance(w.position, transform.position))
                .FirstOrDefault();
        }
""",
    """
        private string Describe{i}(int state) => state switch
        {
            0 => "idle",
            1 or 2 => "moving",
            > 2 and < 10 => "busy",
            _ => "unknown",
        };
""",
    """
        private void OnScore{i}(Collider other)
        {
            if (other.CompareTag("Coin") && other.TryGetComponent(out Rigidbody coinBody))
            {
                coinBody.isKinematic = true;
                Destroy(other.gameObject, 0.25f);
                AddScore0(10);
            }
        }
""",
    """
        private float Smooth{i}(float current, float goal, ref float velocity)
        {
            float t = Mathf.SmoothDamp(current, goal, ref velocity, 0.3f);
            return Mathf.Approximately(t, goal) ? goal : t;
        }
""",
]


# Methods with something to fix (see `make_script(..., fixable=True)`).
FIXABLE = [
    """
        private void OnHit{i}(Collider other)
        {
            if (other.tag == "Coin")
            {
                target?.Rotate(0f, 90f, 0f);
            }
        }
""",
    """
        private IEnumerator Pulse{i}()
        {
            while (enabled)
            {
                yield return new WaitForSeconds(0.25f);
            }
        }
""",
    """
        private void Check{i}()
        {
            if (body is null)
            {
                Invoke("Push1", 0.5f);
            }
        }
""",
    """
        private void Clear{i}()
        {
            if (Input.GetKeyDown("space"))
            {
                foreach (Transform child in transform)
                {
                    Destroy(child);
                }
            }
            var box = target.GetComponent(typeof(BoxCollider)) as BoxCollider;
            Debug.Log(box.size + (Vector3)new Vector2(transform.position.x, transform.position.y));
        }
""",
]


def make_script(lines: int, name: str = "BenchPlayer", *, fixable: bool = False) -> str:
    """A valid MonoBehaviour of about `lines` lines, built from the templates in turn (with
    `fixable`, every fourth method is one with something to fix)."""
    parts = [HEADER.replace("{name}", name)]
    count = HEADER.count("\n") + FOOTER.count("\n")
    i = 0
    while count < lines:
        template = TEMPLATES[i % len(TEMPLATES)]
        if fixable and i % 4 == 3:
            template = FIXABLE[(i // 4) % len(FIXABLE)]
        method = template.replace("{i}", str(i))
        parts.append(method)
        count += method.count("\n")
        i += 1
    parts.append(FOOTER)
    return "".join(parts)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_sizes(runs: int) -> list[tuple[int, float, float, float, float]]:
    """(lines, median validate, median bare parse, min validate, min bare parse) per size, in ms."""
    rows: list[tuple[int, float, float, float, float]] = []
    parser = _parser()
    for target in (100, 1000, 5000):
        code = make_script(target)
        data = code.encode("utf-8")
        report = validate(code, file_name="BenchPlayer.cs")
        assert report.ok, [d.format() for d in report.errors][:3]
        full: list[float] = []
        bare: list[float] = []
        # A small script takes about a millisecond: time it more often, so that a short burst
        # of load on a shared machine does not move its median (--runs is for 1,000 lines).
        for _ in range(max(runs, runs * 1000 // target)):  # interleaved: same machine state
            start = time.perf_counter()
            validate(code, file_name="BenchPlayer.cs")
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            parser.parse(data)
            bare.append(time.perf_counter() - start)
        rows.append(
            (
                code.count("\n"),
                _median_ms(full),
                _median_ms(bare),
                min(full) * 1000,
                min(bare) * 1000,
            )
        )
    return rows


def bench_fixes(runs: int) -> tuple[int, int, float, float, float]:
    """(lines, fixes applied, median and min ms of `fix_code` given the report, median ms of
    validate + fix) for the 1,000-line script with fixable findings."""
    code = make_script(1000, fixable=True)
    report = validate(code, file_name="BenchPlayer.cs")
    assert report.ok, [d.format() for d in report.errors][:3]
    result = fix_code(code, file_name="BenchPlayer.cs", report=report)
    assert result.report.ok and not result.report.fixable and not result.dropped
    assert fix_code(result.code, file_name="BenchPlayer.cs").code == result.code
    fixes: list[float] = []
    both: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        fix_code(code, file_name="BenchPlayer.cs", report=report)
        fixes.append(time.perf_counter() - start)
        start = time.perf_counter()
        fix_code(code, file_name="BenchPlayer.cs")
        both.append(time.perf_counter() - start)
    return (
        code.count("\n"),
        len(result.applied),
        _median_ms(fixes),
        min(fixes) * 1000,
        _median_ms(both),
    )


def bench_subprocess(argv: list[str], runs: int) -> float:
    samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return _median_ms(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cli-runs", type=int, default=7)
    args = parser.parse_args(argv)

    validate(make_script(100), file_name="Warmup.cs")  # one-time loading, reported separately
    rows = bench_sizes(args.runs)
    # The median is the figure; the minimum (least disturbed run) helps on a noisy machine.
    print(
        f"{'lines':>6} {'validate (ms)':>14} {'bare parse (ms)':>16} {'ratio':>6}"
        f"   {'min: validate':>13} {'bare':>6} {'ratio':>6}"
    )
    for lines, full, bare, full_min, bare_min in rows:
        print(
            f"{lines:>6} {full:>14.2f} {bare:>16.2f} {full / bare:>6.2f}"
            f"   {full_min:>13.2f} {bare_min:>6.2f} {full_min / bare_min:>6.2f}"
        )

    lines, applied, fix_median, fix_min, both = bench_fixes(args.runs)
    print()
    print(
        f"fixes, {lines} lines, {applied} fixes applied: fix_code {fix_median:.2f} ms median "
        f"(min {fix_min:.2f}), validate + fix {both:.2f} ms median"
    )

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "BenchPlayer.cs"
        small.write_text(make_script(60), encoding="utf-8")
        python = sys.executable
        spark = str(Path(python).with_name("spark"))
        cold = bench_subprocess(
            [
                python,
                "-c",
                "import sys; sys.path.insert(0, 'src'); "
                "from spark.unity.validator import validate; "
                f"validate(open({str(small)!r}).read(), file_name='BenchPlayer.cs')",
            ],
            args.cli_runs,
        )
        empty = bench_subprocess([python, "-c", "pass"], args.cli_runs)
        cli = bench_subprocess([spark, "validate", str(small)], args.cli_runs)
    print()
    print(f"python start alone (median of {args.cli_runs}):             {empty:7.0f} ms")
    print(f"cold validator: import + first validate() in a new process: {cold:7.0f} ms")
    print(f"`spark validate` on one {small.name} (subprocess):     {cli:7.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
