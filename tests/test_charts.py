"""SVG charts: safe to inline, rendered for an empty and a large history, with table text."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from spark import charts
from spark.charts import Chart, chart_stylesheet, dashboard_charts
from spark.db.engine import Database
from spark.db.models import GenerationRecord
from spark.db.stats import DayStats, GenerationStats, ModelStats, generation_stats
from spark.db.users import create_user

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>&"\'</svg><img src=x onerror=alert(1)>'


def empty_stats(days: int = 30) -> GenerationStats:
    return GenerationStats(
        days_back=days,
        since=NOW - timedelta(days=days),
        total_generations=0,
        succeeded=0,
        failed=0,
        success_rate=Decimal(0),
        provider_counts={},
        total_tokens=0,
        total_cost_usd=Decimal(0),
        avg_generation_ms=None,
    )


def large_stats() -> GenerationStats:
    """90 days x 40 models, with a hostile model name."""
    since = NOW - timedelta(days=90)
    days = [
        DayStats(since.date() + timedelta(days=n), 50 + n, 40, 8, 10_000 * n, Decimal("1.25"))
        for n in range(91)
    ]
    models = [
        ModelStats(
            provider="openai" if n % 2 else "anthropic",
            model=HOSTILE if n == 0 else f"model-{n}",
            generations=200 - n,
            succeeded=150 - n,
            failed=10,
            total_tokens=1000 * n,
            total_cost_usd=Decimal("2.5"),
            avg_generation_ms=None if n == 39 else 1000 + 10 * n,
        )
        for n in range(40)
    ]
    return GenerationStats(
        days_back=90,
        since=since,
        total_generations=sum(d.generations for d in days),
        succeeded=sum(d.succeeded for d in days),
        failed=sum(d.failed for d in days),
        success_rate=Decimal("83.3"),
        provider_counts={"anthropic": 3000, "openai": 2000, HOSTILE: 5},
        total_tokens=1,
        total_cost_usd=Decimal("113.75"),
        avg_generation_ms=1500,
        by_model=models,
        by_day=days,
    )


def assert_safe(chart: Chart) -> ElementTree.Element:
    root = ElementTree.fromstring(chart.svg)  # well-formed XML
    tags = {e.tag.rsplit("}", 1)[-1] for e in root.iter()}
    assert not tags & {"script", "style", "foreignObject", "a", "image", "use", "iframe"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name != "style", element.tag  # a CSP of style-src 'self' refuses it
            assert "href" not in name.lower(), name
            assert "javascript:" not in value.lower()
    without_namespace = chart.svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in without_namespace and "//" not in without_namespace
    assert "<script" not in chart.svg and "<img" not in chart.svg
    assert root.get("role") == "img" and root.get("aria-label") == chart.title
    assert "chart-" not in (root.get("id") or "")  # no random ids
    return root


def test_empty_history_renders_every_chart() -> None:
    rendered = dashboard_charts(empty_stats())
    assert [c.key for c in rendered] == [
        "generations-per-day",
        "cost-per-day",
        "providers",
        "models",
        "generation-time",
    ]
    for chart in rendered:
        assert_safe(chart)
        assert chart.empty and chart.rows == ()
        assert chart.headers
        assert "No generations in this period" in chart.svg


def test_large_history_renders_quickly_and_safely() -> None:
    stats = large_stats()
    started = time.perf_counter()
    rendered = dashboard_charts(stats)
    assert time.perf_counter() - started < 5
    for chart in rendered:
        assert_safe(chart)
        assert not chart.empty
    per_day, cost, providers, models, timing = rendered
    assert len(per_day.rows) == 91 and len(cost.rows) == 91
    assert per_day.rows[1] == ((NOW - timedelta(days=89)).date().isoformat(), "51", "40", "8")
    assert cost.rows[0][1] == "$1.25"
    assert len(models.rows) == 40  # the table lists every model ...
    assert "other (28 models)" in models.svg  # ... the chart the top 12 and the rest summed
    assert models.rows[0][1] == HOSTILE  # table text is raw: the template escapes it
    assert "&lt;script&gt;" in models.svg
    assert ("anthropic", "model-2", "1.0 s", "148") in timing.rows
    assert ("openai", "model-39", "-", "111") in timing.rows
    assert providers.rows[0] == ("anthropic", "3000", "$50.00")


def test_status_series_are_stacked_with_running_left_over() -> None:
    stats = empty_stats(7)
    day = (NOW - timedelta(days=1)).date()
    stats = GenerationStats(
        **{
            **{f: getattr(stats, f) for f in stats.__dataclass_fields__},
            "by_day": [DayStats(day, 6, 3, 2, 10, Decimal("0.000123"))],
            "total_generations": 6,
        }
    )
    chart = charts.generations_per_day_chart(stats)
    root = assert_safe(chart)
    legends = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]
    assert {"succeeded", "failed", "running"} <= set(legends)
    assert chart.rows == ((day.isoformat(), "6", "3", "2"),)
    cost = charts.cost_per_day_chart(stats)
    assert cost.rows == ((day.isoformat(), "$0.000123"),)
    # One bar per day with a cost (none for the empty days); no tooltip data for a script
    # the page does not have.
    assert cost.svg.count('class="rect reactive') == 1
    assert "<desc" not in chart.svg + cost.svg
    # 7 days back from noon: 8 calendar days on the axis, empty ones included
    assert len(charts._days(stats)) == 8 and charts._days(stats)[0] == date(2026, 11, 19)


def test_series_colours_do_not_need_the_stylesheet() -> None:
    chart = charts.provider_chart(large_stats())
    assert 'fill="#2e7d32"' in chart.svg  # the first series' colour as an attribute


def test_stylesheet_is_scoped_and_self_contained() -> None:
    css = chart_stylesheet()
    assert "svg.spark-chart .color-0" in css and "#2e7d32" in css
    assert "url(" not in css and "@import" not in css and "http" not in css
    # every rule is scoped to the charts, so it cannot restyle the page
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors and all(s.startswith("svg.spark-chart") for s in selectors), [
        s for s in selectors if not s.startswith("svg.spark-chart")
    ][:5]


@pytest.fixture
async def user_id(db: Database) -> int:
    async with db.session() as session:
        return (await create_user(session=session, username="ada")).id


async def test_charts_from_real_stats(db: Database, user_id: int) -> None:
    async with db.session(user_id=user_id) as session:
        session.add_all(
            GenerationRecord(
                user_id=user_id,
                provider="offline",
                model="spark-templates",
                prompt="p",
                status=status,
                cost_usd=Decimal("0.5"),
                generation_ms=1200,
                created_at=datetime.now(UTC) - timedelta(hours=h),
            )
            for h, status in ((1, "succeeded"), (30, "failed"), (2, "succeeded"))
        )
    async with db.session(user_id=user_id) as session:
        stats = await generation_stats(session=session, user_id=user_id, days_back=7)
    rendered = dashboard_charts(stats)
    for chart in rendered:
        assert_safe(chart)
    assert rendered[3].rows == (("offline", "spark-templates", "3", "2", "$1.50"),)
    assert rendered[4].rows == (("offline", "spark-templates", "1.2 s", "2"),)
    assert sum(int(r[1]) for r in rendered[0].rows) == 3


def test_charts_are_drawn_once_per_set_of_figures() -> None:
    """The same figures give the charts drawn before; any figure a chart shows, or another
    window, draws them again."""
    charts.forget_drawn_charts()
    day = (NOW - timedelta(days=1)).date()
    base = empty_stats(7)

    def stats(**changes: object) -> GenerationStats:
        fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
        fields.update(by_day=[DayStats(day, 6, 3, 2, 10, Decimal("0.5"))], total_generations=6)
        fields.update(provider_counts={"anthropic": 6})
        return GenerationStats(**{**fields, **changes})

    first = dashboard_charts(stats())
    assert [a is b for a, b in zip(first, dashboard_charts(stats()), strict=True)] == [True] * 5
    for changed in (
        stats(by_day=[DayStats(day, 6, 3, 2, 10, Decimal("0.7"))]),  # a day's cost
        stats(provider_counts={"anthropic": 6, "openai": 1}),
        stats(since=base.since - timedelta(days=1)),  # the window a day earlier
        stats(days_back=30, since=NOW - timedelta(days=30)),
    ):
        again = dashboard_charts(changed)
        assert all(a is not b for a, b in zip(first, again, strict=True))
        assert [c.svg for c in again] != [c.svg for c in first]
    charts.forget_drawn_charts()
    assert dashboard_charts(stats())[0] is not first[0]
