"""Where Unity checks plug in: each registers the words or operators it is anchored on.

A check is a function `(model, leaf, parent) -> Iterator[Finding]`.  `@on_word("tag")` calls it
for every occurrence of the whole word `tag` in code (never in a string or a comment: the leaf is
the tree's token there), `@on_token("??")` for every occurrence of an operator.  `when=` adds a
test of the text around the occurrence, `(data, start, end) -> bool`, run before the tree is
asked anything: words as common as `position` would otherwise cost a tree lookup each.  The
scan of the text for all anchors at once is `spark.unity.rules_expressions.check_expressions`; a
check then confirms the leaf's place in the tree and decides, with the `FileModel`'s type
information, whether it has a finding.  Checks that look at declarations rather than
expressions (classes, messages, usings) are plain functions in `rules_unity.check_all`, or
register with `@on_file(when=...)`: called once per file, when the cheap test of the file's
bytes holds (`b"InitializeOnLoad" in data`), so that a file without the construct costs nothing.

A check registered here lives in one of `RULE_MODULES`, which are imported on first use.  Adding
a rule is: an entry in rules.toml, one decorated function (with its fix, if it has one, built
with `spark.unity.edits`), and its tests.  See docs/validation.md, "Adding a rule".
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator

from tree_sitter import Node

from spark.unity.rules import FileModel, Finding
from spark.unity.scan import text_words

Check = Callable[[FileModel, Node, Node], Iterator[Finding]]
TextTest = Callable[[bytes, int, int], bool]
FileCheck = Callable[[FileModel], Iterator[Finding]]
FileTest = Callable[[bytes], bool]

# The modules whose checks register themselves here.
RULE_MODULES = (
    "spark.unity.rules_objects",
    "spark.unity.rules_transform",
    "spark.unity.rules_math",
    "spark.unity.rules_components",
    "spark.unity.rules_editor",
    "spark.unity.rules_usage",
    "spark.unity.rules_caching",
    "spark.unity.rules_directives",
    "spark.unity.rules_style",
    "spark.unity.rules_tasks",
    "spark.unity.rules_attributes",
    "spark.unity.rules_calls",
    "spark.unity.rules_vectors",
    "spark.unity.rules_mesh",
)

_WORDS: dict[str, list[tuple[Check, TextTest | None]]] = {}
_TOKENS: dict[str, list[tuple[Check, TextTest | None]]] = {}
_FILES: list[tuple[FileCheck, frozenset[bytes], FileTest | None]] = []
_ASKED: set[bytes] = set()


def on_word(*words: str, when: TextTest | None = None) -> Callable[[Check], Check]:
    """Register a check called with each whole-word occurrence of one of `words` in code
    (where `when(data, start, end)` holds, if given)."""

    def register(check: Check) -> Check:
        for word in words:
            _WORDS.setdefault(word, []).append((check, when))
        return check

    return register


def on_token(*tokens: str, when: TextTest | None = None) -> Callable[[Check], Check]:
    """Register a check called with each occurrence of one of the operator `tokens` in code
    (its leaf is the token the parser made there, which the check must confirm)."""

    def register(check: Check) -> Check:
        for token in tokens:
            _TOKENS.setdefault(token, []).append((check, when))
        return check

    return register


def on_file(
    *words: str, when: FileTest | None = None, asks: tuple[str, ...] = ()
) -> Callable[[FileCheck], FileCheck]:
    """Register a check called once per file: when one of `words` stands in it as a whole word
    (any file if none are given) and `when(data)` holds (if given).

    The words are looked for in the same pass over the text that finds the anchors of
    `on_word`, so a file without them costs nothing more; `model.words` then tells the check
    which of them, and of the words it `asks` about, the file has.
    """

    def register(check: FileCheck) -> FileCheck:
        _FILES.append((check, frozenset(w.encode() for w in words), when))
        _ASKED.update(w.encode() for w in (*words, *asks))
        return check

    return register


def file_words() -> frozenset[bytes]:
    """Every word the `on_file` checks wait for or ask about."""
    _loaded()
    return frozenset(_ASKED)


def check_files(model: FileModel) -> Iterator[Finding]:
    """The findings of every check registered with `on_file`."""
    present = model.words
    if present is None:
        present = text_words(model.data, file_words())
    for check, words, when in _FILES:
        if words and words.isdisjoint(present):
            continue
        if when is None or when(model.data):
            yield from check(model)


@functools.cache
def _loaded() -> None:
    for module in RULE_MODULES:
        importlib.import_module(module)


def word_checks() -> dict[str, list[tuple[Check, TextTest | None]]]:
    """Every registered word and its checks."""
    _loaded()
    return _WORDS


def token_checks() -> dict[str, list[tuple[Check, TextTest | None]]]:
    """Every registered operator and its checks."""
    _loaded()
    return _TOKENS


def find_tokens(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, token) of each registered operator in `data`, in text order, the longest
    token winning where several start at one place.

    Found with `bytes.find` per first byte: a regular expression for them all (`\\?\\?|\\*|...`)
    tries every alternative at every byte, several times slower on a whole file.
    """
    by_first = _tokens_by_first_byte(frozenset(token_checks()))
    found: list[tuple[int, int, str]] = []
    for first, tokens in by_first.items():
        at = data.find(first)
        while at >= 0:
            for token, raw in tokens:
                if data.startswith(raw, at):
                    found.append((at, at + len(raw), token))
                    break
            at = data.find(first, at + 1)
    found.sort()
    kept: list[tuple[int, int, str]] = []
    for hit in found:  # `??=` holds a second `?`: one token, not two
        if not kept or hit[0] >= kept[-1][1]:
            kept.append(hit)
    return kept


@functools.cache
def _tokens_by_first_byte(tokens: frozenset[str]) -> dict[bytes, list[tuple[str, bytes]]]:
    grouped: dict[bytes, list[tuple[str, bytes]]] = {}
    for token in sorted(tokens, key=lambda t: (-len(t), t)):
        raw = token.encode()
        grouped.setdefault(raw[:1], []).append((token, raw))
    return grouped
