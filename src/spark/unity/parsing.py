"""The C# parser (tree-sitter-c-sharp) and cached tree-sitter queries, loaded on first use."""

from __future__ import annotations

import functools

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree


@functools.cache
def _language() -> Language:
    import tree_sitter_c_sharp

    return Language(tree_sitter_c_sharp.language())


@functools.cache
def _parser() -> Parser:
    return Parser(_language())


@functools.cache
def _query(source: str) -> Query:
    return Query(_language(), source)


def parse(text: str) -> Tree:
    """Parse C# text with tree-sitter (the text is encoded as UTF-8, bad code points replaced)."""
    return _parser().parse(text.encode("utf-8", "replace"))


def captures(node: Node, query_source: str) -> dict[str, list[Node]]:
    """Run a cached tree-sitter query and return its captures by name."""
    return QueryCursor(_query(query_source)).captures(node)


def matches(node: Node, query_source: str) -> list[dict[str, list[Node]]]:
    """Run a cached tree-sitter query and return each match's captures, in source order."""
    return [found for _, found in QueryCursor(_query(query_source)).matches(node)]
