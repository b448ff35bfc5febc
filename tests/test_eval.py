"""`spark eval`'s runner and report end to end against the fake upstream: two models through the
SDKs' base URLs, a scripted mix of good, broken and failing replies (tests/eval_support.py),
and every figure of the report checked against what was scripted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from spark.config import Settings
from spark.errors import ConfigError, UsageError
from spark.eval.html import render_html
from spark.eval.report import build_report, item_score, model_report
from spark.eval.runner import EvalRunner, ItemResult, MemoryStore, kind_of, parse_models
from spark.eval.suite import Suite, load_suite
from spark.events import ErrorEvent
from spark.generation import Engine
from tests.eval_support import ITEMS, MODELS, SUITE_TOML, TTFT, comparable, enqueue, expected
from tests.fakes.upstream import FakeUpstream, Reply


def settings_for(upstream: FakeUpstream, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "anthropic_api_key": "test-key-anthropic-123",
        "openai_api_key": "test-key-openai-456",
        "anthropic_base_url": upstream.anthropic_base_url,
        "openai_base_url": upstream.openai_base_url,
        "read_timeout": 5.0,
        "data_dir": tmp_path / "data",
        "repair_rounds": 1,
        **overrides,
    }
    return Settings(**values)


async def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def suite(tmp_path: Path) -> Suite:
    path = tmp_path / "suite.toml"
    path.write_text(SUITE_TOML, "utf-8")
    return load_suite(path)


async def run_eval(engine: Engine, suite: Suite, store: MemoryStore, **options: Any) -> EvalRunner:
    runner = EvalRunner(
        engine, suite, parse_models(",".join(MODELS), engine), store=store, **options
    )
    await runner.run()
    return runner


def report_of(store: MemoryStore, suite: Suite) -> Any:
    return build_report(
        run_id="test",
        suite_name=suite.name,
        suite_digest=suite.digest,
        items=len(suite.items),
        runs=1,
        models=list(MODELS),
        status="finished",
        started="2026-12-03T00:00:00+00:00",
        results=store.results.values(),
    )


async def test_every_figure_of_the_report_matches_the_script(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    for model in MODELS:
        enqueue(upstream, model)
    store = MemoryStore()
    async with Engine(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        await run_eval(engine, suite, store, concurrency=2)
    report = report_of(store, suite).to_json()
    for row, model in zip(report["models"], MODELS, strict=True):
        assert comparable(row) == expected(model)
        # Timings are measured: each reply waited TTFT before its first text.
        assert row["ttft_p50_ms"] >= TTFT * 1000
    # Each generation's total includes its TTFT (the medians are over different sets: a
    # failure with no token has a total and no TTFT, so they need not be ordered).
    for result in report["results"]:
        if result["ttft_ms"] is not None:
            assert result["total_ms"] >= result["ttft_ms"] >= TTFT * 1000
    # Per item: what each scripted reply must have become.
    by_key = {(r["model"], r["item_id"]): r for r in report["results"]}
    for model in MODELS:
        assert by_key[(model, "repaired")]["repair_rounds"] == 1
        assert by_key[(model, "repaired")]["errors"] == 0
        assert by_key[(model, "broken")]["findings"][0].startswith("error CS-SYNTAX")
        assert by_key[(model, "autofix")]["fixes"] == 1
        assert by_key[(model, "autofix")]["class_name"] == "Mover"
        assert by_key[(model, "transient")]["attempts"] == 2
        assert by_key[(model, "refused")]["ok"] is False
        assert by_key[(model, "refused")]["ttft_ms"] is None
    # Nothing left queued, nothing unexpected asked: each model got its own replies.
    assert upstream.anthropic.pending == [] and upstream.openai.pending == []


async def test_a_budget_error_stops_that_model_and_others_go_on(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    """Spend limits (issue 16) answer with an error of kind ``budget``: the runner stops
    scheduling that model; its remaining items stay unfinished (a resume picks them up)."""

    class SpendLimit(UsageError):  # issue 16's error is not merged yet: only its kind counts
        kind = "budget"

    class BudgetEngine(Engine):
        async def generate(self, job: Any, **kw: Any) -> Any:  # type: ignore[override]
            request = job
            if request.provider == "anthropic" and request.prompt.endswith("repaired case."):
                error = SpendLimit("Your monthly spend limit is reached.")

                yield ErrorEvent(error, provider="anthropic", model="claude-sonnet-5-5")
                return
            async for event in super().generate(job, **kw):
                yield event

    enqueue(upstream, MODELS[0], ("good",))
    enqueue(upstream, MODELS[1])
    store = MemoryStore()
    async with BudgetEngine(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        runner = await run_eval(engine, suite, store, concurrency=1)
    assert runner.progress.stopped == {MODELS[0]: "Your monthly spend limit is reached."}
    done = sorted(k[1] for k in store.results if k[0] == MODELS[0])
    assert done == ["good", "repaired"]  # the budget failure is that item's outcome
    assert sum(1 for k in store.results if k[0] == MODELS[1]) == len(ITEMS)
    row = report_of(store, suite).models[0]
    assert row.failures == {"budget": 1}
    assert row.unfinished == len(ITEMS) - 2


async def test_a_rate_limit_of_sparks_own_is_waited_out(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    """SPARK's rate limits (issue 16) refuse with kind ``rate_limited`` and a ``retry_after``:
    the runner waits that long and asks again, and the item's outcome is the later answer."""

    class RateLimited(UsageError):
        kind = "rate_limited"

        def __init__(self, message: str, retry_after: float) -> None:
            super().__init__(message)
            self.retry_after = retry_after

    refusals = [7.0, 250.0]  # the second wait is capped at 60 s

    class Limited(Engine):
        async def generate(self, job: Any, **kw: Any) -> Any:  # type: ignore[override]
            if job.provider == "anthropic" and refusals:
                error = RateLimited("Too many requests this minute.", refusals.pop(0))
                yield ErrorEvent(error, provider="anthropic", model="claude-sonnet-5-5")
                return
            async for event in super().generate(job, **kw):
                yield event

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    enqueue(upstream, MODELS[0])
    store = MemoryStore()
    async with Limited(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        runner = EvalRunner(
            engine, suite, parse_models(MODELS[0], engine), store=store, sleep=sleep
        )
        await runner.run()
    assert waits == [7.0, 60.0]
    assert len(store.results) == len(ITEMS)
    # The refusals left no trace in the figures: the report is the scripted one.
    assert comparable(report_of(store, suite).models[0].to_json()) == expected(MODELS[0])


def test_an_error_kind_the_report_does_not_know_is_a_failure_under_its_name() -> None:
    class Odd(UsageError):
        kind = "brand_new_kind"

    assert kind_of(Odd("x")) == "brand_new_kind"
    assert kind_of(UsageError("x")) == "usage"
    assert kind_of(ConfigError("x")) == "config"
    result = ItemResult(model="m", item_id="i", run=1, ok=False, error_kind="brand_new_kind")
    assert item_score(result) == 0
    report = build_report(
        run_id="r", suite_name="s", suite_digest="d", items=1, runs=1, models=["m"],
        status="finished", started="", results=[result],
    )  # fmt: skip
    assert report.models[0].failures == {"brand_new_kind": 1}


@pytest.mark.parametrize(
    ("rounds", "warnings", "errors", "compile", "score"),
    [
        (0, 0, 0, "not checked", 1.0),
        (1, 0, 0, "ok", 0.75),
        (0, 2, 0, "ok", 0.9),
        (0, 9, 0, "ok", 0.8),  # warnings count up to 4
        (3, 4, 0, "ok", 0.3),  # never below 0.3 for a good script
        (0, 0, 1, "not checked", 0.2),
        (0, 0, 0, "failed", 0.2),
    ],
)
def test_item_score(rounds: int, warnings: int, errors: int, compile: str, score: float) -> None:
    result = ItemResult(
        model="m", item_id="i", run=1, ok=True, repair_rounds=rounds, warnings=warnings,
        errors=errors, compile=compile,
    )  # fmt: skip
    assert item_score(result) == pytest.approx(score)


def test_item_results_survive_json() -> None:
    result = ItemResult(
        model="m", item_id="i", run=2, ok=True, findings=("a", "b"), cost_usd=Decimal("0.1"),
        ttft_ms=12, total_ms=40, compile="ok",
    )  # fmt: skip
    assert ItemResult.from_json(result.to_json()) == result


async def test_models_are_checked_before_anything_runs(upstream: FakeUpstream, tmp_path) -> None:
    settings = settings_for(upstream, tmp_path, openai_api_key=None)
    async with Engine(settings) as engine:
        with pytest.raises(UsageError, match=r"(?i)unknown provider"):
            parse_models("nosuch:model", engine)
        with pytest.raises(ConfigError):
            parse_models("openai:gpt-6.2-sol", engine)
        with pytest.raises(UsageError, match="listed twice"):
            parse_models("anthropic:claude-sonnet-5-5,anthropic:claude-sonnet-5-5", engine)
        with pytest.raises(UsageError, match="No model"):
            parse_models(" , ", engine)
        assert [m.label for m in parse_models("offline", engine)] == ["offline:spark-templates"]
    assert upstream.anthropic.history == [] and upstream.openai.history == []


async def test_the_html_report_is_self_contained_and_escaped(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    hostile = '<script>alert("x")</script>'
    result = ItemResult(
        model=MODELS[0], item_id="good", run=1, ok=False, error_kind="server",
        error_message=hostile,
    )  # fmt: skip
    report = build_report(
        run_id="r1", suite_name=hostile, suite_digest="d", items=1, runs=1,
        models=[MODELS[0]], status="finished", started="now", results=[result],
    )  # fmt: skip
    page = render_html(report)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    for external in ("http://", "https://", "src=", "<link"):
        assert external not in page.replace("http://www.w3.org/", "")


async def test_runs_repeat_each_prompt(upstream: FakeUpstream, tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text('[[item]]\nid = "a"\ndifficulty = "hard"\nprompt = "a coin"\n', "utf-8")
    store = MemoryStore()
    async with Engine(Settings(data_dir=tmp_path / "d")) as engine:
        runner = EvalRunner(
            engine, load_suite(path), parse_models("offline", engine), store=store, runs=3
        )
        await runner.run()
    assert sorted(store.results) == [("offline:spark-templates", "a", n) for n in (1, 2, 3)]
    assert all(r.ok and r.usable for r in store.results.values())


async def test_concurrency_bounds_the_models_running_at_once(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    running: set[str] = set()
    most = 0

    class Counting(Engine):
        async def generate(self, job: Any, **kw: Any) -> Any:  # type: ignore[override]
            nonlocal most
            running.add(job.provider)
            most = max(most, len(running))
            await asyncio.sleep(0.01)
            async for event in super().generate(job, **kw):
                yield event
            running.discard(job.provider)

    for model in MODELS:
        enqueue(upstream, model)
    async with Counting(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        await run_eval(engine, suite, MemoryStore(), concurrency=1)
    assert most == 1


COMPILE_BROKEN = """```csharp
using UnityEngine;
using Fixture.Combat;

public class EnemyFloor : MonoBehaviour
{
    [SerializeField] private Health health;

    private void Update()
    {
        transform.position.y = 0f;
        if (health.IsDead) Destroy(gameObject);
    }
}
```"""
COMPILE_FIXED = COMPILE_BROKEN.replace(
    "        transform.position.y = 0f;\n",
    "        Vector3 position = transform.position;\n        position.y = 0f;\n"
    "        transform.position = position;\n",
)


async def test_compile_figures_in_a_unity_project(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    """With a project and a compiler (mcs; required under SPARK_REQUIRE_COMPILER=1): a script
    that compiles, one whose compile error the repair round fixes, one that never compiles."""
    from spark.unity.target import resolve_target

    path = tmp_path / "s.toml"
    path.write_text(
        "".join(
            f'[[item]]\nid = "{i}"\ndifficulty = "medium"\nprompt = "keep enemies down {i}"\n'
            for i in ("compiles", "repaired", "never")
        ),
        "utf-8",
    )
    calls = [
        (COMPILE_FIXED, 100, 10),
        (COMPILE_BROKEN, 200, 20),
        (COMPILE_FIXED, 300, 30),
        (COMPILE_BROKEN, 400, 40),
        (COMPILE_BROKEN, 500, 50),
    ]
    upstream.anthropic.enqueue(
        *(Reply(text, input_tokens=i, output_tokens=o) for text, i, o in calls)
    )
    settings = settings_for(upstream, tmp_path)
    store = MemoryStore()
    async with Engine(settings, sleep=no_sleep) as engine:
        runner = EvalRunner(
            engine,
            load_suite(path),
            parse_models(MODELS[0], engine),
            store=store,
            target=resolve_target(settings, project=unity_project),
        )
        await runner.run()
    results = {r.item_id: r for r in store.results.values()}
    assert [results[i].compile for i in ("compiles", "repaired", "never")] == [
        "ok",
        "ok",
        "failed",
    ]
    assert [results[i].repair_rounds for i in ("compiles", "repaired", "never")] == [0, 1, 1]
    assert results["never"].compile_errors >= 1 and results["never"].errors == 0
    row = model_report(MODELS[0], 3, list(store.results.values()))
    assert (row.compile_checked, row.compiled, row.compile_failed) == (3, 2, 1)
    assert row.compile_text == "2/3"
    assert (row.scripts, row.valid, row.good) == (3, 3, 2)
    assert (row.input_tokens, row.output_tokens) == (1500, 150)
    # $2 / $10 per million tokens (the catalog's price for claude-sonnet-5-5).
    assert row.cost_usd == Decimal("0.004500")
    assert row.cost_per_good == Decimal("0.002250")
    assert row.score == round(100 * (1 + 0.75 + 0.2) / 3, 1)


async def test_a_store_that_fails_stops_every_lane_with_its_error(
    upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    class Broken(MemoryStore):
        async def save(self, result: ItemResult) -> None:
            if result.model == MODELS[1]:
                raise OSError("disk full")
            await super().save(result)

    for model in MODELS:
        enqueue(upstream, model)
    store = Broken()
    async with Engine(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        with pytest.raises(OSError, match="disk full"):
            await run_eval(engine, suite, store, concurrency=2)
        # The other lane was stopped too, not left generating in the background.
        stopped_at = len(store.results)
        await asyncio.sleep(1.0)
        assert len(store.results) == stopped_at < len(ITEMS)
