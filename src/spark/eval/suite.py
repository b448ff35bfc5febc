"""Eval suites: the prompts ``spark eval`` sends to every model, read from a TOML data file.

The built-in suite is ``suite.toml`` next to this module; a user's suite has the same format
(docs/eval.md, "The suite file")::

    name = "My studio's suite"

    [[item]]
    id = "enemy-patrol"            # unique: lower-case letters, digits, dashes
    prompt = "An enemy that patrols between waypoints."
    difficulty = "easy"            # easy | medium | hard
    tags = ["3d", "ai"]            # optional

A malformed file is one :class:`SuiteError` line naming the file and the problem. A suite's
``digest`` identifies its items (ids, prompts, difficulties, tags): a run is resumed only with
the suite it started with.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark.errors import UsageError

BUILT_IN = Path(__file__).with_name("suite.toml")
DIFFICULTIES = ("easy", "medium", "hard")
MAX_ITEMS = 1000
MAX_PROMPT_CHARS = 4000
MAX_TAGS = 16
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,31}")
_ITEM_KEYS = {"id", "prompt", "difficulty", "tags"}
_TOP_KEYS = {"name", "item"}


class SuiteError(UsageError):
    """The suite file cannot be used (the message names the file and the problem)."""


@dataclass(frozen=True, slots=True)
class SuiteItem:
    """One request of the suite."""

    id: str
    prompt: str
    difficulty: str
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "difficulty": self.difficulty,
            "tags": list(self.tags),
        }


@dataclass(frozen=True, slots=True)
class Suite:
    """A named list of requests, in file order."""

    name: str
    items: tuple[SuiteItem, ...]
    source: str  # "built-in" or the file's path, for messages and reports

    @property
    def digest(self) -> str:
        """16 hex digits of SHA-256 over the items: the same suite gives the same digest."""
        data = json.dumps([i.to_json() for i in self.items], sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def item(self, item_id: str) -> SuiteItem | None:
        return next((i for i in self.items if i.id == item_id), None)


def load_suite(path: Path | str | None = None) -> Suite:
    """The suite at ``path`` (the built-in one for None); SuiteError for any problem."""
    file = BUILT_IN if path is None else Path(path)
    label = "built-in suite" if path is None else str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise SuiteError(
            f"Cannot read the suite {label}: {exc.strerror or exc}.",
            hint="Check the path given to --suite.",
        ) from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise _bad(label, "it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise _bad(label, f"it is not valid TOML ({exc})") from None
    return parse_suite(data, source="built-in" if path is None else str(file.resolve()))


def parse_suite(data: dict[str, Any], *, source: str) -> Suite:
    """Check the parsed TOML ``data`` and build the suite (SuiteError naming the problem)."""
    label = "built-in suite" if source == "built-in" else source
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _bad(label, f"unknown key {_quote(unknown[0])} (allowed: name, item)")
    name = data.get("name", Path(source).stem if source != "built-in" else "built-in")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _bad(label, "`name` must be a non-empty string of at most 200 characters")
    rows = data.get("item")
    if not isinstance(rows, list) or not rows:
        raise _bad(label, "it has no [[item]] tables")
    if len(rows) > MAX_ITEMS:
        raise _bad(label, f"it has {len(rows)} items; the limit is {MAX_ITEMS}")
    items: list[SuiteItem] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        item = _item(row, f"{label}: item {number}")
        if item.id in seen:
            raise _bad(label, f"item {number}: the id {_quote(item.id)} is used twice")
        seen.add(item.id)
        items.append(item)
    return Suite(name.strip(), tuple(items), source)


def _item(row: object, where: str) -> SuiteItem:
    if not isinstance(row, dict):
        raise SuiteError(f"The suite is malformed: {where} is not a table.", hint=_HINT)
    if isinstance(row.get("id"), str) and _ID.fullmatch(row["id"]):
        where = f"{where} ({_quote(row['id'])})"
    unknown = sorted(set(row) - _ITEM_KEYS)
    if unknown:
        raise _at(where, f"unknown key {_quote(unknown[0])} (allowed: {', '.join(_ORDER)})")
    for key in ("id", "prompt", "difficulty"):
        if key not in row:
            raise _at(where, f"`{key}` is missing")
    item_id, prompt, difficulty = row["id"], row["prompt"], row["difficulty"]
    if not isinstance(item_id, str) or not _ID.fullmatch(item_id):
        raise _at(
            where,
            "`id` must be 1 to 64 lower-case letters, digits and dashes, starting with a "
            "letter or digit",
        )
    if not isinstance(prompt, str) or not prompt.strip():
        raise _at(where, "`prompt` must be a non-empty string")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise _at(where, f"`prompt` is {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
    if "\x00" in prompt or any(0xD800 <= ord(c) <= 0xDFFF for c in prompt):
        raise _at(where, "`prompt` holds a NUL or a lone surrogate character")
    if difficulty not in DIFFICULTIES:
        raise _at(where, f"`difficulty` must be one of {', '.join(DIFFICULTIES)}")
    tags = row.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or not all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags)
    ):
        raise _at(
            where,
            f"`tags` must be a list of at most {MAX_TAGS} short labels "
            "(letters, digits, - _ . +; at most 32 characters each)",
        )
    return SuiteItem(item_id, prompt.strip(), str(difficulty), tuple(tags))


_ORDER = ("id", "prompt", "difficulty", "tags")
_HINT = "See docs/eval.md, “The suite file”."


def _quote(value: str) -> str:
    return json.dumps(value[:80])


def _bad(label: str, problem: str) -> SuiteError:
    return SuiteError(f"The suite {label} cannot be used: {problem}.", hint=_HINT)


def _at(where: str, problem: str) -> SuiteError:
    return SuiteError(f"The suite is malformed: {where}: {problem}.", hint=_HINT)
