"""Eval runs (``spark eval``) and their finished items: repository functions.

A run is created when ``spark eval`` starts, each finished item is written the moment it is
known (so a run stopped by Ctrl-C or a crash keeps everything done so far), and a resumed run
reads the keys already finished. Items are written at most once per key: a second write of the
same (run, model, item, run number) is ignored, never an error and never a duplicate.

These are team tables without row-level security (see revision 0013); the web app lists them
for admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import EvalItem, EvalRun
from spark.db.types import utc_now
from spark.text import storable

RUNNING, FINISHED, INTERRUPTED = "running", "finished", "interrupted"


@dataclass(frozen=True, slots=True)
class EvalRunSummary:
    """A run as listed: the row and how many of its items are finished."""

    run: EvalRun
    finished_items: int

    @property
    def planned_items(self) -> int:
        return self.run.suite_items * self.run.runs * len(self.run.models)


async def create_eval_run(
    *,
    session: AsyncSession,
    run_id: str,
    user_id: int | None,
    suite_name: str,
    suite_digest: str,
    suite_items: int,
    models: list[str],
    runs: int,
    suite_source: str | None = None,
) -> EvalRun:
    """A new ``running`` run."""
    run = EvalRun(
        id=run_id,
        user_id=user_id,
        started_at=utc_now(),
        status=RUNNING,
        suite_name=storable(suite_name)[:200],
        suite_digest=suite_digest,
        suite_items=suite_items,
        suite_source=None if suite_source is None else storable(suite_source),
        models=[storable(m)[:200] for m in models],
        runs=runs,
    )
    session.add(run)
    await session.flush()
    return run


async def get_eval_run(*, session: AsyncSession, run_id: str) -> EvalRun | None:
    return await session.get(EvalRun, run_id)


async def set_eval_run_status(*, session: AsyncSession, run_id: str, status: str) -> None:
    """Mark the run ``status`` (``finished``/``interrupted`` also stamp ``finished_at``)."""
    finished_at = None if status == RUNNING else utc_now()
    await session.execute(
        update(EvalRun).where(EvalRun.id == run_id).values(status=status, finished_at=finished_at)
    )


async def save_eval_item(
    *,
    session: AsyncSession,
    run_id: str,
    model: str,
    item_id: str,
    run: int,
    result: dict[str, Any],
    history_id: int | None,
) -> None:
    """Keep one finished item; a key already there is left as it is."""
    values = {
        "run_id": run_id,
        "model": model,
        "item_id": item_id,
        "run": run,
        "result": _storable_json(result),
        "history_id": history_id,
        "finished_at": utc_now(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(EvalItem).values(**values).on_conflict_do_nothing())


async def eval_item_keys(*, session: AsyncSession, run_id: str) -> set[tuple[str, str, int]]:
    """The (model, item, run number) keys of the run's finished items."""
    rows = await session.execute(
        select(EvalItem.model, EvalItem.item_id, EvalItem.run).where(EvalItem.run_id == run_id)
    )
    return {(m, i, r) for m, i, r in rows.all()}


async def eval_items(*, session: AsyncSession, run_id: str) -> list[dict[str, Any]]:
    """The run's finished items' results (as stored), in the order they finished."""
    rows = await session.execute(
        select(EvalItem.result)
        .where(EvalItem.run_id == run_id)
        .order_by(EvalItem.finished_at, EvalItem.model, EvalItem.item_id, EvalItem.run)
    )
    return [dict(r) for r in rows.scalars()]


async def list_eval_runs(*, session: AsyncSession, limit: int = 50) -> list[EvalRunSummary]:
    """The newest runs first, with their finished item counts."""
    counts = select(EvalItem.run_id, func.count().label("n")).group_by(EvalItem.run_id).subquery()
    rows = await session.execute(
        select(EvalRun, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.run_id == EvalRun.id)
        .order_by(EvalRun.started_at.desc(), EvalRun.id)
        .limit(limit)
    )
    return [EvalRunSummary(run, int(n)) for run, n in rows.all()]


def _storable_json(value: Any) -> Any:
    """``value`` with every string made storable (provider messages may hold NUL)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {str(k): _storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(v) for v in value]
    return value
