"""Database fixtures: a fresh SQLite file per test, a throw-away PostgreSQL database per run.

PostgreSQL: ``SPARK_TEST_POSTGRES_URL`` (default: the local server, user postgres) names a
server and a role that may create roles and databases. The session creates two roles like a
real deployment has - an owner that runs the migrations and an app role that is neither
superuser, owner nor BYPASSRLS - and a database owned by the first; all three are dropped at the
end. Without a reachable server the PostgreSQL tests skip, or fail when
``SPARK_REQUIRE_POSTGRES=1``. Both variables are read at import, before the per-test scrub of
``SPARK_*`` variables in conftest.py.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL, make_url

from spark.db.engine import Database
from spark.db.migrate import TABLES, upgrade

POSTGRES_URL = os.environ.get(
    "SPARK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("SPARK_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _libpq(url: URL) -> dict[str, Any]:
    """psycopg.connect() arguments for a SQLAlchemy URL."""
    args: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username,
        "dbname": url.database or "postgres",
        "connect_timeout": 3,
        "autocommit": True,
    }
    if url.password:
        args["password"] = url.password
    return args


@dataclass(frozen=True)
class PostgresServer:
    """The throw-away PostgreSQL set-up of this run."""

    admin: URL  # the role from SPARK_TEST_POSTGRES_URL
    database: str
    owner: str
    app: str
    password: str

    def url(self, role: str = "app", database: str | None = None) -> str:
        """A URL for ``role`` ('app', 'owner' or 'admin'), in this run's database by default
        (the admin: in the database of SPARK_TEST_POSTGRES_URL)."""
        if role == "admin":
            return self.admin.set(database=database or self.admin.database).render_as_string(False)
        name = self.app if role == "app" else self.owner
        return self.admin.set(
            drivername="postgresql+psycopg",
            username=name,
            password=self.password,
            database=database or self.database,
        ).render_as_string(hide_password=False)

    def execute(self, sql: str, *, role: str = "admin", database: str | None = None) -> list[Any]:
        """Run one statement with a plain psycopg connection; rows if it returns any."""
        import psycopg

        url = make_url(self.url(role, database))
        with psycopg.connect(**_libpq(url)) as conn, conn.cursor() as cur:
            cur.execute(sql.encode())
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str) -> None:
        self.execute(f'CREATE DATABASE "{name}" OWNER "{self.owner}"')

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _unavailable(message: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"{message} (SPARK_REQUIRE_POSTGRES=1, so this fails instead of skipping)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL database at the head revision, with an owner and an app role."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        _unavailable("psycopg is not installed")
        raise
    admin = make_url(POSTGRES_URL)
    shown = admin.render_as_string(hide_password=True)
    try:
        with psycopg.connect(**_libpq(admin)):
            pass
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL is not reachable at {shown}: {str(exc).strip()}")
    suffix = secrets.token_hex(4)
    server = PostgresServer(
        admin=admin,
        database=f"spark_test_{suffix}",
        owner=f"spark_test_owner_{suffix}",
        app=f"spark_test_app_{suffix}",
        password=secrets.token_hex(16),
    )
    plain = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
    server.execute(f"CREATE ROLE {server.owner} {plain} PASSWORD '{server.password}'")
    server.execute(f"CREATE ROLE {server.app} {plain} PASSWORD '{server.password}'")
    try:
        server.create_database(server.database)
        asyncio.run(_migrate(server.url("owner"), server.app))
        yield server
    finally:
        server.drop_database(server.database)
        for database in server.execute(
            f"SELECT datname FROM pg_database WHERE datname LIKE 'spark_test_{suffix}%'"
        ):
            server.drop_database(database[0])
        server.execute(f"DROP ROLE IF EXISTS {server.app}")
        server.execute(f"DROP ROLE IF EXISTS {server.owner}")


async def _migrate(url: str, app_role: str | None = None) -> None:
    async with Database(url) as database:
        await upgrade(database, app_role=app_role)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "spark.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    """A copy of the migrated template in ``folder``; returns its URL."""
    path = folder / "spark.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


def empty_postgres(server: PostgresServer) -> None:
    """Remove every row (as the owner: TRUNCATE is not subject to row-level security)."""
    server.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE", role="owner")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database backend in turn."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of ``backend`` (the app role's URL on PostgreSQL)."""
    if backend == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    server: PostgresServer = request.getfixturevalue("postgres")
    empty_postgres(server)
    return server.url("app")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The :class:`Database` at ``database_url``, disposed of after the test."""
    async with Database(database_url) as database:
        yield database


@pytest.fixture
def pg(postgres: PostgresServer) -> PostgresServer:
    """The PostgreSQL set-up, emptied for this test."""
    empty_postgres(postgres)
    return postgres


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2 with tiny costs: the recommended ones take ~0.3 s a hash on a CI machine."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from spark.db import users

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(users, "_hasher", lambda: cheap)
    users._dummy_hash.cache_clear()
    yield
    users._dummy_hash.cache_clear()
