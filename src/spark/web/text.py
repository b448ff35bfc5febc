"""What a client may send as text, and strict decoding of JSON bodies, forms and query strings.

Every string a client sends - in a JSON body, a form field, a query or path parameter - must be
text SPARK can store and show: valid UTF-8 with no NUL character (PostgreSQL's ``text`` cannot
hold U+0000) and no lone surrogate (U+D800-U+DFFF are halves of UTF-16 pairs, not characters:
no database driver or encoder accepts them). :func:`text_problem` says what is wrong with a
string. The decoders here never replace what they cannot decode: bytes that are not UTF-8
become lone surrogates (Python's ``surrogateescape``), so :func:`text_problem` reports them too
instead of a U+FFFD silently taking their place.

Nothing here knows HTTP responses: :mod:`spark.web.routing` turns the problems into SPARK's
error answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from spark.text import text_problem

# SPARK's request bodies are flat objects; this leaves room without letting a client make the
# parser (or anything walking the value) recurse thousands of levels.
MAX_JSON_DEPTH = 32

Location = tuple[str | int, ...]


class InvalidJson(ValueError):
    """A body that is not a JSON document SPARK accepts; the message says why."""


def text_problems(value: Any, at: Location = ()) -> Iterator[tuple[Location, str]]:
    """``(location, problem)`` for every string in a decoded JSON value (keys included)."""
    stack: list[tuple[Location, Any]] = [(at, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if (problem := text_problem(item)) is not None:
                yield where, problem
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if (problem := text_problem(key)) is not None:
                    yield (*where, repr(key)[1:-1]), f"the field name {problem}"
                else:
                    stack.append(((*where, key), child))
        elif isinstance(item, list):
            stack.extend(((*where, i), child) for i, child in reversed(list(enumerate(item))))


def _reject_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON value")


def _finite(number: str) -> float:
    value = float(number)
    if value in (float("inf"), float("-inf")):
        raise InvalidJson(f"the number {number[:20]} is too large")
    return value


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``: UTF-8 (RFC 8259), no NaN/Infinity, at most
    :data:`MAX_JSON_DEPTH` levels deep. :class:`InvalidJson` otherwise."""
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")  # a byte order mark may be ignored
    except UnicodeDecodeError as exc:
        raise InvalidJson(
            f"it is not UTF-8 text (byte 0x{body[exc.start]:02X} at offset {exc.start})"
        ) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise InvalidJson(f"it is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except InvalidJson:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
        raise InvalidJson(str(exc).split(":")[0].lower()) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise InvalidJson(f"it is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(1, value)]
    while stack:
        level, item = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((level + 1, child) for child in children)
    return deepest


def decode_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a query string or ``application/x-www-form-urlencoded`` body,
    in order; bytes that are not UTF-8 (literal or %-escaped) become lone surrogates."""
    text = raw.decode("utf-8", errors="surrogateescape")
    return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")


def pair_problems(pairs: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """``(name, problem)`` for each name or value of ``pairs`` that is not text."""
    for name, value in pairs:
        if (problem := text_problem(name)) is not None:
            yield repr(name)[1:-1], f"the parameter name {problem}"
        elif (problem := text_problem(value)) is not None:
            yield name, problem
