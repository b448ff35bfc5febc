"""SPARK's data folder is created 0700, and the SQLite database (with its -wal and -shm files)
and the session key 0600, whatever the umask (issue 10: ``spark.db`` was 0644 in a 0755
folder, so anyone on the machine could read every password hash, prompt and script)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import text

from spark.config import Settings
from spark.db import Database
from spark.db.migrate import ensure_schema
from spark.web.secret import secret_key
from tests.serve_support import SparkServer, server_env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask (022), which would make new files 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
async def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "spark"
    async with Database(f"sqlite:///{folder / 'spark.db'}") as database:
        await ensure_schema(database)
        async with database.engine.connect() as connection:  # WAL files exist while it is open
            await connection.execute(text("SELECT count(*) FROM users"))
            files = {p.name: mode(p) for p in folder.iterdir()}
    assert mode(folder) == 0o700
    assert files == {
        "spark.db": 0o600,
        "spark.db-wal": 0o600,
        "spark.db-shm": 0o600,
        "spark.db.migrate-lock": 0o600,  # processes migrating a new file take turns by it
    }


async def _migrate(path: Path) -> None:
    async with Database(f"sqlite:///{path}") as database:
        await ensure_schema(database)


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_folder_and_database_keep_their_modes(tmp_path: Path) -> None:
    """Only what SPARK creates is made private: a folder or file someone set up stays as is."""
    tmp_path.chmod(0o750)
    (tmp_path / "spark.db").touch(0o640)
    asyncio.run(_migrate(tmp_path / "spark.db"))
    assert (mode(tmp_path), mode(tmp_path / "spark.db")) == (0o750, 0o640)


@pytest.mark.usefixtures("permissive_umask")
def test_the_session_key_and_its_folder_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new-data")
    key = secret_key(settings)
    assert mode(tmp_path / "new-data") == 0o700
    assert mode(tmp_path / "new-data" / "secret_key") == 0o600
    assert secret_key(settings) == key


@pytest.mark.usefixtures("permissive_umask")
def test_spark_serve_creates_a_private_data_folder(tmp_path: Path) -> None:
    """The default set-up (`make run`): `spark serve` with nothing configured."""
    server = SparkServer(server_env(tmp_path), tmp_path / "serve.log")
    try:
        url = server.wait_ready(timeout=60)
        assert httpx2.get(url + "/signin", timeout=30).status_code == 200
        data = tmp_path / "spark"
        files = {p.name: mode(p) for p in data.iterdir()}
    finally:
        server.stop()
    assert mode(data) == 0o700
    assert files["spark.db"] == files["secret_key"] == 0o600
    assert set(files.values()) == {0o600}, files  # -wal and -shm too
