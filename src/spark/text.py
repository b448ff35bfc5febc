"""Text from outside (a provider's reply, its error messages) made safe to store and send.

Databases and encoders refuse two things a decoded JSON string may hold: the NUL character
(PostgreSQL ``text`` cannot contain it) and lone UTF-16 surrogates (``"\\ud800"``: not encodable
as UTF-8, so neither SQLite, PostgreSQL, a file nor an HTTP response can take them). SPARK
**removes NUL characters** and **replaces each lone surrogate with U+FFFD** (the replacement
character, ``�``); a surrogate pair that arrived as two code points is joined into its
character. Nothing else is changed. Text a *client* sends is refused instead of repaired:
:func:`text_problem` says what is wrong with it (the web app and MCP answer with that).
:func:`redact` takes configured secrets out of a message.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without NUL characters, its lone surrogates replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        # UTF-16 joins valid pairs; decoding with "replace" turns lone halves into U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def redact(text: str | None, secrets: list[str]) -> str | None:
    """Replace every configured secret in ``text``."""
    if text is None:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be accepted as text, or None when it can."""
    found = _BAD_CHARACTER.search(value)
    if found is None:
        return None
    code = ord(found.group())
    where = f"at character {found.start() + 1}"
    if code == 0:
        return f"contains a NUL character (U+0000) {where}, which SPARK cannot store"
    if 0xDC80 <= code <= 0xDCFF:  # where surrogateescape puts a byte that is not UTF-8
        return (
            f"contains a byte that is not UTF-8 (0x{code - 0xDC00:02X}), or the lone "
            f"surrogate U+{code:04X}, {where}"
        )
    return f"contains a lone surrogate (U+{code:04X}) {where}, which is not a character"
