"""Which lines of a C# file the target Unity project compiles, from its `#if` directives.

Unity scripts guard version- and platform-specific code with conditional compilation:

    #if UNITY_6000_0_OR_NEWER
        body.linearVelocity = v;
    #else
        body.velocity = v;      // never compiled by Unity 6: no "obsolete" warning belongs here
    #endif

tree-sitter keeps every branch in the tree, so the Unity rules would report code the target
never compiles. :func:`inactive_rows` evaluates the directives with three-valued logic: the
symbols SPARK can know from the target are true or false (``UNITY_X_Y_OR_NEWER``, the exact
version symbols ``UNITY_X`` / ``UNITY_X_Y``, ``ENABLE_INPUT_SYSTEM`` and
``ENABLE_LEGACY_INPUT_MANAGER`` from the input handling, ``#define`` / ``#undef`` in the file);
every other symbol (``UNITY_EDITOR``, ``UNITY_ANDROID``, ``DEBUG``...) is unknown. A line is
inactive only when its branch is certainly not taken, so an unknown condition never hides a
finding. Syntax errors are not affected: this module only tells the Unity rules where to stay
silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Truth = bool | None  # None: cannot tell for this target

_DIRECTIVE = re.compile(r"[ \t\f\v]*#[ \t]*(if|elif|else|endif|define|undef)\b([^\n]*)")
_TOKEN = re.compile(r"\s*(\|\||&&|==|!=|!|\(|\)|[A-Za-z_][A-Za-z0-9_]*)")
_OR_NEWER = re.compile(r"UNITY_(\d+)_(\d+)_OR_NEWER")
_EXACT = re.compile(r"UNITY_(\d+)(?:_(\d+))?")


def _not(a: Truth) -> Truth:
    return None if a is None else not a


def _and(a: Truth, b: Truth) -> Truth:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _or(a: Truth, b: Truth) -> Truth:
    if a is True or b is True:
        return True
    return False if a is False and b is False else None


def target_symbols(unity_version: str, input_system: str) -> Callable[[str], Truth]:
    """The truth of a conditional-compilation symbol for this target (None: unknown)."""
    parts = [int(p) for p in re.findall(r"\d+", unity_version)[:2]]
    major, minor = [*parts, 0, 0][:2]
    inputs = {
        "ENABLE_INPUT_SYSTEM": input_system in ("new", "both"),
        "ENABLE_LEGACY_INPUT_MANAGER": input_system in ("legacy", "both"),
    }

    def truth(symbol: str) -> Truth:
        if symbol in inputs:
            return inputs[symbol]
        if match := _OR_NEWER.fullmatch(symbol):
            return (int(match[1]), int(match[2])) <= (major, minor)
        if match := _EXACT.fullmatch(symbol):
            if match[2] is None:
                return int(match[1]) == major
            return (int(match[1]), int(match[2])) == (major, minor)
        return None

    return truth


class _Expression:
    """A recursive-descent reader of one `#if` condition (C# spec: || && == != ! ( ))."""

    def __init__(self, text: str, symbol: Callable[[str], Truth]) -> None:
        self.tokens: list[str] = []
        position = 0
        text = text.split("//", 1)[0].strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise ValueError(text)
            self.tokens.append(match[1])
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.at = 0
        self.symbol = symbol

    def value(self) -> Truth:
        result = self._or()
        if self.at != len(self.tokens):
            raise ValueError("trailing tokens")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end")
        self.at += 1
        return token

    def _or(self) -> Truth:
        result = self._and()
        while self._peek() == "||":
            self.at += 1
            result = _or(result, self._and())
        return result

    def _and(self) -> Truth:
        result = self._equality()
        while self._peek() == "&&":
            self.at += 1
            result = _and(result, self._equality())
        return result

    def _equality(self) -> Truth:
        result = self._unary()
        while self._peek() in ("==", "!="):
            equal = self._take() == "=="
            other = self._unary()
            if result is None or other is None:
                result = None
            else:
                result = (result == other) if equal else (result != other)
        return result

    def _unary(self) -> Truth:
        if self._peek() == "!":
            self.at += 1
            return _not(self._unary())
        token = self._take()
        if token == "(":
            inner = self._or()
            if self._take() != ")":
                raise ValueError("expected )")
            return inner
        if token in ("true", "false"):
            return token == "true"
        if token[0].isalpha() or token[0] == "_":
            return self.symbol(token)
        raise ValueError(f"unexpected {token!r}")


def evaluate(condition: str, symbol: Callable[[str], Truth]) -> Truth:
    """The truth of an `#if`/`#elif` condition; None when unknown or unreadable."""
    try:
        return _Expression(condition, symbol).value()
    except ValueError:
        return None


def _directives(code: str) -> Iterator[re.Match[str]]:
    """Each conditional-compilation directive line, found from its `#` (cheaper than a
    multi-line regex scan of the whole text: most files have few `#`)."""
    position = code.find("#")
    while position >= 0:
        line_start = code.rfind("\n", 0, position) + 1
        match = _DIRECTIVE.match(code, line_start)
        if match is not None and match.start(1) > position:
            yield match
        end = code.find("\n", position)
        if end < 0:
            return
        position = code.find("#", end)


@dataclass
class _Group:
    """One #if ... #endif: whether its parent is compiled, whether a branch was taken, and the
    condition of the branch being read (as written: `UNITY_EDITOR`, `!(A || B)` for an #else)."""

    parent: Truth
    taken: Truth
    condition: str = ""


class _Conditions:
    """The state of conditional compilation at each directive, read in file order."""

    def __init__(self, unity_version: str, input_system: str) -> None:
        self.known = target_symbols(unity_version, input_system)
        self.defined: dict[str, Truth] = {}
        self.stack: list[_Group] = []
        self.active: Truth = True

    def symbol(self, name: str) -> Truth:
        return self.defined[name] if name in self.defined else self.known(name)

    def step(self, keyword: str, rest: str) -> None:
        """Read one directive: `active` is then the truth of the lines after it."""
        if keyword in ("define", "undef"):
            name = rest.split("//", 1)[0].strip()
            if self.active is not False and name:
                self.defined[name] = (keyword == "define") if self.active else None
            return
        condition = rest.split("//", 1)[0].strip()
        if keyword == "if":
            truth = evaluate(rest, self.symbol)
            self.stack.append(_Group(parent=self.active, taken=truth, condition=condition))
            self.active = _and(self.active, truth)
        elif not self.stack:
            return  # a stray #elif/#else/#endif: the syntax check reports it
        elif keyword == "elif":
            group = self.stack[-1]
            truth = evaluate(rest, self.symbol)
            self.active = _and(group.parent, _and(_not(group.taken), truth))
            group.taken = _or(group.taken, truth)
            group.condition = condition
        elif keyword == "else":
            group = self.stack[-1]
            self.active = _and(group.parent, _not(group.taken))
            group.taken = True
            group.condition = f"!({group.condition})"
        else:  # endif
            self.active = self.stack.pop().parent


def inactive_rows(code: str, unity_version: str, input_system: str) -> frozenset[int]:
    """0-based rows certainly not compiled for this target (the directive lines included)."""
    if "#" not in code:
        return frozenset()
    return _inactive(code, _Conditions(unity_version, input_system))


def rows_needing(code: str, symbol: str) -> frozenset[int]:
    """0-based rows compiled only where `symbol` is defined, whatever else is: the inside of
    `#if UNITY_EDITOR`, of `#if UNITY_EDITOR && DEBUG`, the `#else` of `#if !UNITY_EDITOR`."""
    if symbol not in code:
        return frozenset()
    state = _Conditions("0", "both")
    state.known = lambda name: False if name == symbol else None
    return _inactive(code, state)


def _inactive(code: str, state: _Conditions) -> frozenset[int]:
    """The rows that `state` (read directive by directive) says are certainly not compiled."""
    inactive: set[int] = set()
    region_start: int | None = None  # first row of the current inactive stretch
    row = counted = 0
    for match in _directives(code):
        row += code.count("\n", counted, match.start())
        counted = match.start()
        if match[1] in ("define", "undef"):
            state.step(match[1], match[2])
            continue
        was_active = state.active
        state.step(match[1], match[2])
        if was_active is False and region_start is not None:
            inactive.update(range(region_start, row + 1))
            region_start = None
        if state.active is False:
            region_start = row + 1
    if state.active is False and region_start is not None:
        inactive.update(range(region_start, code.count("\n") + 1))
    return frozenset(inactive)


def enclosing_branch(
    code: str, row: int, unity_version: str, input_system: str
) -> tuple[str, Truth] | None:
    """The condition of the innermost `#if` branch holding the 0-based `row`, and whether this
    target compiles that row (None: cannot tell); None when the row is in no branch."""
    state = _Conditions(unity_version, input_system)
    counted = current = 0
    for match in _directives(code):
        current += code.count("\n", counted, match.start())
        counted = match.start()
        if current >= row:
            break
        state.step(match[1], match[2])
    if not state.stack:
        return None
    return state.stack[-1].condition, state.active
