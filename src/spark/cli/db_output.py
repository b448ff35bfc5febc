"""How ``spark history`` and ``spark stats`` show their rows: Rich tables and JSON payloads.

Imported only when those commands run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.markup import escape
from rich.table import Table

from spark.catalog import load_catalog
from spark.db.export import generation_json
from spark.db.models import GenerationRecord
from spark.db.stats import GenerationStats
from spark.errors import SparkError
from spark.fallback import route_summary

__all__ = [
    "generation_details",
    "generation_json",
    "history_table",
    "stats_json",
    "stats_tables",
]


def _cost(cost: Decimal | None) -> str:
    if cost is None:
        return "?"
    return "$0" if cost == 0 else f"${cost:.4f}" if cost >= Decimal("0.0001") else f"${cost}"


def generation_details(r: GenerationRecord) -> Table:
    """One history row as a two-column table of labels and values (the code is not in it)."""
    style = _STATUS_STYLE.get(r.status, "")
    status = f"[{style}]{escape(r.status)}[/]" if style else escape(r.status)
    table = Table(
        title=f"Generation {r.id}: {status}",
        title_justify="left",
        show_header=False,
        box=None,
        pad_edge=False,
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    took = "" if r.generation_ms is None else f" (took {r.generation_ms / 1000:.1f} s)"
    tokens = f"{r.input_tokens:,} in / {r.output_tokens:,} out"
    if r.cache_read_tokens or r.cache_write_tokens:
        tokens += f" ({r.cache_read_tokens:,} cache read, {r.cache_write_tokens:,} cache write)"
    rows = [
        ("when", r.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") + took),
        ("model", f"{r.provider}/{r.model}"),
        ("prompt", r.prompt),
        ("class", r.class_name or "–"),
        ("tokens", tokens),
        ("cost", _cost(r.cost_usd)),
        ("attempts", f"{r.attempts} · repair rounds: {r.repair_rounds}"),
        ("validation", r.validation_summary or "–"),
    ]
    if r.status == "cached":
        rows.append(
            ("answered", f"cached — saved {_cost(r.saved_usd)} (generation {r.cached_from})")
        )
    elif note := route_summary(r.attempt_details or [], _provider_label):
        rows.append(("answered", note))
    if r.error_kind or r.error_message:
        rows.append(("error", f"{r.error_kind or 'error'}: {r.error_message or ''}".strip()))
    if r.conversation_id:
        rows.append(("conversation", r.conversation_id))
    for label, value in rows:
        table.add_row(label, escape(value))
    return table


_STATUS_STYLE = {
    "succeeded": "green",
    "cached": "green",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
}


def _provider_label(provider: str) -> str:
    try:
        return load_catalog().provider(provider).display_name
    except SparkError:
        return provider


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def history_table(records: list[GenerationRecord], *, width: int = 100) -> Table:
    """Rows as a table fitting ``width`` columns, newest first (``--json`` has every figure)."""
    headers = ["id", "when (UTC)", "status", "model", "class", "cost"]
    cells: list[list[str]] = []
    for r in records:
        status = r.status if r.status != "failed" else f"failed: {r.error_kind}"
        cells.append(
            [
                str(r.id),
                r.created_at.strftime("%m-%d %H:%M"),
                status,
                _clip(r.model, 20),
                _clip(r.class_name or "", 18),
                _cost(r.cost_usd),
            ]
        )
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=False)]
    # Columns are padded by one space a side, except at the edges.
    prompt_width = max(12, width - sum(widths) - 2 * len(widths) - 1)
    table = Table(*headers, "prompt", box=None, pad_edge=False, header_style="bold underline")
    for column in table.columns:
        column.no_wrap = True
    table.columns[0].justify = table.columns[5].justify = "right"
    for record, row in zip(records, cells, strict=True):
        style = _STATUS_STYLE.get(record.status, "")
        status = escape(row[2])
        table.add_row(
            *(escape(cell) for cell in row[:2]),
            f"[{style}]{status}[/]" if style else status,
            *(escape(cell) for cell in row[3:]),
            escape(_clip(record.prompt, prompt_width)),
        )
    return table


def stats_json(s: GenerationStats) -> dict[str, Any]:
    """The statistics as a JSON-ready dict (money as strings, days as ISO dates)."""
    return {
        "days_back": s.days_back,
        "since": s.since.isoformat(),
        "total_generations": s.total_generations,
        "succeeded": s.succeeded,
        "failed": s.failed,
        "success_rate": float(s.success_rate),
        "provider_counts": s.provider_counts,
        "total_tokens": s.total_tokens,
        "total_cost_usd": str(s.total_cost_usd),
        "avg_generation_ms": s.avg_generation_ms,
        "cache_hits": s.cache_hits,
        "cache_saved_usd": str(s.cache_saved_usd),
        "by_model": [m.to_json() for m in s.by_model],
        "by_day": [d.to_json() for d in s.by_day],
    }


def stats_tables(s: GenerationStats) -> list[Table]:
    """A summary table and a per-model table."""
    summary = Table(title=f"Generations, last {s.days_back} days", show_header=False)
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    avg = "–" if s.avg_generation_ms is None else f"{s.avg_generation_ms / 1000:.1f} s"
    for label, value in (
        ("total", f"{s.total_generations:,}"),
        ("succeeded", f"{s.succeeded:,}"),
        ("failed", f"{s.failed:,}"),
        ("success rate", f"{s.success_rate}%"),
        ("tokens", f"{s.total_tokens:,}"),
        ("cost", _cost(s.total_cost_usd)),
        ("average time (succeeded)", avg),
        ("cache hits", f"{s.cache_hits:,}, saved {_cost(s.cache_saved_usd)}"),
    ):
        summary.add_row(label, value)
    tables = [summary]
    if s.by_model:
        models = Table("provider", "model", "generations", "succeeded", "tokens", "cost", "avg s")
        models.title = "By model"
        for m in s.by_model:
            models.add_row(
                m.provider,
                m.model,
                str(m.generations),
                str(m.succeeded),
                f"{m.total_tokens:,}",
                _cost(m.total_cost_usd),
                "–" if m.avg_generation_ms is None else f"{m.avg_generation_ms / 1000:.1f}",
            )
        tables.append(models)
    return tables
