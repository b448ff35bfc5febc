"""Exporting one user's generation history: CSV streamed in pages (memory stays flat), and one
row as JSON (:func:`generation_json`).

:func:`history_csv_lines` yields the CSV text line by line (header first, newest row first):
a web route can hand it to a streaming response, the CLI writes it to a file
(:func:`write_history_csv`); ``with_code`` adds a last column with each generated script (the
CLI's export has it, the web download does not). Cells that a spreadsheet would run as a
formula - starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return - get a leading
``'`` (the OWASP advice on CSV injection); numbers are written by SPARK itself and are never
prefixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import GenerationRecord

__all__ = [
    "CODE_COLUMN",
    "CSV_COLUMNS",
    "generation_json",
    "history_csv_lines",
    "safe_cell",
    "write_history_csv",
]

CSV_COLUMNS = (
    "id",
    "created_at",
    "finished_at",
    "status",
    "provider",
    "model",
    "prompt",
    "class_name",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "generation_ms",
    "attempts",
    "repair_rounds",
    "validation_summary",
    "error_kind",
    "error_message",
    "conversation_id",
)
CODE_COLUMN = "generated_code"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PAGE = 500


def safe_cell(value: object) -> str:
    """``value`` as CSV cell text, with a ``'`` in front if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(record: GenerationRecord, columns: tuple[str, ...]) -> list[str]:
    cells: list[str] = []
    for column in columns:
        value = getattr(record, column)
        # Amounts are SPARK's own numbers: never prefixed, never shown as formulas.
        cells.append(
            "" if value is None else str(value) if column == "cost_usd" else safe_cell(value)
        )
    return cells


async def history_csv_lines(
    *,
    session: AsyncSession,
    user_id: int,
    since: datetime | None = None,
    with_code: bool = False,
) -> AsyncIterator[str]:
    """The user's history as CSV lines (``\\r\\n``-terminated), newest first, read in pages.

    ``since`` keeps only rows created at or after it; ``with_code`` adds the generated code.
    """
    columns = (*CSV_COLUMNS, CODE_COLUMN) if with_code else CSV_COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield line(list(columns))
    h = GenerationRecord
    after: tuple[datetime, int] | None = None
    while True:
        query = select(h).where(h.user_id == user_id)
        if since is not None:
            query = query.where(h.created_at >= since)
        if after is not None:  # keyset paging: stable while rows are added
            query = query.where(
                (h.created_at < after[0]) | ((h.created_at == after[0]) & (h.id < after[1]))
            )
        query = query.order_by(h.created_at.desc(), h.id.desc()).limit(_PAGE)
        records = list((await session.execute(query)).scalars())
        for record in records:
            yield line(_row(record, columns))
        if len(records) < _PAGE:
            return
        after = (records[-1].created_at, records[-1].id)
        session.expunge_all()


async def write_history_csv(
    out: TextIO,
    *,
    session: AsyncSession,
    user_id: int,
    since: datetime | None = None,
    with_code: bool = False,
) -> int:
    """Write the user's history to ``out`` as CSV; returns the number of generations written."""
    rows = -1  # the header is not a generation
    async for text in history_csv_lines(
        session=session, user_id=user_id, since=since, with_code=with_code
    ):
        out.write(text)
        rows += 1
    return rows


def generation_json(r: GenerationRecord) -> dict[str, Any]:
    """One history row as a JSON-ready dict, with its code (None until it has some): what
    ``spark history --json`` prints and MCP's ``get_generation`` answers."""
    return {
        "id": r.id,
        "created_at": r.created_at.isoformat(),
        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        "status": r.status,
        "success": r.success,
        "provider": r.provider,
        "model": r.model,
        "prompt": r.prompt,
        "class_name": r.class_name,
        "error_kind": r.error_kind,
        "error_message": r.error_message,
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "cache_read_tokens": r.cache_read_tokens,
        "cache_write_tokens": r.cache_write_tokens,
        "cost_usd": None if r.cost_usd is None else str(r.cost_usd),
        "generation_ms": r.generation_ms,
        "attempts": r.attempts,
        "repair_rounds": r.repair_rounds,
        "validation_summary": r.validation_summary,
        "validation_errors": r.validation_errors,
        "validation_warnings": r.validation_warnings,
        "conversation_id": r.conversation_id,
        "attempt_details": list(r.attempt_details or []),
        "cached_from": r.cached_from,
        "saved_usd": None if r.saved_usd is None else str(r.saved_usd),
        "code": r.generated_code,
    }
