"""schemathesis against a real ``spark serve``: every operation of ``/openapi.json``.

The server runs as a subprocess (SQLite, the offline provider, no key) and schemathesis' own
command line tests it over HTTP with an API token, through all its phases (schema examples,
coverage of every boundary, fuzzing, stateful sequences), in deterministic mode with a bounded
number of examples per operation, so the run is repeatable and takes well under a minute.

Every check runs but ``positive_data_acceptance``: it expects every request the schema allows to
succeed, while some answers depend on more than a schema can say (a prompt of spaces, a
provider without a key, a model the provider does not list are documented 4xx answers).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from spark.config import Settings
from tests.serve_support import SparkServer, create_account, server_env

MAX_EXAMPLES = 10


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, API token) of a `spark serve` with one finished generation (id 1, the example
    the schema gives for generation ids)."""
    token = create_account(Settings(data_dir=tmp_path / "spark"), admin=True)  # every route
    server = SparkServer(server_env(tmp_path), tmp_path / "serve.log")
    try:
        url = server.wait_ready(timeout=60)
        first = httpx2.post(
            f"{url}/api/generate",
            json={"provider": "offline", "prompt": "a coin that spins", "stream": False},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert first.json()["result"]["generation_id"] == "1", first.text
        yield url, token
    finally:
        server.stop()
    assert "Traceback" not in server.output(), server.output()


def test_every_answer_matches_the_schema(served: tuple[str, str], tmp_path: Path) -> None:
    url, token = served
    paths = httpx2.get(f"{url}/openapi.json", timeout=30).json()["paths"]
    operations = sum(len(item) for item in paths.values())
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = run.stdout + run.stderr
    shown = "\n".join(line[:300] for line in report.splitlines())
    assert run.returncode == 0, shown
    # It ran every operation and every phase, and found nothing.
    assert f"{operations} selected / {operations} total" in report, shown
    assert " passed" in report and "failed" not in report, shown
