"""Finding names and operators in C# source text fast, before asking the tree about them.

The checks are anchored on tokens: a name such as `GetComponent` or `tag`, an operator such as
`??`.  Scanning the text for them (a `translate` + `split` to learn which names occur at all,
then `bytes.find` per present name) costs far less than walking or querying the tree; each hit
is then confirmed by its place in the tree, so text in strings and comments never counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

_SPACE_BYTES = frozenset(b" \t\r\n\f\v")


@functools.lru_cache(maxsize=64)  # a file's own names (coroutines) come and go
def _word_regex(names: frozenset[str]) -> re.Pattern[bytes]:
    """One pattern for all `names`, as a prefix tree (`Find(?:Object(?:OfType)?|...)`).

    The general (slow) scan, for names that are not plain ASCII words; see `whole_words`.
    No look-behind: the word start is checked by the caller.
    """
    trie: dict[int, Any] = {}
    for name in names:
        node = trie
        for byte in name.encode():
            node = node.setdefault(byte, {})
        node[-1] = {}
    return re.compile(rb"(?:" + _trie_pattern(trie) + rb")(?!\w)")


def _trie_pattern(node: dict[int, Any]) -> bytes:
    branches = [
        re.escape(bytes([byte])) + _trie_pattern(child)
        for byte, child in sorted(node.items())
        if byte >= 0
    ]
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + body + b")?" if -1 in node else body


_WORD_BYTES = frozenset(b"0123456789_@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# The bytes of `\w` in a bytes pattern: what may not follow a name.
_NAME_BYTES = frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PLAIN_NAME = re.compile(rb"[0-9_a-zA-Z]+")
# Maps every byte that cannot be part of a plain name to a space, so `split()` gives the words.
_WORDS_ONLY = bytes(b if b in _NAME_BYTES else 0x20 for b in range(256))


def _words(pattern: re.Pattern[bytes], data: bytes) -> Iterator[re.Match[bytes]]:
    """Matches of `pattern` that start a word (the byte before is not part of a name)."""
    for m in pattern.finditer(data):
        start = m.start()
        if start == 0 or (data[start - 1] not in _WORD_BYTES and data[start - 1] < 0x80):
            yield m


def text_words(data: bytes, wanted: frozenset[bytes]) -> frozenset[bytes]:
    """Which of `wanted` occur in `data` as a whole run of `[0-9A-Za-z_]`.

    A cheap first test before looking for each name (see `whole_words`).
    """
    return wanted.intersection(data.translate(_WORDS_ONLY).split())


@functools.lru_cache(maxsize=64)
def plain_bytes(names: frozenset[str]) -> frozenset[bytes]:
    """The bytes of those of `names` that are plain ASCII words (the only ones `words` tests)."""
    return frozenset(raw for raw in (name.encode() for name in names) if _PLAIN_NAME.fullmatch(raw))


# Up to this many names, one `bytes.find` pass per name beats one regex pass for all of them.
_MAX_FINDS = 8


@functools.lru_cache(maxsize=64)
def _encoded_names(names: frozenset[str]) -> dict[bytes, str] | None:
    """`names` by their UTF-8 bytes, or None when one is not a plain ASCII word."""
    encoded = {name.encode(): name for name in names}
    return encoded if all(_PLAIN_NAME.fullmatch(raw) for raw in encoded) else None


def whole_words(
    data: bytes, names: frozenset[str], words: frozenset[bytes]
) -> list[tuple[int, int, str]]:
    r"""(start, end, name) of each of `names` standing as a whole word in `data`, in text order.

    A name counts where the byte before it is not part of a name (nor `@` or non-ASCII) and the
    byte after it is not in `\w`: what `_words(_word_regex(names), data)` finds.  For plain
    ASCII names (all of the API's) the text is searched only for the names in `words`, and, when
    they are few, with one `bytes.find` pass per name: a regex for all of them starts a match at
    every byte in its first-byte set, which holds so many common letters that it is several
    times slower.  A plain name cannot be a prefix of another name found at the same place, so
    the result is the regex's.  Other names (non-ASCII, `@name`, a missing name) keep the regex.
    """
    encoded = _encoded_names(names)
    if encoded is None:
        matches = _words(_word_regex(names), data)
        return [(m.start(), m.end(), m.group().decode()) for m in matches]
    present = [(encoded[raw], raw) for raw in words if raw in encoded]
    if len(present) > _MAX_FINDS:
        matches = _words(_word_regex(frozenset(name for name, _ in present)), data)
        return [(m.start(), m.end(), m.group().decode()) for m in matches]
    found: list[tuple[int, int, str]] = []
    size = len(data)
    for name, raw in present:
        start = data.find(raw)
        while start >= 0:
            end = start + len(raw)
            before = data[start - 1] if start else 0x20
            if (
                before not in _WORD_BYTES
                and before < 0x80
                and (end == size or data[end] not in _NAME_BYTES)
            ):
                found.append((start, end, name))
            start = data.find(raw, start + 1)
    found.sort()
    return found


def after_member_operator(data: bytes, start: int) -> bool:
    """Whether the name at `start` may be the name of `x.name` or `p->name`, in a tree without
    errors: the token before it is `.` or `->`, unless a comment or directive stands between.

    So: the last byte before it, past ASCII white space, is `.`, `>` or the `/` of `*/`, or is
    on a line with `//` or a directive, or is not ASCII (other white space, which we do not
    skip).
    """
    i = start - 1
    while i >= 0 and data[i] in _SPACE_BYTES:
        i -= 1
    if i < 0:
        return False
    if data[i] in b".>/" or data[i] >= 0x80:
        return True
    line = data[data.rfind(b"\n", 0, i) + 1 : i + 1]
    return b"//" in line or line.lstrip().startswith(b"#")


def next_byte(data: bytes, end: int) -> int:
    """The first byte at or after `end` that is not a space or tab (0 at the end of the text)."""
    while end < len(data) and data[end] in b" \t":
        end += 1
    return data[end] if end < len(data) else 0
