"""The processes of ``bench/gateway.py``: the fake upstream, ``spark serve``, CPU time, py-spy.

- The fake upstream (``tests/fakes/upstream.py``) runs in its own process, so that its threads
  do not compete with the benchmark's client for one interpreter lock: ``python
  bench/gateway_procs.py fake --ttft 0.05`` prints ``URL http://...`` and serves until its
  standard input closes.
- :func:`cpu_seconds` sums user + system CPU time of a process and its descendants (uvicorn's
  supervisor and its workers) from ``/proc/PID/stat``; the kernel counts in clock ticks
  (10 ms), so a measurement must span many generations.
- :class:`PySpy` attaches py-spy to the server (and its workers) while a batch runs.
"""

from __future__ import annotations

import argparse
import contextlib
import linecache
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_TICK = os.sysconf("SC_CLK_TCK")

# The reply the fake streams: a 25-line MonoBehaviour in a fence, valid for SPARK's validator
# (so no repair round runs), 16 characters per text delta as the fake's default.
REPLY = """Here is a patrolling enemy.

```csharp
using UnityEngine;

public class PatrolEnemy : MonoBehaviour
{
    [SerializeField] private Transform[] waypoints;
    [SerializeField] private float speed = 4f;
    [SerializeField] private float arriveDistance = 0.1f;

    private int current;

    private void Update()
    {
        if (waypoints == null || waypoints.Length == 0)
        {
            return;
        }
        Vector3 target = waypoints[current].position;
        float step = speed * Time.deltaTime;
        transform.position = Vector3.MoveTowards(transform.position, target, step);
        if (Vector3.Distance(transform.position, target) < arriveDistance)
        {
            current = (current + 1) % waypoints.Length;
        }
    }
}
```
"""


# --- the fake upstream ------------------------------------------------------------------


def serve_fake(port: int, ttft: float, chunk_delay: float, latency: float) -> None:
    """Run the fake upstream with the benchmark's reply and timing until stdin closes."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.upstream import FakeUpstream, Reply

    with FakeUpstream(port=port) as up:
        for api in (up.anthropic, up.openai):
            api.default_reply = Reply(text=REPLY)
            api.ttft, api.chunk_delay, api.latency = ttft, chunk_delay, latency
        print(f"URL {up.url}", flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin (or exits)


class FakeProcess:
    """The fake upstream in a child process; ``url`` is where it listens."""

    def __init__(self, *, port: int, ttft: float, chunk_delay: float, latency: float) -> None:
        args = ["--port", str(port), "--ttft", str(ttft), "--chunk-delay", str(chunk_delay)]
        args += ["--latency", str(latency)]
        self.process = subprocess.Popen(
            [sys.executable, __file__, "fake", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("URL "):
            self.stop()
            raise RuntimeError(f"the fake upstream did not start: {line!r}")
        self.url = line.split()[1]

    def stop(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- CPU time -------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (from ``/proc/PID/task/*/children``)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{current}/task/{task}/children").read_text()
                    queue.extend(int(child) for child in children.split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and its descendants."""
    total = 0
    for each in descendants(pid):
        try:
            stat = Path(f"/proc/{each}/stat").read_text()
        except OSError:  # it just exited
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICK


# --- py-spy ---------------------------------------------------------------------------


def py_spy_path() -> str | None:
    """py-spy next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class PySpy:
    """py-spy sampling ``pid`` and its subprocesses into a collapsed-stacks file until stopped."""

    def __init__(self, exe: str, pid: int, output: Path, rate: int = 250) -> None:
        self.output = output
        command = [exe, "record", "--pid", str(pid), "--subprocesses", "--rate", str(rate)]
        command += ["--format", "raw", "--output", str(output)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # attaching takes a moment
        if self.process.poll() is not None:
            error = self.process.stderr.read().decode() if self.process.stderr else ""
            raise RuntimeError(f"py-spy could not attach: {error.strip()[:500]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def summarize_profile(path: Path, top: int = 20) -> tuple[float, list[Share], list[Share]]:
    """Where a collapsed-stacks file's busy samples went: the idle share of all samples, then
    self time by package (``sqlalchemy``, ``spark.web``, ``asyncio``…) and by function, each as
    ``(name, % of busy samples)``, biggest first.

    py-spy cannot tell idle threads here (it counts a thread waiting in ``select`` or on a lock
    as running), so a sample whose innermost line waits - ``.get(``, ``.wait(``, ``.poll(``,
    ``.select(``, ``.acquire(`` - is counted idle.
    """
    packages: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        leaf = stack.rsplit(";", 1)[-1]
        total += count
        if _waits(leaf):
            idle += count
            continue
        name, where = _frame(leaf)
        packages[_package(where)] += count
        functions[f"{name} ({where})" if where else name] += count
    busy = total - idle
    if not busy:
        return 0.0, [], []
    return (
        100 * idle / total,
        [(name, 100 * n / busy) for name, n in packages.most_common(top)],
        [(name, 100 * n / busy) for name, n in functions.most_common(top)],
    )


Share = tuple[str, float]
_WAITING = re.compile(r"\.(get|wait|poll|select|acquire)\(")


def _waits(frame: str) -> bool:
    """Whether a ``name (file:line)`` frame's source line is a blocking wait."""
    match = re.fullmatch(r".* \((.+):(\d+)\)", frame)
    if match is None:
        return False
    where, number = match.group(1), int(match.group(2))
    for folder in ("", *sys.path):
        source = Path(folder, where) if folder else Path(where)
        if source.is_file():
            return bool(_WAITING.search(linecache.getline(str(source), number)))
    return False


def _frame(frame: str) -> tuple[str, str]:
    """``send (/x/site-packages/starlette/middleware/errors.py:164)`` →
    ``("send", "starlette/middleware/errors.py")``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return name, where


def _package(where: str) -> str:
    """``starlette/middleware/errors.py`` → ``starlette``; ``spark/web/x.py`` → ``spark.web``."""
    parts = where.removesuffix(".py").split("/")
    if not where:
        return "(native / interpreter)"
    return ".".join(parts[:2]) if parts[0] == "spark" and len(parts) > 2 else parts[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="bench/gateway.py's helper processes")
    commands = parser.add_subparsers(dest="command", required=True)
    fake = commands.add_parser("fake", help="run the fake upstream until stdin closes")
    fake.add_argument("--port", type=int, default=0)
    fake.add_argument("--ttft", type=float, default=0.05)
    fake.add_argument("--chunk-delay", type=float, default=0.0)
    fake.add_argument("--latency", type=float, default=0.0)
    summary = commands.add_parser("summary", help="summarize a py-spy collapsed-stacks file")
    summary.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "fake":
        serve_fake(args.port, args.ttft, args.chunk_delay, args.latency)
    else:
        idle, packages, functions = summarize_profile(args.file, top=40)
        print(f"idle: {idle:.1f}% of the samples; shares of the busy ones:")
        for shares in (packages, functions):
            for name, share in shares:
                print(f"{share:5.1f}%  {name}")
            print()


if __name__ == "__main__":
    main()
