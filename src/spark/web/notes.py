"""What the web app says about how a script was answered: by a fallback route ("answered by
OpenAI gpt-6.2-sol after Anthropic was overloaded") or from the response cache ("cached").

The same fields go into the SSE ``done`` event, the ``stream: false`` result and
``/api/history/{id}``; the chat and history pages show them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from spark.events import FallbackEvent, RetryEvent
from spark.fallback import route_summary

if TYPE_CHECKING:
    from spark.catalog import Catalog
    from spark.events import GenerationResult
    from spark.generation import Engine


def provider_label(catalog: Catalog) -> Callable[[str], str]:
    """Provider id → display name (the id itself for one the catalog does not know)."""

    def label(provider: str) -> str:
        try:
            return catalog.provider(provider).display_name
        except Exception:
            return provider

    return label


def fallback_payload(event: RetryEvent) -> dict[str, str] | None:
    """The ``fallback`` field of a ``retry`` event: where the reply starts again."""
    if not isinstance(event, FallbackEvent):
        return None
    return {
        "from_provider": event.from_provider,
        "from_model": event.from_model,
        "to_provider": event.to_provider,
        "to_model": event.to_model,
    }


def notes(
    catalog: Catalog,
    *,
    cached: bool,
    saved_usd: Decimal | None,
    cached_from: int | None,
    attempt_details: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """``cached``, ``saved_usd``, ``cached_from`` and ``answered_by`` (the fallback sentence,
    or null)."""
    return {
        "cached": cached,
        "saved_usd": None if saved_usd is None else str(saved_usd),
        "cached_from": None if cached_from is None else str(cached_from),
        "answered_by": route_summary(attempt_details or (), provider_label(catalog)),
    }


def outcome_notes(engine: Engine, result: GenerationResult) -> dict[str, Any]:
    """:func:`notes` of a generation that just finished."""
    return notes(
        engine.catalog,
        cached=result.cached,
        saved_usd=result.saved_usd,
        cached_from=result.cached_from,
        attempt_details=[a.to_dict() for a in result.attempt_details],
    )
