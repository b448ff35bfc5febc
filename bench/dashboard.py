"""Render time of the usage dashboard for a user with 5,000 rows, in a history of a million.

Fills 1,000,000 generation rows on SQLite (the fill of ``bench/stats.py``: 5,000 rows for the
measured user, the rest spread over the other users and 180 days), then asks the app for
``GET /dashboard?days=N`` (httpx on the ASGI app, signed in with an API token, so each request
is the whole page: auth, stats query, token split, admin team view when the user is the admin,
five pygal charts, the template) and, for comparison, ``GET /api/stats`` and
``GET /history``. Prints the median and p95 per page.

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--user-rows 5000] [--users 10000]
        [--runs 50]

Target (issue 6): ≤ 150 ms median for the dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
from rich.console import Console
from rich.table import Table

from spark.config import Settings
from spark.db.engine import Database
from spark.db.users import create_api_token
from spark.generation import Engine
from spark.web import create_app
from stats import fill_sqlite, history_rows

MEASURED_USER = 2  # user 1 is the admin; the measured user sees no team view


def rows_for(args: argparse.Namespace) -> Iterator[tuple[Any, ...]]:
    """``args.user_rows`` rows of the measured user over the last 30 days, then the rest."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    for row in history_rows(args.user_rows, 1, 30, seed=5):
        created = now - timedelta(seconds=rng.random() * 30 * 86400)
        yield (MEASURED_USER, *row[1:19], created, created + timedelta(seconds=5))
    for row in history_rows(args.rows - args.user_rows, args.users, args.days):
        owner = row[0] if row[0] != MEASURED_USER else 1
        yield (owner, *row[1:])


async def fill(path: Path, args: argparse.Namespace) -> float:
    return await fill_sqlite(path, args.users, rows_for(args), admin=1)


async def token_for(database: Database, user_id: int) -> str:
    async with database.session(user_id=user_id) as session:
        _, token = await create_api_token(session=session, user_id=user_id, name="bench")
    return token


async def time_page(client: httpx2.AsyncClient, path: str, runs: int) -> list[float]:
    for _ in range(3):
        response = await client.get(path)
        response.raise_for_status()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


async def run(args: argparse.Namespace) -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        console.print(f"filling {args.rows:,} rows ({args.user_rows:,} for the measured user)…")
        seconds = await fill(path, args)
        settings = Settings(data_dir=Path(folder), database_url=f"sqlite+aiosqlite:///{path}")
        database = Database.from_settings(settings)
        engine = Engine(settings)
        results: list[tuple[str, list[float]]] = []
        try:
            app = create_app(settings, engine=engine, database=database)
            for label, user_id, paths in (
                ("user", MEASURED_USER, ["/dashboard?days=30", "/dashboard?days=90",
                                         "/api/stats?days=30", "/history"]),
                ("admin", 1, ["/dashboard?days=30"]),
            ):  # fmt: skip
                token = await token_for(database, user_id)
                async with httpx2.AsyncClient(
                    transport=httpx2.ASGITransport(app=app),
                    base_url="http://bench",
                    headers={"Authorization": f"Bearer {token}"},
                ) as client:
                    for page in paths:
                        results.append(
                            (f"{label}: GET {page}", await time_page(client, page, args.runs))
                        )
        finally:
            await engine.aclose()
            await database.dispose()
    table = Table(title=f"Dashboard render time, {args.rows:,} rows (fill {seconds:.0f} s)")
    for column in ("request", "runs", "median ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for label, timings in results:
        p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]
        table.add_row(label, str(len(timings)), f"{statistics.median(timings):.1f}", f"{p95:.1f}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--user-rows", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
