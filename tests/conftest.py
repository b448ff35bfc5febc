"""Fixtures every test gets, and the fake upstream.

- No real network: every test runs with `socket.connect` / `connect_ex` / `getaddrinfo` guarded,
  so anything but loopback (127.0.0.0/8, ::1, "localhost") or a Unix socket raises
  `NetworkBlockedError`. The SDKs wrap that in their `APIConnectionError`, so the attempt is also
  recorded and fails the test at teardown; a test that provokes one on purpose takes the
  `blocked_network` fixture and clears it.
- No developer secrets or settings: `ANTHROPIC_*`, `OPENAI_*`, `SPARK_*` and proxy variables are
  removed, `XDG_*` directories unset and `HOME` pointed at a per-test temporary directory, so
  neither the SDKs' credential discovery (`~/.config/anthropic`) nor our data folder touches the
  real home.
- `upstream`: the fake Anthropic + OpenAI server (tests/fakes/upstream.py), started once per
  session and reset before each test; `anthropic_client` / `openai_client` are the official async
  SDK clients pointed at it, with the SDKs' own retries off.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from tests.fakes.upstream import FakeUpstream

# Building an SSL context costs ~40 ms per SDK client; the fake is plain HTTP, so share one.
TLS_CONTEXT = ssl.create_default_context()

_SCRUBBED_PREFIXES = ("ANTHROPIC_", "OPENAI_", "SPARK_")
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
_XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a host other than this machine."""


def _is_loopback(host: object) -> bool:
    if host is None or host in ("", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host.endswith(".localhost")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@pytest.fixture
def blocked_network() -> list[object]:
    """Addresses the current test tried to reach and was refused (clear it to accept them)."""
    return []


@pytest.fixture(autouse=True)
def _block_network(
    monkeypatch: pytest.MonkeyPatch, blocked_network: list[object]
) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: object) -> NetworkBlockedError:
        what = what.decode() if isinstance(what, bytes) else what
        blocked_network.append(what)
        return NetworkBlockedError(
            f"tests may only reach 127.0.0.1 — use the fake upstream (tried {what!r})"
        )

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise refuse(address)

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    if blocked_network:
        pytest.fail(f"tests may only reach 127.0.0.1, but this one tried {blocked_network}")


@pytest.fixture(autouse=True)
def _isolate_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES) or name.upper() in _PROXY_VARIABLES:
            monkeypatch.delenv(name)
    for name in _XDG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[FakeUpstream]:
    """The fake upstream, one per session. Tests should take `upstream` instead."""
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def upstream(upstream_server: FakeUpstream) -> Iterator[FakeUpstream]:
    """The fake upstream, reset: empty queues and history, default timing and models."""
    upstream_server.reset()
    yield upstream_server
    assert not upstream_server.errors, f"the fake upstream itself failed: {upstream_server.errors}"


@pytest.fixture
async def anthropic_client(upstream: FakeUpstream) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """`AsyncAnthropic` talking to the fake upstream, without SDK retries."""
    async with anthropic.AsyncAnthropic(
        api_key="test-key",
        base_url=upstream.anthropic_base_url,
        max_retries=0,
        timeout=5.0,
        http_client=anthropic.DefaultAsyncHttpxClient(verify=TLS_CONTEXT),
    ) as client:
        yield client


@pytest.fixture
async def openai_client(upstream: FakeUpstream) -> AsyncIterator[openai.AsyncOpenAI]:
    """`AsyncOpenAI` talking to the fake upstream, without SDK retries."""
    async with openai.AsyncOpenAI(
        api_key="test-key",
        base_url=upstream.openai_base_url,
        max_retries=0,
        timeout=5.0,
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS_CONTEXT),
    ) as client:
        yield client


# Database fixtures (tests/db_fixtures.py): `postgres`, `pg`, `sqlite_template`, `backend`,
# `database_url`, `db` and `fast_password_hashing`.
# Compile-check fixtures (tests/compile_fixtures.py): `mcs`, `unity_stubs`, `unity_project`,
# `project_files` and `unity_hub`.
from tests.compile_fixtures import (  # noqa: E402
    mcs,
    project_files,
    unity_hub,
    unity_project,
    unity_stubs,
)
from tests.db_fixtures import (  # noqa: E402
    backend,
    database_url,
    db,
    fast_password_hashing,
    pg,
    postgres,
    sqlite_template,
)

# Web fixtures (tests/web_support.py): `make_client`, several app instances on one database.
from tests.web_support import make_client, make_db_client  # noqa: E402

__all__ = [
    "backend",
    "database_url",
    "db",
    "fast_password_hashing",
    "make_client",
    "make_db_client",
    "mcs",
    "pg",
    "postgres",
    "project_files",
    "sqlite_template",
    "unity_hub",
    "unity_project",
    "unity_stubs",
]
