"""Project-aware generation end to end against the fake upstream: the system prompt describes
the user's project, the compile check runs after validation, and compile errors feed the repair
round like syntax errors (the scripted second reply fixes them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spark.config import Settings
from spark.events import CompileEvent, DoneEvent, RepairEvent, ValidationEvent
from spark.generation import Engine, GenerationRequest
from spark.unity.project_write import plan_destination
from spark.unity.target import resolve_target
from tests.fakes.upstream import FakeUpstream, Reply

MODEL = "claude-sonnet-5-5"
# Valid syntax that passes the validator, but does not compile: a struct returned by a property.
BROKEN = """```csharp
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
FIXED = """```csharp
using UnityEngine;
using Fixture.Combat;

public class EnemyFloor : MonoBehaviour
{
    [SerializeField] private Health health;

    private void Update()
    {
        Vector3 position = transform.position;
        position.y = 0f;
        transform.position = position;
        if (health.IsDead) Destroy(gameObject);
    }
}
```"""


def engine_for(upstream: FakeUpstream, tmp_path: Path, **overrides: Any) -> Engine:
    values: dict[str, Any] = {
        "anthropic_api_key": "test-key",
        "anthropic_base_url": upstream.anthropic_base_url,
        "read_timeout": 5.0,
        "data_dir": tmp_path / "data",
        **overrides,
    }
    return Engine(Settings(**values))


async def generate(engine: Engine, request: GenerationRequest) -> list[Any]:
    async with engine:
        return [event async for event in engine.generate(request)]


def ask(settings: Settings, project: Path | None, prompt: str = "keep enemies on the floor"):
    target = resolve_target(settings, project=project)
    return GenerationRequest(prompt, provider="anthropic", model=MODEL, target=target)


async def test_the_repair_round_fixes_a_compile_error(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    upstream.anthropic.enqueue(Reply(BROKEN), Reply(FIXED))
    engine = engine_for(upstream, tmp_path)
    events = await generate(engine, ask(engine.settings, unity_project))
    kinds = [e.type for e in events if e.type != "token"]
    assert kinds == ["validation", "compile", "repair", "validation", "compile", "done"]
    first, second = (e.report for e in events if isinstance(e, CompileEvent))
    assert [(d.rule_id, d.line) for d in first.errors] == [("CS1612", 10)]
    assert second.status == "ok" and second.errors == ()
    assert all(e.report.ok for e in events if isinstance(e, ValidationEvent))
    repair = next(e for e in events if isinstance(e, RepairEvent))
    assert "CS1612" in repair.findings and "transform.position.y = 0f;" in repair.findings
    assert "No errors or warnings" not in repair.findings  # only the compiler had findings
    sent = upstream.anthropic.last.body["messages"][-1]["content"]
    assert "C# compiler" in sent and "CS1612" in sent
    done = events[-1]
    assert isinstance(done, DoneEvent)
    assert done.result.repair_rounds == 1
    assert "Vector3 position = transform.position;" in done.result.code
    assert done.result.compile is second


async def test_the_system_prompt_describes_the_project(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    upstream.anthropic.enqueue(Reply(FIXED))
    engine = engine_for(upstream, tmp_path, unity_version="6000.0", input_system="legacy")
    await generate(engine, ask(engine.settings, unity_project, "an enemy that heals over time"))
    system = upstream.anthropic.last.body["system"]
    if isinstance(system, list):
        system = "".join(part["text"] for part in system)
    assert "Unity 2022.3.10f1" in system and "Unity 6000.0" not in system
    assert "accepts both input back-ends" in system  # the project's setting, not SPARK's
    assert "Packages: URP 14.0.8, Input System 1.7.0, TextMeshPro 3.0.6" in system
    assert "Cinemachine 2: namespace `Cinemachine`" in system
    assert "- class Fixture.Combat.Health : MonoBehaviour, IDamageable" in system
    assert "void Heal(float amount, bool overheal)" in system
    assert "FixtureMenu" not in system  # Editor scripts are not for game code


async def test_a_clean_script_is_compiled_once_and_not_repaired(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    upstream.anthropic.enqueue(Reply(FIXED))
    engine = engine_for(upstream, tmp_path)
    events = await generate(engine, ask(engine.settings, unity_project))
    assert [e.type for e in events if e.type != "token"] == ["validation", "compile", "done"]
    assert len([r for r in upstream.anthropic.history if r.path.endswith("/messages")]) == 1


async def test_the_destination_file_is_replaced_not_a_collision(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    scripts = unity_project / "Assets" / "Scripts" / "SPARK"
    scripts.mkdir()
    (scripts / "EnemyFloor.cs").write_text("public class EnemyFloor { }\n")
    upstream.anthropic.enqueue(Reply(FIXED), Reply(FIXED))
    engine = engine_for(upstream, tmp_path)
    request = ask(engine.settings, unity_project)
    events = await generate(engine, request)
    compiled = next(e.report for e in events if isinstance(e, CompileEvent))
    assert [d.rule_id for d in compiled.errors] == ["SPK-PROJECT"]  # elsewhere: a collision
    destination = plan_destination(unity_project, folder="Scripts/SPARK")
    replacing = GenerationRequest(
        request.prompt,
        provider="anthropic",
        model=MODEL,
        target=request.target,
        destination=destination,
    )
    events = await generate(engine_for(upstream, tmp_path), replacing)
    compiled = next(e.report for e in events if isinstance(e, CompileEvent))
    assert compiled.status == "ok"


async def test_without_a_project_or_unity_references_nothing_is_compiled(
    upstream: FakeUpstream, tmp_path: Path, mcs: str
) -> None:
    upstream.anthropic.enqueue(Reply(BROKEN))
    engine = engine_for(upstream, tmp_path, repair_rounds=0)
    events = await generate(engine, ask(engine.settings, None))
    assert not any(isinstance(e, CompileEvent) for e in events)
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.result.compile is None


async def test_compile_checks_can_be_turned_off(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path
) -> None:
    upstream.anthropic.enqueue(Reply(BROKEN))
    engine = engine_for(upstream, tmp_path, compile_check=False, repair_rounds=0)
    events = await generate(engine, ask(engine.settings, unity_project))
    assert not any(isinstance(e, CompileEvent) for e in events)


async def test_no_compiler_is_a_notice_not_a_failure(
    upstream: FakeUpstream, unity_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    upstream.anthropic.enqueue(Reply(BROKEN))
    engine = engine_for(upstream, tmp_path)
    events = await generate(engine, ask(engine.settings, unity_project))
    compiled = next(e.report for e in events if isinstance(e, CompileEvent))
    assert compiled.status == "skipped"
    assert compiled.summary().startswith("compile check skipped: no C# compiler found")
    assert not any(isinstance(e, RepairEvent) for e in events)
    assert isinstance(events[-1], DoneEvent)
