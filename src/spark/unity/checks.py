"""Where Unity checks plug in: each registers the words or operators it is anchored on.

A check is a function `(model, leaf, parent) -> Iterator[Finding]`.  `@on_word("tag")` calls it
for every occurrence of the whole word `tag` in code (never in a string or a comment: the leaf is
the tree's token there), `@on_token("??")` for every occurrence of an operator.  The scan of the
text for all anchors at once is `spark.unity.rules_expressions.check_expressions`; a check then
confirms the leaf's place in the tree and decides, with the `FileModel`'s type information,
whether it has a finding.  Checks that look at declarations rather than expressions (classes,
messages, usings) are plain functions in `rules_unity.check_all`.

A check registered here lives in one of `RULE_MODULES`, which are imported on first use.  Adding
a rule is: an entry in rules.toml, one decorated function (with its fix, if it has one, built
with `spark.unity.edits`), and its tests.  See docs/validation.md, "Adding a rule".
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator

from tree_sitter import Node

from spark.unity.rules import FileModel, Finding

Check = Callable[[FileModel, Node, Node], Iterator[Finding]]

# The modules whose checks register themselves here.
RULE_MODULES = ("spark.unity.rules_objects",)

_WORDS: dict[str, list[Check]] = {}
_TOKENS: dict[str, list[Check]] = {}


def on_word(*words: str) -> Callable[[Check], Check]:
    """Register a check called with each whole-word occurrence of one of `words` in code."""

    def register(check: Check) -> Check:
        for word in words:
            _WORDS.setdefault(word, []).append(check)
        return check

    return register


def on_token(*tokens: str) -> Callable[[Check], Check]:
    """Register a check called with each occurrence of one of the operator `tokens` in code
    (its leaf is the token the parser made there, which the check must confirm)."""

    def register(check: Check) -> Check:
        for token in tokens:
            _TOKENS.setdefault(token, []).append(check)
        return check

    return register


@functools.cache
def _loaded() -> None:
    for module in RULE_MODULES:
        importlib.import_module(module)


def word_checks() -> dict[str, list[Check]]:
    """Every registered word and its checks."""
    _loaded()
    return _WORDS


def token_checks() -> tuple[re.Pattern[bytes], dict[str, list[Check]]]:
    """One pattern for every registered operator (longest first) and each one's checks."""
    _loaded()
    return _token_pattern(frozenset(_TOKENS)), _TOKENS


@functools.cache
def _token_pattern(tokens: frozenset[str]) -> re.Pattern[bytes]:
    ordered = sorted(tokens, key=lambda t: (-len(t), t))
    return re.compile(b"|".join(re.escape(t.encode()) for t in ordered) or b"(?!)")
