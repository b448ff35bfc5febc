"""Render time of the usage dashboard for a user with 5,000 rows, in a history of a million.

Fills 1,000,000 generation rows over 10,000 users (the fills of ``bench/stats.py``: 5,000 rows
for the measured user, the rest spread over the other users and 180 days; then the usage
rollup is built) on SQLite and on PostgreSQL (a throw-away database, the app connecting as a
plain role under row-level security; skipped when the server is not reachable), then asks the
app for ``GET /dashboard?days=N`` (httpx on the ASGI app, signed in with an API token, so each
request is the whole page: auth, stats query, token split, the admin's team view when the user
is the admin, five pygal charts, the template) and, for comparison, ``GET /api/stats`` and
``GET /history``. Prints the median and p95 per page. The app keeps the charts it drew for a
set of figures (``spark.charts``), so repeated requests show them drawn already; the admin's
pages are also timed with them drawn afresh for every request ("charts drawn afresh": the
first view after the figures changed).

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--user-rows 5000] [--users 10000]
        [--runs 50] [--database sqlite postgresql] [--postgres-url URL]

Targets (issues 6 and 15): ≤ 150 ms median for the dashboard, the admin's included.
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

from spark.charts import forget_drawn_charts
from spark.config import Settings
from spark.db.engine import Database
from spark.db.migrate import upgrade
from spark.db.users import create_api_token
from spark.generation import Engine
from spark.web import create_app
from stats import fill_postgres, fill_sqlite, history_rows
from throwaway_postgres import DEFAULT_ADMIN_URL, reachable, throwaway_postgres

MEASURED_USER = 2  # user 1 is the admin; the measured user sees no team view
PAGES = (
    ("user", MEASURED_USER,
     ["/dashboard?days=30", "/dashboard?days=90", "/api/stats?days=30", "/history"]),
    ("admin", 1, ["/dashboard?days=30", "/dashboard?days=90"]),
    ("admin, charts drawn afresh", 1, ["/dashboard?days=30", "/dashboard?days=90"]),
)  # fmt: skip


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


async def token_for(database: Database, user_id: int) -> str:
    async with database.session(user_id=user_id) as session:
        _, token = await create_api_token(session=session, user_id=user_id, name="bench")
    return token


async def time_page(
    client: httpx2.AsyncClient, path: str, runs: int, *, afresh: bool = False
) -> list[float]:
    """Milliseconds per request (``afresh``: the kept charts dropped before each)."""
    for _ in range(3):
        response = await client.get(path)
        response.raise_for_status()
    timings = []
    for _ in range(runs):
        if afresh:
            forget_drawn_charts()
        started = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


async def time_pages(
    database_url: str, folder: Path, label: str, args: argparse.Namespace
) -> list[tuple[str, list[float]]]:
    """Every page of PAGES through the app on ``database_url``."""
    settings = Settings(data_dir=folder, database_url=database_url)
    database = Database.from_settings(settings)
    engine = Engine(settings)
    results: list[tuple[str, list[float]]] = []
    try:
        app = create_app(settings, engine=engine, database=database)
        for who, user_id, paths in PAGES:
            token = await token_for(database, user_id)
            async with httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app),
                base_url="http://bench",
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                for page in paths:
                    afresh = who.endswith("afresh")
                    timings = await time_page(client, page, args.runs, afresh=afresh)
                    results.append((f"{label}, {who}: GET {page}", timings))
    finally:
        await engine.aclose()
        await database.dispose()
    return results


async def run(args: argparse.Namespace) -> None:
    console = Console()
    results: list[tuple[str, list[float]]] = []
    fills: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "sqlite" in args.database:
            path = folder / "bench.db"
            console.print(f"SQLite: filling {args.rows:,} rows…")
            seconds = await fill_sqlite(path, args.users, rows_for(args), admin=1)
            fills.append(f"SQLite {seconds:.0f} s")
            results += await time_pages(f"sqlite+aiosqlite:///{path}", folder, "SQLite", args)
    if "postgresql" in args.database:
        why = reachable(args.postgres_url)
        if why:
            notes.append(f"PostgreSQL skipped: not reachable ({why})")
        else:
            with throwaway_postgres(args.postgres_url) as pg, tempfile.TemporaryDirectory() as tmp:
                async with Database(pg.owner_url) as database:
                    await upgrade(database, app_role=pg.app_role)
                console.print(f"PostgreSQL: filling {args.rows:,} rows…")
                seconds = fill_postgres(pg, args.users, rows_for(args), admin=1)
                fills.append(f"PostgreSQL {seconds:.0f} s")
                url = pg.app_url.render_as_string(hide_password=False)
                results += await time_pages(url, Path(tmp), "PostgreSQL", args)
    table = Table(title=f"Dashboard render time, {args.rows:,} rows (fill: {', '.join(fills)})")
    for column in ("request", "runs", "median ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for label, timings in results:
        p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]
        table.add_row(label, str(len(timings)), f"{statistics.median(timings):.1f}", f"{p95:.1f}")
    console.print(table)
    for note in notes:
        console.print(f"[dim]- {note}[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--user-rows", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--database", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--postgres-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
