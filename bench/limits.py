"""What spend and rate limits add to a generation: one reserve + one settle, on SQLite and on
PostgreSQL (a throw-away database, the app connecting as a plain role under row-level security;
skipped when the server is not reachable).

Limits are set for the team, the default user and the provider, so every check runs. Measured
one at a time (the latency a generation pays) and with ``--parallel`` users reserving and
settling at once (all serialised on the limits lock: the throughput ceiling of the
bookkeeping). Prints the median and p95 per pair, and pairs a second when parallel.

    .venv/bin/python bench/limits.py [--runs 300] [--parallel 8] [--database sqlite postgresql]
        [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table

from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, set_limits
from spark.db.migrate import upgrade
from spark.db.users import create_user
from spark.limits import DEFAULT, TEAM, Limits, provider_scope
from throwaway_postgres import DEFAULT_ADMIN_URL, reachable, throwaway_postgres

LIMITS = Limits(daily_usd=Decimal(10**5), monthly_usd=Decimal(10**5), concurrent=10**4)


async def _prepare(database: Database, users: int) -> list[DatabaseQuota]:
    quotas = []
    async with database.session() as session:
        for scope in (TEAM, DEFAULT, provider_scope("anthropic")):
            rules = LIMITS if not scope.startswith("provider") else Limits(daily_usd=Decimal(10**5))
            await set_limits(session=session, admin_id=None, scope=scope, limits=rules)
        for n in range(users):
            user = await create_user(session=session, username=f"bench{n}")
            quotas.append(DatabaseQuota(database, user_id=user.id))
    return quotas


async def _pair(quota: DatabaseQuota) -> float:
    start = time.perf_counter()
    held = await quota.reserve(
        provider="anthropic", model="claude-sonnet-5-5", amount=Decimal("0.09")
    )
    await quota.settle(held, Decimal("0.04"))
    return (time.perf_counter() - start) * 1000


async def measure(
    url: str, label: str, runs: int, parallel: int
) -> list[tuple[str, list[float], float | None]]:
    async with Database(url) as database:
        quotas = await _prepare(database, max(1, parallel))
        for _ in range(20):  # warm the pool and the caches
            await _pair(quotas[0])
        one = [await _pair(quotas[0]) for _ in range(runs)]
        timings: list[float] = []

        async def user(quota: DatabaseQuota) -> None:
            for _ in range(max(1, runs // parallel)):
                timings.append(await _pair(quota))

        start = time.perf_counter()
        await asyncio.gather(*(user(q) for q in quotas))
        rate = len(timings) / (time.perf_counter() - start)
    return [
        (f"{label}, one at a time", one, None),
        (f"{label}, {parallel} users at once", timings, rate),
    ]


async def run(args: argparse.Namespace) -> None:
    console = Console()
    results = []
    notes = []
    if "sqlite" in args.database:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            async with Database(url) as database:
                await upgrade(database)
            results += await measure(url, "SQLite", args.runs, args.parallel)
    if "postgresql" in args.database:
        why = reachable(args.postgres_url)
        if why:
            notes.append(f"PostgreSQL skipped: not reachable ({why})")
        else:
            with throwaway_postgres(args.postgres_url) as pg:
                async with Database(pg.owner_url) as database:
                    await upgrade(database, app_role=pg.app_role)
                url = pg.app_url.render_as_string(hide_password=False)
                results += await measure(url, "PostgreSQL", args.runs, args.parallel)
    table = Table(title="Reserve + settle (one generation's limit bookkeeping)")
    for column in ("database", "pairs", "median ms", "p95 ms", "pairs / s"):
        table.add_column(column, justify="left" if column == "database" else "right")
    for label, timings, rate in results:
        p95 = statistics.quantiles(timings, n=20)[18]
        table.add_row(
            label,
            str(len(timings)),
            f"{statistics.median(timings):.2f}",
            f"{p95:.2f}",
            "" if rate is None else f"{rate:.0f}",
        )
    console.print(table)
    for note in notes:
        console.print(f"[dim]- {note}[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_ADMIN_URL)
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
