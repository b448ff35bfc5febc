"""Time of the stats query for one user over 30 days, in a history of a million rows.

Fills 1,000,000 generation rows spread over 10,000 users and 180 days (SQLite: executemany in
one transaction; PostgreSQL: COPY), then times ``spark.db.stats.generation_stats`` for random
users - each call a fresh transaction acting for the user, as the app makes it (on PostgreSQL:
as a non-owner app role under row-level security) - and, on PostgreSQL, the SQL function
``get_user_generation_stats``. Prints the median and p95 per database.

    .venv/bin/python bench/stats.py [--rows 1000000] [--users 10000] [--runs 300]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-postgres]

The PostgreSQL URL names a role that may create databases and roles; the bench creates a
throw-away database and app role and drops both at the end. Target (issue 4): ≤ 20 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from spark.db.engine import Database
from spark.db.migrate import upgrade
from spark.db.migrations.versions.r0014_usage_monthly import rebuild_sql
from spark.db.stats import generation_stats
from throwaway_postgres import DEFAULT_ADMIN_URL, ThrowawayPostgres, throwaway_postgres

COLUMNS = (
    "user_id, provider, model, prompt, system_prompt_version, class_name, success, status, "
    "error_kind, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, "
    "generation_ms, attempts, repair_rounds, validation_summary, runner, created_at, finished_at"
)
MODELS = [
    ("anthropic", "claude-sonnet-5-5"),
    ("anthropic", "claude-haiku-5-5"),
    ("openai", "gpt-6.2-sol"),
    ("offline", "spark-templates"),
]
STATUSES = ["succeeded"] * 8 + ["failed", "interrupted"]


def history_rows(rows: int, users: int, days: int, seed: int = 4) -> Iterator[tuple[Any, ...]]:
    """Plausible history rows, created uniformly over the last ``days`` days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    span = days * 86400
    for _ in range(rows):
        provider, model = rng.choice(MODELS)
        status = rng.choice(STATUSES)
        created = now - timedelta(seconds=rng.random() * span)
        ms = rng.randint(800, 40000)
        yield (
            rng.randint(1, users),
            provider,
            model,
            "an enemy that patrols between waypoints",
            "2026-11-26.1",
            "WaypointPatrol" if status == "succeeded" else None,
            status == "succeeded",
            status,
            None if status == "succeeded" else "server",
            rng.randint(300, 3000),
            rng.randint(200, 4000),
            rng.randint(0, 2000),
            0,
            round(rng.random() * 0.05, 6),
            ms,
            rng.randint(1, 3),
            rng.randint(0, 1),
            "OK — 0 errors, 0 warnings",
            "bench:1",
            created,
            created + timedelta(milliseconds=ms),
        )


async def time_calls(call: Callable[[int], Awaitable[Any]], users: int, runs: int) -> list[float]:
    """Milliseconds of ``runs`` calls for random users (after a few warm-up calls)."""
    rng = random.Random(7)
    for _ in range(5):
        await call(rng.randint(1, users))
    timings = []
    for _ in range(runs):
        user_id = rng.randint(1, users)
        started = time.perf_counter()
        await call(user_id)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def app_stats(database: Database) -> Callable[[int], Awaitable[Any]]:
    async def call(user_id: int) -> Any:
        async with database.session(user_id=user_id) as session:
            return await generation_stats(session=session, user_id=user_id, days_back=30)

    return call


def sql_stats(database: Database) -> Callable[[int], Awaitable[Any]]:
    async def call(user_id: int) -> Any:
        async with database.session(user_id=user_id) as session:
            query = text("SELECT * FROM get_user_generation_stats(:u, 30)")
            return (await session.execute(query, {"u": user_id})).one()

    return call


async def fill_sqlite(
    path: Path, users: int, rows: Iterable[tuple[Any, ...]], *, admin: int | None = None
) -> float:
    """A migrated SQLite file at `path` with `users` users and `rows` history rows (the columns
    of `COLUMNS`); user `admin`, if any, is an admin. Returns the seconds the fill took."""
    async with Database(f"sqlite:///{path}") as database:
        await upgrade(database)
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    # Building the history indexes once after the fill is far faster than maintaining them;
    # likewise the usage rollup (its triggers are off during the fill, then it is rebuilt).
    indexes = [
        (kind, name, sql)
        for kind, name, sql in connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = 'spark_generation_history' AND sql IS NOT NULL"
        )
    ]
    for kind, name, _ in indexes:
        connection.execute(f"DROP {kind.upper()} {name}")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA journal_mode=MEMORY")  # a throw-away file: no WAL needed
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    with connection:
        connection.executemany(
            "INSERT INTO users (id, username, is_admin, created_at) "
            "VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
            ((i, f"user{i}", i == admin) for i in range(1, users + 1)),
        )
        connection.executemany(
            f"INSERT INTO spark_generation_history ({COLUMNS}) VALUES ({', '.join('?' * 21)})",
            ((*row[:19], row[19].strftime(stamp), row[20].strftime(stamp)) for row in rows),
        )
    for _, _, sql in indexes:
        connection.execute(sql)
    with connection:
        for statement in rebuild_sql("sqlite"):
            connection.execute(statement)
    connection.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - started


async def bench_sqlite(
    args: argparse.Namespace, folder: Path
) -> list[tuple[str, float, list[float]]]:
    path = folder / "bench.db"
    rows = history_rows(args.rows, args.users, args.days)
    fill = await fill_sqlite(path, args.users, rows)
    async with Database(f"sqlite:///{path}") as database:
        timings = await time_calls(app_stats(database), args.users, args.runs)
    return [("SQLite: app stats query", fill, timings)]


def fill_postgres(
    pg: ThrowawayPostgres, users: int, rows: Iterable[tuple[Any, ...]], *, admin: int | None = None
) -> float:
    """Fill the migrated throw-away database with `users` users and `rows` history rows (the
    columns of `COLUMNS`; COPY, indexes and the usage rollup built after); user `admin`, if any,
    is an admin. Returns the seconds the fill took."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(**pg.conninfo, dbname=pg.name) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'spark_generation_history' AND indexname LIKE 'ix_%'"
        ).fetchall()
        for index, _ in indexes:
            conn.execute(f"DROP INDEX {index}")
        conn.execute("ALTER TABLE spark_generation_history DISABLE TRIGGER USER")
        with conn.cursor().copy("COPY users (id, username, is_admin) FROM STDIN") as copy:
            for i in range(1, users + 1):
                copy.write_row((i, f"user{i}", i == admin))
        conn.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), %s)", (users,))
        with conn.cursor().copy(f"COPY spark_generation_history ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("SET spark.maintenance = 'on'")
        for statement in rebuild_sql("postgresql"):
            conn.execute(statement)
        conn.execute("ALTER TABLE spark_generation_history ENABLE TRIGGER USER")
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


async def bench_postgres(args: argparse.Namespace) -> list[tuple[str, float, list[float]]]:
    with throwaway_postgres(args.postgres_url) as pg:
        async with Database(pg.owner_url) as database:
            await upgrade(database, app_role=pg.app_role)
        fill = fill_postgres(pg, args.users, history_rows(args.rows, args.users, args.days))
        async with Database(pg.app_url) as database:
            app = await time_calls(app_stats(database), args.users, args.runs)
            sql = await time_calls(sql_stats(database), args.users, args.runs)
        return [("PostgreSQL: app stats query", fill, app), ("PostgreSQL: SQL function", fill, sql)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--postgres-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results += await bench_sqlite(args, Path(folder))
    if not args.no_postgres:
        results += await bench_postgres(args)
    table = Table(
        title=f"Stats for one user, 30 days: {args.rows:,} rows, {args.users:,} users, "
        f"{args.days} days, {args.runs} runs"
    )
    for column in ("query", "fill", "median", "p95", "max"):
        table.add_column(column, justify="left" if column == "query" else "right")
    for label, fill, timings in results:
        p95 = statistics.quantiles(timings, n=20)[-1]
        table.add_row(
            label,
            f"{fill:.1f} s",
            f"{statistics.median(timings):.2f} ms",
            f"{p95:.2f} ms",
            f"{max(timings):.2f} ms",
        )
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
