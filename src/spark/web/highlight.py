"""Server-side C# highlighting with Pygments: escaped HTML with line numbers and line anchors,
in a light and a dark style.

Each line is wrapped in ``<span id="line-N">`` so the validation report can link to it
(``#line-12``); Pygments escapes the code, so whatever a model writes renders as text.
"""

from __future__ import annotations

import functools

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import CSharpLexer

LINE_PREFIX = "line"


@functools.cache
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(linenos="table", linespans=LINE_PREFIX, wrapcode=True, cssclass="code")


def highlight_csharp(code: str) -> str:
    """``code`` as highlighted HTML (a table of line numbers and code)."""
    return str(highlight(code, CSharpLexer(), _formatter()))


DARK_STYLE = "github-dark"
_DARK = ':root[data-theme="dark"] .code'
_DARK_BY_BROWSER = ':root:not([data-theme="light"]) .code'


def _scoped_defs(style: str, scope: str) -> str:
    """``style``'s rules for tokens under ``scope`` (its global rules left out)."""
    formatter: HtmlFormatter[str] = HtmlFormatter(style=style)
    defs = str(formatter.get_style_defs(scope))  # type: ignore[no-untyped-call]
    return "\n".join(line for line in defs.splitlines() if line.startswith(scope))


@functools.cache
def stylesheet() -> str:
    """The CSS for the highlighted HTML, scoped to ``.code``: Pygments' default style, and
    GitHub's dark style when the page is dark (the user's choice, or the browser's when the
    user has not chosen). Both keep comments and keywords at 4.5:1 or more."""
    light = str(_formatter().get_style_defs(".code"))  # type: ignore[no-untyped-call]
    dark = _scoped_defs(DARK_STYLE, _DARK)
    by_browser = _scoped_defs(DARK_STYLE, _DARK_BY_BROWSER)
    return f"{light}\n{dark}\n@media (prefers-color-scheme: dark) {{\n{by_browser}\n}}\n"
