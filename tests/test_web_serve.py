"""``spark serve``: starts uvicorn, prints the URL, shuts down gracefully; the CLI stays light."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from spark.config import Settings
from spark.db import Database
from spark.db.models import GenerationRecord
from tests.fakes.upstream import FakeUpstream, Reply
from tests.serve_support import (
    SparkServer,
    create_account,
    generation_rows,
    server_env,
)
from tests.web_support import parse_sse, web_settings


def test_cli_import_does_not_load_the_web_stack_or_mcp() -> None:
    heavy = ("fastapi", "uvicorn", "starlette", "jinja2", "pygments", "mcp", "spark.mcp")
    code = (
        "import sys, spark.cli.commands; "
        f"heavy = [m for m in {heavy!r} if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_prints_url_serves_and_stops_gracefully(tmp_path: Path, sig: int) -> None:
    settings = Settings(data_dir=tmp_path / "spark")
    token = create_account(settings, abandoned_row=True)
    server = SparkServer(server_env(tmp_path), tmp_path / "serve.log")
    try:
        url = server.wait_ready()
        assert url.startswith("http://127.0.0.1:")
        page = httpx2.get(url + "/", timeout=5)
        assert page.status_code == 303 and page.headers["location"] == "/signin"
        assert httpx2.get(url + "/signin", timeout=5).status_code == 200
        result = httpx2.post(
            url + "/api/generate",
            json={"provider": "offline", "prompt": "a coin that spins", "stream": False},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert result.json()["result"]["file_name"] == "SpinningCoin.cs"
        # Start-up marked the dead process's row; the new generation is recorded.
        assert generation_rows(settings) == [("interrupted", "interrupted"), ("succeeded", None)]
        # Local use: the session key was generated into the data folder, readable by us only.
        assert (tmp_path / "spark" / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        code = server.stop(sig)
    # After a graceful shutdown uvicorn re-raises the signal (SIGTERM: -15; Ctrl+C: 130).
    assert code in (0, -sig, 128 + sig), server.output()
    assert "Finished server process" in server.output()
    assert "Traceback" not in server.output()


def test_sigterm_ends_open_streams_with_an_error_event_and_finishes_their_rows(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    """A real `spark serve`, a stream in the middle of a reply, SIGTERM: the stream's last
    event is an `error` of kind `shutdown` (not a cut connection), and the row is finished as
    failed/shutdown with what the provider had billed (message_start's usage)."""
    upstream.anthropic.enqueue(Reply(input_tokens=420, chunk_size=4, chunk_delay=0.5))
    settings = Settings(data_dir=tmp_path / "spark")
    token = create_account(settings)
    env = server_env(
        tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=upstream.anthropic_base_url
    )
    server = SparkServer(env, tmp_path / "serve.log")
    events: list[tuple[str, dict[str, Any]]] = []
    try:
        url = server.wait_ready()
        with (
            httpx2.Client(timeout=30) as client,
            client.stream(
                "POST",
                url + "/api/generate",
                json={"provider": "anthropic", "prompt": "a coin that spins"},
                headers={"Authorization": f"Bearer {token}"},
            ) as response,
        ):
            lines: list[str] = []
            for line in response.iter_lines():
                lines.append(line)
                if line == "event: token" and lines.count(line) == 1:  # mid-reply
                    server.process.send_signal(signal.SIGTERM)
            events = parse_sse("\n".join(lines))
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM), server.output()
    kind, data = events[-1]
    assert kind == "error", events[-3:]
    assert data["error"]["kind"] == "shutdown"
    assert "shutting down" in data["error"]["message"]
    assert (data["usage"]["input_tokens"], data["usage"]["output_tokens"]) == (420, 1)
    assert generation_rows(settings) == [("failed", "shutdown")]
    assert generation_tokens(settings) == [(420, 1, Decimal("0.000850"))]
    assert "Traceback" not in server.output()


def generation_tokens(settings: Settings) -> list[tuple[int, int, Decimal | None]]:
    async def read() -> list[tuple[int, int, Decimal | None]]:
        async with Database.from_settings(settings) as database, database.session() as session:
            h = GenerationRecord
            rows = await session.execute(
                select(h.input_tokens, h.output_tokens, h.cost_usd).order_by(h.id)
            )
            return [(i, o, c) for i, o, c in rows]

    return asyncio.run(read())


def test_serve_on_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "spark", "serve", "--port", str(port)],
            env=server_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_beyond_loopback_needs_a_secret_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spark", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "SPARK_SECRET_KEY must be set to serve on 0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_client_that_goes_away_cancels_the_generation(
    upstream: FakeUpstream, caplog: pytest.LogCaptureFixture, fast_password_hashing: None
) -> None:
    """Stop in the browser aborts the fetch; the server must stop the provider stream too, and
    the history row ends failed / cancelled."""
    import uvicorn

    from spark.web import create_app

    upstream.anthropic.chunk_delay = 0.2
    settings = web_settings(upstream)
    token = create_account(settings)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.INFO, logger="spark.web.runner")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/api/generate"
        with (
            httpx2.Client(timeout=10) as client,
            client.stream(
                "POST",
                url,
                json={"provider": "anthropic", "prompt": "a coin"},
                headers={"Authorization": f"Bearer {token}"},
            ) as r,
        ):
            for line in r.iter_lines():
                if line == "event: token":
                    break
        deadline = time.monotonic() + 5
        while "cancelled before it finished" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "cancelled before it finished" in caplog.text
        assert len([r for r in upstream.anthropic.history if r.path == "/v1/messages"]) == 1
        deadline = time.monotonic() + 5
        while generation_rows(settings) != [("failed", "cancelled")]:
            assert time.monotonic() < deadline, generation_rows(settings)
            time.sleep(0.05)
    finally:
        server.should_exit = True
        thread.join(10)
