"""Server time of a response-cache hit (issue 16: ≤ 5 ms).

Two ways, each on SQLite and (when reachable) PostgreSQL as the non-owner app role:

- ``engine``: what the service does for a hit, as the web route runs it after the request is
  parsed and the user known: the generation's context read (target, fallback list, cache
  settings, instructions, limits: one transaction), ``Engine.prepare`` with the user's quota
  and the cache (the lookup, then the hit recorded: the ``cached`` history row, and the
  rate-limit counter when a requests-per-minute limit applies, in one transaction) - every
  database write and read of a real hit.
- ``http (client + server)``: ``POST /api/generate`` (``stream: false``) through the whole
  ASGI app in-process (middlewares, API token check, JSON in and out), no sockets, as the
  in-process client sees it; ``http: server``: the same requests timed inside the ASGI app
  (from the call until the response is sent): the server's own time, the issue's figure.
- ``lookup``: the cache's own part of a hit (the key, the lookup transaction, the result);
  ``1 transaction``: one empty read transaction, the unit the paths above are made of (a hit
  runs 3 on the engine path: context, lookup, record; and the token check over HTTP), to read
  the figures against the machine's load.

The one entry is stored first by a real generation (offline provider, so no network). Prints
the median and p95 wall time and the median process CPU time per hit.

    .venv/bin/python bench/cache.py [--runs 300] [--postgres-url URL] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from spark.caching import cache_key, report_from_dict
from spark.config import Settings
from spark.db.cache import DatabaseCache
from spark.db.engine import Database
from spark.db.limits import quota_for
from spark.db.migrate import upgrade
from spark.db.models import UserPreferences
from spark.db.recorder import HistoryRecorder
from spark.db.site import set_site_setting
from spark.db.team_controls import generation_context
from spark.db.users import create_api_token, create_user
from spark.events import DoneEvent
from spark.generation import Engine, GenerationRequest
from spark.web import create_app
from spark.web.target import stored_target, target_of
from throwaway_postgres import DEFAULT_ADMIN_URL, reachable, throwaway_postgres

PROMPT = "a coin that spins"


async def _admin(database: Database) -> tuple[int, str]:
    async with database.session() as session:
        user = await create_user(session=session, username="bench", is_admin=True)
        await set_site_setting(session=session, admin=None, key="cache", value="true")
        user_id = user.id
    async with database.session(user_id=user_id) as session:
        token = await create_api_token(session=session, user_id=user_id, name="bench")
    return user_id, token[1]


async def _timed(work: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, float]:
    await work()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        await work()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    walls.sort()
    p95 = walls[int(len(walls) * 0.95) - 1]
    return statistics.median(walls) * 1000, p95 * 1000, statistics.median(cpus) * 1000


async def engine_hits(settings: Settings, database: Database, user_id: int, runs: int) -> Any:
    engine = Engine(settings)

    async def hit() -> None:
        context = await generation_context(settings=settings, database=database, user_id=user_id)
        target = target_of(stored_target(UserPreferences(**context.target), settings), settings)
        recorder = HistoryRecorder(database, user_id=user_id)
        cache = DatabaseCache(
            database, user_id=user_id, settings=context.caching, recorder=recorder
        )
        plan = await engine.prepare(
            GenerationRequest(
                PROMPT,
                provider="offline",
                target=target,
                instructions=context.instructions,
                fallback=context.fallback,
            ),
            quota=quota_for(database, settings, user_id=user_id, known=context.limits),
            cache=cache,
        )
        events = [e async for e in engine.generate(plan, recorder=recorder, cache=cache)]
        last = events[-1]
        assert isinstance(last, DoneEvent) and last.result.cached, last

    async with engine:
        # The miss that stores the entry.
        caching = (
            await generation_context(settings=settings, database=database, user_id=user_id)
        ).caching
        recorder = HistoryRecorder(database, user_id=user_id)
        cache = DatabaseCache(database, user_id=user_id, settings=caching, recorder=recorder)
        request = GenerationRequest(PROMPT, provider="offline")
        events = [e async for e in engine.generate(request, recorder=recorder, cache=cache)]
        assert isinstance(events[-1], DoneEvent) and not events[-1].result.cached
        return await _timed(hit, runs)


async def lookup_hits(settings: Settings, database: Database, user_id: int, runs: int) -> Any:
    async with Engine(settings) as engine:
        caching = (
            await generation_context(settings=settings, database=database, user_id=user_id)
        ).caching
        plan = await engine.prepare(GenerationRequest(PROMPT, provider="offline"))
        recorder = HistoryRecorder(database, user_id=user_id)
        cache = DatabaseCache(database, user_id=user_id, settings=caching, recorder=recorder)

        async def hit() -> None:
            found = await cache.lookup(cache_key(plan))
            assert found is not None
            report_from_dict(found.validation)

        return await _timed(hit, runs)


async def empty_transactions(database: Database, user_id: int, runs: int) -> Any:
    async def one() -> None:
        async with database.session(user_id=user_id, read_only=True) as session:
            await session.execute(text("SELECT 1"))

    return await _timed(one, runs)


class ServerClock:
    """The ASGI app, timed from the moment it is called until it returns (the response sent):
    the server's own time, without the in-process client's work around it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.walls: list[float] = []
        self.cpus: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.cpus.append(time.process_time() - cpu)
                self.walls.append(time.perf_counter() - wall)


async def http_hits(
    settings: Settings, database: Database, token: str, runs: int
) -> tuple[Any, Any]:
    """``POST /api/generate`` hits through the ASGI app: as the client sees them, and the
    server's own part (:class:`ServerClock`)."""
    async with Engine(settings) as engine:
        app = ServerClock(create_app(settings, engine=engine, database=database))
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport,
            base_url="http://127.0.0.1",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            body = {"provider": "offline", "prompt": PROMPT, "stream": False}

            async def hit() -> None:
                response = await client.post("/api/generate", json=body)
                assert response.status_code == 200, response.text
                assert response.json()["result"]["cached"], response.text[:300]

            seen = await _timed(hit, runs)
            walls, cpus = sorted(app.walls[1:]), app.cpus[1:]  # the first is the warm-up
            p95 = walls[int(len(walls) * 0.95) - 1]
            server = (
                statistics.median(walls) * 1000,
                p95 * 1000,
                statistics.median(cpus) * 1000,
            )
            return seen, server


async def measure(name: str, settings: Settings, database: Database, runs: int) -> list[Any]:
    user_id, token = await _admin(database)
    rows = []
    rows.append((name, "engine", *await engine_hits(settings, database, user_id, runs)))
    seen, server = await http_hits(settings, database, token, runs)
    rows.append((name, "http (client + server)", *seen))
    rows.append((name, "http: server", *server))
    rows.append((name, "lookup", *await lookup_hits(settings, database, user_id, runs)))
    rows.append((name, "1 transaction", *await empty_transactions(database, user_id, runs)))
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--postgres-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key="k" * 32)
        async with Database.from_settings(settings) as database:
            await upgrade(database)
            rows += await measure("SQLite", settings, database, args.runs)
    why_not = None if args.no_postgres else reachable(args.postgres_url)
    if not args.no_postgres and why_not is None:
        with throwaway_postgres(args.postgres_url) as pg, tempfile.TemporaryDirectory() as folder:
            async with Database(pg.owner_url.render_as_string(hide_password=False)) as owner:
                await upgrade(owner, app_role=pg.app_role)
            url = pg.app_url.render_as_string(hide_password=False)
            settings = Settings(data_dir=Path(folder), secret_key="k" * 32, database_url=url)
            async with Database(url) as database:
                rows += await measure("PostgreSQL", settings, database, args.runs)
    table = Table("database", "path", "median ms", "p95 ms", "median CPU ms")
    for name, path, median, p95, cpu in rows:
        table.add_row(name, path, f"{median:.2f}", f"{p95:.2f}", f"{cpu:.2f}")
    Console().print(table)
    if why_not:
        Console().print(f"PostgreSQL skipped: {why_not}")


if __name__ == "__main__":
    asyncio.run(main())
