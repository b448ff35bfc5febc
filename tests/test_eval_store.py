"""Eval runs in the database, on SQLite and PostgreSQL: every generation is a history row
tagged with its run, and a run interrupted after k items resumes without duplicates to the
same final report."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from spark.config import Settings
from spark.db import Database
from spark.db.evals import list_eval_runs, save_eval_item
from spark.db.history import HistoryFilters, list_generations
from spark.db.models import EvalItem, GenerationRecord
from spark.db.users import get_or_create_user
from spark.errors import UsageError
from spark.eval.runner import EvalRunner, ItemResult, parse_models
from spark.eval.store import DatabaseEvalStore, check_resumable, load_report
from spark.eval.suite import Suite, load_suite
from spark.generation import Engine, GenerationRequest
from tests.eval_support import ITEMS, MODELS, SUITE_TOML, comparable, enqueue, expected
from tests.fakes.upstream import FakeUpstream
from tests.test_eval import no_sleep, settings_for


@pytest.fixture
def suite(tmp_path: Path) -> Suite:
    path = tmp_path / "suite.toml"
    path.write_text(SUITE_TOML, "utf-8")
    return load_suite(path)


async def user_id_of(db: Database, name: str = "local") -> int:
    async with db.session() as session:
        return (await get_or_create_user(session=session, username=name)).id


async def start(db: Database, suite: Suite, engine: Engine, run_id: str) -> DatabaseEvalStore:
    store = DatabaseEvalStore(db, run_id=run_id, user_id=await user_id_of(db))
    await store.create(suite, parse_models(",".join(MODELS), engine), 1)
    return store


def runner_for(engine: Engine, suite: Suite, store: DatabaseEvalStore, **kw: Any) -> EvalRunner:
    return EvalRunner(
        engine,
        suite,
        parse_models(",".join(MODELS), engine),
        store=store,
        concurrency=1,  # one model after the other: the interruption point is exact
        recorder_for=store.recorder_for,
        **kw,
    )


async def test_an_interrupted_run_resumes_to_the_same_report(
    db: Database, upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    for model in MODELS:
        enqueue(upstream, model)
    k = len(ITEMS) + 2  # the first model's items, and two of the second's
    async with Engine(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        store = await start(db, suite, engine, "run1")
        task: asyncio.Task[Any] | None = None
        seen: list[ItemResult] = []

        def stop_after_k(result: ItemResult) -> None:
            seen.append(result)
            if len(seen) == k and task is not None:
                task.cancel()  # as Ctrl-C does: the next generation is cancelled

        task = asyncio.ensure_future(runner_for(engine, suite, store, on_result=stop_after_k).run())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(await store.finished()) == k
        resumed = runner_for(engine, suite, store)
        progress = await resumed.run()
    assert progress.already == k
    assert sum(progress.done.values()) == len(ITEMS) * len(MODELS)
    async with db.session(read_only=True) as session:
        keys = (await session.execute(select(EvalItem.model, EvalItem.item_id))).all()
    assert len(keys) == len(set(keys)) == len(ITEMS) * len(MODELS)
    report = await load_report(db, "run1")
    assert report is not None
    for row, model in zip(report.to_json()["models"], MODELS, strict=True):
        assert comparable(row) == expected(model)
    assert upstream.anthropic.pending == [] and upstream.openai.pending == []


async def test_every_eval_generation_is_tagged_in_history(
    db: Database, upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    for model in MODELS:
        enqueue(upstream, model)
    async with Engine(settings_for(upstream, tmp_path), sleep=no_sleep) as engine:
        store = await start(db, suite, engine, "tagged")
        await runner_for(engine, suite, store).run()
        # A generation outside the eval, for the filters to tell apart.
        ordinary = GenerationRequest("a coin", provider="offline")
        async for _ in engine.generate(ordinary, recorder=store_recorder(db, store.user_id)):
            pass
    user = store.user_id
    async with db.session(user_id=user, read_only=True) as session:
        tagged = await list_generations(
            session=session, user_id=user, filters=HistoryFilters(eval_run_id="tagged")
        )
        only = await list_generations(
            session=session, user_id=user, filters=HistoryFilters(evals="only")
        )
        without = await list_generations(
            session=session, user_id=user, filters=HistoryFilters(evals="exclude")
        )
        history_ids = set(
            (await session.execute(select(EvalItem.history_id).where(EvalItem.run_id == "tagged")))
            .scalars()
            .all()
        )
    assert tagged.total == only.total == len(ITEMS) * len(MODELS)
    assert {r.id for r in tagged.items} == history_ids
    assert [r.prompt for r in without.items] == ["a coin"]
    by_status = {r.id: (r.status, r.error_kind) for r in tagged.items}
    assert sorted(s for s, _ in by_status.values()).count("failed") == len(MODELS)


def store_recorder(db: Database, user_id: int) -> Any:
    from spark.db.recorder import HistoryRecorder

    return HistoryRecorder(db, user_id=user_id)


async def test_resume_checks_the_run_and_its_suite(
    db: Database, upstream: FakeUpstream, suite: Suite, tmp_path: Path
) -> None:
    async with Engine(settings_for(upstream, tmp_path)) as engine:
        store = await start(db, suite, engine, "checked")
    info = await store.info()
    assert check_resumable(info, "checked", suite).models == MODELS
    with pytest.raises(UsageError, match="no eval run 'nope'"):
        check_resumable(None, "nope", suite)
    with pytest.raises(UsageError, match="another suite"):
        check_resumable(info, "checked", load_suite())


async def test_an_item_is_stored_once(db: Database, suite: Suite, tmp_path: Path) -> None:
    user = await user_id_of(db)
    store = DatabaseEvalStore(db, run_id="once", user_id=user)
    async with Engine(Settings(data_dir=tmp_path / "data")) as engine:
        await store.create(suite, parse_models("offline", engine), 1)
    result = ItemResult(model="offline:spark-templates", item_id="good", run=1, ok=True)
    await store.save(result)
    async with db.session() as session:  # a second write of the key (a race) changes nothing
        await save_eval_item(
            session=session,
            run_id="once",
            model=result.model,
            item_id="good",
            run=1,
            result={"ok": False, "error_message": "nul \x00 here"},
            history_id=None,
        )
    async with db.session(read_only=True) as session:
        count = (await session.execute(select(func.count()).select_from(EvalItem))).scalar()
        runs = await list_eval_runs(session=session)
    assert count == 1
    assert [(r.run.id, r.finished_items, r.planned_items) for r in runs] == [
        ("once", 1, len(ITEMS))
    ]
    report = await load_report(db, "once")
    assert report is not None and report.results[0].ok


def test_history_rows_know_nothing_of_evals_by_default() -> None:
    assert GenerationRecord.__table__.c.eval_run_id.nullable
