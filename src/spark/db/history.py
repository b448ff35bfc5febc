"""Generation history: a row per generation from its first moment to its outcome.

:func:`start_generation` writes a ``running`` row when a generation begins, and
:func:`finish_generation` completes it with its figures. A process that dies in between leaves
its rows ``running``; :func:`interrupt_abandoned_generations`, called when a process starts,
marks them ``interrupted`` - only rows whose process is gone (same host, pid no longer alive)
or that have run for longer than any generation can (other hosts), so that several instances
can share one database. Listing, search (:class:`HistoryFilters`, the same for the web app,
the CLI and MCP) and deletion act on one user's rows only.

Every text written here goes through :func:`spark.text.storable` first (NUL removed, lone
surrogates replaced), so text from a provider can never make a write fail.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from spark.db.models import GenerationRecord, GenerationStatus
from spark.db.types import utc_now
from spark.text import storable

# Rows written by this process are newer than this (the module is loaded before the first).
PROCESS_STARTED = utc_now()
# No generation runs this long (timeouts, retries and repair rounds included).
STALE_AFTER = timedelta(hours=6)
INTERRUPTED_MESSAGE = "The process running this generation stopped before it finished."


def this_runner() -> str:
    """``host:pid`` of this process, stored with the rows it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


@dataclass(frozen=True, slots=True)
class GenerationOutcome:
    """How a generation ended: everything :func:`finish_generation` stores."""

    status: GenerationStatus
    provider: str | None = None  # None: keep what start_generation stored
    model: str | None = None
    generated_code: str | None = None
    class_name: str | None = None
    success: bool = False
    error_kind: str | None = None
    error_message: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Decimal | None = None
    generation_ms: int | None = None
    attempts: int = 0
    repair_rounds: int = 0
    validation_summary: str | None = None
    validation_errors: int | None = None
    validation_warnings: int | None = None
    attempt_details: list[dict[str, Any]] | None = None
    explanation: str | None = None  # the model's prose around the script (Markdown)
    findings: dict[str, Any] | None = None  # the validation report, findings and fixes
    compile_report: dict[str, Any] | None = None
    partial: bool = False  # stopped early: the code and prose are what had arrived
    cached_from: int | None = None  # a cache hit: the generation whose script it returned
    saved_usd: Decimal | None = None  # a cache hit: what that generation had cost
    # The spend reservation, when limits were checked (None: keep what the row has): what all
    # its parts held and were settled at, and the parts, one per route that held money.
    reserved_usd: Decimal | None = None
    settled_usd: Decimal | None = None
    reservation_parts: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a user's history, newest first, and how many rows match in all."""

    items: list[GenerationRecord]
    total: int
    limit: int
    offset: int


class StartColumns(TypedDict, total=False):
    """What a new ``running`` history row is given (the required four, and the rest when the
    adapter knows them)."""

    user_id: Required[int]
    provider: Required[str]
    model: Required[str]
    prompt: Required[str]
    system_prompt_version: str | None
    conversation_id: str | None
    runner: str | None
    unity_target: dict[str, Any] | None  # what the script is written for
    base_generation_id: int | None
    reserved_usd: Decimal | None
    eval_run_id: str | None
    team_instructions_version: int | None  # the instructions' versions it was sent
    personal_instructions_version: int | None


def _start_values(columns: StartColumns) -> dict[str, Any]:
    return {
        "system_prompt_version": None,
        "conversation_id": None,
        "base_generation_id": None,
        "reserved_usd": None,
        "eval_run_id": None,
        "team_instructions_version": None,
        "personal_instructions_version": None,
        **columns,
        "provider": storable(columns["provider"])[:64],
        "model": storable(columns["model"])[:128],
        "prompt": storable(columns["prompt"]),
        "status": GenerationStatus.RUNNING,
        "runner": columns.get("runner") or this_runner(),
        "created_at": utc_now(),
        "unity_target": _storable(columns.get("unity_target")),
    }


async def start_generation(
    *, session: AsyncSession, **columns: Unpack[StartColumns]
) -> GenerationRecord:
    """A new ``running`` row for a generation that is beginning."""
    record = GenerationRecord(**_start_values(columns))
    session.add(record)
    await session.flush()
    return record


async def insert_generation(*, connection: AsyncConnection, **columns: Unpack[StartColumns]) -> int:
    """:func:`start_generation` as one Core statement (the recorder's hot path); the row's id."""
    return int((await connection.execute(_INSERT, _start_values(columns))).scalar_one())


async def insert_finished_generation(
    *, connection: AsyncConnection, outcome: GenerationOutcome, **columns: Unpack[StartColumns]
) -> int:
    """A row started and finished at once (a response-cache hit), one Core ``INSERT``; the
    row's id. It is written finished, so the usage rollup's insert trigger counts it."""
    values = _start_values(columns) | _finish_values(outcome)
    return int((await connection.execute(_INSERT, values)).scalar_one())


# Columns an outcome leaves as the start wrote them unless it names a value.
_KEPT_WHEN_NONE = ("provider", "model", "reserved_usd", "reservation_parts")


def _finish_values(outcome: GenerationOutcome) -> dict[str, Any]:
    """The columns ``outcome`` sets (provider, model and the reservation's figures only when
    it names them)."""
    values: dict[str, Any] = {}
    for item in fields(outcome):
        name, value = item.name, _storable(getattr(outcome, item.name))
        if name in _KEPT_WHEN_NONE and value is None:
            continue
        if name == "provider":
            value = value[:64]
        elif name == "model":
            value = value[:128]
        elif name == "validation_summary" and value is not None:
            value = value[:200]
        values[name] = value
    values["finished_at"] = utc_now()
    return values


async def finish_generation(
    *, session: AsyncSession, user_id: int, record_id: int, outcome: GenerationOutcome
) -> GenerationRecord | None:
    """Complete the user's row with ``outcome``; None if there is no such row of theirs."""
    record = await get_generation(session=session, user_id=user_id, record_id=record_id)
    if record is None:
        return None
    for name, value in _finish_values(outcome).items():
        setattr(record, name, value)
    await session.flush()
    return record


async def finish_generation_row(
    *, connection: AsyncConnection, user_id: int, record_id: int, outcome: GenerationOutcome
) -> bool:
    """:func:`finish_generation` as one Core ``UPDATE``; False if there is no such row of
    theirs (deleted while it ran)."""
    values = _finish_values(outcome) | {"b_id": record_id, "b_user_id": user_id}
    result = await connection.execute(_FINISH, values)
    return bool(getattr(result, "rowcount", 0))


# Built once per process; each call binds its values.
_INSERT = insert(GenerationRecord).returning(GenerationRecord.id)
_FINISH = update(GenerationRecord).where(
    GenerationRecord.id == bindparam("b_id"), GenerationRecord.user_id == bindparam("b_user_id")
)


def _storable(value: Any) -> Any:
    """``value`` with every string in it (nested in lists and dicts too) made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class HistoryFilters:
    """What a history list is narrowed to (every field optional): the one search every adapter
    offers. ``search`` matches the prompt, the class name or the generated code (case-blind,
    LIKE wildcards taken literally); dates are UTC days, both ends included."""

    provider: str | None = None
    model: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str | None = None
    conversation_id: str | None = None
    # Eval generations (``spark eval``): "exclude" leaves them out, "only" keeps only them;
    # ``eval_run_id`` keeps one run's.
    evals: str | None = None
    eval_run_id: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything narrows the list."""
        return any(getattr(self, item.name) for item in fields(self))

    def where(self, query: Select[Any], user_id: int) -> Select[Any]:
        """``query`` narrowed to the user's rows that pass these filters."""
        h = GenerationRecord
        query = query.where(h.user_id == user_id)
        if self.provider:
            # Either letter case: "OpenAI" finds openai, a model typed in capitals its rows.
            query = query.where(func.lower(h.provider) == self.provider.lower())
        if self.model:
            query = query.where(func.lower(h.model) == self.model.lower())
        if self.status:
            query = query.where(h.status == self.status)
        if self.conversation_id:
            query = query.where(h.conversation_id == self.conversation_id)
        if self.evals == "exclude":
            query = query.where(h.eval_run_id.is_(None))
        elif self.evals == "only":
            query = query.where(h.eval_run_id.is_not(None))
        if self.eval_run_id:
            query = query.where(h.eval_run_id == self.eval_run_id)
        if self.date_from:
            query = query.where(h.created_at >= datetime.combine(self.date_from, time(), UTC))
        if self.date_to and self.date_to < date.max:  # the last day there is has no end
            end = datetime.combine(self.date_to + timedelta(days=1), time(), UTC)
            query = query.where(h.created_at < end)
        search = (self.search or "").strip()
        if search:
            query = query.where(
                or_(
                    h.prompt.icontains(search, autoescape=True),
                    h.class_name.icontains(search, autoescape=True),
                    h.generated_code.icontains(search, autoescape=True),
                )
            )
        return query


async def list_generations(
    *,
    session: AsyncSession,
    user_id: int,
    filters: HistoryFilters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> HistoryPage:
    """A page of the user's generations that pass ``filters``, newest first."""
    filters = filters or HistoryFilters()
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    h = GenerationRecord
    rows = filters.where(select(h), user_id).order_by(h.created_at.desc(), h.id.desc())
    count = filters.where(select(func.count()).select_from(h), user_id)
    items = list((await session.execute(rows.limit(limit).offset(offset))).scalars())
    total = int((await session.execute(count)).scalar_one())
    return HistoryPage(items=items, total=total, limit=limit, offset=offset)


async def used_models(*, session: AsyncSession, user_id: int, limit: int = 200) -> list[str]:
    """The models the user's history names, in order (for History's model filter)."""
    query = (
        select(GenerationRecord.model)
        .where(GenerationRecord.user_id == user_id)
        .distinct()
        .order_by(GenerationRecord.model)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def get_generation(
    *, session: AsyncSession, user_id: int, record_id: int
) -> GenerationRecord | None:
    """The user's generation with this id (None for another user's)."""
    query = select(GenerationRecord).where(
        GenerationRecord.id == record_id, GenerationRecord.user_id == user_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def delete_generation(*, session: AsyncSession, user_id: int, record_id: int) -> bool:
    """Delete one of the user's generations; False if there is no such row of theirs."""
    result = await session.execute(
        delete(GenerationRecord).where(
            GenerationRecord.id == record_id, GenerationRecord.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def cleanup_history(*, session: AsyncSession, days: int) -> int:
    """Delete every user's generations older than ``days`` days; returns how many went.

    On PostgreSQL this calls ``cleanup_old_generation_history`` (it alone may cross users).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            text("SELECT cleanup_old_generation_history(:days)"), {"days": days}
        )
        return int(result.scalar_one())
    cutoff = utc_now() - timedelta(days=days)
    deleted = await session.execute(
        delete(GenerationRecord).where(GenerationRecord.created_at < cutoff)
    )
    return int(getattr(deleted, "rowcount", 0))


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. it exists but belongs to someone else
        return True
    return True


def is_abandoned(
    runner: str | None, created_at: datetime, *, now: datetime, stale_after: timedelta = STALE_AFTER
) -> bool:
    """Whether a ``running`` row can no longer finish: its process is gone, or it is too old."""
    if created_at < now - stale_after:
        return True
    host, _, pid_text = (runner or "").rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's process: only age tells
    pid = int(pid_text)
    if pid == os.getpid():  # ours, or an earlier process that had the same pid
        return created_at < PROCESS_STARTED
    return not _pid_alive(pid)


async def interrupt_abandoned_generations(
    *, session: AsyncSession, stale_after: timedelta = STALE_AFTER
) -> int:
    """Mark ``interrupted`` every user's ``running`` rows that cannot finish; returns how many."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        running = await session.execute(
            text(
                "SELECT generation_id, generation_runner, started_at "
                "FROM spark_running_generations()"
            )
        )
    else:
        running = await session.execute(
            select(GenerationRecord.id, GenerationRecord.runner, GenerationRecord.created_at).where(
                GenerationRecord.status == GenerationStatus.RUNNING
            )
        )
    now = utc_now()
    ids = [
        row_id
        for row_id, runner, created_at in running.all()
        if is_abandoned(runner, _aware(created_at), now=now, stale_after=stale_after)
    ]
    if not ids:
        return 0
    if postgresql:
        result = await session.execute(
            text("SELECT spark_interrupt_generations(:ids)"), {"ids": ids}
        )
        return int(result.scalar_one())
    changed = await session.execute(
        update(GenerationRecord)
        .where(GenerationRecord.id.in_(ids), GenerationRecord.status == GenerationStatus.RUNNING)
        .values(
            status=GenerationStatus.INTERRUPTED,
            success=False,
            error_kind="interrupted",
            error_message=INTERRUPTED_MESSAGE,
            finished_at=now,
        )
    )
    return int(getattr(changed, "rowcount", 0))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
