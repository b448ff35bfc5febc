"""A misspelled symbol in an `#if` / `#elif` condition (SPK055, UNT0043), with its fix.

C# treats an undefined symbol as false, so `#if UNITY_EDITR` silently leaves its branch out of
every build and `#if !UNITY_ANDRIOD` silently keeps it in.  The symbols Unity defines are
`[preprocessor] symbols` in unity_api.toml; the version symbols (`UNITY_2022_3_OR_NEWER`,
`UNITY_2022_3`, `UNITY_6000`) are known by their shape, and a symbol `#define`d in the file is
the author's own.  A symbol that is none of these but is one edit away from a known one (two for
names of 10+ characters), or differs from one only in case, is reported; `UNITY_2021_3_OR_LATER`
and the like (Unity only defines `..._OR_NEWER`) too.  A project's own symbols (scripting define
symbols, package defines) are unknown here, so only near misses of Unity's are reported.  The
target-framework symbols of the .NET SDK (`NETSTANDARD2_0`, `NETCOREAPP3_1`, `NET6_0_OR_GREATER`,
`NETFRAMEWORK`, `NET48`) are known by their shape too: code shared between a Unity package and a
NuGet build tests them on purpose (found in ONNX Runtime's Unity package), and Unity itself
defines `NETSTANDARD` and `NETSTANDARD2_1`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from spark.unity import edits
from spark.unity.api import unity_api
from spark.unity.checks import on_file
from spark.unity.model import FileModel
from spark.unity.rules import Finding

_CONDITION = re.compile(rb"[ \t]*#[ \t]*(?:if|elif)\b([^\r\n]*)")
_SYMBOL = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_DEFINED = re.compile(rb"^[ \t]*#[ \t]*(?:define|undef)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_VERSION = re.compile(r"UNITY_\d+(?:_\d+)*(?:_OR_NEWER)?")
_DOTNET = re.compile(r"NET(?:FRAMEWORK|STANDARD|COREAPP)?(?:\d+(?:_\d+)*)?(?:_OR_GREATER)?")
_OR_SOMETHING = re.compile(r"(UNITY_\d+_\d+)_OR_([A-Z]+)")
# Names of 10+ characters may be two edits away from the symbol meant, shorter ones one (the
# analyzer says 8, but it knows the project's own symbols; here `UNITY_IAP` or `UNITY_AR`, two
# edits from `UNITY_IOS` and `UNITY_ADS`, may well be a project's).
_LONG = 10


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(unity_api()["preprocessor"]["symbols"]) | {"true", "false"}


def _condition_symbols(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of each symbol in the condition of an `#if` or `#elif` line."""
    at = data.find(b"#")
    while at >= 0:
        line_start = data.rfind(b"\n", 0, at) + 1
        match = _CONDITION.match(data, line_start)
        if match is not None and match.start(1) > at:
            start, end = match.span(1)
            comment = data.find(b"//", start, end)
            for symbol in _SYMBOL.finditer(data, start, end if comment < 0 else comment):
                yield symbol.start(), symbol.end(), symbol.group().decode()
        line_end = data.find(b"\n", at)
        if line_end < 0:
            return
        at = data.find(b"#", line_end)


@on_file("endif")
def check_directive_symbols(model: FileModel) -> Iterator[Finding]:
    data = model.data
    defined: frozenset[str] | None = None
    for start, end, symbol in _condition_symbols(data):
        if symbol in _known() or _VERSION.fullmatch(symbol) or _DOTNET.fullmatch(symbol):
            continue
        if defined is None:
            defined = frozenset(m.decode() for m in _DEFINED.findall(data))
        if symbol in defined:
            continue
        suggestion, unique = closest_symbol(symbol)
        if not suggestion:
            continue
        leaf = model.root.descendant_for_byte_range(start, end)
        if leaf is None or leaf.type != "identifier" or leaf.start_byte != start:
            continue  # (a re-parsed copy with the directive lines blanked: no node to point at)
        fix = (edits.replace(leaf, suggestion),) if unique else ()
        yield Finding("SPK055", leaf, {"symbol": symbol, "suggestion": suggestion}, edits=fix)


@functools.lru_cache(maxsize=1024)
def closest_symbol(symbol: str) -> tuple[str, bool]:
    """The known symbol `symbol` is most likely a typo of ("" when none is close enough), and
    whether it is the only one that close."""
    wrong_suffix = _OR_SOMETHING.fullmatch(symbol)
    if wrong_suffix is not None and wrong_suffix[2] != "NEWER":
        return f"{wrong_suffix[1]}_OR_NEWER", True
    known = _known()
    if symbol.upper() in known and symbol.upper() not in {"TRUE", "FALSE"}:
        return symbol.upper(), True
    if len(symbol) < 3:
        return "", False
    limit = 2 if len(symbol) >= _LONG else 1
    best: list[str] = []
    best_key = (limit + 1, 0)
    for candidate in sorted(known):
        gap = abs(len(candidate) - len(symbol))
        if gap > limit or candidate in {"true", "false"}:
            continue
        distance = _distance(symbol, candidate, limit)
        key = (distance, gap)
        if distance > limit or key > best_key:
            continue
        if key < best_key:
            best, best_key = [], key
        best.append(candidate)
    return (best[0], len(best) == 1) if best else ("", False)


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of `a` and `b` (insertions, deletions, substitutions), or `limit + 1`
    as soon as it is certain to be more than `limit`."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
