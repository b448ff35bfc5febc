"""Spend limits and rate limits: the rules, the windows, the price of a request, the errors.

Everything here is pure (no database, no HTTP): :mod:`spark.db.limits` stores limits and does
the atomic reserve/settle on top of it, and :class:`~spark.generation.Engine` asks a
:class:`Quota` (one per user and request) before any provider is called.

- **Scopes.** A limit applies to one user (``user:<id>``), the whole team (``team``: a SPARK
  installation), or one provider across the team (``provider:<id>``). ``default`` holds the
  limits of every user who has no row of their own.
- **Windows.** Spend is counted per calendar day and calendar month in UTC; a day's limit resets
  at 00:00 UTC, a month's on the first at 00:00 UTC. Requests per minute count per UTC minute.
- **Reserve, then settle.** A request reserves its most expensive outcome
  (:func:`max_cost`) before the provider is called and is refused when any limit would be
  passed (:class:`BudgetError`); when the generation ends the reservation is settled at what was
  really billed (:func:`billed_cost`), every attempt included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, Protocol

from spark.catalog import Catalog, Price
from spark.errors import SparkError
from spark.estimate import estimate_tokens
from spark.usage import Usage

TEAM = "team"
DEFAULT = "default"
DAY = "day"
MONTH = "month"
MICROS = Decimal(1_000_000)
# The largest limit accepted: far above any real budget, far below numeric(14, 6)'s range.
MAX_LIMIT_USD = Decimal(1_000_000)
MAX_RATE = 100_000
WARN_AT = Decimal("0.8")  # a warning once spend passes 80% of a limit
CONCURRENCY_RETRY_AFTER = 2  # seconds: how soon a slot may be free again (a guess, not a promise)


def user_scope(user_id: int) -> str:
    return f"user:{user_id}"


def provider_scope(provider: str) -> str:
    return f"provider:{provider}"


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one scope; ``None`` means no limit."""

    daily_usd: Decimal | None = None
    monthly_usd: Decimal | None = None
    requests_per_minute: int | None = None
    concurrent: int | None = None

    def spend(self, period: str) -> Decimal | None:
        return self.daily_usd if period == DAY else self.monthly_usd

    @property
    def empty(self) -> bool:
        return all(
            value is None
            for value in (
                self.daily_usd,
                self.monthly_usd,
                self.requests_per_minute,
                self.concurrent,
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "daily_usd": _text(self.daily_usd),
            "monthly_usd": _text(self.monthly_usd),
            "requests_per_minute": self.requests_per_minute,
            "concurrent": self.concurrent,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else usd(value)


def usd(value: Decimal) -> str:
    """An amount as shown and sent: at least cents, at most micro dollars ("5.00", "0.0125")."""
    text = f"{value.quantize(Decimal('0.000001')):f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def parse_usd(raw: object, name: str) -> Decimal | None:
    """A limit in USD from user input (``None``/empty: no limit); ValueError says what is wrong.

    Refuses negative, NaN, infinite, absurdly large and non-numeric values, and more than six
    decimal places (the precision spend is kept at).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError(f"{name} must be a number of US dollars.")
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        raise ValueError(f"{name} must be a number of US dollars, such as 5 or 12.50.") from None
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number of US dollars.")
    if value < 0:
        raise ValueError(f"{name} cannot be negative.")
    if value > MAX_LIMIT_USD:
        raise ValueError(f"{name} cannot be more than ${MAX_LIMIT_USD:,}.")
    if value != value.quantize(Decimal("0.000001"), rounding=ROUND_CEILING):
        raise ValueError(f"{name} can have at most six decimal places.")
    return Decimal(int(value)) if value == value.to_integral_value() else value


def parse_rate(raw: object, name: str) -> int | None:
    """A count limit (requests per minute, concurrent generations); ``None``/empty: no limit."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{name} must be a whole number.")
    if isinstance(raw, float) and (not math.isfinite(raw) or raw != int(raw)):
        raise ValueError(f"{name} must be a whole number.")
    try:
        value = int(str(raw).strip()) if not isinstance(raw, float) else int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number.") from None
    if value < 0:
        raise ValueError(f"{name} cannot be negative.")
    if value > MAX_RATE:
        raise ValueError(f"{name} cannot be more than {MAX_RATE:,}.")
    return value


# --- windows -------------------------------------------------------------------------------


def period_key(period: str, now: datetime) -> str:
    """The counter key of the window ``now`` falls in: ``d:2026-12-03``, ``m:2026-12``."""
    now = now.astimezone(UTC)
    return f"d:{now:%Y-%m-%d}" if period == DAY else f"m:{now:%Y-%m}"


def minute_key(now: datetime) -> str:
    return f"min:{now.astimezone(UTC):%Y-%m-%dT%H:%M}"


def resets_at(period: str, now: datetime) -> datetime:
    """When the window of ``period`` that holds ``now`` ends (UTC midnight / the 1st)."""
    now = now.astimezone(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == DAY:
        return start + timedelta(days=1)
    if now.month == 12:
        return start.replace(year=now.year + 1, month=1, day=1)
    return start.replace(month=now.month + 1, day=1)


def next_minute(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)


# --- prices --------------------------------------------------------------------------------


def price_of(catalog: Catalog, provider: str, model: str) -> Price | None:
    """The model's price; for a model without one, the most expensive rates of its provider
    (each rate the provider's highest), so an unknown price never counts as $0. None only when
    the provider itself prices nothing (then nothing can be charged for it)."""
    known = catalog.find(provider, model)
    if known is not None and known.price is not None:
        return known.price
    try:
        prices = [m.price for m in catalog.models(provider) if m.price is not None]
    except SparkError:
        prices = []
    if not prices:
        prices = [m.price for p in catalog.providers for m in p.models if m.price is not None]
    if not prices:
        return None
    return Price(
        input=max(p.input for p in prices),
        output=max(p.output for p in prices),
        cache_read=max(p.cache_read for p in prices),
        cache_write=max(p.cache_write for p in prices),
        checked=min(p.checked for p in prices),
        source="the provider's most expensive rates (the model's price is unknown)",
    )


def charge(catalog: Catalog, provider: str, model: str, usage: Usage) -> Decimal:
    """What ``usage`` counts against the limits: its cost at :func:`price_of`, in whole micro
    dollars rounded up."""
    price = price_of(catalog, provider, model)
    if price is None:
        return Decimal(0)
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
    ) / MICROS
    return total.quantize(Decimal("0.000001"), rounding=ROUND_CEILING)


def max_cost(
    catalog: Catalog,
    *,
    provider: str,
    model: str,
    texts: Iterable[str],
    max_tokens: int,
    replies: int = 1,
) -> Decimal:
    """The most a generation can cost: ``replies`` provider calls (the first reply and the
    repair rounds), each with the estimated input (system prompt, conversation, prompt; a
    repair round also sends the previous reply back, at most ``max_tokens``) and ``max_tokens``
    of output at the output price."""
    input_tokens = sum(estimate_tokens(text) for text in texts)
    total = Usage()
    for reply in range(max(1, replies)):
        total = total + Usage(
            input_tokens=input_tokens + (2 * max_tokens if reply else 0),
            output_tokens=max_tokens,
        )
    return charge(catalog, provider, model, total)


def to_micros(amount: Decimal) -> int:
    return int((amount * MICROS).to_integral_value(rounding=ROUND_CEILING))


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS).quantize(Decimal("0.000001"))


# --- the errors ----------------------------------------------------------------------------


class LimitError(SparkError):
    """A request refused by one of SPARK's own limits (HTTP 429)."""

    kind = "limit"
    retry_after: int | None = None

    def details(self) -> dict[str, Any]:
        return {}


def scope_label(scope: str, period: str | None = None) -> str:
    """Words for a scope: "your daily limit", "the team's monthly limit", ..."""
    what = {DAY: "daily ", MONTH: "monthly ", None: ""}.get(period, "")
    if scope == TEAM:
        return f"the team's {what}limit"
    if scope.startswith("provider:"):
        return f"the {what}limit on {scope.removeprefix('provider:')}"
    return f"your {what}limit"


class BudgetError(LimitError):
    """Spending this request's reservation would pass a spend limit."""

    kind = "budget"

    def __init__(
        self,
        *,
        scope: str,
        period: str,
        limit_usd: Decimal,
        spent_usd: Decimal,
        reserved_usd: Decimal,
        requested_usd: Decimal,
        resets: datetime,
        now: datetime,
    ) -> None:
        self.scope, self.period = scope, period
        self.limit_usd, self.spent_usd = limit_usd, spent_usd
        self.reserved_usd, self.requested_usd = reserved_usd, requested_usd
        self.resets_at = resets
        self.retry_after = max(1, math.ceil((resets - now).total_seconds()))
        super().__init__(
            f"This request could cost up to ${usd(requested_usd)}, and "
            f"{scope_label(scope, period)} of ${usd(limit_usd)} has "
            f"${usd(max(Decimal(0), limit_usd - spent_usd - reserved_usd))} left "
            f"(${usd(spent_usd)} spent, ${usd(reserved_usd)} held by generations running now).",
            hint=f"It resets at {resets:%Y-%m-%d %H:%M} UTC. Pick a cheaper model, lower the "
            "output limit, or ask an admin to raise the limit.",
        )

    def details(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "period": self.period,
            "limit_usd": usd(self.limit_usd),
            "spent_usd": usd(self.spent_usd),
            "reserved_usd": usd(self.reserved_usd),
            "requested_usd": usd(self.requested_usd),
            "resets_at": self.resets_at.isoformat(),
        }


class RateLimitError(LimitError):
    """Too many requests this minute, or too many generations running at once."""

    kind = "rate_limited"

    def __init__(self, *, scope: str, rule: str, limit: int, retry_after: int) -> None:
        self.scope, self.rule, self.limit = scope, rule, limit
        self.retry_after = retry_after
        who = "the team" if scope == TEAM else "you"
        if rule == "requests_per_minute":
            message = f"Too many requests: {who} may start {limit} generations a minute."
        else:
            message = f"Too many generations at once: {who} may run {limit} at a time."
        super().__init__(message, hint=f"Try again in {retry_after} s.")

    def details(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "rule": self.rule,
            "limit": self.limit,
            "retry_after": self.retry_after,
        }


# --- what the engine asks ------------------------------------------------------------------


@dataclass(slots=True)
class Reservation:
    """Money (and a concurrency slot) held for one generation until it is settled.

    ``id`` is None when no limit applied to the request: nothing was held (no lock, no row);
    settling it only adds what was billed to the spend counters (so what is spent is known if a
    limit is set later), and ``reserved_usd`` is still the most the generation could cost."""

    id: int | None
    user_id: int
    provider: str
    reserved_usd: Decimal
    settled_usd: Decimal | None = None
    quota: Quota | None = field(default=None, repr=False, compare=False)
    model: str | None = None
    # What a fallback route added before it was tried (:meth:`Quota.extend`): money only, no
    # request or concurrency slot; settled and released with this reservation.
    extensions: list[Reservation] = field(default_factory=list)
    # When it was made: an unheld reservation's spend counts in the windows of that moment.
    made_at: datetime | None = None

    @property
    def held(self) -> bool:
        """Whether money (and a slot) is held in the database for it."""
        return self.id is not None

    @property
    def held_usd(self) -> Decimal:
        """What this reservation holds in all, its extensions included."""
        return self.reserved_usd + sum((x.reserved_usd for x in self.extensions), Decimal(0))

    @property
    def settled_total_usd(self) -> Decimal | None:
        """What all parts were settled at (None until this part is settled)."""
        if self.settled_usd is None:
            return None
        return self.settled_usd + sum(
            (x.settled_usd or Decimal(0) for x in self.extensions), Decimal(0)
        )


class Quota(Protocol):
    """One user's limits, as the engine sees them (``spark.db.limits.DatabaseQuota``)."""

    async def reserve(self, *, provider: str, model: str, amount: Decimal) -> Reservation:
        """Hold ``amount`` (and a slot) or raise a :class:`LimitError`."""

    async def extend(
        self, reservation: Reservation, *, provider: str, model: str, amount: Decimal
    ) -> Reservation:
        """Hold ``amount`` more for ``reservation``'s generation on another provider (a
        fallback route), checked against the spend limits of the user, the team and
        ``provider`` like :meth:`reserve`, but counting no request against the rate limits;
        a :class:`BudgetError` when it would pass one. The part is added to
        ``reservation.extensions`` and returned."""

    async def settle(self, reservation: Reservation, amount: Decimal) -> None:
        """Replace the reservation by what was billed (zero releases it)."""
