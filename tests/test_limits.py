"""The pure rules of spend and rate limits: input parsing, windows, prices, the errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from spark.catalog import load_catalog
from spark.errors import error_json
from spark.limits import (
    DAY,
    MONTH,
    TEAM,
    BudgetError,
    RateLimitError,
    charge,
    max_cost,
    parse_rate,
    parse_usd,
    period_key,
    price_of,
    resets_at,
)
from spark.usage import Usage

NOW = datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5", Decimal(5)), (12.5, Decimal("12.5")), ("0", Decimal(0)), ("", None), (None, None)],
)
def test_usd_accepted(raw: object, expected: Decimal | None) -> None:
    assert parse_usd(raw, "daily") == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("-1", "negative"),
        ("NaN", "finite"),
        (float("nan"), "finite"),
        ("inf", "finite"),
        ("1e400", "more than"),
        ("10000001", "more than"),
        ("five", "number"),
        ("1.0000001", "six decimal"),
        (True, "number"),
        ([1], "number"),
        ("5\x00", "number"),
    ],
)
def test_usd_refused_with_a_reason(raw: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_usd(raw, "daily")


@pytest.mark.parametrize("raw", ["-1", "1.5", "lots", "100001", 2.5, float("inf"), True])
def test_rate_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_rate(raw, "requests per minute")


def test_rate_accepted() -> None:
    assert parse_rate("30", "rpm") == 30
    assert parse_rate(3.0, "rpm") == 3
    assert parse_rate("", "rpm") is None


def test_windows_are_utc_calendar_days_and_months() -> None:
    assert period_key(DAY, NOW) == "d:2026-12-31"
    assert period_key(MONTH, NOW) == "m:2026-12"
    assert resets_at(DAY, NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    assert resets_at(MONTH, NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    mid = datetime(2026, 2, 10, 5, tzinfo=UTC)
    assert resets_at(MONTH, mid) == datetime(2026, 3, 1, tzinfo=UTC)


def test_an_unknown_model_costs_its_providers_most_expensive_rates() -> None:
    catalog = load_catalog()
    usage = Usage(input_tokens=1000, output_tokens=1000)
    dearest = max(
        (catalog.cost("anthropic", m.id, usage) or Decimal(0)) for m in catalog.models("anthropic")
    )
    assert dearest > 0
    assert charge(catalog, "anthropic", "claude-mystery-9", usage) >= dearest
    assert price_of(catalog, "anthropic", "claude-mystery-9") is not None
    # A known model counts at its own price, the free ones at nothing.
    known = catalog.default_model("anthropic").id
    assert charge(catalog, "anthropic", known, usage) == catalog.cost("anthropic", known, usage)
    assert charge(catalog, "offline", "spark-templates", usage) == 0


def test_max_cost_counts_every_reply_at_the_output_price() -> None:
    catalog = load_catalog()
    model = catalog.default_model("anthropic")
    assert model.price is not None
    one = max_cost(
        catalog, provider="anthropic", model=model.id, texts=["x" * 400], max_tokens=1000
    )
    expected = (Decimal(100) * model.price.input + Decimal(1000) * model.price.output) / 10**6
    assert one == expected.quantize(Decimal("0.000001"))
    two = max_cost(
        catalog, provider="anthropic", model=model.id, texts=["x" * 400], max_tokens=1000, replies=2
    )
    assert two > 2 * one  # the repair round also sends the first reply back


def test_budget_error_body() -> None:
    error = BudgetError(
        scope=TEAM,
        period=DAY,
        limit_usd=Decimal(5),
        spent_usd=Decimal("4.5"),
        reserved_usd=Decimal("0.25"),
        requested_usd=Decimal("0.5"),
        resets=resets_at(DAY, NOW),
        now=NOW,
    )
    body = error_json(error)
    assert body["kind"] == "budget"
    assert body["limit_usd"] == "5.00" and body["spent_usd"] == "4.50"
    assert body["resets_at"] == "2027-01-01T00:00:00+00:00"
    assert "team's daily limit" in body["message"] and "$0.25 left" in body["message"]
    assert error.retry_after == 30


def test_rate_error_body() -> None:
    body = error_json(RateLimitError(scope="user:3", rule="concurrent", limit=2, retry_after=2))
    assert body["kind"] == "rate_limited" and body["limit"] == 2 and body["retry_after"] == 2
