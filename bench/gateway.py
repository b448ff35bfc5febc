"""What a streamed generation through ``spark serve`` costs, next to a direct SDK call.

Starts the fake upstream (``tests/fakes/upstream.py``, in its own process: first token after
``--ttft`` seconds, a 25-line script in 16-character deltas) and a real ``spark serve``
subprocess per database and worker count, creates a user and an API token, then drives ``--n``
streamed generations (``POST /api/generate``, Server-Sent Events, bearer token) at each
``--concurrency`` with httpx, and the same number of direct Anthropic SDK calls against the same
fake in the same run. Prints one table: p50/p99 total, p50 time to first token, the p50/p99
added over the direct calls, throughput, and the server's CPU milliseconds per generation.

    .venv/bin/python bench/gateway.py [--n 200] [--concurrency 1 50] [--workers 1 2]
        [--database sqlite postgresql] [--litellm URL --litellm-pid PID] [--profile]

Server CPU per generation is the user + system CPU time of the server's processes (uvicorn's
supervisor and its workers, from /proc) over a batch, less what the idle server burns in the
same wall time (measured for a few seconds before the batches), divided by the generations.
Latency on a shared machine moves with everything else that runs; CPU time hardly does.
The direct rows' CPU column is this process's own CPU per direct SDK call (the median of the
direct batches): what the SDK costs a client, so a floor under the server's figure, which calls
the provider with the same SDK.

``--profile`` attaches py-spy (if installed: ``pip install py-spy``) to the server during the
batches at the highest concurrency and prints where its CPU time went (the collapsed stacks are
kept for a flame graph). ``--litellm URL`` adds a LiteLLM proxy that you started yourself, set
up to reach this fake (``--fake-port 8787``; model ``--litellm-model``; OpenAI-style streaming
``/v1/chat/completions``); ``--litellm-pid`` adds its CPU time.

Targets (issue 15): ≤ 3 ms server CPU per generation on SQLite, ≤ 4 ms on PostgreSQL; added p50
≤ 5 ms at concurrency 1; at concurrency 50, ≤ 100 ms p50 and ≤ 300 ms p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic
import httpx2
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from tests.serve_support import SparkServer

from gateway_procs import (
    FakeProcess,
    PySpy,
    cpu_seconds,
    py_spy_path,
    summarize_profile,
)
from overhead import ANTHROPIC_MODEL as MODEL
from overhead import Timing, direct_anthropic
from spark.db.engine import Database
from spark.db.migrate import upgrade
from spark.db.models import GenerationRecord
from spark.db.users import create_api_token, get_or_create_user
from throwaway_postgres import DEFAULT_ADMIN_URL, reachable, throwaway_postgres

PROMPT = "an enemy that patrols between waypoints at 4 m/s"
SYSTEM = "You are SPARK, a Unity C# expert."
KEY = "bench-key"
IDLE_SECONDS = 3.0
WARM_UP = 5

Call = Callable[[], Awaitable[Timing]]


@dataclass
class Batch:
    """One path's generations at one concurrency."""

    path: str
    concurrency: int
    timings: list[Timing]
    wall: float
    cpu_ms: float | None = None  # server CPU per generation, idle subtracted

    def total(self, q: float) -> float:
        return pct([t for _, t in self.timings], q)

    def ttft(self, q: float) -> float:
        return pct([f for f, _ in self.timings], q)


@dataclass
class Results:
    batches: list[Batch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: list[tuple[str, Path]] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- one generation per path -------------------------------------------------------------


def direct_call(client: anthropic.AsyncAnthropic) -> Awaitable[Timing]:
    return direct_anthropic(client, prompt=PROMPT, system=SYSTEM)


async def spark_call(client: httpx2.AsyncClient) -> Timing:
    """``POST /api/generate`` with the client's bearer token, read to the ``done`` event."""
    started = time.perf_counter()
    first = None
    body = {"prompt": PROMPT, "provider": "anthropic", "model": MODEL}
    async with client.stream("POST", "/api/generate", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(
                f"POST /api/generate: {response.status_code} {await response.aread()!r}"
            )
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if first is None and event == "token":
                    first = time.perf_counter()
            elif line.startswith("data: ") and event == "error":
                raise RuntimeError(f"the generation failed: {line[6:]}")
            elif line.startswith("data: ") and event == "done":
                break
    end = time.perf_counter()
    return (first or end) - started, end - started


async def litellm_call(client: httpx2.AsyncClient, model: str) -> Timing:
    """An OpenAI-style streamed chat completion through a LiteLLM proxy."""
    started = time.perf_counter()
    first = None
    body = {
        "model": model,
        "stream": True,
        "max_tokens": 4096,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
    }
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"LiteLLM: {response.status_code} {await response.aread()!r}")
        async for line in response.aiter_lines():
            if first is None and line.startswith("data: {"):
                choices = json.loads(line[6:]).get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - started, end - started


async def drive(call: Call, n: int, concurrency: int) -> tuple[list[Timing], float]:
    """``n`` calls, at most ``concurrency`` at a time; their timings and the wall time."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> Timing:
        async with gate:
            return await call()

    started = time.perf_counter()
    timings = await asyncio.gather(*(one() for _ in range(n)))
    return list(timings), time.perf_counter() - started


# --- the servers ---------------------------------------------------------------------------


async def _account(database_url: str) -> str:
    """A user and an API token in the (migrated) database; returns the token."""
    async with Database(database_url) as database:
        async with database.session() as session:
            user = await get_or_create_user(session=session, username="bench")
            user_id = user.id
        async with database.session(user_id=user_id) as session:
            _, token = await create_api_token(session=session, user_id=user_id, name="bench")
    return token


async def _statuses(database_url: str) -> dict[str, int]:
    """How many history rows are in each status (the bench user's: all of them)."""
    async with Database(database_url) as database:
        async with database.session() as session:
            user = await get_or_create_user(session=session, username="bench")
            user_id = user.id
        async with database.session(user_id=user_id) as session:
            rows = await session.execute(
                select(GenerationRecord.status, func.count()).group_by(GenerationRecord.status)
            )
            return {str(status): int(n) for status, n in rows}


async def _migrate(url: str, app_role: str | None = None) -> None:
    async with Database(url) as database:
        await upgrade(database, app_role=app_role)


@asynccontextmanager
async def database_for(kind: str, folder: Path, admin_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database of ``kind``; yields the URL the server uses."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'spark.db'}"
        await _migrate(url)
        yield url
        return
    with throwaway_postgres(admin_url) as pg:
        await _migrate(pg.owner_url.render_as_string(False), pg.app_role)
        yield pg.app_url.render_as_string(hide_password=False)


def server_env(folder: Path, database_url: str, fake_url: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "ANTHROPIC_", "OPENAI_"))
    }
    return env | {
        "SPARK_DATA_DIR": str(folder),
        "SPARK_DATABASE_URL": database_url,
        "ANTHROPIC_API_KEY": KEY,
        "ANTHROPIC_BASE_URL": fake_url,
        "SPARK_DEFAULT_PROVIDER": "anthropic",
        "PYTHONUNBUFFERED": "1",
    }


# --- the run ------------------------------------------------------------------------------


async def measure_server(
    server: SparkServer,
    token: str,
    label: str,
    args: argparse.Namespace,
    direct: anthropic.AsyncAnthropic,
    results: Results,
) -> None:
    """Warm up, measure the idle server, then each concurrency: direct batch, SPARK batch."""
    async with httpx2.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120.0,
        limits=httpx2.Limits(max_connections=max(args.concurrency) + 10),
    ) as client:
        for _ in range(WARM_UP):
            await spark_call(client)
            await direct_call(direct)
        await drive(lambda: spark_call(client), max(args.concurrency), max(args.concurrency))
        before = cpu_seconds(server.process.pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle_rate = (cpu_seconds(server.process.pid) - before) / IDLE_SECONDS
        results.notes.append(f"{label}: idle server {idle_rate * 1000:.1f} ms CPU per second")
        for concurrency in args.concurrency:
            client_cpu = time.process_time()
            timings, wall = await drive(lambda: direct_call(direct), args.n, concurrency)
            client_cpu = 1000 * (time.process_time() - client_cpu) / args.n
            results.batches.append(
                Batch("direct Anthropic SDK", concurrency, timings, wall, cpu_ms=client_cpu)
            )
            spy = _start_profile(server, label, concurrency, args, results)
            before = cpu_seconds(server.process.pid)
            timings, wall = await drive(lambda: spark_call(client), args.n, concurrency)
            used = cpu_seconds(server.process.pid) - before - idle_rate * wall
            if spy is not None:
                spy.stop()
            results.batches.append(
                Batch(label, concurrency, timings, wall, cpu_ms=1000 * used / args.n)
            )


def _start_profile(
    server: SparkServer,
    label: str,
    concurrency: int,
    args: argparse.Namespace,
    results: Results,
) -> PySpy | None:
    if not args.profile or concurrency != max(args.concurrency):
        return None
    exe = py_spy_path()
    if exe is None:
        results.notes.append(
            "--profile: py-spy is not installed (`.venv/bin/pip install py-spy`); or profile by "
            "hand: `py-spy record --pid <spark serve pid> --subprocesses -o profile.svg`."
        )
        return None
    name = label.replace(" ", "-").replace("/", "").replace(",", "").replace("×", "x")
    output = args.profile_dir / f"gateway-{name}-c{concurrency}.txt"
    results.profiles.append((f"{label}, concurrency {concurrency}", output))
    results.notes.append(f"{label}, concurrency {concurrency}: CPU figure taken under py-spy")
    return PySpy(exe, server.process.pid, output)


async def measure_litellm(
    args: argparse.Namespace, direct: anthropic.AsyncAnthropic, results: Results
) -> None:
    headers = {"Authorization": f"Bearer {args.litellm_key}"}
    async with httpx2.AsyncClient(
        base_url=args.litellm.rstrip("/"), headers=headers, timeout=120.0
    ) as client:

        def call() -> Awaitable[Timing]:
            return litellm_call(client, args.litellm_model)

        for _ in range(WARM_UP):
            await call()
        for concurrency in args.concurrency:
            timings, wall = await drive(lambda: direct_call(direct), args.n, concurrency)
            results.batches.append(Batch("direct Anthropic SDK", concurrency, timings, wall))
            before = cpu_seconds(args.litellm_pid) if args.litellm_pid else None
            timings, wall = await drive(call, args.n, concurrency)
            cpu = None
            if before is not None:
                cpu = 1000 * (cpu_seconds(args.litellm_pid) - before) / args.n
            results.batches.append(Batch("LiteLLM proxy", concurrency, timings, wall, cpu))


async def measure_spark(
    kind: str,
    workers: int,
    fake_url: str,
    args: argparse.Namespace,
    direct: anthropic.AsyncAnthropic,
    results: Results,
    console: Console,
) -> None:
    """One ``spark serve`` on a fresh database of ``kind``, measured; then its rows checked."""
    label = f"SPARK, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}, {workers} worker"
    label += "s" if workers > 1 else ""
    console.print(f"[dim]{label}: starting…[/]")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with database_for(kind, folder, args.postgres_url) as url:
            token = await _account(url)
            env = server_env(folder, url, fake_url)
            server = SparkServer(env, folder / "serve.log", workers=workers)
            try:
                server.wait_ready(timeout=120)
                await measure_server(server, token, label, args, direct, results)
            except Exception:
                console.print(server.output()[-4000:], markup=False, highlight=False)
                raise
            finally:
                server.stop()
            # Every generation must have been recorded: a "database is locked" in a recorder
            # is logged, not answered, so it would leave rows running.
            statuses = await _statuses(url)
            if set(statuses) != {"succeeded"}:
                results.notes.append(f"{label}: history rows NOT all succeeded: {statuses}")


async def run(args: argparse.Namespace, console: Console) -> Results:
    results = Results()
    databases = list(args.database)
    if "postgresql" in databases and (why := reachable(args.postgres_url)):
        databases.remove("postgresql")
        results.notes.append(f"PostgreSQL skipped: not reachable ({why})")
    fake = FakeProcess(
        port=args.fake_port, ttft=args.ttft, chunk_delay=args.chunk_delay, latency=0.0
    )
    try:
        direct = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.url, max_retries=0)
        for kind in databases:
            for workers in args.workers:
                await measure_spark(kind, workers, fake.url, args, direct, results, console)
        if args.litellm:
            await measure_litellm(args, direct, results)
        await direct.close()
    finally:
        fake.stop()
    return results


def table(results: Results, args: argparse.Namespace) -> Table:
    out = Table(
        title=f"Streamed generations: {args.n} per row, fake upstream (first token after "
        f"{args.ttft * 1000:.0f} ms), {os.cpu_count()} cores"
    )
    for column in (
        "conc.",
        "path",
        "p50 total",
        "p99 total",
        "p50 TTFT",
        "added p50",
        "added p99",
        "gen/s",
        "CPU / gen",
    ):
        out.add_column(column, justify="left" if column == "path" else "right")
    ms = 1000.0
    for concurrency in args.concurrency:
        rows = [b for b in results.batches if b.concurrency == concurrency]
        direct = [t for b in rows if b.path.startswith("direct") for t in b.timings]
        direct_cpu = [b.cpu_ms for b in rows if b.path.startswith("direct") and b.cpu_ms]
        base = Batch(
            "direct Anthropic SDK",
            concurrency,
            direct,
            sum(b.wall for b in rows if b.path.startswith("direct")),
            # The SDK's own CPU per call (this process, the client side): the floor of a
            # gateway that calls the provider with the same SDK.
            cpu_ms=statistics.median(direct_cpu) if direct_cpu else None,
        )
        for batch in [base] + [b for b in rows if not b.path.startswith("direct")]:
            is_base = batch is base
            out.add_row(
                str(concurrency),
                batch.path + (" (all direct batches)" if is_base else ""),
                f"{batch.total(0.5) * ms:.1f} ms",
                f"{batch.total(0.99) * ms:.1f} ms",
                f"{batch.ttft(0.5) * ms:.1f} ms",
                "–" if is_base else f"{(batch.total(0.5) - base.total(0.5)) * ms:+.1f} ms",
                "–" if is_base else f"{(batch.total(0.99) - base.total(0.99)) * ms:+.1f} ms",
                f"{len(batch.timings) / batch.wall:.1f}",
                "–" if batch.cpu_ms is None else f"{batch.cpu_ms:.2f} ms",
            )
        out.add_section()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="generations per path and level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="spark serve --workers")
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--postgres-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--ttft", type=float, default=0.05, help="fake's time to first token, s")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="between deltas, s")
    parser.add_argument("--fake-port", type=int, default=0, help="fake upstream port (0: any)")
    parser.add_argument("--litellm", metavar="URL", help="a running LiteLLM proxy to compare")
    parser.add_argument("--litellm-model", default=MODEL)
    parser.add_argument("--litellm-key", default="sk-bench")
    parser.add_argument("--litellm-pid", type=int, help="the LiteLLM proxy's pid, for its CPU")
    parser.add_argument("--profile", action="store_true", help="py-spy the server (see above)")
    parser.add_argument("--profile-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    console = Console(width=160)
    results = asyncio.run(run(args, console))
    console.print(table(results, args))
    for note in results.notes:
        console.print(f"[dim]- {note}[/]")
    for label, path in results.profiles:
        if not path.exists():
            continue
        idle, packages, functions = summarize_profile(path)
        console.print(
            f"\nWhere the server's CPU went ({label}): self time, % of the busy samples "
            f"({idle:.0f}% of all were idle waits); stacks: {path}"
        )
        for title, shares in (("by package", packages), ("by function", functions)):
            console.print(f"  {title}:")
            for name, share in shares:
                console.print(f"    {share:5.1f}%  {name}", highlight=False, markup=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
