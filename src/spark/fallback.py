"""Provider fallback: the ordered list of other models to try, and when to move on to the next.

A team (site setting) and each user (preference, overriding the team's) may name an ordered
list of ``provider:model`` routes, e.g. ``anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol``.
When the chosen provider fails with an outage-type error, once SPARK's retry policy has given
up on it (:mod:`spark.retry`), the engine (:mod:`spark.generation`) moves on to the next route
whose provider is configured. It never moves on for an error a switch would not fix: the table
is :data:`FALLBACK_KINDS` (and docs/teams.md, "Provider fallback").

Each provider call stays an :class:`~spark.events.AttemptDetail` with its own provider and
model, so :func:`route_summary` can say afterwards, from the details alone (stored in the
history row), "answered by OpenAI gpt-6.2-sol after Anthropic was overloaded".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spark.errors import AIError, ErrorKind, UsageError

MAX_ROUTES = 5
_ROUTE = re.compile(r"^[a-z][a-z0-9_-]{0,63}(:[A-Za-z0-9._:/@-]{1,128})?$")
_SEPARATORS = re.compile(r"\s*(?:,|→|->|>|\n|\s)\s*")

# Errors that say "this provider (account) cannot answer now": another provider may.
FALLBACK_KINDS: frozenset[ErrorKind] = frozenset(
    {
        ErrorKind.OVERLOADED,  # 529, "overloaded_error"
        ErrorKind.SERVER,  # 5xx
        ErrorKind.CONNECTION,  # unreachable
        ErrorKind.TIMEOUT,  # no answer in time, 408
        ErrorKind.STREAM,  # the reply kept breaking off
        ErrorKind.RATE_LIMIT,  # still limited after the retries (or asked for too long a wait)
        ErrorKind.CONFLICT,  # 409, still after the retries
        ErrorKind.QUOTA,  # this account is out of credit; another provider bills apart
    }
)

# How a provider's failure reads in "answered by X after <provider> <words>".
_WHY = {
    "overloaded": "was overloaded",
    "server": "had a server error",
    "connection": "could not be reached",
    "timeout": "timed out",
    "stream": "kept breaking off",
    "rate_limit": "was rate limited",
    "conflict": "kept refusing the request (409)",
    "quota": "was out of credit",
}


@dataclass(frozen=True, slots=True)
class Route:
    """One entry of a fallback list: a provider and (optionally) its model."""

    provider: str
    model: str | None = None

    def __str__(self) -> str:
        return self.provider if self.model is None else f"{self.provider}:{self.model}"


def falls_back(error: AIError) -> bool:
    """Whether a generation whose provider finally failed with ``error`` moves on to the next
    route (see :data:`FALLBACK_KINDS`)."""
    return error.kind in FALLBACK_KINDS


def parse_routes(text: str | Iterable[str] | None) -> tuple[Route, ...]:
    """Routes from ``"anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol"`` (separated by
    commas, arrows or spaces) or a list of such strings; UsageError for a malformed entry."""
    if text is None:
        return ()
    items = [text] if isinstance(text, str) else list(text)
    parts = [p for item in items for p in _SEPARATORS.split(str(item).strip()) if p]
    if len(parts) > MAX_ROUTES:
        raise UsageError(
            f"A fallback list holds at most {MAX_ROUTES} entries.",
            hint="Keep the few models you trust most.",
        )
    routes: list[Route] = []
    for part in parts:
        if not _ROUTE.match(part):
            shown = part.encode("unicode_escape").decode("ascii")[:80]
            raise UsageError(
                f"'{shown}' is not a fallback entry.",
                hint="Write provider:model, e.g. openai:gpt-6.2-sol (see `spark models`).",
            )
        provider, _, model = part.partition(":")
        route = Route(provider, model or None)
        if route not in routes:
            routes.append(route)
    return tuple(routes)


def format_routes(routes: Sequence[Route]) -> str:
    """The stored and displayed form: ``anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol``."""
    return " → ".join(str(route) for route in routes)


def route_summary(
    details: Sequence[Mapping[str, Any]], label: Callable[[str], str] = str.capitalize
) -> str | None:
    """ "answered by OpenAI gpt-6.2-sol after Anthropic was overloaded" when the first reply
    came from another provider or model than the first call went to; None otherwise.

    ``details`` are attempt details in their stored form (:meth:`AttemptDetail.to_dict`);
    ``label`` turns a provider id into its display name.
    """
    first = [d for d in details if not d.get("repair_round")]
    if not first:
        return None
    answered = next((d for d in first if d.get("outcome") == "ok"), None)
    start = first[0]
    if answered is None or (answered["provider"], answered["model"]) == (
        start["provider"],
        start["model"],
    ):
        return None
    reasons: dict[tuple[str, str], str] = {}  # the last failure of each route before it
    for detail in first:
        if detail is answered:
            break
        reasons[(detail["provider"], detail["model"])] = str(detail.get("outcome"))
    same_provider = len({provider for provider, _ in reasons} | {answered["provider"]}) == 1
    why = [
        f"{label(provider)}{f' {model}' if same_provider else ''} "
        f"{_WHY.get(outcome, f'failed ({outcome})')}"
        for (provider, model), outcome in reasons.items()
    ]
    return f"answered by {label(answered['provider'])} {answered['model']} after " + ", then ".join(
        why
    )
