"""The cost calculator: what one generation would cost on each model, from the catalog's prices.

Given a prompt (or an expected prompt size in tokens) and an expected output length,
:func:`estimate_costs` prices the job on every catalog model side by side - the system prompt
SPARK sends is counted in the input - and marks the cheapest current paid model(s). Everything
here is pure: no settings, no network, no database; callers pass which providers are available.

Token counts are an **estimate**, not a tokenizer: prose is counted at 4 characters a token and
code (inside ``` fences) at 3.5, the usual rules of thumb for English text and C#-like code with
the Claude and GPT tokenizers. Real counts differ by a few percent either way; the provider's
bill is the truth. Costs use the catalog's standard rates (no long-prompt surcharges, no cache
discounts: a first call caches nothing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from spark.catalog import Catalog, ModelStatus
from spark.usage import Usage

__all__ = [
    "CHARS_PER_TOKEN_CODE",
    "CHARS_PER_TOKEN_TEXT",
    "DEFAULT_OUTPUT_TOKENS",
    "ESTIMATE_NOTE",
    "CostEstimate",
    "CostReport",
    "estimate_costs",
    "estimate_tokens",
    "report_json",
]

CHARS_PER_TOKEN_TEXT = Decimal("4")
CHARS_PER_TOKEN_CODE = Decimal("3.5")
# A typical answer: a 60-150 line MonoBehaviour plus three sentences of instructions.
DEFAULT_OUTPUT_TOKENS = 1500
ESTIMATE_NOTE = (
    "Token counts are estimated (about 4 characters a token for text, 3.5 for code), "
    "not measured; prices are the catalog's standard rates."
)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


def estimate_tokens(text: str) -> int:
    """Estimated tokens in ``text``: fenced code at 3.5 characters a token, the rest at 4.

    Rounded up, so any non-empty text is at least one token.
    """
    code_chars = sum(len(block) for block in _FENCE.findall(text))
    prose_chars = len(text) - code_chars
    tokens = (
        Decimal(prose_chars) / CHARS_PER_TOKEN_TEXT + Decimal(code_chars) / CHARS_PER_TOKEN_CODE
    )
    return math.ceil(tokens)


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """One model's estimated cost for the job. ``cost_usd`` is None when the price is unknown
    (never shown as $0); ``free`` marks models that bill nothing (local, offline)."""

    provider: str
    provider_name: str
    model: str
    display_name: str
    status: ModelStatus
    available: bool
    cost_usd: Decimal | None
    price_checked: date | None
    input_per_million: Decimal | None
    output_per_million: Decimal | None
    cheapest: bool = False

    @property
    def free(self) -> bool:
        return self.cost_usd is not None and self.cost_usd == 0


@dataclass(frozen=True, slots=True)
class CostReport:
    """The job's token figures and every model's estimate, cheapest first (unknown prices
    last)."""

    prompt_tokens: int
    system_prompt_tokens: int
    output_tokens: int
    rows: tuple[CostEstimate, ...]
    note: str = ESTIMATE_NOTE

    @property
    def input_tokens(self) -> int:
        return self.prompt_tokens + self.system_prompt_tokens

    @property
    def cheapest(self) -> tuple[CostEstimate, ...]:
        return tuple(row for row in self.rows if row.cheapest)


def estimate_costs(
    *,
    catalog: Catalog,
    prompt: str | None = None,
    prompt_tokens: int | None = None,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    system_prompt: str = "",
    available: Collection[str] | None = None,
    providers: Collection[str] | None = None,
    include_retired: bool = False,
) -> CostReport:
    """Estimate the job on every model of ``providers`` (default: every catalog provider).

    The prompt's size is ``prompt_tokens`` if given, else estimated from ``prompt``; the
    system prompt's estimated size is added to the input. ``available`` names the providers
    the caller can use (None: all); the others stay in the report, flagged. Retired models are
    left out unless ``include_retired``. The cheapest rows are the current models with a known,
    non-zero cost and the lowest one (several on a tie); free models are flagged ``free``
    instead, since "cheapest" is meant to compare paid options.
    """
    if prompt_tokens is None:
        prompt_tokens = estimate_tokens(prompt or "")
    if prompt_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    system_tokens = estimate_tokens(system_prompt)
    usage = Usage(input_tokens=prompt_tokens + system_tokens, output_tokens=output_tokens)
    wanted = None if providers is None else set(providers)
    rows: list[CostEstimate] = []
    for info in catalog.providers:
        if wanted is not None and info.id not in wanted:
            continue
        for model in info.models:
            if model.status == "retired" and not include_retired:
                continue
            price = model.price
            rows.append(
                CostEstimate(
                    provider=info.id,
                    provider_name=info.display_name,
                    model=model.id,
                    display_name=model.label,
                    status=model.status,
                    available=available is None or info.id in available,
                    cost_usd=catalog.cost(info.id, model.id, usage),
                    price_checked=price.checked if price else None,
                    input_per_million=price.input if price else None,
                    output_per_million=price.output if price else None,
                )
            )
    paid = [r.cost_usd for r in rows if r.status == "current" and r.cost_usd]
    lowest = min(paid) if paid else None
    marked = [
        replace(r, cheapest=True)
        if r.status == "current" and lowest and r.cost_usd == lowest
        else r
        for r in rows
    ]
    order = {info.id: i for i, info in enumerate(catalog.providers)}
    marked.sort(
        key=lambda r: (
            r.cost_usd is None,
            r.cost_usd if r.cost_usd is not None else Decimal(0),
            order[r.provider],
        )
    )
    return CostReport(
        prompt_tokens=prompt_tokens,
        system_prompt_tokens=system_tokens,
        output_tokens=output_tokens,
        rows=tuple(marked),
    )


def report_json(report: CostReport) -> dict[str, Any]:
    """The report as JSON-ready data (amounts as strings, unknown costs as null), for
    ``spark estimate --json`` and the web API."""
    return {
        "prompt_tokens": report.prompt_tokens,
        "system_prompt_tokens": report.system_prompt_tokens,
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "estimated": True,
        "note": report.note,
        "models": [
            {
                "provider": r.provider,
                "model": r.model,
                "display_name": r.display_name,
                "status": r.status,
                "available": r.available,
                "cost_usd": None if r.cost_usd is None else str(r.cost_usd),
                "free": r.free,
                "cheapest": r.cheapest,
                "input_per_million": _text(r.input_per_million),
                "output_per_million": _text(r.output_per_million),
                "price_checked": None if r.price_checked is None else r.price_checked.isoformat(),
            }
            for r in report.rows
        ],
    }


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)
