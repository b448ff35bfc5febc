"""Latency SPARK's engine adds on top of a direct SDK call, against the fake upstream.

Runs N generations through ``spark.generation.Engine`` and N identical requests made directly
with the official SDK, interleaved, against the fake upstream with a fixed latency, and prints
p50/p99 of the added total time and of the added time-to-first-token. The engine path includes
everything a user pays for: model resolution, streaming, code extraction and validation.

    .venv/bin/python bench/overhead.py [--n 200] [--latency 0.02]

Target (issue 2): ≤ 2 ms p50 added latency.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anthropic
import openai
from rich.console import Console
from rich.table import Table
from tests.fakes.upstream import FakeUpstream

from spark.config import Settings
from spark.events import DoneEvent, ErrorEvent, TokenEvent
from spark.generation import Engine, GenerationRequest

ANTHROPIC_MODEL = "claude-sonnet-5-5"
OPENAI_MODEL = "gpt-6.2-sol"
SYSTEM = "You are SPARK."
PROMPT = "a coin that spins"

Timing = tuple[float, float]  # (time to first token, total), seconds


async def direct_anthropic(
    client: anthropic.AsyncAnthropic, *, prompt: str = PROMPT, system: str = SYSTEM
) -> Timing:
    """One streamed Messages call with the official SDK: (time to first token, total)."""
    start = time.perf_counter()
    first = None
    stream = await client.messages.create(
        model=ANTHROPIC_MODEL,
        max_tokens=4096,
        system=system,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
    )
    async with stream:
        async for event in stream:
            if event.type == "content_block_delta" and first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - start, end - start


async def direct_openai(client: openai.AsyncOpenAI) -> Timing:
    start = time.perf_counter()
    first = None
    stream = await client.chat.completions.create(
        model=OPENAI_MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
        max_completion_tokens=4096,
        stream=True,
        stream_options={"include_usage": True},
    )
    async with stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content and first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - start, end - start


async def through_engine(engine: Engine, provider: str, model: str) -> Timing:
    start = time.perf_counter()
    first = None
    async for event in engine.generate(GenerationRequest(PROMPT, provider=provider, model=model)):
        if isinstance(event, TokenEvent) and first is None:
            first = time.perf_counter()
        elif isinstance(event, ErrorEvent):
            raise RuntimeError(event.error.message)
        elif isinstance(event, DoneEvent):
            break
    end = time.perf_counter()
    return (first or end) - start, end - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    n: int,
    engine_call: Callable[[], Awaitable[Timing]],
    direct_call: Callable[[], Awaitable[Timing]],
) -> dict[str, list[float]]:
    for _ in range(5):  # warm both connection pools and caches
        await engine_call()
        await direct_call()
    out: dict[str, list[float]] = {"e_ttft": [], "e_total": [], "d_ttft": [], "d_total": []}
    for i in range(n):
        order = (engine_call, direct_call) if i % 2 == 0 else (direct_call, engine_call)
        for call in order:
            ttft, total = await call()
            prefix = "e" if call is engine_call else "d"
            out[f"{prefix}_ttft"].append(ttft)
            out[f"{prefix}_total"].append(total)
    return out


async def main(n: int, latency: float) -> None:
    table = Table(
        title=f"SPARK engine overhead — {n} runs each, upstream latency {latency * 1000:.0f} ms"
    )
    for column in (
        "provider",
        "direct p50",
        "engine p50",
        "added p50",
        "added p99",
        "added TTFT p50",
        "added TTFT p99",
    ):
        table.add_column(column, justify="right")
    with FakeUpstream() as up:
        up.anthropic.latency = latency
        up.openai.latency = latency
        settings = Settings(
            anthropic_api_key="bench-key",
            openai_api_key="bench-key",
            anthropic_base_url=up.anthropic_base_url,
            openai_base_url=up.openai_base_url,
        )
        a_client = anthropic.AsyncAnthropic(
            api_key="bench-key", base_url=up.anthropic_base_url, max_retries=0
        )
        o_client = openai.AsyncOpenAI(
            api_key="bench-key", base_url=up.openai_base_url, max_retries=0
        )
        async with Engine(settings) as engine:
            runs = {
                "anthropic": await measure(
                    n,
                    lambda: through_engine(engine, "anthropic", ANTHROPIC_MODEL),
                    lambda: direct_anthropic(a_client),
                ),
                "openai": await measure(
                    n,
                    lambda: through_engine(engine, "openai", OPENAI_MODEL),
                    lambda: direct_openai(o_client),
                ),
            }
        await a_client.close()
        await o_client.close()
    ms = 1000.0
    for provider, r in runs.items():
        added = [e - d for e, d in zip(r["e_total"], r["d_total"], strict=True)]
        added_ttft = [e - d for e, d in zip(r["e_ttft"], r["d_ttft"], strict=True)]
        table.add_row(
            provider,
            f"{statistics.median(r['d_total']) * ms:.2f} ms",
            f"{statistics.median(r['e_total']) * ms:.2f} ms",
            f"{statistics.median(added) * ms:.2f} ms",
            f"{pct(added, 0.99) * ms:.2f} ms",
            f"{statistics.median(added_ttft) * ms:.2f} ms",
            f"{pct(added_ttft, 0.99) * ms:.2f} ms",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="generations per path and provider")
    parser.add_argument("--latency", type=float, default=0.02, help="upstream latency, seconds")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.latency))
