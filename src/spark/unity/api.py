"""Unity API facts (`unity_api.toml`): messages, component types, deprecated APIs, read once.

The deprecated APIs say when each became obsolete and, for a renamed one, from which versions
its new name exists: the validator (SPK021) and the system prompt's API advice
(`spark.unity.api_guidance`) both read them, so the two cannot disagree.

The data file holds what the rules need to know about Unity (adding a message or a deprecated
API is a few lines there); `api_index()` turns it into the sets and lookups the checks ask
many times per file, built once per process.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any


def read_toml(name: str) -> dict[str, Any]:
    text = resources.files("spark.unity").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def unity_api() -> dict[str, Any]:
    """The parsed unity_api.toml."""
    return read_toml("unity_api.toml")


@dataclass(frozen=True)
class ApiIndex:
    """Sets and lookups derived from unity_api.toml, built once per process (see `api_index`).

    The checks ask "is this name one of ..." many times per file; answering from lists, or
    rebuilding sets from them for every file, is most of the rules' fixed cost on a small file.
    """

    component_bases: frozenset[str]
    scriptable_bases: frozenset[str]
    message_bases: frozenset[str]
    editor_bases: frozenset[str]
    components: frozenset[str]
    unity_objects: frozenset[str]  # components and other UnityEngine.Object types
    ui_toolkit_names: frozenset[str]  # uGUI component names UI Toolkit also defines
    lookups: frozenset[str]
    forces: frozenset[str]
    per_frame: frozenset[str]
    # Enough of the per-frame names to find any of them in a text: "Update" finds "LateUpdate".
    per_frame_needles: tuple[bytes, ...]
    member_types: dict[str, dict[str, str]]  # engine type → member → its type
    legacy_input_class: str
    legacy_input_members: frozenset[str]
    messages: dict[str, dict[str, Any]]  # MonoBehaviour's
    message_names: tuple[str, ...]
    # Base class → every message Unity sends its subclasses ("MonoBehaviour": `messages`).
    message_sets: dict[str, dict[str, dict[str, Any]]]
    # (kind, name) → the deprecated entries for it with their parsed `since`, in file order.
    deprecated: dict[tuple[str, str], tuple[tuple[dict[str, Any], tuple[int, ...]], ...]]
    # (kind, rename) → the deprecated entries renamed to it that say from which versions the
    # new name exists (`introduced`, parsed), in file order.
    introduced: dict[
        tuple[str, str], tuple[tuple[dict[str, Any], tuple[tuple[int, ...], ...]], ...]
    ]


@functools.cache
def api_index() -> ApiIndex:
    """The `ApiIndex` of `unity_api()`."""
    api = unity_api()
    hot = api["hot_path"]
    deprecated: dict[tuple[str, str], list[tuple[dict[str, Any], tuple[int, ...]]]] = {}
    for dep in api["deprecated"]:
        deprecated.setdefault((dep["kind"], dep["name"]), []).append(
            (dep, parse_version(dep["since"]))
        )
    introduced: dict[tuple[str, str], list[tuple[dict[str, Any], tuple[tuple[int, ...], ...]]]]
    introduced = {}
    for dep in api["deprecated"]:
        if dep.get("introduced") and dep.get("rename"):
            versions = tuple(parse_version(v) for v in dep["introduced"])
            introduced.setdefault((dep["kind"], dep["rename"]), []).append((dep, versions))
    messages: dict[str, dict[str, Any]] = api["messages"]
    return ApiIndex(
        component_bases=frozenset(api["component_bases"]),
        scriptable_bases=frozenset(api["scriptable_bases"]),
        message_bases=frozenset(api["message_bases"]),
        editor_bases=frozenset(api["editor_bases"]),
        components=frozenset(api["components"]),
        unity_objects=frozenset(api["components"]) | frozenset(api["objects"]),
        ui_toolkit_names=frozenset(api["ui_toolkit_names"]),
        lookups=frozenset(hot["lookups"]),
        forces=frozenset(hot["forces"]),
        per_frame=frozenset(hot["per_frame"]),
        per_frame_needles=tuple(
            name.encode()
            for name in hot["per_frame"]
            if not any(other != name and other in name for other in hot["per_frame"])
        ),
        member_types=api["member_types"],
        legacy_input_class=api["input"]["legacy_class"],
        legacy_input_members=frozenset(api["input"]["legacy_members"]),
        messages=messages,
        message_names=tuple(messages),
        message_sets={"MonoBehaviour": messages, **_message_sets(api["message_sets"])},
        deprecated={key: tuple(deps) for key, deps in deprecated.items()},
        introduced={key: tuple(deps) for key, deps in introduced.items()},
    )


def exists_in(version: tuple[int, ...], introduced: tuple[tuple[int, ...], ...]) -> bool:
    """Whether an API `introduced` in these versions exists in `version`: from the last one on,
    and within the release stream (major.minor) of each earlier one (a backport) from it on."""
    if not introduced:
        return True
    *backports, last = introduced
    if version >= last:
        return True
    return any(version[:2] == first[:2] and version >= first for first in backports)


def _message_sets(raw: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each `[message_sets.X]` table with the sets it `_includes` merged in."""

    def resolved(base: str) -> dict[str, dict[str, Any]]:
        table = raw[base]
        merged: dict[str, dict[str, Any]] = {}
        for included in table.get("_includes", []):
            merged.update(resolved(included))
        merged.update({name: spec for name, spec in table.items() if name != "_includes"})
        return merged

    return {base: resolved(base) for base in raw}


@functools.lru_cache(maxsize=256)
def parse_version(version: str) -> tuple[int, ...]:
    """`"2022.3.1f1"` → (2022, 3, 1); unparsable parts count as 0."""
    parts: list[int] = []
    for piece in version.strip().split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    return tuple(parts) or (0,)
