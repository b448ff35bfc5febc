"""An eval run kept in SPARK's database: the run's row, its items, its history rows, its report.

:class:`DatabaseEvalStore` is the :class:`~spark.eval.runner.EvalStore` of ``spark eval``: each
finished item is written at once, in its own short transaction, so an interrupted run loses
nothing; its recorder factory tags every generation's history row with the run id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from spark.db.engine import Database
from spark.db.evals import (
    FINISHED,
    INTERRUPTED,
    RUNNING,
    create_eval_run,
    eval_item_keys,
    eval_items,
    get_eval_run,
    save_eval_item,
    set_eval_run_status,
)
from spark.db.models import EvalRun
from spark.db.recorder import HistoryRecorder
from spark.errors import UsageError
from spark.eval.report import EvalReport, build_report
from spark.eval.runner import ItemResult, ModelChoice
from spark.eval.suite import Suite, SuiteItem

__all__ = ["FINISHED", "INTERRUPTED", "RUNNING", "DatabaseEvalStore", "RunInfo", "load_report"]


def new_run_id() -> str:
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a run was started with (read back for ``--resume``)."""

    run_id: str
    models: tuple[str, ...]
    runs: int
    suite_digest: str
    suite_name: str
    status: str
    suite_source: str | None = None


class DatabaseEvalStore:
    """One run's items in the database, acting for ``user_id`` (the CLI's user)."""

    def __init__(self, database: Database, *, run_id: str, user_id: int) -> None:
        self.database = database
        self.run_id = run_id
        self.user_id = user_id

    async def create(self, suite: Suite, models: list[ModelChoice], runs: int) -> None:
        async with self.database.session(user_id=self.user_id) as session:
            await create_eval_run(
                session=session,
                run_id=self.run_id,
                user_id=self.user_id,
                suite_name=suite.name,
                suite_digest=suite.digest,
                suite_items=len(suite.items),
                suite_source=suite.source,
                models=[m.label for m in models],
                runs=runs,
            )

    async def info(self) -> RunInfo | None:
        async with self.database.session(user_id=self.user_id, read_only=True) as session:
            run = await get_eval_run(session=session, run_id=self.run_id)
            return None if run is None else _info(run)

    async def set_status(self, status: str) -> None:
        async with self.database.session(user_id=self.user_id) as session:
            await set_eval_run_status(session=session, run_id=self.run_id, status=status)

    async def finished(self) -> set[tuple[str, str, int]]:
        async with self.database.session(user_id=self.user_id, read_only=True) as session:
            return await eval_item_keys(session=session, run_id=self.run_id)

    async def save(self, result: ItemResult) -> None:
        async with self.database.session(user_id=self.user_id) as session:
            await save_eval_item(
                session=session,
                run_id=self.run_id,
                model=result.model,
                item_id=result.item_id,
                run=result.run,
                result=result.to_json(),
                history_id=result.history_id,
            )

    def recorder_for(self, model: ModelChoice, item: SuiteItem, run: int) -> HistoryRecorder:
        """The history recorder of one eval generation (tagged with the run id)."""
        return HistoryRecorder(self.database, user_id=self.user_id, eval_run_id=self.run_id)

    async def report(self) -> EvalReport:
        report = await load_report(self.database, self.run_id, user_id=self.user_id)
        assert report is not None
        return report


def _info(run: EvalRun) -> RunInfo:
    return RunInfo(
        run.id,
        tuple(run.models),
        run.runs,
        run.suite_digest,
        run.suite_name,
        run.status,
        run.suite_source,
    )


async def load_report(
    database: Database, run_id: str, *, user_id: int | None = None
) -> EvalReport | None:
    """The report of a stored run (None when there is no such run)."""
    async with database.session(user_id=user_id, read_only=True) as session:
        run = await get_eval_run(session=session, run_id=run_id)
        if run is None:
            return None
        stored = await eval_items(session=session, run_id=run_id)
        info = _info(run)
        started = run.started_at.isoformat(timespec="seconds")
        items = run.suite_items
        owner = run.user_id
    results = [ItemResult.from_json(r) for r in stored]
    return build_report(
        run_id=info.run_id,
        suite_name=info.suite_name,
        suite_digest=info.suite_digest,
        items=items,
        runs=info.runs,
        models=list(info.models),
        status=info.status,
        started=started,
        results=[r for r in results if r.model in info.models],
        user_id=owner,
    )


def check_resumable(info: RunInfo | None, run_id: str, suite: Suite) -> RunInfo:
    """The run to resume, or a UsageError saying why it cannot be."""
    if info is None:
        raise UsageError(
            f"There is no eval run {run_id!r}.",
            hint="`spark eval --list` shows the runs; start a new one without --resume.",
        )
    if info.suite_digest != suite.digest:
        raise UsageError(
            f"The eval run {run_id} was started with another suite "
            f"({info.suite_name}, digest {info.suite_digest}).",
            hint="Resume with the same --suite file it was started with.",
        )
    return info
