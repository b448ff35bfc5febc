"""Real ``spark serve`` processes on a fresh database of either backend, and browsers for them.

Used by the tests of sign-up, sign-in, sign-out and sessions that need real servers: real
concurrent HTTP requests, several instances on one database, forwarded headers on a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select

from spark.db import Database
from spark.db.models import User
from tests.db_fixtures import PostgresServer, empty_postgres
from tests.serve_support import SparkServer, server_env
from tests.web_support import PASSWORD, csrf_of

# Long enough for the key; the same on every instance of one test, like a real deployment.
SECRET_KEY = "test-secret-key-for-several-instances-0123456789"


@dataclass
class Deployment:
    """One database (fresh) and the environment every instance of SPARK is started with."""

    folder: Path
    database_url: str
    env: dict[str, str]
    servers: list[SparkServer] = field(default_factory=list)

    @contextmanager
    def instances(self, count: int = 1, **variables: str) -> Iterator[list[str]]:
        """``count`` running ``spark serve`` processes; yields their URLs, stops them after.

        Started one after the other: the first migrates a fresh SQLite database."""
        started = []
        urls = []
        try:
            for _ in range(count):
                n = len(self.servers)
                server = SparkServer(self.env | variables, self.folder / f"serve-{n}.log")
                self.servers.append(server)
                started.append(server)
                urls.append(server.wait_ready(timeout=60))
            yield urls
        finally:
            for server in started:
                server.stop()
            for server in started:
                assert "Traceback" not in server.output(), server.output()

    def admins(self) -> list[str]:
        """The usernames of every admin, read from the database."""

        async def read() -> list[str]:
            async with Database(self.database_url) as database, database.session() as session:
                rows = await session.execute(select(User.username).where(User.is_admin))
                return sorted(rows.scalars())

        return asyncio.run(read())


@pytest.fixture
def deployment(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Deployment:
    """A fresh database of ``backend`` and the environment to serve it (one secret key).

    SQLite: a file SPARK creates itself in the data folder. PostgreSQL: the run's database,
    emptied, reached as the app role (neither owner nor superuser), as in production.
    """
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'spark' / 'spark.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        empty_postgres(server)
        url = server.url("app")
    env = server_env(tmp_path, SPARK_DATABASE_URL=url, SPARK_SECRET_KEY=SECRET_KEY)
    return Deployment(tmp_path, url, env)


class Browser(httpx2.AsyncClient):
    """One browser: its own cookie jar on one instance, posting SPARK's forms with CSRF."""

    def __init__(self, url: str) -> None:
        super().__init__(base_url=url, timeout=60)

    async def csrf(self, path: str = "/signin") -> str:
        response = await self.get(path)
        if response.status_code == 303:  # signed in: take the token from the account page
            response = await self.get("/account")
        assert response.status_code == 200, response.text
        return csrf_of(response.text)

    async def form(self, path: str, data: dict[str, str], *, csrf: str = "") -> httpx2.Response:
        return await self.post(path, data={"csrf_token": csrf or await self.csrf(), **data})

    async def sign_up(self, username: str, password: str = PASSWORD) -> httpx2.Response:
        return await self.form(
            "/signup",
            {"username": username, "password": password, "confirm": password},
            csrf=await self.csrf("/signup"),
        )

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx2.Response:
        return await self.form("/signin", {"username": username, "password": password})

    @property
    def session_cookie(self) -> str:
        return str(self.cookies["spark_session"])
