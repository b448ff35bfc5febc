"""Server-side C# highlighting with Pygments: escaped HTML with line numbers and line anchors.

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


@functools.cache
def stylesheet() -> str:
    """The CSS for the highlighted HTML (Pygments' default style, scoped to ``.code``)."""
    return str(_formatter().get_style_defs(".code"))  # type: ignore[no-untyped-call]
