"""The eval report as one self-contained HTML page, and its chart (shared with the web page).

The page references nothing outside itself (no script, no font, no stylesheet link): the CSS
and the chart's SVG are inline. Every text that came from a suite, a model name or a provider
message is escaped.
"""

from __future__ import annotations

import re
from html import escape

import pygal

from spark.charts import PALETTE, Chart, _clean, _config, chart_stylesheet
from spark.eval.report import COLUMNS, SCORE_FORMULA, EvalReport, format_ms, table_rows


def score_chart(report: EvalReport) -> Chart:
    """A bar per model: its score, and the share of good scripts (both out of 100)."""
    chart = pygal.Bar(**_config(range=(0, 100), no_data_text="No model in this run"))
    labels = [m.model for m in report.models]
    chart.x_labels = labels
    chart.add("Score", [m.score for m in report.models])
    chart.add(
        "Good scripts %",
        [round(100 * m.good / m.planned, 1) if m.planned else 0 for m in report.models],
    )
    rows = tuple((m.model, f"{m.score:.1f}", f"{m.good}/{m.planned}") for m in report.models)
    svg = _clean(chart, "eval-scores", "Score and good scripts per model")
    # The palette's second colour is the dashboard's "failed" red: draw good scripts in its
    # third (blue) instead, class and attributes alike.
    svg = re.sub(r"\bcolor-1\b", "color-2", svg).replace(PALETTE[1], PALETTE[2])
    return Chart(
        key="eval-scores",
        title="Score and good scripts per model",
        svg=svg,
        headers=("Model", "Score", "Good scripts"),
        rows=rows,
        empty=not report.models,
    )


_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}.muted{color:#666}.bad{color:#b00020}.good{color:#1b5e20}
svg.spark-chart{max-width:100%;height:auto}
details{margin:.4rem 0}code{font-size:.85em}
"""


def render_html(report: EvalReport) -> str:
    """The whole page (UTF-8 text)."""
    chart = score_chart(report)
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table_rows(report)
    )
    items = "".join(_item_row(r) for r in report.results)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPARK eval {escape(report.run_id)}</title>
<style>{_CSS}{chart_stylesheet()}</style></head>
<body><main>
<h1>SPARK eval <code>{escape(report.run_id)}</code></h1>
<p>Suite <strong>{escape(report.suite_name)}</strong> ({report.items} prompts, digest
<code>{escape(report.suite_digest)}</code>), {report.runs} run(s) per prompt, started
{escape(report.started)}, status <strong>{escape(report.status)}</strong>.</p>
<div class="scroll"><table><caption>Per model</caption><thead><tr>{head}</tr></thead>
<tbody>{body}</tbody></table></div>
<figure>{chart.svg}</figure>
<p class="muted">{escape(SCORE_FORMULA)}. A suite is a sample and models are not
deterministic: compare scores across several runs before you trust a difference.</p>
<h2>Every generation</h2>
<div class="scroll"><table><thead><tr><th>Model</th><th>Item</th><th>Run</th><th>Outcome</th>
<th>Errors/warn</th><th>Fixes</th><th>Repairs</th><th>Compile</th><th>Tokens in/out</th>
<th>TTFT</th><th>Time</th><th>Findings</th></tr></thead><tbody>{items}</tbody></table></div>
</main></body></html>
"""


def _item_row(r: object) -> str:
    from spark.eval.runner import ItemResult

    assert isinstance(r, ItemResult)
    if r.ok:
        outcome = f"<span class='good'>script {escape(r.class_name or '')}</span>"
    else:
        outcome = (
            f"<span class='bad'>failed: {escape(r.error_kind or 'unknown')}</span> "
            f"<span class='muted'>{escape(r.error_message or '')}</span>"
        )
    findings = "<br>".join(escape(f) for f in r.findings) or "<span class='muted'>none</span>"
    cells = (
        escape(r.model),
        escape(r.item_id),
        str(r.run),
        outcome,
        f"{r.errors}/{r.warnings}",
        str(r.fixes),
        str(r.repair_rounds),
        escape(r.compile),
        f"{r.input_tokens:,}/{r.output_tokens:,}",
        escape(format_ms(r.ttft_ms)),
        escape(format_ms(r.total_ms)),
        findings,
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
