"""Spend and rate limits in the database: the limits admins set, and the atomic reserve/settle.

Storage below the service: the rules, windows and errors are :mod:`spark.limits`; this module
keeps ``spark_limits``, ``spark_limit_counters`` and ``spark_limit_reservations`` (revision
0010) and implements :class:`~spark.limits.Quota` for one user (:class:`DatabaseQuota`).

**Atomic across instances.** Every reserve and every settle is one transaction that first
takes the limits lock: on PostgreSQL a transaction-level advisory lock
(``pg_advisory_xact_lock``), on SQLite the write lock SPARK's ``BEGIN IMMEDIATE`` takes. Inside
it the counters are read, checked and changed, so two instances (or two workers) can never
both see room for the last dollar. The lock is held for a few small statements; only the
limits' bookkeeping is serialised, never a generation.

**Nothing to hold.** When no limit applies to a request, :meth:`DatabaseQuota.reserve`
reads the limits (one statement, no lock) and returns an unheld reservation (no row, no slot);
settling it adds what was billed to the spend counters of the user, the team and the
provider in one statement, so that a limit set later counts what was already spent.

**Fallback.** A fallback route extends the generation's reservation before it is tried
(:meth:`DatabaseQuota.extend`): one more reservation row on the spend counters of the user, the
team and that route's provider, checked under the same lock, without a concurrency slot or a
request this minute. Each part is settled at what was billed on its own route.

**Expiry.** A reservation whose process died is never settled. Each reservation expires
``SPARK_LIMIT_RESERVATION_MINUTES`` after it was made; the next reserve (of anyone) releases
expired ones first - their money and their concurrency slot - and a late settle of an expired
reservation only adds what was billed.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import TextClause

from spark.db.engine import Database
from spark.db.models import LimitCounter, LimitReservation, SpendLimit, User
from spark.db.site import NotAdminError
from spark.db.types import utc_now
from spark.limits import (
    CONCURRENCY_RETRY_AFTER,
    DAY,
    DEFAULT,
    MONTH,
    TEAM,
    WARN_AT,
    BudgetError,
    Limits,
    RateLimitError,
    Reservation,
    from_micros,
    minute_key,
    next_minute,
    period_key,
    provider_scope,
    resets_at,
    to_micros,
    usd,
    user_scope,
)

log = logging.getLogger(__name__)

LIVE = "live"
# pg_advisory_xact_lock key: "SPARK limits" in ASCII, any constant distinct from other locks.
_LOCK_KEY = 0x5350_4B4C_494D
DEFAULT_TTL = timedelta(minutes=30)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class LimitWarning:
    """A spend limit passed 80% (reported once per scope and window)."""

    scope: str
    period: str
    limit_usd: Decimal
    spent_usd: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "period": self.period,
            "limit_usd": usd(self.limit_usd),
            "spent_usd": usd(self.spent_usd),
        }


# --- the limits admins set -----------------------------------------------------------------


def _limits(row: Any) -> Limits:
    """The limits of a ``spark_limits`` row (an ORM object or a Core row; None: none)."""
    if row is None:
        return Limits()
    return Limits(
        daily_usd=None if row.daily_micros is None else from_micros(row.daily_micros),
        monthly_usd=None if row.monthly_micros is None else from_micros(row.monthly_micros),
        requests_per_minute=row.requests_per_minute,
        concurrent=row.concurrent,
    )


async def all_limits(*, session: AsyncSession) -> dict[str, Limits]:
    """Every scope's limits, by scope."""
    rows = (await session.scalars(select(SpendLimit).order_by(SpendLimit.scope))).all()
    return {row.scope: _limits(row) for row in rows}


async def get_limits(*, session: AsyncSession, scope: str) -> Limits | None:
    """The limits of ``scope`` (None: it has no row)."""
    row = await session.get(SpendLimit, scope)
    return None if row is None else _limits(row)


async def _require_admin(session: AsyncSession, admin_id: int) -> None:
    current = await session.scalar(select(User).where(User.id == admin_id))
    if current is None or not current.is_admin or current.disabled:
        raise NotAdminError("Only an admin can change limits.")


async def set_limits(
    *, session: AsyncSession, admin_id: int | None, scope: str, limits: Limits
) -> None:
    """Replace the limits of ``scope`` as the admin ``admin_id`` (None: the command line,
    trusted); NotAdminError for anyone else. Limits without any value remove the row (a user
    then falls back to the default)."""
    if admin_id is not None:
        await _require_admin(session, admin_id)
    row = await session.get(SpendLimit, scope)
    if limits.empty:
        if row is not None:
            await session.delete(row)
        await session.flush()
        return
    values = {
        "daily_micros": None if limits.daily_usd is None else to_micros(limits.daily_usd),
        "monthly_micros": None if limits.monthly_usd is None else to_micros(limits.monthly_usd),
        "requests_per_minute": limits.requests_per_minute,
        "concurrent": limits.concurrent,
        "updated_by": admin_id,
        "updated_at": utc_now(),
    }
    if row is None:
        session.add(SpendLimit(scope=scope, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()


async def applying(
    *, session: AsyncSession, user_id: int, provider: str | None
) -> dict[str, Limits]:
    """The limits that apply to a request of ``user_id`` (on ``provider``), by scope: the
    user's own (else the default), the team's, the provider's."""
    rows = {
        row.scope: row
        for row in await session.scalars(
            select(SpendLimit).where(SpendLimit.scope.in_(_scopes(user_id, provider)))
        )
    }
    return _choose(rows, user_id, provider)


def _scopes(user_id: int, provider: str | None) -> list[str]:
    scopes = [user_scope(user_id), DEFAULT, TEAM]
    if provider is not None:
        scopes.append(provider_scope(provider))
    return scopes


def _choose(rows: dict[str, Any], user_id: int, provider: str | None) -> dict[str, Limits]:
    """:func:`applying` from the rows of its scopes, by scope."""
    mine = rows.get(user_scope(user_id)) or rows.get(DEFAULT)
    found = {user_scope(user_id): _limits(mine), TEAM: _limits(rows.get(TEAM))}
    if provider is not None:
        found[provider_scope(provider)] = _limits(rows.get(provider_scope(provider)))
    return found


LIMIT_ROWS = select(
    SpendLimit.scope,
    SpendLimit.daily_micros,
    SpendLimit.monthly_micros,
    SpendLimit.requests_per_minute,
    SpendLimit.concurrent,
)


# --- counters ------------------------------------------------------------------------------


def _dialect(session: AsyncSession | AsyncConnection) -> str:
    bind = session.get_bind() if isinstance(session, AsyncSession) else session
    return bind.dialect.name


async def _lock(session: AsyncSession | AsyncConnection) -> None:
    """The limits lock for this transaction (SQLite: already held, BEGIN IMMEDIATE)."""
    if _dialect(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


Deltas = dict[tuple[str, str], list[int]]  # (scope, window) -> [spent, reserved, count]


def _add(
    deltas: Deltas, key: tuple[str, str], *, spent: int = 0, reserved: int = 0, count: int = 0
) -> None:
    entry = deltas.setdefault((key[0], key[1]), [0, 0, 0])
    entry[0] += spent
    entry[1] += reserved
    entry[2] += count


_COUNTER_FIELDS = ("scope", "window", "spent_micros", "reserved_micros", "count", "warned")


@functools.cache
def _upsert(dialect_name: str, size: int) -> TextClause:
    """The upsert of ``size`` counters: each row's figures added to its counter (created when
    missing), in one statement with named parameters (``scope_0``, ``window_0``…).

    Built with Core once per dialect and size, then kept as its SQL text: SQLAlchemy never
    caches the compiled form of a multi-row ``VALUES``, and compiling this one took ~0.7 ms
    on every call (a text statement is compiled once)."""
    if dialect_name == "postgresql":
        statement = _upsert_statement(postgresql, size)
        dialect = PGDialect(paramstyle="named")  # type: ignore[no-untyped-call]
        compiled = statement.compile(dialect=dialect)  # the base dialect: no driver casts
    else:
        statement = _upsert_statement(sqlite, size)
        compiled = statement.compile(dialect=SQLiteDialect(paramstyle="named"))
    return text(str(compiled))


def _upsert_statement(dialect: Any, size: int) -> Any:
    rows: list[dict[str, Any]] = [
        {name: bindparam(f"{name}_{i}") for name in _COUNTER_FIELDS} for i in range(size)
    ]
    table = LimitCounter.__table__.c  # Core, not the ORM: its bulk INSERT would take the
    # parameters for attributes
    statement: Any = dialect.insert(LimitCounter.__table__).values(rows)
    added = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.scope, table.window],
        set_={
            "spent_micros": table.spent_micros + added.spent_micros,
            "reserved_micros": table.reserved_micros + added.reserved_micros,
            "count": table.count + added.count,
        },
    )


async def _apply(session: AsyncSession | AsyncConnection, deltas: Deltas) -> None:
    """Add ``deltas`` to their counters (created when missing) in one statement."""
    if not deltas:
        return
    values: dict[str, Any] = {}
    for i, ((scope, window), (spent, reserved, count)) in enumerate(sorted(deltas.items())):
        row = (scope, window, spent, reserved, count, False)
        for name, value in zip(_COUNTER_FIELDS, row, strict=True):
            values[f"{name}_{i}"] = value
    await session.execute(_upsert(_dialect(session), len(deltas)), values)


async def _counters(
    session: AsyncSession | AsyncConnection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """The counters of ``keys`` that exist: ORM objects in a session (the warnings mark
    them), Core rows on a connection (read only)."""
    wanted = list(keys)
    scopes = {scope for scope, _ in wanted}
    windows = {window for _, window in wanted}
    if isinstance(session, AsyncConnection):
        found: Any = await session.execute(
            _COUNTER_ROWS.where(LimitCounter.scope.in_(scopes), LimitCounter.window.in_(windows))
        )
    else:
        found = await session.scalars(
            select(LimitCounter)
            .where(LimitCounter.scope.in_(scopes), LimitCounter.window.in_(windows))
            .execution_options(populate_existing=True)
        )
    return {(r.scope, r.window): r for r in found if (r.scope, r.window) in set(wanted)}


_COUNTER_ROWS = select(
    LimitCounter.scope,
    LimitCounter.window,
    LimitCounter.spent_micros,
    LimitCounter.reserved_micros,
    LimitCounter.count,
)


def _release(deltas: Deltas, counters: list[list[str]], micros: int) -> None:
    """Give back what a reservation held on ``counters`` (money, its slot)."""
    for scope, window in counters:
        if window == LIVE:
            _add(deltas, (scope, window), count=-1)
        else:
            _add(deltas, (scope, window), reserved=-micros)


async def expire_reservations(*, session: AsyncSession, now: datetime) -> int:
    """Release every reservation past its expiry (whoever made it); how many. Call it holding
    the limits lock."""
    if session.get_bind().dialect.name == "postgresql":
        rows = (
            await session.execute(
                text("SELECT counters, reserved_micros FROM spark_expire_limit_reservations(:now)"),
                {"now": now},
            )
        ).all()
        expired = [(json.loads(counters), micros) for counters, micros in rows]
    else:
        found = await session.execute(
            update(LimitReservation)
            .where(LimitReservation.state == "active", LimitReservation.expires_at < now)
            .values(state="expired", settled_at=now)
            .returning(LimitReservation.counters, LimitReservation.reserved_micros)
        )
        expired = [(list(counters), micros) for counters, micros in found.all()]
    deltas: Deltas = {}
    for counters, micros in expired:
        _release(deltas, counters, micros)
    await _apply(session, deltas)
    if expired:
        log.info("released %d limit reservation(s) whose generation never ended", len(expired))
    return len(expired)


# --- the quota of one user -----------------------------------------------------------------


class DatabaseQuota:
    """:class:`~spark.limits.Quota` of one user in ``database`` (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        *,
        user_id: int,
        ttl: timedelta = DEFAULT_TTL,
        clock: Clock = utc_now,
        on_warning: Callable[[list[LimitWarning]], Awaitable[None]] | None = None,
        known: dict[str, Any] | None = None,
    ) -> None:
        self.database = database
        # The spark_limits rows already read for this request, by scope (generation_context):
        # the first reserve decides from them whether anything must be held, without a read.
        self.known = known
        self.user_id = user_id
        self.ttl = ttl
        self.clock = clock
        self.on_warning = on_warning

    async def _unlimited(self, provider: str) -> bool:
        """Whether no limit at all applies to a request on ``provider`` (one read, no lock;
        none the first time when the rows were read with the request's context)."""
        rows: dict[str, Any]
        if self.known is not None:
            rows, self.known = self.known, None
        else:
            async with self.database.transaction(
                user_id=self.user_id, read_only=True, statements=1
            ) as connection:
                found = await connection.execute(
                    LIMIT_ROWS.where(SpendLimit.scope.in_(_scopes(self.user_id, provider)))
                )
                rows = {row.scope: row for row in found}
        return all(rules.empty for rules in _choose(rows, self.user_id, provider).values())

    def _unheld(self, provider: str, model: str, micros: int, now: datetime) -> Reservation:
        return Reservation(
            None,
            self.user_id,
            provider,
            from_micros(micros),
            quota=self,
            model=model,
            made_at=now,
        )

    async def reserve(self, *, provider: str, model: str, amount: Decimal) -> Reservation:
        """Hold ``amount`` and a slot (see the module docstring); when no limit applies to the
        request at all, hold nothing: one read, no lock, no row (an unheld reservation)."""
        now = self.clock()
        micros = to_micros(amount)
        if await self._unlimited(provider):
            return self._unheld(provider, model, micros, now)
        me = user_scope(self.user_id)
        async with self.database.session(user_id=self.user_id) as session:
            await _lock(session)
            await expire_reservations(session=session, now=now)
            limits = await applying(session=session, user_id=self.user_id, provider=provider)
            spend_keys = [(scope, period_key(p, now)) for scope in limits for p in (DAY, MONTH)]
            live_keys = [(me, LIVE), (TEAM, LIVE)]
            minute_keys = [(me, minute_key(now)), (TEAM, minute_key(now))]
            counters = await _counters(session, [*spend_keys, *live_keys, *minute_keys])
            _check_rates(limits, counters, me, now)
            _check_spend(limits, counters, micros, now, amount)
            deltas: Deltas = {}
            for key in spend_keys:
                _add(deltas, key, reserved=micros)
            for key in [*live_keys, *minute_keys]:
                _add(deltas, key, count=1)
            await _apply(session, deltas)
            await session.execute(
                delete(LimitCounter).where(
                    LimitCounter.scope.in_([me, TEAM]),
                    LimitCounter.window.like("min:%"),
                    LimitCounter.window < minute_key(now),
                )
            )
            row = LimitReservation(
                user_id=self.user_id,
                provider=provider,
                counters=[list(key) for key in [*spend_keys, *live_keys]],
                reserved_micros=micros,
                state="active",
                created_at=now,
                expires_at=now + self.ttl,
            )
            session.add(row)
            await session.flush()
            return Reservation(
                row.id, self.user_id, provider, from_micros(micros), quota=self, model=model
            )

    async def extend(
        self, reservation: Reservation, *, provider: str, model: str, amount: Decimal
    ) -> Reservation:
        """A fallback route's part of ``reservation`` (see :meth:`Quota.extend`): its own
        reservation row holding money on the spend counters of the user, the team and
        ``provider`` (no concurrency slot, no request this minute), so it is settled, released
        and expired exactly like the first part."""
        now = self.clock()
        micros = to_micros(amount)
        if await self._unlimited(provider):
            part = self._unheld(provider, model, micros, now)
            reservation.extensions.append(part)
            return part
        async with self.database.session(user_id=self.user_id) as session:
            await _lock(session)
            await expire_reservations(session=session, now=now)
            limits = await applying(session=session, user_id=self.user_id, provider=provider)
            spend_keys = [(scope, period_key(p, now)) for scope in limits for p in (DAY, MONTH)]
            counters = await _counters(session, spend_keys)
            _check_spend(limits, counters, micros, now, amount)
            deltas: Deltas = {}
            for key in spend_keys:
                _add(deltas, key, reserved=micros)
            await _apply(session, deltas)
            row = LimitReservation(
                user_id=self.user_id,
                provider=provider,
                counters=[list(key) for key in spend_keys],
                reserved_micros=micros,
                state="active",
                created_at=now,
                expires_at=now + self.ttl,
            )
            session.add(row)
            await session.flush()
            part = Reservation(
                row.id, self.user_id, provider, from_micros(micros), quota=self, model=model
            )
        reservation.extensions.append(part)
        return part

    def may_count_requests(self) -> bool:
        """Whether a cache hit may have to be counted against a requests-per-minute limit:
        False only when the limits read with the request (``known``) show none for the user
        (or the default) and the team."""
        if self.known is None:
            return True
        limits = _choose(self.known, self.user_id, None)
        rated = (user_scope(self.user_id), TEAM)
        return any(limits[scope].requests_per_minute is not None for scope in rated)

    async def count_request(self, connection: AsyncConnection) -> None:
        """Count one request against the rate limits of requests per minute (the user's and
        the team's) in ``connection``'s transaction, or raise a :class:`RateLimitError`: what a
        response-cache hit costs. It holds no money and no concurrency slot (it is over when
        it is recorded), so neither spend nor concurrency is checked. Without any
        requests-per-minute limit on the user or the team nothing is counted (one read)."""
        now = self.clock()
        me = user_scope(self.user_id)
        await _lock(connection)
        found = await connection.execute(
            LIMIT_ROWS.where(SpendLimit.scope.in_(_scopes(self.user_id, None)))
        )
        limits = _choose({row.scope: row for row in found}, self.user_id, None)
        if all(limits[scope].requests_per_minute is None for scope in (me, TEAM)):
            return  # nothing to count against (a limit set later counts from its next minute)
        minute_keys = [(me, minute_key(now)), (TEAM, minute_key(now))]
        counters = await _counters(connection, minute_keys)
        _check_rates(limits, counters, me, now, concurrency=False)
        deltas: Deltas = {}
        for key in minute_keys:
            _add(deltas, key, count=1)
        await _apply(connection, deltas)

    async def settle(self, reservation: Reservation, amount: Decimal) -> None:
        now = self.clock()
        micros = to_micros(amount)
        if not reservation.held:
            if reservation.settled_usd is None and micros:
                await self._add_spent(reservation, micros, reservation.made_at or now)
            reservation.settled_usd = from_micros(micros)
            return
        warnings: list[LimitWarning] = []
        async with self.database.session(user_id=self.user_id) as session:
            await _lock(session)
            row = await session.get(LimitReservation, reservation.id, populate_existing=True)
            if row is None or row.state == "settled":
                return
            spend_keys = [(s, w) for s, w in row.counters if w != LIVE]
            deltas: Deltas = {}
            if row.state == "active":
                _release(deltas, row.counters, row.reserved_micros)
            for key in spend_keys:
                _add(deltas, key, spent=micros)
            await _apply(session, deltas)
            row.state, row.settled_micros, row.settled_at = "settled", micros, now
            if micros:
                warnings = await _warnings(session, self.user_id, row.provider, spend_keys)
        reservation.settled_usd = from_micros(micros)
        if warnings and self.on_warning is not None:
            await self.on_warning(warnings)

    async def _add_spent(self, reservation: Reservation, micros: int, at: datetime) -> None:
        """What an unheld reservation billed, added to the spend counters of the user, the
        team and its provider in the windows of ``at`` (one statement, no lock: the counters
        of a scope without limits are kept so that a limit set later starts from what is
        already spent; no warning, as no limit applied)."""
        deltas: Deltas = {}
        for scope in (user_scope(self.user_id), TEAM, provider_scope(reservation.provider)):
            for period in (DAY, MONTH):
                _add(deltas, (scope, period_key(period, at)), spent=micros)
        async with self.database.transaction(user_id=self.user_id, statements=1) as connection:
            await _apply(connection, deltas)


def _check_rates(
    limits: dict[str, Limits],
    counters: dict[tuple[str, str], LimitCounter],
    me: str,
    now: datetime,
    *,
    concurrency: bool = True,
) -> None:
    for scope in (me, TEAM):
        rules = limits[scope]
        running = counters.get((scope, LIVE))
        live = 0 if running is None else running.count
        if concurrency and rules.concurrent is not None and live >= rules.concurrent:
            raise RateLimitError(
                scope=scope,
                rule="concurrent",
                limit=rules.concurrent,
                retry_after=CONCURRENCY_RETRY_AFTER,
            )
        started = counters.get((scope, minute_key(now)))
        count = 0 if started is None else started.count
        if rules.requests_per_minute is not None and count >= rules.requests_per_minute:
            wait = max(1, int((next_minute(now) - now).total_seconds() + 0.999))
            raise RateLimitError(
                scope=scope,
                rule="requests_per_minute",
                limit=rules.requests_per_minute,
                retry_after=wait,
            )


def _check_spend(
    limits: dict[str, Limits],
    counters: dict[tuple[str, str], LimitCounter],
    micros: int,
    now: datetime,
    amount: Decimal,
) -> None:
    """Refuse when holding ``micros`` more would pass any spend limit (a request that costs
    nothing is never refused for money)."""
    if micros <= 0:
        return
    for scope, rules in limits.items():
        for period in (DAY, MONTH):
            limit = rules.spend(period)
            if limit is None:
                continue
            row = counters.get((scope, period_key(period, now)))
            spent = 0 if row is None else row.spent_micros
            held = 0 if row is None else row.reserved_micros
            if spent + held + micros > to_micros(limit):
                raise BudgetError(
                    scope=scope,
                    period=period,
                    limit_usd=limit,
                    spent_usd=from_micros(spent),
                    reserved_usd=from_micros(held),
                    requested_usd=from_micros(micros),
                    resets=resets_at(period, now),
                    now=now,
                )


async def _warnings(
    session: AsyncSession, user_id: int, provider: str, keys: list[tuple[str, str]]
) -> list[LimitWarning]:
    """Mark and return the counters of ``keys`` that just passed 80% of their limit."""
    limits = await applying(session=session, user_id=user_id, provider=provider)
    counters = await _counters(session, keys)
    found = []
    for (scope, window), row in counters.items():
        period = DAY if window.startswith("d:") else MONTH
        limit = limits.get(scope, Limits()).spend(period)
        if limit is None or row.warned or row.spent_micros < to_micros(limit * WARN_AT):
            continue
        row.warned = True
        found.append(LimitWarning(scope, period, limit, from_micros(row.spent_micros)))
    return found


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpendLine:
    """One limit with what is used of it."""

    scope: str
    period: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    resets_at: datetime

    @property
    def left_usd(self) -> Decimal:
        return max(Decimal(0), self.limit_usd - self.spent_usd - self.reserved_usd)

    @property
    def warning(self) -> bool:
        return self.spent_usd >= self.limit_usd * WARN_AT

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "period": self.period,
            "limit_usd": usd(self.limit_usd),
            "spent_usd": usd(self.spent_usd),
            "reserved_usd": usd(self.reserved_usd),
            "left_usd": usd(self.left_usd),
            "warning": self.warning,
            "resets_at": self.resets_at.isoformat(),
        }


async def spend_lines(
    *, session: AsyncSession, user_id: int, now: datetime | None = None
) -> list[SpendLine]:
    """Every spend limit that applies to ``user_id`` (theirs or the default, the team's, each
    provider's) with what is spent and held in its current window."""
    now = now or utc_now()
    limits = await applying(session=session, user_id=user_id, provider=None)
    every = await all_limits(session=session)
    for scope, rules in every.items():
        if scope.startswith("provider:"):
            limits[scope] = rules
    keys = [(scope, period_key(p, now)) for scope in limits for p in (DAY, MONTH)]
    counters = await _counters(session, keys)
    lines = []
    for scope, rules in limits.items():
        for period in (DAY, MONTH):
            limit = rules.spend(period)
            if limit is None:
                continue
            row = counters.get((scope, period_key(period, now)))
            lines.append(
                SpendLine(
                    scope=scope,
                    period=period,
                    limit_usd=limit,
                    spent_usd=from_micros(0 if row is None else row.spent_micros),
                    reserved_usd=from_micros(0 if row is None else row.reserved_micros),
                    resets_at=resets_at(period, now),
                )
            )
    return lines


def quota_for(
    database: Database, settings: Any, *, user_id: int, known: dict[str, Any] | None = None
) -> DatabaseQuota:
    """The quota of ``user_id`` as the settings configure it (expiry, warning webhook);
    ``known``: the limits rows read with the request (:class:`DatabaseQuota`)."""
    from spark.webhook import sender

    url = settings.limit_webhook_url
    return DatabaseQuota(
        database,
        user_id=user_id,
        ttl=timedelta(minutes=settings.limit_reservation_minutes),
        on_warning=sender(None if url is None else url.get_secret_value()),
        known=known,
    )


async def scope_for(
    *,
    session: AsyncSession,
    user: str | None = None,
    team: bool = False,
    provider: str | None = None,
    default: bool = False,
    providers: Iterable[str] = (),
) -> str:
    """The scope named by exactly one of the arguments (a username, the team, a provider
    among ``providers``, the default for users); UsageError otherwise."""
    from spark.db.users import get_user_by_username
    from spark.errors import UsageError

    chosen = [x for x in (user is not None, team, provider is not None, default) if x]
    if len(chosen) != 1:
        raise UsageError(
            "Name exactly one scope: a user, the team, a provider or the default.",
            hint="e.g. --user ada, --team, --provider anthropic or --default.",
        )
    if team:
        return TEAM
    if default:
        return DEFAULT
    if provider is not None:
        known = sorted(providers)
        if provider not in known:
            raise UsageError(
                f"Unknown provider {provider[:64]!r}.", hint=f"Use one of: {', '.join(known)}."
            )
        return provider_scope(provider)
    assert user is not None
    account = await get_user_by_username(session=session, username=user)
    if account is None:
        raise UsageError(
            f"There is no user {user[:64]!r}.", hint="See `spark users list` for the names."
        )
    return user_scope(account.id)


async def describe_limits(*, session: AsyncSession) -> list[dict[str, Any]]:
    """Every scope's limits with a readable name (usernames for user scopes), for lists."""
    from spark.db.users import list_users

    names = {user_scope(u.id): u.username for u in await list_users(session=session)}
    rows = []
    for scope, limits in (await all_limits(session=session)).items():
        label = names.get(scope, scope)
        rows.append({"scope": scope, "name": label, **limits.to_json()})
    return rows


async def spent_by_scope(
    *, session: AsyncSession, scopes: Iterable[str], now: datetime | None = None
) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(spent, held) in the current day and month of each scope, by (scope, period)."""
    now = now or utc_now()
    keys = [(scope, period_key(p, now)) for scope in scopes for p in (DAY, MONTH)]
    counters = await _counters(session, keys)
    found = {}
    for scope, window in keys:
        row = counters.get((scope, window))
        period = DAY if window.startswith("d:") else MONTH
        spent = 0 if row is None else row.spent_micros
        held = 0 if row is None else row.reserved_micros
        found[(scope, period)] = (from_micros(spent), from_micros(held))
    return found


# --- the retention's clean-up -------------------------------------------------------------

# Settled and expired reservations are kept this long after they ended, then deleted: long
# after any late settle (a generation runs for hours at most, spark.db.history.STALE_AFTER).
KEEP_ENDED_RESERVATIONS = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LimitCleanup:
    """What :func:`forget_old_limit_rows` deleted."""

    counters: int
    reservations: int


async def forget_old_limit_rows(
    *,
    session: AsyncSession,
    now: datetime | None = None,
    keep_ended: timedelta = KEEP_ENDED_RESERVATIONS,
) -> LimitCleanup:
    """Delete the limits' rows no request will read again, every user's (the history
    retention's clean-up): counters of a day before today, a month before this one (either
    only once nothing is held on it) and a minute before this one, and reservations settled or
    expired more than ``keep_ended`` ago. Expired reservations are released first, as a
    request would; the ``live`` counters and the current windows stay. Takes the limits lock.
    """
    now = now or utc_now()
    await _lock(session)
    await expire_reservations(session=session, now=now)
    c = LimitCounter
    over = or_(
        and_(c.window.like("d:%"), c.window < period_key(DAY, now), c.reserved_micros == 0),
        and_(c.window.like("m:%"), c.window < period_key(MONTH, now), c.reserved_micros == 0),
        and_(c.window.like("min:%"), c.window < minute_key(now)),
    )
    counters = int(getattr(await session.execute(delete(c).where(over)), "rowcount", 0))
    before = now - keep_ended
    if session.get_bind().dialect.name == "postgresql":
        reservations = int(
            await session.scalar(
                text("SELECT spark_forget_old_limit_reservations(:before)"), {"before": before}
            )
            or 0
        )
    else:
        r = LimitReservation
        deleted = await session.execute(
            delete(r).where(r.state.in_(("settled", "expired")), r.settled_at < before)
        )
        reservations = int(getattr(deleted, "rowcount", 0))
    return LimitCleanup(counters=counters, reservations=reservations)
