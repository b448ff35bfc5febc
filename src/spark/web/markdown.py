"""The model's prose as safe HTML: Markdown rendered by markdown-it-py, cleaned by nh3.

Two locks, each enough on its own: markdown-it-py runs with raw HTML off (``<script>`` in the
prose comes out as text) and without images, and its output then goes through nh3's allow-list
(Ammonia): only text formatting, lists, code, tables and links survive, links only to http(s)
and mailto, with ``rel="noopener noreferrer nofollow"``. No attribute that runs script (``on*``,
``style``) can pass either.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


@functools.cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")
    )


def render_markdown(text: str) -> str:
    """``text`` (Markdown) as sanitised HTML; empty text gives an empty string."""
    if not text.strip():
        return ""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
