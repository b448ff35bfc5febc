"""Running ``spark serve`` as a real subprocess for end-to-end and browser tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

_URL = re.compile(r"SPARK is running at (http://\S+)")


class SparkServer:
    """``spark serve --port 0`` with ``env``; its output goes to ``log`` (never a full pipe)."""

    def __init__(self, env: dict[str, str], log: Path, *extra_args: str) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "spark", "serve", "--port", "0", *extra_args],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.url = ""

    def wait_ready(self, timeout: float = 20.0) -> str:
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
