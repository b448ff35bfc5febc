"""The eval report: per-model figures and score from the items' results, as JSON and text.

The score (docs/eval.md, "The score") rates each planned generation, then averages:

- a failure (no script: provider error, no code, budget, not run yet) scores 0;
- a script that still has validator errors, or failed the compile check, scores 0.2;
- a *good* script (no validator errors; compiled, or not compile-checked) scores
  ``max(0.3, 1 - 0.25 × repair rounds - 0.05 × min(warnings, 4))``;

``score = 100 × (sum of item scores) / (items × runs)``, to one decimal. Unfinished items count
as failures, so a model stopped early cannot score higher than one that ran everything. The
cost per good script is the model's whole cost (failed calls included) over its good scripts.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spark.eval.runner import ItemResult

MICRO = Decimal("0.000001")
SCORE_FORMULA = (
    "score = 100 × mean over planned generations of: 0 for a failure; 0.2 for a script "
    "with validator or compile errors; max(0.3, 1 − 0.25 × repair rounds − "
    "0.05 × min(warnings, 4)) for a good script"
)


def item_score(result: ItemResult) -> float:
    """One generation's contribution to the score (see the module docstring)."""
    if not result.ok:
        return 0.0
    if not result.usable:
        return 0.2
    return max(0.3, 1.0 - 0.25 * result.repair_rounds - 0.05 * min(result.warnings, 4))


@dataclass(frozen=True, slots=True)
class ModelReport:
    """One model's figures over a run."""

    model: str
    planned: int
    finished: int
    scripts: int  # generations that returned a script
    valid: int  # scripts without validator errors
    good: int  # valid, and compiled when compile-checked
    compile_checked: int
    compiled: int
    compile_failed: int
    errors: int  # validator errors over every final script
    warnings: int
    repair_rounds: int
    repaired: int  # generations that needed at least one repair round
    fixes: int
    attempts: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None  # None when a price was unknown
    ttft_p50_ms: int | None
    total_p50_ms: int | None
    failures: dict[str, int] = field(default_factory=dict)
    score: float = 0.0

    @property
    def unfinished(self) -> int:
        return self.planned - self.finished

    @property
    def cost_per_good(self) -> Decimal | None:
        """The model's whole cost over its good scripts (None without either)."""
        if self.cost_usd is None or not self.good:
            return None
        return (self.cost_usd / self.good).quantize(MICRO)

    @property
    def compile_text(self) -> str:
        """``7/8 compile`` or ``not checked``."""
        if not self.compile_checked:
            return "not checked"
        return f"{self.compiled}/{self.compile_checked}"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "score": self.score,
            "planned": self.planned,
            "finished": self.finished,
            "unfinished": self.unfinished,
            "scripts": self.scripts,
            "valid": self.valid,
            "good": self.good,
            "compile": {
                "checked": self.compile_checked,
                "compiled": self.compiled,
                "failed": self.compile_failed,
                "text": self.compile_text,
            },
            "errors": self.errors,
            "warnings": self.warnings,
            "repair_rounds": self.repair_rounds,
            "repaired": self.repaired,
            "fixes": self.fixes,
            "attempts": self.attempts,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": _money(self.cost_usd),
            "cost_per_good_script_usd": _money(self.cost_per_good),
            "ttft_p50_ms": self.ttft_p50_ms,
            "total_p50_ms": self.total_p50_ms,
            "failures": dict(sorted(self.failures.items())),
        }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _p50(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known)) if known else None


def model_report(model: str, planned: int, results: Sequence[ItemResult]) -> ModelReport:
    """The figures of ``model`` from its finished ``results`` (of ``planned`` generations)."""
    scripts = [r for r in results if r.ok]
    checked = [r for r in scripts if r.compile in ("ok", "failed")]
    costs = [r.cost_usd for r in results]
    cost = None
    if all(c is not None for c in costs):
        cost = sum((c or Decimal(0) for c in costs), Decimal(0)).quantize(MICRO)
    total = sum(item_score(r) for r in results)
    return ModelReport(
        model=model,
        planned=planned,
        finished=len(results),
        scripts=len(scripts),
        valid=sum(r.valid for r in results),
        good=sum(r.usable for r in results),
        compile_checked=len(checked),
        compiled=sum(r.compile == "ok" for r in checked),
        compile_failed=sum(r.compile == "failed" for r in checked),
        errors=sum(r.errors for r in scripts),
        warnings=sum(r.warnings for r in scripts),
        repair_rounds=sum(r.repair_rounds for r in results),
        repaired=sum(r.repair_rounds > 0 for r in results),
        fixes=sum(r.fixes for r in scripts),
        attempts=sum(r.attempts for r in results),
        input_tokens=sum(r.input_tokens for r in results),
        output_tokens=sum(r.output_tokens for r in results),
        cost_usd=cost,
        ttft_p50_ms=_p50(r.ttft_ms for r in results),
        total_p50_ms=_p50(r.total_ms for r in results),
        failures=dict(Counter(r.error_kind or "unknown" for r in results if not r.ok)),
        score=round(100 * total / planned, 1) if planned else 0.0,
    )


@dataclass(frozen=True, slots=True)
class EvalReport:
    """A run's report: what ran, and each model's figures (in the order the models were given)."""

    run_id: str
    suite_name: str
    suite_digest: str
    items: int
    runs: int
    status: str
    started: str  # ISO 8601, UTC
    models: tuple[ModelReport, ...]
    results: tuple[ItemResult, ...]
    user_id: int | None = None  # who ran it (their history holds the generations)

    @property
    def best(self) -> ModelReport | None:
        return max(self.models, key=lambda m: m.score, default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "suite": {"name": self.suite_name, "digest": self.suite_digest, "items": self.items},
            "runs": self.runs,
            "status": self.status,
            "started": self.started,
            "score_formula": SCORE_FORMULA,
            "models": [m.to_json() for m in self.models],
            "results": [r.to_json() for r in self.results],
        }


def build_report(
    *,
    run_id: str,
    suite_name: str,
    suite_digest: str,
    items: int,
    runs: int,
    models: Sequence[str],
    status: str,
    started: str,
    results: Iterable[ItemResult],
    user_id: int | None = None,
) -> EvalReport:
    """The report of a run from its stored results (models in the order given)."""
    # In the order given (the store's: the order they finished, which is suite order within
    # a model's lane), grouped by model and run.
    ordered = sorted(results, key=lambda r: (list(models).index(r.model), r.run))
    by_model: dict[str, list[ItemResult]] = {m: [] for m in models}
    for result in ordered:
        by_model.setdefault(result.model, []).append(result)
    return EvalReport(
        run_id=run_id,
        suite_name=suite_name,
        suite_digest=suite_digest,
        items=items,
        runs=runs,
        status=status,
        started=started,
        models=tuple(model_report(m, items * runs, rs) for m, rs in by_model.items()),
        results=tuple(ordered),
        user_id=user_id,
    )


COLUMNS = (
    "Model",
    "Score",
    "Good",
    "Compile",
    "Errors/warn",
    "Repairs",
    "Fixes",
    "Tokens in/out",
    "Cost",
    "$/good",
    "TTFT p50",
    "Time p50",
    "Failures",
)


def format_cost(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    return "$0" if value == 0 else f"${value:.4f}" if value >= Decimal("0.0001") else f"${value}"


def format_ms(value: int | None) -> str:
    return "–" if value is None else f"{value / 1000:.2f} s"


def table_rows(report: EvalReport) -> list[tuple[str, ...]]:
    """The report's table, one row per model (shared by the terminal, the HTML and the web)."""
    rows: list[tuple[str, ...]] = []
    for m in report.models:
        failures = ", ".join(f"{k} {v}" for k, v in sorted(m.failures.items())) or "none"
        if m.unfinished:
            failures += f"; {m.unfinished} not run"
        rows.append(
            (
                m.model,
                f"{m.score:.1f}",
                f"{m.good}/{m.planned}",
                m.compile_text,
                f"{m.errors}/{m.warnings}",
                f"{m.repair_rounds} ({m.repaired} items)",
                str(m.fixes),
                f"{m.input_tokens:,}/{m.output_tokens:,}",
                format_cost(m.cost_usd),
                "–" if m.cost_per_good is None else format_cost(m.cost_per_good),
                format_ms(m.ttft_p50_ms),
                format_ms(m.total_p50_ms),
                failures,
            )
        )
    return rows
