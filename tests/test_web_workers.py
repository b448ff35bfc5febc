"""``spark serve --workers N``: one port shared by N worker processes on one SQLite file.

Real ``spark serve`` subprocesses, real concurrent streamed generations through the fake
upstream: every generation completes and is recorded (no "database is locked" from several
writer processes), the printed URL carries the real port of ``--port 0``, and SIGTERM / SIGINT
stop the supervisor and every worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx2
import pytest

from spark.config import Settings
from tests.fakes.upstream import FakeUpstream
from tests.serve_support import SparkServer, create_account, generation_rows, server_env

GENERATIONS = 40
AT_ONCE = 20


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited


async def stream_generations(url: str, token: str) -> list[str]:
    """GENERATIONS streamed generations, AT_ONCE at a time; the last event of each."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(client: httpx2.AsyncClient, n: int) -> str:
        async with gate:
            body = {"provider": "anthropic", "prompt": f"a coin that spins {n}"}
            async with client.stream("POST", "/api/generate", json=body) as response:
                assert response.status_code == 200, await response.aread()
                last = ""
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        last = line[7:]
                return last

    async with httpx2.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        return await asyncio.gather(*(one(client, n) for n in range(GENERATIONS)))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_workers_share_one_port_and_one_sqlite_file(
    tmp_path: Path, upstream: FakeUpstream, sig: int
) -> None:
    upstream.anthropic.chunk_delay = 0.005  # streams long enough to overlap
    settings = Settings(data_dir=tmp_path / "spark")
    token = create_account(settings)
    env = server_env(tmp_path, ANTHROPIC_API_KEY="test-key")
    env["ANTHROPIC_BASE_URL"] = upstream.anthropic_base_url
    server = SparkServer(env, tmp_path / "serve.log", workers=2)
    try:
        url = server.wait_ready()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert "(2 workers)" in server.output()
        workers = children(server.process.pid)
        assert len([pid for pid in workers if alive(pid)]) >= 2
        last_events = asyncio.run(stream_generations(url, token))
    finally:
        code = server.stop(sig)
    assert Counter(last_events) == {"done": GENERATIONS}
    assert Counter(generation_rows(settings)) == {("succeeded", None): GENERATIONS}
    log = server.output()
    assert "locked" not in log and "Traceback" not in log
    assert code in (0, -sig, 128 + sig), log
    assert log.count("Finished server process") == 2  # each worker shut down gracefully
    # None outlives the server: a worker may still be exiting (or multiprocessing's resource
    # tracker noticing its parent is gone) for a moment after the server's own exit.
    deadline = time.monotonic() + 10
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)]
