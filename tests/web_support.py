"""Helpers shared by the web tests: app + httpx client factory, SSE parsing, test keys."""

from __future__ import annotations

import json
from typing import Any

import httpx2

from spark.config import Settings
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


class WebClient(httpx2.AsyncClient):
    """An httpx client on the ASGI app, remembering every response for the key scan."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.responses: list[httpx2.Response] = []
        app = create_app(settings, engine=engine)
        super().__init__(
            transport=httpx2.ASGITransport(app=app),
            base_url="http://testserver",
            event_hooks={"response": [self._keep]},
        )

    async def _keep(self, response: httpx2.Response) -> None:
        await response.aread()
        self.responses.append(response)


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
