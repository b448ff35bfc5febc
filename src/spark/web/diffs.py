"""Differences between two scripts as HTML: a unified diff (``difflib``, through the
validator's :func:`~spark.unity.report.unified_diff`) with each line escaped and marked as
added, removed, a hunk header or context. Used for revisions of a conversation and for the
validator's automatic fixes, so both look the same."""

from __future__ import annotations

from markupsafe import Markup, escape

from spark.unity.report import unified_diff

_KINDS = (("+++", "file"), ("---", "file"), ("@@", "hunk"), ("+", "add"), ("-", "del"))


def _kind(line: str) -> str:
    return next((kind for prefix, kind in _KINDS if line.startswith(prefix)), "ctx")


def diff_html(before: str, after: str, name: str = "script.cs") -> Markup:
    """The unified diff from ``before`` to ``after`` as an HTML ``<pre>`` (escaped), or a
    short note when they are the same."""
    text = unified_diff(before, after, name)
    if not text:
        return Markup('<p class="hint diff-same">No change.</p>')
    counts = {"add": 0, "del": 0}
    lines = []
    for line in text.splitlines():
        kind = _kind(line)
        if kind in counts:
            counts[kind] += 1
        lines.append(Markup('<span class="d-{}">{}</span>').format(kind, escape(line)))
    summary = Markup('<p class="hint diff-count">{} line{} added, {} removed.</p>').format(
        counts["add"], "" if counts["add"] == 1 else "s", counts["del"]
    )
    # One block per line (the stylesheet stacks them), so a line's colour spans the width.
    return summary + Markup('<pre class="diff" tabindex="0">{}</pre>').format(
        Markup("").join(lines)
    )
