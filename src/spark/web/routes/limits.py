"""Spend and rate limits over the API: ``GET /api/limits`` and ``PUT /api/limits/{scope}``
(admins; a session with its CSRF token or an admin's API token), and ``GET /api/budget``: the
signed-in user's spend against every limit that applies to them (the chat page's pre-send
check, the dashboard). The Admin → Limits page is :mod:`spark.web.routes.limits_page`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from spark.db.limits import describe_limits, scope_for, set_limits, spend_lines
from spark.db.site import NotAdminError
from spark.errors import UsageError
from spark.limits import Limits, parse_rate, parse_usd, scope_label, usd
from spark.web.auth import CurrentUser
from spark.web.deps import DatabaseDep, EngineDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, RequestBody
from spark.web.security import CsrfProtected

router = APIRouter(prefix="/api", tags=["limits"], route_class=SparkRoute)

Amount = str | int | float | None


class LimitsBody(RequestBody):
    """A scope's limits, all of them (a field left out or ``null``: no limit). Amounts in USD
    (a number or a decimal string, at most six decimal places)."""

    daily_usd: Amount = Field(default=None, description='USD a UTC day, e.g. `5` or `"12.50"`.')
    monthly_usd: Amount = Field(default=None, description="USD a UTC month.")
    requests_per_minute: int | None = Field(default=None, description="Generations a minute.")
    concurrent: int | None = Field(default=None, description="Generations running at once.")


class LimitRow(BaseModel):
    scope: str = Field(description="`team`, `default`, `user:<id>` or `provider:<id>`.")
    name: str = Field(description="The username for a user's scope, else the scope.")
    daily_usd: str | None
    monthly_usd: str | None
    requests_per_minute: int | None
    concurrent: int | None


class LimitsOut(BaseModel):
    limits: list[LimitRow]


class SpendLineOut(BaseModel):
    scope: str
    label: str = Field(description='e.g. "the team\'s daily limit".')
    period: str = Field(description="`day` or `month` (UTC calendar windows).")
    limit_usd: str
    spent_usd: str
    reserved_usd: str = Field(description="Held by generations running now.")
    left_usd: str
    warning: bool = Field(description="At least 80% of the limit is spent.")
    resets_at: str


class BudgetOut(BaseModel):
    lines: list[SpendLineOut]
    left_usd: str | None = Field(description="The least left under any limit (null: none).")
    warning: bool


_ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Not an admin (or no CSRF token)."}
}


def _require_admin(user: Any) -> None:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can see or change limits.")


def body_limits(body: LimitsBody) -> Limits:
    """The body's limits, or a 422 saying which value is wrong and why."""
    try:
        return Limits(
            daily_usd=parse_usd(body.daily_usd, "daily_usd"),
            monthly_usd=parse_usd(body.monthly_usd, "monthly_usd"),
            requests_per_minute=parse_rate(body.requests_per_minute, "requests_per_minute"),
            concurrent=parse_rate(body.concurrent, "concurrent"),
        )
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc), "See docs/teams.md.") from None


def parse_scope(scope: str) -> dict[str, Any]:
    """``team`` / ``default`` / ``user:<name>`` / ``provider:<id>`` as :func:`scope_for`'s
    arguments (422 for anything else)."""
    kind, _, name = scope.partition(":")
    if scope in ("team", "default"):
        return {scope: True}
    if kind in ("user", "provider") and name:
        return {kind: name}
    raise ApiError(
        422,
        "invalid_input",
        "The scope must be team, default, user:<username> or provider:<id>.",
        "e.g. PUT /api/limits/user:ada",
    )


@router.get(
    "/limits",
    summary="Every spend and rate limit (admins)",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}, **_ADMIN_ONLY},
)
async def read_limits(database: DatabaseDep, user: CurrentUser) -> LimitsOut:
    """Every scope that has limits; amounts are USD per UTC day and month."""
    _require_admin(user)
    async with database.session(user_id=user.id, read_only=True) as session:
        rows = await describe_limits(session=session)
    return LimitsOut(limits=[LimitRow(**row) for row in rows])


@router.put(
    "/limits/{scope}",
    summary="Set one scope's limits (admins)",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        **_ADMIN_ONLY,
        422: {"model": ErrorBody, "description": "A bad scope, user, provider or value."},
    },
)
async def put_limits(
    scope: str,
    body: LimitsBody,
    database: DatabaseDep,
    engine: EngineDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> LimitRow:
    """Replace the limits of `scope` (`team`, `default`, `user:<username>`,
    `provider:<id>`); every limit left out is removed. A provider has spend limits only."""
    _require_admin(user)
    limits = body_limits(body)
    named = parse_scope(scope)
    if "provider" in named and (limits.requests_per_minute or limits.concurrent) is not None:
        raise ApiError(422, "invalid_input", "A provider has spend limits only.")
    providers = [p.id for p in engine.catalog.providers]
    async with database.session(user_id=user.id) as session:
        try:
            key = await scope_for(session=session, providers=providers, **named)
            await set_limits(session=session, admin_id=user.id, scope=key, limits=limits)
        except UsageError as exc:
            raise ApiError(422, "invalid_input", exc.message, exc.hint) from None
        except NotAdminError as exc:
            raise ApiError(403, "forbidden", str(exc)) from None
    name = named.get("user") or named.get("provider") or scope
    return LimitRow(scope=key, name=name, **limits.to_json())


async def budget_of(database: Any, user_id: int) -> BudgetOut:
    """The user's spend against every limit that applies to them."""
    async with database.session(user_id=user_id, read_only=True) as session:
        lines = await spend_lines(session=session, user_id=user_id)
    left = min((line.left_usd for line in lines), default=None)
    return BudgetOut(
        lines=[
            SpendLineOut(label=scope_label(line.scope, line.period), **line.to_json())
            for line in lines
        ],
        left_usd=None if left is None else usd(Decimal(left)),
        warning=any(line.warning for line in lines),
    )


@router.get(
    "/budget",
    summary="Your spend against your limits",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}},
)
async def read_budget(database: DatabaseDep, user: CurrentUser) -> BudgetOut:
    """Every spend limit that applies to you (yours or the default, the team's, each
    provider's), what is spent and held in the current UTC day or month, and what is left."""
    return await budget_of(database, user.id)
