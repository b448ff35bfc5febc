"""Start-up time of the ``spark`` command: each run a new process, as a shell starts it.

Times ``spark --help``, ``spark generate --help``, ``spark mcp --help``, ``spark validate`` on one
25-line script and ``spark mcp`` until it has answered ``initialize`` and ``tools/list`` on stdio
(what an assistant waits for when it starts SPARK), next to bare Python, ``--runs`` times each
(interleaved, after one untimed run of each so that bytecode caches exist), and prints the
median, minimum and maximum wall time per command.

    .venv/bin/python bench/startup.py [--runs 20]

Targets (issue 15): ``spark --help`` and ``spark generate --help`` ≤ 250 ms, ``spark validate``
one file ≤ 200 ms. ``python -X importtime -m spark generate --help`` shows where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
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
        "spark mcp --help": [*spark, "mcp", "--help"],
        f"spark validate {script.name}": [*spark, "validate", str(script)],
        "spark mcp → tools/list": [*spark, "mcp"],
    }


MCP_SESSION = b"".join(
    json.dumps(message).encode() + b"\n"
    for message in (
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    )
)


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    if command[-1] == "mcp":  # until the tool list is answered, then close stdin
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as server:
            assert server.stdin is not None and server.stdout is not None
            server.stdin.write(MCP_SESSION)
            server.stdin.flush()
            while b'"id":2' not in server.stdout.readline().replace(b" ", b""):
                pass
            elapsed = time.perf_counter() - started
            server.stdin.close()
            server.wait()
        return elapsed * 1000
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SPARK_DATA_DIR"] = str(Path(folder) / "spark")  # spark mcp's history
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
