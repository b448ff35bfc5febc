"""A throw-away PostgreSQL database for a benchmark: an app role, a database, both dropped after.

    with throwaway_postgres(admin_url) as pg:
        ...  # pg.owner_url runs migrations; pg.app_url is what the app connects as

``admin_url`` names a role that may create databases and roles (the local server's
``postgres`` by default, as in the tests). The database is owned by that role; the app role is
a plain LOGIN role (NOSUPERUSER, NOBYPASSRLS), so row-level security applies to it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import URL, make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class ThrowawayPostgres:
    owner_url: URL  # the admin role, in the throw-away database
    app_url: URL  # the app role, in the throw-away database
    app_role: str
    conninfo: dict[str, Any]  # psycopg.connect() arguments (no dbname)
    name: str  # the database


def reachable(admin_url: str) -> str | None:
    """None when the server at ``admin_url`` answers, else why not (one line)."""
    import psycopg

    url = make_url(admin_url)
    try:
        home = url.database or "postgres"
        with psycopg.connect(**_conninfo(url), dbname=home, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _conninfo(url: URL) -> dict[str, Any]:
    return {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username,
        "password": url.password,
        "autocommit": True,
    }


@contextmanager
def throwaway_postgres(admin_url: str = DEFAULT_ADMIN_URL) -> Iterator[ThrowawayPostgres]:
    """A new, empty database and app role with random names; both dropped at the end."""
    import psycopg

    admin = make_url(admin_url)
    suffix = secrets.token_hex(4)
    name, role = f"spark_bench_{suffix}", f"spark_bench_app_{suffix}"
    password = secrets.token_hex(12)
    conninfo = _conninfo(admin)
    home = admin.database or "postgres"
    with psycopg.connect(**conninfo, dbname=home) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
        conn.execute(f'CREATE DATABASE "{name}"')
    owner_url = admin.set(drivername="postgresql+psycopg", database=name)
    try:
        yield ThrowawayPostgres(
            owner_url=owner_url,
            app_url=owner_url.set(username=role, password=password),
            app_role=role,
            conninfo=conninfo,
            name=name,
        )
    finally:
        with psycopg.connect(**conninfo, dbname=home) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP ROLE IF EXISTS {role}")
