"""Running ``spark serve`` as a real subprocess for end-to-end and browser tests."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from sqlalchemy import select

from spark.config import Settings
from spark.db import Database
from spark.db.history import start_generation
from spark.db.migrate import ensure_schema
from spark.db.models import GenerationRecord
from spark.db.users import create_api_token, create_user
from tests.web_support import PASSWORD

_URL = re.compile(r"SPARK is running at (http://\S+)")


class SparkServer:
    """``spark serve --port 0`` with ``env``; its output goes to ``log`` (never a full pipe).

    One worker unless ``workers`` says otherwise (``None``: the server's default, one per CPU
    core): a test rarely needs more, and each worker is a process to start on a busy machine.
    """

    def __init__(
        self, env: dict[str, str], log: Path, *extra_args: str, workers: int | None = 1
    ) -> None:
        self.log = log
        self.env = env  # the server's environment: a test may run other `spark` commands in it
        self._out = log.open("wb")
        if workers is not None:
            extra_args = ("--workers", str(workers), *extra_args)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "spark", "serve", "--port", "0", *extra_args],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.url = ""

    def wait_ready(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"spark serve exited early:\n{self.output()}")
            match = _URL.search(self.output())
            if match:
                self.url = match.group(1)
                try:
                    if httpx2.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                        return self.url
                except httpx2.TransportError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"spark serve did not start in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()
        return self.process.returncode


def server_env(home: Path, **variables: str) -> dict[str, str]:
    """The test process's (already scrubbed) environment plus ``variables``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "ANTHROPIC_", "OPENAI_"))
    }
    env |= {"HOME": str(home), "SPARK_DATA_DIR": str(home / "spark"), "PYTHONUNBUFFERED": "1"}
    env |= variables
    return env


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def create_account(
    settings: Settings, username: str = "ci", *, abandoned_row: bool = False, admin: bool = False
) -> str:
    """An account with a password and an API token in the settings' database (as `spark users
    create` + `spark tokens create` would); returns the token. ``abandoned_row``: also a
    ``running`` generation of a process that died."""

    async def create() -> str:
        database = Database.from_settings(settings)
        try:
            await ensure_schema(database)
            async with database.session() as session:
                user = await create_user(
                    session=session, username=username, password=PASSWORD, is_admin=admin
                )
            # Acting for the user, as `spark tokens create` does (PostgreSQL's row-level security).
            async with database.session(user_id=user.id) as session:
                _, token = await create_api_token(session=session, user_id=user.id, name="test")
                if abandoned_row:
                    await start_generation(
                        session=session,
                        user_id=user.id,
                        provider="offline",
                        model="templates",
                        prompt="left running by a crash",
                        runner=f"{socket.gethostname()}:{dead_pid()}",
                    )
            return token
        finally:
            await database.dispose()

    return asyncio.run(create())


def generation_rows(settings: Settings) -> list[tuple[str, str | None]]:
    """``(status, error_kind)`` of every history row, oldest first."""

    async def read() -> list[tuple[str, str | None]]:
        database = Database.from_settings(settings)
        try:
            async with database.session() as session:
                rows = await session.execute(
                    select(GenerationRecord.status, GenerationRecord.error_kind).order_by(
                        GenerationRecord.id
                    )
                )
                return [(str(status), kind) for status, kind in rows]
        finally:
            await database.dispose()

    return asyncio.run(read())
