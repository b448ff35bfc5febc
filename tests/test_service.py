"""The service face adapters call: ``Engine.prepare`` → ``Plan`` → ``Engine.generate(plan)``, and
the questions (models overview, default choice, system prompt, cost estimate), against the fake
upstream and, for recorded refusals, a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spark.db.engine import Database
from spark.db.recorder import HistoryRecorder
from spark.errors import ConfigError, UsageError
from spark.estimate import estimate_tokens
from spark.events import DoneEvent
from spark.generation import Engine, GenerationRequest, Plan
from spark.unity.prompts import SYSTEM_PROMPT_VERSION
from spark.unity.target import UnityTarget, resolve_target
from tests.fakes.upstream import FakeUpstream
from tests.test_db_recorder import new_user, only_row
from tests.test_generation import generations, model_listings, settings_for


@pytest.fixture
def make_engine(upstream: FakeUpstream):
    def make(**overrides: Any) -> Engine:
        return Engine(settings_for(upstream, **overrides))

    return make


async def test_prepare_resolves_once_and_generate_follows_the_plan(make_engine, upstream) -> None:
    upstream.openai.models = ["gpt-7-preview"]
    # No cache: every resolution of this model (not in the catalog) would ask /v1/models.
    engine = make_engine(models_cache_seconds=0, max_output_tokens=777)
    target = UnityTarget(unity_version="2022.3", input_system="new")
    async with engine:
        plan = await engine.prepare(
            GenerationRequest("a coin", provider="openai", model="gpt-7-preview", target=target)
        )
        assert isinstance(plan, Plan)
        assert (plan.provider, plan.model, plan.target) == ("openai", "gpt-7-preview", target)
        assert plan.options.max_tokens == 777
        assert plan.system_prompt == engine.system_prompt(target, "a coin")
        assert "Unity 2022.3" in plan.system_prompt and "Keyboard.current" in plan.system_prompt
        assert plan.start.provider == "openai" and plan.start.model == "gpt-7-preview"
        assert plan.start.system_prompt_version == SYSTEM_PROMPT_VERSION
        events = [e async for e in engine.generate(plan)]
    assert isinstance(events[-1], DoneEvent) and events[-1].result.model == "gpt-7-preview"
    assert len(model_listings(upstream.openai)) == 1  # resolved once, by prepare
    [sent] = generations(upstream.openai)
    assert sent.body["messages"][0] == {"role": "system", "content": plan.system_prompt}
    assert sent.body["max_completion_tokens"] == 777


async def test_prepare_fills_in_the_configured_defaults(make_engine) -> None:
    engine = make_engine(default_provider="openai", default_model="gpt-6.1-terra")
    plan = await engine.prepare(GenerationRequest("a coin"))
    assert (plan.provider, plan.model) == ("openai", "gpt-6.1-terra")
    other = await engine.prepare(GenerationRequest("a coin", provider="anthropic"))
    assert other.model == engine.catalog.default_model("anthropic").id
    assert engine.planned(GenerationRequest("a coin")).model == "gpt-6.1-terra"


async def test_prepare_refuses_with_what_to_fix(make_engine) -> None:
    engine = make_engine(openai_api_key=None)
    with pytest.raises(UsageError, match="empty"):
        await engine.prepare(GenerationRequest("   "))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        await engine.prepare(GenerationRequest("a coin", provider="openai"))
    with pytest.raises(UsageError, match="Unknown provider"):
        await engine.prepare(GenerationRequest("a coin", provider="nope"))


async def test_a_refusal_is_recorded_but_a_bad_prompt_is_not(
    make_engine, upstream, db: Database
) -> None:
    user_id = await new_user(db)
    engine = make_engine()
    with pytest.raises(UsageError):
        await engine.prepare(GenerationRequest(""), refusal=HistoryRecorder(db, user_id=user_id))
    with pytest.raises(UsageError, match="Unknown model 'gpt-99'"):
        await engine.prepare(
            GenerationRequest("a coin", provider="openai", model="gpt-99"),
            refusal=HistoryRecorder(db, user_id=user_id),
        )
    await engine.aclose()
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.provider, row.model) == (
        "failed",
        "usage",
        "openai",
        "gpt-99",
    )
    assert generations(upstream.openai) == []


async def test_models_overview_says_what_is_available_and_how_to_enable_the_rest(
    make_engine, upstream
) -> None:
    upstream.anthropic.models = ["claude-sonnet-5-5", "claude-new-6"]
    engine = make_engine(openai_api_key=None)
    async with engine:
        overview = {p.id: p for p in await engine.models.overview()}
        assert list(overview) == [p.id for p in engine.catalog.providers]
        assert overview["anthropic"].available and overview["anthropic"].live
        assert "claude-new-6" in [m.id for m in overview["anthropic"].models]
        assert not overview["openai"].available and not overview["openai"].live
        assert "OPENAI_API_KEY" in overview["openai"].how_to_enable
        assert overview["offline"].available
        [only] = await engine.models.overview("offline")
        assert only.id == "offline"
        with pytest.raises(UsageError, match="Unknown provider"):
            await engine.models.overview("nope")
    assert engine.models.available_providers() == ["anthropic", "offline"]


async def test_default_choice_keeps_a_usable_saved_choice_only(make_engine, upstream) -> None:
    engine = make_engine(openai_api_key=None, default_provider="anthropic")
    anthropic_default = engine.catalog.default_model("anthropic").id
    async with engine:
        saved = await engine.models.default_choice("anthropic", {"anthropic": "claude-opus-5-5"})
        assert (saved.provider, saved.model) == ("anthropic", "claude-opus-5-5")
        gone = await engine.models.default_choice("anthropic", {"anthropic": "claude-gone-1"})
        assert (gone.provider, gone.model) == ("anthropic", anthropic_default)
        # openai has no key: the configured default instead
        fallback = await engine.models.default_choice("openai", {"openai": "gpt-6.2-sol"})
        assert (fallback.provider, fallback.model) == ("anthropic", anthropic_default)
    offline = make_engine(anthropic_api_key=None, default_provider="anthropic")
    choice = await offline.models.default_choice()
    assert (choice.provider, choice.model) == (
        "offline",
        offline.catalog.default_model("offline").id,
    )


def test_estimate_counts_the_system_prompt_and_checks_its_input(make_engine) -> None:
    engine = make_engine(max_prompt_chars=50, openai_api_key=None)
    report = engine.estimate(prompt="a coin that spins", output_tokens=100)
    assert report.system_prompt_tokens == estimate_tokens(engine.system_prompt())
    assert {r.provider for r in report.rows if not r.available} == {"openai", "openai_compat"}
    only = engine.estimate(prompt_tokens=10, provider="anthropic")
    assert {r.provider for r in only.rows} == {"anthropic"}
    with pytest.raises(UsageError, match="longer than 50 characters"):
        engine.estimate(prompt="x" * 51)
    with pytest.raises(UsageError, match="Unknown provider"):
        engine.estimate(prompt_tokens=10, provider="nope")


COIN = """using System.Collections;
public class Coin : MonoBehaviour
{
    void OnTriggerEnter(Collider other)
    {
        if (other.tag == "Player") Destroy(gameObject);
    }
}
"""


def test_validate_checks_for_the_target_and_fixes_on_request(make_engine) -> None:
    engine = make_engine()
    code, report = engine.validate(COIN)
    assert code == COIN and not report.ok
    assert {d.rule_id for d in report.diagnostics} >= {"SPK004", "SPK009"}
    fixed, after = engine.validate(COIN, fix=True)
    assert after.ok and [f.rule_id for f in after.fixed] == ["SPK004", "SPK009"]
    assert fixed.startswith("using UnityEngine;\n") and 'CompareTag("Player")' in fixed
    jump = COIN.replace(
        "void OnTriggerEnter",
        "void Update() { if (Input.GetKey(KeyCode.Space)) {} }\n    void OnTriggerEnter",
    )
    assert "SPK022" not in {d.rule_id for d in engine.validate(jump)[1].diagnostics}
    new_input = UnityTarget(input_system="new")  # the target's rules apply: no legacy Input
    assert "SPK022" in {d.rule_id for d in engine.validate(jump, target=new_input)[1].diagnostics}


async def test_compile_check_compiles_in_the_project_or_says_why_not(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    engine = Engine(settings_for(upstream, data_dir=tmp_path / "data"))
    target = resolve_target(engine.settings, project=unity_project)
    broken = (
        "using UnityEngine;\npublic class Floor : MonoBehaviour\n"
        "{\n    void Update() { transform.position.y = 0f; }\n}\n"
    )
    report = await engine.compile_check(broken, target=target)
    assert report.status == "failed" and report.errors
    assert report.errors[0].rule_id == "CS1612"  # a property's struct, not a variable
    ok = await engine.compile_check(broken.replace("transform.position.y = 0f;", ""), target=target)
    assert ok.status == "ok"
    # No project and no compiler to find: the report says why instead of pretending.
    bare = Engine(settings_for(upstream, data_dir=tmp_path / "bare", csc="/nonexistent/csc"))
    skipped = await bare.compile_check(broken)
    assert skipped.skipped and skipped.notes
