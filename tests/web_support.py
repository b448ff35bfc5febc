"""Helpers shared by the web tests: app + httpx client factory, SSE parsing, test keys."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from spark.config import Settings
from spark.db import Database
from spark.generation import Engine
from spark.web import create_app
from tests.fakes.upstream import FakeUpstream

# Look like real keys so a leak would be unmistakable; the fake accepts any non-empty key.
ANTHROPIC_KEY = "sk-ant-api03-WEBTEST-anthropic-9f8e7d6c5b4a"
OPENAI_KEY = "sk-proj-WEBTEST-openai-1a2b3c4d5e6f"
KEYS = (ANTHROPIC_KEY, OPENAI_KEY)

LAUNCH_MODELS = [
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-3-5-sonnet-20240620"),
    ("anthropic", "claude-3-haiku-20240307"),
    ("openai", "gpt-4"),
    ("openai", "gpt-4-turbo-preview"),
    ("openai", "gpt-3.5-turbo"),
]

XSS = "</script><img src=x onerror=alert(1)>"
XSS_REPLY = f"""Here you go.

```csharp
using UnityEngine;

// {XSS}
public class Hostile : MonoBehaviour
{{
    [SerializeField] private string label = "{XSS}";
}}
```
"""


def web_settings(upstream: FakeUpstream | None, *, keys: bool = True, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"read_timeout": 3.0}
    if upstream is not None and keys:
        values |= {
            "anthropic_api_key": ANTHROPIC_KEY,
            "openai_api_key": OPENAI_KEY,
            "anthropic_base_url": upstream.anthropic_base_url,
            "openai_base_url": upstream.openai_base_url,
        }
    values |= overrides
    return Settings(**values)


PASSWORD = "correct horse battery staple"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_names = itertools.count(1)


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}{next(_names)}"


def csrf_of(html: str) -> str:
    match = _CSRF_META.search(html)
    assert match, "the page has no CSRF <meta> tag"
    return match.group(1)


class WebClient(httpx2.AsyncClient):
    """An httpx client on the ASGI app (with its own handle on the app's SQLite database),
    remembering every response for the key scan."""

    def __init__(
        self, engine: Engine, settings: Settings, *, database: Database | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.database = database or Database.from_settings(settings)
        self.responses: list[httpx2.Response] = []
        self.app = create_app(settings, engine=engine, database=self.database)
        self.username = ""
        super().__init__(
            transport=httpx2.ASGITransport(app=self.app),
            base_url="http://testserver",
            event_hooks={"response": [self._keep]},
        )

    async def _keep(self, response: httpx2.Response) -> None:
        await response.aread()
        self.responses.append(response)

    async def db(self) -> Database:
        """The app's database, its schema made current (as on the app's first request)."""
        database: Database = await self.app.state.spark.database.get()
        return database

    async def csrf(self, path: str = "/signin") -> str:
        """The session's CSRF token, read from a page as a browser would."""
        response = await self.get(path)
        if response.status_code == 303:  # the sign-in page of someone signed in
            response = await self.get("/account")
        assert response.status_code == 200, response.text
        return csrf_of(response.text)

    async def form(self, path: str, data: dict[str, str]) -> httpx2.Response:
        """Post a form the way SPARK's pages do (with the CSRF field)."""
        return await self.post(path, data={"csrf_token": await self.csrf(), **data})

    async def sign_up(self, username: str | None = None, password: str = PASSWORD) -> None:
        """Create an account, sign in, and send the CSRF header from now on (as app.js)."""
        username = username or unique_name()
        response = await self.form(
            "/signup", {"username": username, "password": password, "confirm": password}
        )
        assert response.status_code == 303, response.text
        self.username = username
        self.headers["X-CSRF-Token"] = await self.csrf("/account")

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx2.Response:
        response = await self.form("/signin", {"username": username, "password": password})
        if response.status_code == 303:
            self.username = username
            self.headers["X-CSRF-Token"] = await self.csrf("/account")
        return response

    async def aclose(self) -> None:
        await super().aclose()
        await self.database.dispose()

    async def __aexit__(self, *exc_info: Any) -> None:
        await super().__aexit__(*exc_info)
        await self.database.dispose()


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` pairs of a text/event-stream body."""
    events = []
    for block in text.split("\n\n"):
        kind, data = "message", []
        for line in block.splitlines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if data:
            events.append((kind, json.loads("\n".join(data))))
    return events


MakeClient = Callable[..., Awaitable[WebClient]]


async def _clients(upstream: FakeUpstream, **base: Any) -> AsyncIterator[MakeClient]:
    """Makes clients on apps with ``base`` settings (retries without waiting); closes them."""
    clients: list[WebClient] = []

    async def no_sleep(seconds: float) -> None:
        return None

    async def make(*, signed_in: bool = True, **overrides: Any) -> WebClient:
        settings = web_settings(upstream, **(base | overrides))
        client = WebClient(Engine(settings, sleep=no_sleep), settings)
        clients.append(client)
        if signed_in:
            await client.sign_up()
        return client

    yield make
    for client in clients:
        await client.aclose()
        await client.engine.aclose()


@pytest.fixture
async def make_client(upstream: FakeUpstream) -> AsyncIterator[MakeClient]:
    """Clients on apps sharing one data folder (one database, one session key), like several
    instances of SPARK; the first to sign up is admin; ``settings`` overrides apply to that
    client's app only. Import it into a test module to use it."""
    async for make in _clients(upstream):
        yield make


@pytest.fixture
async def make_db_client(
    upstream: FakeUpstream, database_url: str, tmp_path: Path
) -> AsyncIterator[MakeClient]:
    """:func:`make_client` on the test's database (``database_url``: SQLite, and PostgreSQL
    as the app's role under row-level security)."""
    async for make in _clients(upstream, database_url=database_url, data_dir=tmp_path):
        yield make
