"""The response cache's side of the service: the key, what may be stored, and what a hit is.

Opt-in (``SPARK_CACHE`` or the team admin's setting). An adapter that wants it hands
``Engine.prepare`` (or ``Engine.generate``) a :class:`ResponseCache` (``spark.db.cache`` keeps
entries in the database, per user or per team). Before anything is written - no spend
reservation, no history row - the engine looks the plan's :func:`cache_key` up; a hit is
recorded at once (:meth:`ResponseCache.answer`: the ``cached`` history row and one request
against the rate limits, one transaction) and answered at $0 as a ``DoneEvent`` whose result
has ``cached=True`` (and ``saved_usd``, what the original generation cost). After a generation
that finished, was recorded and is :func:`cacheable`, the engine stores it under the same key.

The key is an exact match on everything that shapes the answer: provider, model, the system
prompt (its version and a hash of its text, which holds the Unity target's prompt context),
the Unity target itself, the conversation sent along, the prompt, and the output limit and
temperature. Nothing else is stored in it (a SHA-256 is not reversible to the prompt).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from spark.unity.report import AppliedFix, Diagnostic, ValidationReport

if TYPE_CHECKING:
    from spark.events import GenerationResult
    from spark.limits import Quota
    from spark.plan import Plan
    from spark.recording import GenerationStart

KEY_VERSION = "1"  # bump when what goes into the key changes


@dataclass(frozen=True, slots=True)
class CachedScript:
    """A stored answer: the model that wrote it and what it cost then."""

    generation_id: int  # the history row it came from
    provider: str
    model: str
    reply: str
    code: str
    class_name: str
    file_name: str
    validation: dict[str, Any] | None
    cost_usd: Decimal | None


class ResponseCache(Protocol):
    """Where the engine looks answers up and stores them (one object per generation)."""

    async def lookup(self, key: str) -> CachedScript | None:
        """The entry stored under ``key`` that this user may read and that has not expired."""

    async def store(self, key: str, result: GenerationResult) -> None:
        """Keep ``result`` under ``key`` (called after the generation was recorded)."""

    async def answer(
        self, key: str, started: GenerationStart, result: GenerationResult, quota: Quota | None
    ) -> None:
        """Record the hit ``result`` (``started``: the plan's start) as a finished generation
        and, with a ``quota``, count it as one request against the rate limits - in one
        transaction; a :class:`~spark.limits.LimitError` leaves nothing recorded."""

    async def take(
        self,
        key: str,
        started: GenerationStart,
        build: Callable[[CachedScript], GenerationResult],
        quota: Quota | None,
    ) -> GenerationResult | None:
        """:meth:`lookup`, and on a hit :meth:`answer` with the result ``build`` makes of the
        entry: that result, else None. A database that allows it does both in one
        transaction."""


def cache_key(plan: Plan) -> str:
    """The exact-match key of ``plan`` (SHA-256, hex)."""
    target = plan.target
    project = target.project.root if target.project is not None else None
    parts = {
        "v": KEY_VERSION,
        "provider": plan.provider,
        "model": plan.model,
        "system_prompt_version": plan.system_prompt_version,
        "system_prompt": hashlib.sha256(plan.system_prompt.encode("utf-8", "replace")).hexdigest(),
        "target": [
            target.unity_version,
            target.input_system,
            target.render_pipeline,
            None if project is None else str(project),
        ],
        "messages": [[m.role, m.content] for m in plan.messages],
        "max_tokens": plan.options.max_tokens,
        "temperature": plan.options.temperature,
    }
    text = json.dumps(parts, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def cacheable(result: GenerationResult) -> bool:
    """Only a successful, valid generation is stored: validated without errors, not failed
    by the compile check, not itself a cache hit."""
    if result.cached or result.validation is None or not result.validation.ok:
        return False
    return result.compile is None or result.compile.ok


def report_from_dict(data: dict[str, Any] | None) -> ValidationReport | None:
    """A stored validation report (``ValidationReport.to_dict``) as a report again (the
    automatic fixes' edits are not kept: a cached script is already fixed)."""
    if not data:
        return None
    fields = Diagnostic.__dataclass_fields__
    diagnostics = tuple(
        Diagnostic(**{k: v for k, v in d.items() if k in fields and k != "fix"})
        for d in data.get("diagnostics", ())
    )
    fixed = tuple(AppliedFix(**f) for f in data.get("fixed", ()))
    return ValidationReport(
        diagnostics=diagnostics,
        truncated=bool(data.get("truncated")),
        class_names=tuple(data.get("class_names", ())),
        fixed=fixed,
    )
