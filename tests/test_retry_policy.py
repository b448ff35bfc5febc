"""The retry decision table and header parsing, as pure logic (no network)."""

from __future__ import annotations

import email.utils
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spark.errors import AIError, ErrorKind
from spark.retry import RetryPolicy, parse_retry_after, should_retry_header


def err(*, retryable: bool = True, retry_after: float | None = None) -> AIError:
    return AIError(
        "boom",
        provider="anthropic",
        kind=ErrorKind.SERVER,
        retryable=retryable,
        retry_after=retry_after,
    )


def test_schedule_is_1_2_4_then_give_up() -> None:
    policy = RetryPolicy()
    delays = [policy.decide(err(), n) for n in (1, 2, 3, 4)]
    assert [d.retry for d in delays] == [True, True, True, False]
    assert [d.delay for d in delays[:3]] == [1.0, 2.0, 4.0]
    assert delays[3].reason == "exhausted"
    assert policy.max_attempts == 4


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(max_retries=6, base_delay=1.0, max_delay=10.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_not_retryable_fails_at_once() -> None:
    decision = RetryPolicy().decide(err(retryable=False), 1)
    assert not decision.retry
    assert decision.reason == "not_retryable"


@pytest.mark.parametrize(("after", "expected"), [(0.0, 0.0), (2.5, 2.5), (10.0, 10.0)])
def test_retry_after_replaces_backoff(after: float, expected: float) -> None:
    decision = RetryPolicy().decide(err(retry_after=after), 3)
    assert decision.retry
    assert decision.delay == expected


def test_retry_after_beyond_cap_gives_up_at_once() -> None:
    decision = RetryPolicy().decide(err(retry_after=30), 1)
    assert not decision.retry
    assert decision.reason == "retry_after_too_long"
    assert decision.delay == 30


def test_jitter_is_pinned_by_rng_and_stays_under_cap() -> None:
    policy = RetryPolicy(jitter=0.25)
    first = policy.decide(err(), 2, rng=random.Random(7)).delay
    again = policy.decide(err(), 2, rng=random.Random(7)).delay
    assert first == again
    assert 2.0 <= first <= 2.5


@given(st.integers(min_value=1, max_value=50), st.floats(min_value=0, max_value=1))
def test_delay_never_exceeds_cap(retry_number: int, jitter: float) -> None:
    policy = RetryPolicy(max_retries=100, jitter=jitter)
    decision = policy.decide(err(), retry_number, rng=random.Random(retry_number))
    assert decision.retry
    assert 0 < decision.delay <= policy.max_delay


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "4"}, 4.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(7, abs=1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-should-retry": "true"}, True),
        ({"X-Should-Retry": "false"}, False),
        ({"x-should-retry": "maybe"}, None),
        ({}, None),
    ],
)
def test_should_retry_header(headers: dict[str, str], expected: bool | None) -> None:
    assert should_retry_header(headers) is expected
