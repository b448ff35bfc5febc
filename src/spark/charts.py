"""Server-side SVG charts of a user's statistics, each with a table alternative.

Every function takes the dataclasses of :mod:`spark.db.stats` and returns a :class:`Chart`:
the SVG text, safe to inline in a page, plus ``headers``/``rows`` that say the same in a table
(for screen readers, and for anyone who prefers numbers). Charts are drawn with pygal.

Safe to inline: pygal's inline ``<script>`` (its tooltip configuration) and its comments are
removed, no external resource is referenced (``js=[]``, no stylesheet links), and every label
- model names come from users' requests - is escaped by the XML serializer. The page's CSS
lives apart, in :func:`chart_stylesheet` (scoped to ``svg.spark-chart``), so that a
Content-Security-Policy of ``style-src 'self'`` can serve it as a file; series colours are also
written as ``fill`` attributes, so a chart stays readable without it.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from spark.db.stats import DayStats, GenerationStats, ModelStats

# pygal appends a pre-PEP 451 finder to sys.meta_path (for its map plugins, unused here); on
# Python 3.11 it makes every import that no other finder resolves warn ("find_spec() not
# found"), which breaks `-W error` runs. Remove pygal's own finder, nothing else.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

__all__ = [
    "Chart",
    "chart_stylesheet",
    "cost_per_day_chart",
    "dashboard_charts",
    "forget_drawn_charts",
    "generation_time_chart",
    "generations_per_day_chart",
    "model_chart",
    "provider_chart",
]

# succeeded, failed, running first (the status chart), then a palette readable on white.
PALETTE = (
    "#2e7d32",
    "#c62828",
    "#1565c0",
    "#ef6c00",
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#558b2f",
    "#283593",
    "#f9a825",
    "#37474f",
)
MAX_MODELS = 12  # more models than this are summed into one "other" bar
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222",
    foreground_strong="#222",
    foreground_subtle="#666",
    colors=PALETTE,
    font_family="system-ui, sans-serif",
)
_COLOR_CLASS = re.compile(r"\bcolor-(\d+)\b")


class _NoTooltips:
    """pygal writes every bar's and slice's tooltip into ``<desc>`` elements for its
    JavaScript, which these charts leave out (``js=[]``): nothing reads them (the tables say
    the same). Not writing them takes ~40% off a 90-day chart's SVG and a part of its time."""

    def _tooltip_data(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Bar(_NoTooltips, pygal.Bar):  # type: ignore[misc]
    pass


class _StackedBar(_NoTooltips, pygal.StackedBar):  # type: ignore[misc]
    pass


class _HorizontalBar(_NoTooltips, pygal.HorizontalBar):  # type: ignore[misc]
    pass


class _Pie(_NoTooltips, pygal.Pie):  # type: ignore[misc]
    pass


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: ``svg`` to inline (trusted markup), and the same figures as a table."""

    key: str
    title: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: bool = False


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "js": [],
        "css": ["file://style.css", "file://graph.css"],
        "style": _STYLE,
        "disable_xml_declaration": True,
        "width": 800,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        "no_data_text": "No generations in this period",
        "truncate_legend": 40,
        "truncate_label": 40,
        **extra,
    }


def _clean(chart: Any, key: str, title: str) -> str:
    """The chart's SVG without script, comments, inline styles or random ids."""
    chart.title = title
    root = chart.render_tree()
    uuid = root.get("id", "")
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag in ("script", "style"):
                parent.remove(child)
    for element in root.iter():
        match = _COLOR_CLASS.search(element.get("class", ""))
        if match is not None:
            colour = PALETTE[int(match.group(1)) % len(PALETTE)]
            element.set("fill", colour)
            element.set("stroke", colour)
        if element.tag == "rect" and element.get("class") == "background":
            element.set("fill", "none")
        # pygal hides its (script-less, so unused) tooltip group with a style attribute, which a
        # CSP of style-src 'self' refuses; the SVG presentation attribute says the same.
        style = element.attrib.pop("style", None)
        if style is not None and style.replace(" ", "").rstrip(";") == "opacity:0":
            element.set("opacity", "0")
    root.attrib.pop("id", None)
    root.set("class", f"pygal-chart spark-chart spark-chart-{key}")
    root.set("role", "img")
    root.set("aria-label", title)
    text = ElementTree.tostring(root, encoding="unicode")
    return text.replace(uuid, "spark-chart") if uuid else text


@functools.cache
def chart_stylesheet() -> str:
    """The CSS for every chart of this module, scoped to ``svg.spark-chart`` (serve it as a
    static file, or put it in a ``<style>`` where the policy allows)."""
    chart = pygal.Bar(**_config())
    for n in range(len(PALETTE)):
        chart.add(str(n), [1])
    root = chart.render_tree()
    uuid = root.get("id", "")
    css = "".join(e.text or "" for e in root.iter("style"))
    return css.replace(f"#{uuid}", "svg.spark-chart")


def _days(stats: GenerationStats) -> list[date]:
    """Every UTC day of the window, oldest first (the stats leave out empty days)."""
    first = stats.since.date()
    last = (stats.since + timedelta(days=stats.days_back)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day_labels(chart: Any, days: Sequence[date]) -> None:
    chart.x_labels = [d.strftime("%b %d") for d in days]
    if len(days) > 14:
        chart.x_labels_major_every = 7
        chart.show_minor_x_labels = False
    chart.x_label_rotation = 30


def _money(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:.2f}" if value >= 1 else f"${value.normalize():f}" if value else "$0"


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value / 1000:.1f} s"


def generations_per_day_chart(stats: GenerationStats) -> Chart:
    """Generations per UTC day, stacked by status (succeeded, failed, still running)."""
    days = _days(stats)
    by_day = {d.day: d for d in stats.by_day}
    chart = _StackedBar(**_config(y_title="generations"))
    _day_labels(chart, days)
    succeeded = [by_day[d].succeeded if d in by_day else 0 for d in days]
    failed = [by_day[d].failed if d in by_day else 0 for d in days]
    running = [
        by_day[d].generations - by_day[d].succeeded - by_day[d].failed if d in by_day else 0
        for d in days
    ]
    empty = not stats.by_day
    if not empty:
        chart.add("succeeded", succeeded)
        chart.add("failed", failed)
        chart.add("running", running)
    title = "Generations per day"
    rows = tuple(
        (d.day.isoformat(), str(d.generations), str(d.succeeded), str(d.failed))
        for d in stats.by_day
    )
    return Chart(
        key="generations-per-day",
        title=title,
        svg=_clean(chart, "generations-per-day", title),
        headers=("day (UTC)", "generations", "succeeded", "failed"),
        rows=rows,
        empty=empty,
    )


def cost_per_day_chart(stats: GenerationStats) -> Chart:
    """Cost in USD per UTC day (failed generations included: they are billed too)."""
    days = _days(stats)
    by_day = {d.day: d.total_cost_usd for d in stats.by_day}
    chart = _Bar(**_config(y_title="USD", show_legend=False))
    _day_labels(chart, days)
    empty = not stats.by_day
    if not empty:
        # A day without cost has no bar (None) rather than one of height 0: pygal's time goes
        # per bar drawn.
        chart.add("cost (USD)", [float(by_day[d]) if by_day.get(d) else None for d in days])
    title = "Cost per day"
    rows = tuple((d.day.isoformat(), _money(d.total_cost_usd)) for d in stats.by_day)
    return Chart(
        key="cost-per-day",
        title=title,
        svg=_clean(chart, "cost-per-day", title),
        headers=("day (UTC)", "cost"),
        rows=rows,
        empty=empty,
    )


def provider_chart(stats: GenerationStats) -> Chart:
    """Generations and cost per provider."""
    cost: dict[str, Decimal] = {}
    for m in stats.by_model:
        cost[m.provider] = cost.get(m.provider, Decimal(0)) + m.total_cost_usd
    chart = _Pie(**_config(inner_radius=0.45))
    for provider, n in sorted(stats.provider_counts.items(), key=lambda kv: (-kv[1], kv[0])):
        chart.add(provider, n)
    title = "Generations by provider"
    rows = tuple(
        (provider, str(n), _money(cost.get(provider, Decimal(0))))
        for provider, n in sorted(stats.provider_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return Chart(
        key="providers",
        title=title,
        svg=_clean(chart, "providers", title),
        headers=("provider", "generations", "cost"),
        rows=rows,
        empty=not rows,
    )


def _top_models(stats: GenerationStats) -> tuple[list[tuple[str, int, Decimal]], int]:
    """(label, generations, cost) of the busiest models, and how many others were summed."""
    top = [
        (f"{m.provider}/{m.model}", m.generations, m.total_cost_usd)
        for m in stats.by_model[:MAX_MODELS]
    ]
    rest = stats.by_model[MAX_MODELS:]
    if rest:
        top.append(
            (
                f"other ({len(rest)} models)",
                sum(m.generations for m in rest),
                sum((m.total_cost_usd for m in rest), Decimal(0)),
            )
        )
    return top, len(rest)


def model_chart(stats: GenerationStats) -> Chart:
    """Generations per model, busiest first (the table lists every model with its cost)."""
    top, _ = _top_models(stats)
    chart = _HorizontalBar(**_config(show_legend=False, x_title="generations"))
    chart.x_labels = [label for label, _, _ in reversed(top)]
    if top:
        chart.add("generations", [n for _, n, _ in reversed(top)])
    title = "Generations by model"
    rows = tuple(
        (m.provider, m.model, str(m.generations), str(m.succeeded), _money(m.total_cost_usd))
        for m in stats.by_model
    )
    return Chart(
        key="models",
        title=title,
        svg=_clean(chart, "models", title),
        headers=("provider", "model", "generations", "succeeded", "cost"),
        rows=rows,
        empty=not rows,
    )


def generation_time_chart(stats: GenerationStats) -> Chart:
    """Average time of a succeeded generation, per model (models without one left out)."""
    timed = [m for m in stats.by_model if m.avg_generation_ms is not None][:MAX_MODELS]
    chart = _HorizontalBar(**_config(show_legend=False, x_title="seconds"))
    chart.x_labels = [f"{m.provider}/{m.model}" for m in reversed(timed)]
    if timed:
        chart.add("average seconds", [(m.avg_generation_ms or 0) / 1000 for m in reversed(timed)])
    title = "Average generation time by model"
    rows = tuple(
        (m.provider, m.model, _ms(m.avg_generation_ms), str(m.succeeded)) for m in stats.by_model
    )
    return Chart(
        key="generation-time",
        title=title,
        svg=_clean(chart, "generation-time", title),
        headers=("provider", "model", "average time", "succeeded"),
        rows=rows,
        empty=not timed,
    )


def dashboard_charts(stats: GenerationStats) -> list[Chart]:
    """The usage dashboard's charts, in page order.

    Drawn once per set of figures: the last :data:`CHARTS_KEPT` sets are kept in memory (per
    process), so a dashboard shown again before its figures change - a reload, back to a
    window seen before - costs no drawing. pygal takes ~10-60 ms a chart at 90 days.
    """
    return list(_drawn(_ChartFigures.of(stats)))


CHARTS_KEPT = 64  # sets of five charts: ~80-150 KB of SVG each at 90 days


@dataclass(frozen=True, slots=True)
class _ChartFigures:
    """Everything of a ``GenerationStats`` the charts draw from, hashable: the window's days
    (from ``since``'s UTC date and ``days_back``), per day, per model and per provider."""

    stats: GenerationStats = field(compare=False, hash=False)
    first_day: date
    days_back: int
    by_day: tuple[DayStats, ...]
    by_model: tuple[ModelStats, ...]
    providers: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, stats: GenerationStats) -> _ChartFigures:
        return cls(
            stats,
            stats.since.date(),
            stats.days_back,
            tuple(stats.by_day),
            tuple(stats.by_model),
            tuple(stats.provider_counts.items()),
        )


@functools.lru_cache(maxsize=CHARTS_KEPT)
def _drawn(figures: _ChartFigures) -> tuple[Chart, ...]:
    stats = figures.stats
    return (
        generations_per_day_chart(stats),
        cost_per_day_chart(stats),
        provider_chart(stats),
        model_chart(stats),
        generation_time_chart(stats),
    )


def forget_drawn_charts() -> None:
    """Drop the kept charts (a benchmark measuring the drawing itself)."""
    _drawn.cache_clear()
