"""Start-up time of the ``spark`` command: each run a new process, as a shell starts it.

Times ``spark --help``, ``spark generate --help`` and ``spark validate`` on one 25-line script,
next to bare Python, ``--runs`` times each (interleaved, after one untimed run of each so that
bytecode caches exist), and prints the median, minimum and maximum wall time per command.

    .venv/bin/python bench/startup.py [--runs 20]

Targets (issue 15): ``spark --help`` and ``spark generate --help`` ≤ 250 ms, ``spark validate``
one file ≤ 200 ms. ``python -X importtime -m spark generate --help`` shows where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table

from gateway_procs import REPLY


def commands(script: Path) -> dict[str, list[str]]:
    spark = [sys.executable, "-m", "spark"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "spark --help": [*spark, "--help"],
        "spark generate --help": [*spark, "generate", "--help"],
        f"spark validate {script.name}": [*spark, "validate", str(script)],
    }


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "PatrolEnemy.cs"
        script.write_text(REPLY.split("```csharp\n", 1)[1].split("```", 1)[0])
        todo = commands(script)
        for command in todo.values():  # bytecode caches, file system caches
            wall(command)
        timings: dict[str, list[float]] = {name: [] for name in todo}
        for _ in range(args.runs):
            for name, command in todo.items():
                timings[name].append(wall(command))
    table = Table(title=f"spark start-up, {args.runs} new processes each (wall time)")
    for column in ("command", "median", "min", "max"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, values in timings.items():
        table.add_row(
            name,
            f"{statistics.median(values):.0f} ms",
            f"{min(values):.0f} ms",
            f"{max(values):.0f} ms",
        )
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
