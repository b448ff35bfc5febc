"""Limits in the database, on SQLite and PostgreSQL: reserve before, settle after, expiry,
rate limits, warnings, and who may set them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from spark.db.engine import Database
from spark.db.limits import DatabaseQuota, LimitWarning, set_limits, spend_lines
from spark.db.models import LimitReservation
from spark.db.site import NotAdminError
from spark.db.types import utc_now
from spark.db.users import create_user
from spark.limits import DEFAULT, TEAM, BudgetError, Limits, RateLimitError, provider_scope

T0 = utc_now().replace(hour=12, minute=0, second=5, microsecond=0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


async def _user(db: Database, name: str, *, admin: bool = False) -> int:
    async with db.session() as session:
        user = await create_user(session=session, username=name, is_admin=admin)
        return user.id


async def _set(db: Database, scope: str, **limits: object) -> None:
    async with db.session() as session:
        await set_limits(session=session, admin_id=None, scope=scope, limits=Limits(**limits))  # type: ignore[arg-type]


def _quota(db: Database, user_id: int, clock: Clock, **kw: object) -> DatabaseQuota:
    return DatabaseQuota(db, user_id=user_id, clock=clock, **kw)  # type: ignore[arg-type]


async def test_reserve_refuses_past_the_daily_limit_and_settle_frees_the_rest(db: Database) -> None:
    ada = await _user(db, "ada")
    await _set(db, f"user:{ada}", daily_usd=Decimal("1.00"))
    quota = _quota(db, ada, Clock())
    first = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.60"))
    with pytest.raises(BudgetError) as refused:
        await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.50"))
    assert refused.value.reserved_usd == Decimal("0.60") and refused.value.spent_usd == 0
    await quota.settle(first, Decimal("0.10"))  # billed less than reserved: the rest is free
    assert first.settled_usd == Decimal("0.10")
    second = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.90"))
    await quota.settle(second, Decimal(0))  # nothing billed: released
    async with db.session(user_id=ada) as session:
        [line] = [
            x for x in await spend_lines(session=session, user_id=ada, now=T0) if x.period == "day"
        ]
    assert (line.spent_usd, line.reserved_usd, line.left_usd) == (
        Decimal("0.1"),
        Decimal(0),
        Decimal("0.9"),
    )


async def test_default_team_and_provider_limits(db: Database) -> None:
    ada, bob = await _user(db, "ada"), await _user(db, "bob")
    await _set(db, DEFAULT, monthly_usd=Decimal(2))
    await _set(db, f"user:{bob}", monthly_usd=Decimal(100))  # bob's own row wins over the default
    await _set(db, TEAM, daily_usd=Decimal(3))
    await _set(db, provider_scope("openai"), daily_usd=Decimal("0.5"))
    clock = Clock()
    with pytest.raises(BudgetError) as mine:
        await _quota(db, ada, clock).reserve(provider="anthropic", model="m", amount=Decimal("2.5"))
    assert mine.value.scope == f"user:{ada}" and mine.value.period == "month"
    with pytest.raises(BudgetError) as provider:
        await _quota(db, bob, clock).reserve(provider="openai", model="m", amount=Decimal(1))
    assert provider.value.scope == "provider:openai"
    await _quota(db, bob, clock).reserve(provider="anthropic", model="m", amount=Decimal("2.5"))
    with pytest.raises(BudgetError) as team:
        await _quota(db, ada, clock).reserve(provider="anthropic", model="m", amount=Decimal(1))
    assert team.value.scope == TEAM
    # A request that costs nothing is never refused for money.
    await _quota(db, ada, clock).reserve(provider="offline", model="t", amount=Decimal(0))


async def test_a_new_day_resets_the_daily_limit(db: Database) -> None:
    ada = await _user(db, "ada")
    await _set(db, f"user:{ada}", daily_usd=Decimal(1))
    clock = Clock()
    quota = _quota(db, ada, clock)
    await quota.settle(await quota.reserve(provider="a", model="m", amount=Decimal(1)), Decimal(1))
    with pytest.raises(BudgetError) as refused:
        await quota.reserve(provider="a", model="m", amount=Decimal("0.01"))
    assert refused.value.resets_at == (T0 + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    clock.now = refused.value.resets_at
    await quota.reserve(provider="a", model="m", amount=Decimal("0.01"))


async def test_an_abandoned_reservation_expires(db: Database) -> None:
    ada = await _user(db, "ada")
    await _set(db, f"user:{ada}", daily_usd=Decimal(1), concurrent=1)
    clock = Clock()
    quota = _quota(db, ada, clock, ttl=timedelta(minutes=5))
    lost = await quota.reserve(provider="a", model="m", amount=Decimal("0.9"))  # its process dies
    with pytest.raises(RateLimitError):
        await quota.reserve(provider="a", model="m", amount=Decimal("0.05"))
    clock.now = T0 + timedelta(minutes=6)
    again = await quota.reserve(provider="a", model="m", amount=Decimal("0.9"))
    async with db.session(user_id=ada) as session:
        row = await session.get(LimitReservation, lost.id)
        assert row is not None and row.state == "expired"
    # The late process settles after all: what it billed is added, nothing released twice.
    await quota.settle(lost, Decimal("0.05"))
    await quota.settle(again, Decimal("0.9"))
    async with db.session(user_id=ada) as session:
        [line] = [
            x
            for x in await spend_lines(session=session, user_id=ada, now=clock.now)
            if x.period == "day"
        ]
    assert (line.spent_usd, line.reserved_usd) == (Decimal("0.95"), Decimal(0))


async def test_requests_per_minute_and_concurrency(db: Database) -> None:
    ada, bob = await _user(db, "ada"), await _user(db, "bob")
    await _set(db, f"user:{ada}", requests_per_minute=2)
    await _set(db, TEAM, concurrent=3)
    clock = Clock()
    quota = _quota(db, ada, clock)
    held = [await quota.reserve(provider="offline", model="t", amount=Decimal(0)) for _ in range(2)]
    with pytest.raises(RateLimitError) as rpm:
        await quota.reserve(provider="offline", model="t", amount=Decimal(0))
    assert rpm.value.rule == "requests_per_minute" and rpm.value.retry_after == 55
    bobs = _quota(db, bob, clock)
    third = await bobs.reserve(provider="offline", model="t", amount=Decimal(0))
    with pytest.raises(RateLimitError) as busy:
        await bobs.reserve(provider="offline", model="t", amount=Decimal(0))
    assert busy.value.scope == TEAM and busy.value.rule == "concurrent"
    await quota.settle(held[0], Decimal(0))
    await bobs.settle(
        await bobs.reserve(provider="offline", model="t", amount=Decimal(0)), Decimal(0)
    )
    clock.now = T0 + timedelta(minutes=1)
    await quota.settle(held[1], Decimal(0))
    await bobs.settle(third, Decimal(0))
    await quota.reserve(provider="offline", model="t", amount=Decimal(0))  # a new minute


async def test_the_80_percent_warning_comes_once(db: Database) -> None:
    ada = await _user(db, "ada")
    await _set(db, f"user:{ada}", daily_usd=Decimal(10))
    heard: list[list[LimitWarning]] = []

    async def warn(warnings: list[LimitWarning]) -> None:
        heard.append(warnings)

    quota = _quota(db, ada, Clock(), on_warning=warn)
    for amount in ("7", "1.5", "0.5"):
        await quota.settle(
            await quota.reserve(provider="a", model="m", amount=Decimal(1)), Decimal(amount)
        )
    assert len(heard) == 1
    [warning] = heard[0]
    assert (warning.scope, warning.period, warning.spent_usd) == (
        f"user:{ada}",
        "day",
        Decimal("8.5"),
    )


async def test_only_an_admin_sets_limits(db: Database) -> None:
    await _user(db, "root", admin=True)
    async with db.session() as session:
        from spark.db.users import get_user_by_username

        plain = await create_user(session=session, username="eve")
        admin = await get_user_by_username(session=session, username="root")
        with pytest.raises(NotAdminError):
            await set_limits(
                session=session, admin_id=plain.id, scope=TEAM, limits=Limits(daily_usd=Decimal(1))
            )
        assert admin is not None
        await set_limits(
            session=session, admin_id=admin.id, scope=TEAM, limits=Limits(daily_usd=Decimal(1))
        )


async def test_reservations_are_each_users_own(db: Database) -> None:
    from sqlalchemy import select

    ada, bob = await _user(db, "ada"), await _user(db, "bob")
    await _set(db, TEAM, daily_usd=Decimal("1.5"))  # a limit applies: the money is held
    await _quota(db, ada, Clock()).reserve(provider="a", model="m", amount=Decimal(1))
    async with db.session(user_id=ada) as session:
        assert len((await session.scalars(select(LimitReservation))).all()) == 1
    async with db.session(user_id=bob) as session:
        seen = (await session.scalars(select(LimitReservation))).all()
    # PostgreSQL's row-level security hides ada's row from bob; SQLite has none (the
    # repository functions always filter by user).
    assert len(seen) == (0 if db.is_postgresql else 1)
    # Bob's quota still counts ada's money against the team (the counters are shared).
    with pytest.raises(BudgetError) as team:
        await _quota(db, bob, Clock()).reserve(provider="a", model="m", amount=Decimal(1))
    assert team.value.scope == TEAM and team.value.reserved_usd == Decimal(1)


async def _counters(db: Database) -> dict[tuple[str, str], tuple[int, int, int]]:
    from sqlalchemy import select

    from spark.db.models import LimitCounter

    async with db.session() as session:
        rows = (await session.scalars(select(LimitCounter))).all()
    return {(r.scope, r.window): (r.spent_micros, r.reserved_micros, r.count) for r in rows}


async def _reservation_rows(db: Database, user_id: int) -> int:
    from sqlalchemy import func, select

    async with db.session(user_id=user_id) as session:
        return int(await session.scalar(select(func.count()).select_from(LimitReservation)) or 0)


async def test_without_any_limit_nothing_is_held_but_the_spend_is_counted(db: Database) -> None:
    ada = await _user(db, "ada")
    quota = _quota(db, ada, Clock())
    held = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.50"))
    assert held.id is None and not held.held and held.reserved_usd == Decimal("0.50")
    # No lock, no row, no concurrency slot, no request this minute: nothing at all written.
    assert await _reservation_rows(db, ada) == 0 and await _counters(db) == {}
    await quota.settle(held, Decimal("0.125"))
    assert held.settled_usd == Decimal("0.125")
    day, month = f"d:{T0:%Y-%m-%d}", f"m:{T0:%Y-%m}"
    expected = {
        (scope, window): (125_000, 0, 0)
        for scope in (f"user:{ada}", TEAM, provider_scope("anthropic"))
        for window in (day, month)
    }
    assert await _counters(db) == expected
    # Settling twice adds nothing; a generation that billed nothing writes nothing.
    await quota.settle(held, Decimal("0.125"))
    free = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.50"))
    await quota.settle(free, Decimal(0))
    assert await _counters(db) == expected and await _reservation_rows(db, ada) == 0


async def test_a_limit_set_later_counts_what_was_spent_without_one(db: Database) -> None:
    ada, bob = await _user(db, "ada"), await _user(db, "bob")
    clock = Clock()
    for user in (ada, bob):
        quota = _quota(db, user, clock)
        held = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.40"))
        await quota.settle(held, Decimal("0.30"))
    await _set(db, TEAM, daily_usd=Decimal("1.00"))
    await _set(db, provider_scope("anthropic"), monthly_usd=Decimal("0.70"))
    # The team has $0.40 left: the $0.60 spent before the limit existed counts.
    with pytest.raises(BudgetError) as team:
        await _quota(db, ada, clock).reserve(provider="openai", model="m", amount=Decimal("0.50"))
    assert team.value.scope == TEAM and team.value.spent_usd == Decimal("0.60")
    # The provider's month too.
    with pytest.raises(BudgetError) as provider:
        await _quota(db, bob, clock).reserve(
            provider="anthropic", model="m", amount=Decimal("0.20")
        )
    assert provider.value.scope == provider_scope("anthropic")
    assert provider.value.spent_usd == Decimal("0.60")
    # Within every limit: held this time (a row and a slot).
    held = await _quota(db, bob, clock).reserve(provider="openai", model="m", amount=Decimal("0.1"))
    assert held.held and await _reservation_rows(db, bob) == 1


async def test_a_fallback_route_with_a_limit_is_held_when_the_first_was_not(
    db: Database,
) -> None:
    ada = await _user(db, "ada")
    await _set(db, provider_scope("openai"), daily_usd=Decimal("0.25"))
    quota = _quota(db, ada, Clock())
    first = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.20"))
    assert not first.held  # no limit on anthropic, the user or the team
    part = await quota.extend(first, provider="openai", model="m", amount=Decimal("0.20"))
    assert part.held and first.extensions == [part]
    with pytest.raises(BudgetError) as refused:
        await quota.extend(first, provider="openai", model="m", amount=Decimal("0.10"))
    assert refused.value.scope == provider_scope("openai")
    await quota.settle(first, Decimal("0.05"))
    await quota.settle(part, Decimal("0.02"))
    counters = await _counters(db)
    day = f"d:{T0:%Y-%m-%d}"
    assert counters[(provider_scope("anthropic"), day)] == (50_000, 0, 0)
    assert counters[(provider_scope("openai"), day)] == (20_000, 0, 0)
    assert counters[(TEAM, day)] == (70_000, 0, 0)
