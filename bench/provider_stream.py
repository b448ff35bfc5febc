"""Client CPU of one streamed provider call: SPARK's providers, the SDKs' parsed streams, httpx.

Against the fake upstream in its own process (``bench/gateway_procs.py``: the 25-line reply,
no delays), N streamed calls each way, alternating in blocks, per provider:

- ``provider.stream``: SPARK's provider (the SDK sends the request, SPARK reads the SSE body);
- the SDK's parsed stream (``messages.create(stream=True)``, ``chat.completions.create``), a
  pydantic model per event - what the providers did before they read the body themselves;
- bare ``httpx2``, reading ``data:`` lines: the floor for a call from Python.

CPU is this process's user + system time (the fake runs in another), per call.

    .venv/bin/python bench/provider_stream.py [--n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic
import httpx2
import openai
from rich.console import Console
from rich.table import Table

from gateway_procs import FakeProcess
from spark.providers.anthropic import AnthropicProvider
from spark.providers.base import ChatMessage, StreamOptions
from spark.providers.openai import OpenAIProvider

ANTHROPIC_MODEL = "claude-sonnet-5-5"
OPENAI_MODEL = "gpt-6.2-sol"
PROMPT = "an enemy that patrols between waypoints"
SYSTEM = "You are SPARK."
BLOCK = 20

Call = Callable[[], Awaitable[str]]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def through_provider(provider: AnthropicProvider | OpenAIProvider, model: str) -> str:
    options = StreamOptions(system=SYSTEM, max_tokens=4096)
    return "".join(
        [c.text async for c in provider.stream([ChatMessage("user", PROMPT)], model, options)]
    )


async def sdk_anthropic(client: anthropic.AsyncAnthropic) -> str:
    stream = await client.messages.create(
        model=ANTHROPIC_MODEL,
        max_tokens=4096,
        system=SYSTEM,
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
    )
    text = []
    async with stream:
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text.append(event.delta.text)
    return "".join(text)


async def sdk_openai(client: openai.AsyncOpenAI) -> str:
    stream = await client.chat.completions.create(
        model=OPENAI_MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
        max_completion_tokens=4096,
        stream=True,
        stream_options={"include_usage": True},
    )
    text = []
    async with stream:
        async for chunk in stream:
            for choice in chunk.choices:
                text.append(choice.delta.content or "")
    return "".join(text)


async def bare(
    http: httpx2.AsyncClient, path: str, body: dict[str, Any], text: Callable[[Any], str]
) -> str:
    out = []
    async with http.stream("POST", path, json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                out.append(text(json.loads(line[6:])))
    return "".join(out)


def _anthropic_text(event: dict[str, Any]) -> str:
    return event["delta"].get("text", "") if event["type"] == "content_block_delta" else ""


def _openai_text(chunk: dict[str, Any]) -> str:
    return "".join(c["delta"].get("content") or "" for c in chunk["choices"])


async def measure(n: int, calls: dict[str, Call]) -> dict[str, float]:
    results = {name: await call() for name, call in calls.items()}
    assert len(set(results.values())) == 1, "the ways disagree on the reply"
    for _ in range(10):  # warm every connection pool
        for call in calls.values():
            await call()
    spent = dict.fromkeys(calls, 0.0)
    for _ in range(max(1, n // BLOCK)):
        for name, call in calls.items():
            start = cpu()
            for _ in range(BLOCK):
                await call()
            spent[name] += cpu() - start
    return {name: total / (max(1, n // BLOCK) * BLOCK) for name, total in spent.items()}


async def main(n: int) -> None:
    fake = FakeProcess(port=0, ttft=0.0, chunk_delay=0.0, latency=0.0)
    try:
        a_client = anthropic.AsyncAnthropic(api_key="k", base_url=fake.url, max_retries=0)
        o_client = openai.AsyncOpenAI(api_key="k", base_url=f"{fake.url}/v1", max_retries=0)
        a_http = httpx2.AsyncClient(
            base_url=fake.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}
        )
        o_http = httpx2.AsyncClient(base_url=fake.url, headers={"authorization": "Bearer k"})
        a_body = {
            "model": ANTHROPIC_MODEL,
            "max_tokens": 4096,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
        }
        o_body = {
            "model": OPENAI_MODEL,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": PROMPT},
            ],
            "max_completion_tokens": 4096,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        claude, gpt = AnthropicProvider(a_client), OpenAIProvider(o_client)
        runs = {
            "anthropic": await measure(
                n,
                {
                    "provider.stream": lambda: through_provider(claude, ANTHROPIC_MODEL),
                    "SDK parsed stream": lambda: sdk_anthropic(a_client),
                    "bare httpx2": lambda: bare(a_http, "/v1/messages", a_body, _anthropic_text),
                },
            ),
            "openai": await measure(
                n,
                {
                    "provider.stream": lambda: through_provider(gpt, OPENAI_MODEL),
                    "SDK parsed stream": lambda: sdk_openai(o_client),
                    "bare httpx2": lambda: bare(
                        o_http, "/v1/chat/completions", o_body, _openai_text
                    ),
                },
            ),
        }
        for closing in (a_client.close(), o_client.close(), a_http.aclose(), o_http.aclose()):
            await closing
    finally:
        fake.stop()
    ways = ("provider.stream", "SDK parsed stream", "bare httpx2")
    table = Table(title=f"Client CPU per streamed call ({n} calls each way, alternating)")
    for column in ("provider", *ways):
        table.add_column(column, justify="right")
    for provider, per_call in runs.items():
        table.add_row(provider, *(f"{per_call[way] * 1000:.2f} ms" for way in ways))
    Console(width=120).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="calls per way and provider")
    asyncio.run(main(parser.parse_args().n))
