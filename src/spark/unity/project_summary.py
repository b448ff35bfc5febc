"""The project's own types, summarised for the system prompt within a token budget.

A model that knows the user's ``Health`` component calls ``health.TakeDamage(10)`` instead of
inventing a second health system. A big project has thousands of types and the prompt has room
for a few dozen, so :func:`summarise_types` ranks them by relevance to the user's prompt (words
shared between the prompt and a type's name, members, namespace and base types; "enemy takes
damage" ranks ``EnemyHealth.TakeDamage`` first), writes the best ones with their public members,
then as many more names as fit, and says how many were left out. Tokens are estimated at four
characters each, which is close for code and never needs a tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spark.unity.project_scripts import ScriptFile, ScriptIndex, TypeInfo

CHARS_PER_TOKEN = 4
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_STOP_TEXT = """a an and are as at be by can do for from has have if in into is it its me my of
on or so than that the then this to up us use when while will with you your script unity class
make makes create want should"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_UNITY_BASES = frozenset(
    {"MonoBehaviour", "ScriptableObject", "NetworkBehaviour", "StateMachineBehaviour"}
)
_DETAILED_SHARE = 0.8  # of the budget, for types with members; the rest lists names


def words(text: str) -> set[str]:
    """Lower-case words of ``text``, identifiers split at case changes, plurals folded."""
    found = set()
    for word in _WORD.findall(text):
        word = word.lower()
        if word in _STOP_WORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return found


@dataclass(frozen=True, slots=True)
class _Ranked:
    score: float
    info: TypeInfo
    script: ScriptFile


def _score(info: TypeInfo, prompt_words: set[str]) -> float:
    name_words = words(info.name)
    member_words = words(" ".join(info.members))
    context_words = words(info.namespace + " " + " ".join(info.bases))
    score = 4.0 * len(prompt_words & name_words)
    score += min(3.0, 1.0 * len(prompt_words & member_words))
    score += 0.5 * len(prompt_words & context_words)
    if info.public and (set(info.bases) & _UNITY_BASES or info.kind == "interface"):
        score += 0.25  # among equals, components and contracts are the likeliest to be used
    return score


def _accessible(info: TypeInfo, script: ScriptFile) -> bool:
    """Whether a new script in Assembly-CSharp can use the type."""
    return info.public or script.assembly.startswith("Assembly-CSharp")


def rank_types(index: ScriptIndex, prompt: str) -> list[_Ranked]:
    """Types a new script could use, most relevant to ``prompt`` first."""
    prompt_words = words(prompt)
    ranked = [
        _Ranked(_score(info, prompt_words), info, script)
        for info, script in index.types()
        if _accessible(info, script)
    ]
    ranked.sort(key=lambda r: (-r.score, r.info.full_name))
    return ranked


def _detailed(entry: _Ranked, room: int) -> str | None:
    """The type with its members, cut to ``room`` characters (None when even its name line
    does not fit)."""
    info = entry.info
    head = f"- {info.kind} {info.full_name}"
    if info.bases:
        head += " : " + ", ".join(info.bases)
    head += f"  ({entry.script.path})"
    if len(head) > room:
        return None
    joiner = ", " if info.kind == "enum" else "; "
    members = list(info.members)
    while members:
        text = f"{head}\n    {joiner.join(members)}"
        if len(members) < len(info.members):
            text += f"{joiner}…"
        if len(text) <= room:
            return text
        members.pop()
    return head


def summarise_types(index: ScriptIndex, prompt: str, *, budget_tokens: int = 1500) -> str:
    """The project's types for the system prompt, most relevant to ``prompt`` first, in about
    ``budget_tokens`` tokens; empty when the project has no scripts."""
    ranked = rank_types(index, prompt)
    if not ranked or budget_tokens <= 0:
        return ""
    budget = budget_tokens * CHARS_PER_TOKEN
    lines: list[str] = []
    used = 0
    detailed_budget = int(budget * _DETAILED_SHARE)
    rest: list[_Ranked] = []
    for entry in ranked:
        text = _detailed(entry, detailed_budget - used - 1)
        if text is None:
            rest.append(entry)
        else:
            lines.append(text)
            used += len(text) + 1
    names = _names_within(rest, budget - used)
    if names:
        lines.append("Other types: " + names)
    return "\n".join(lines)


def _names_within(entries: Iterable[_Ranked], room: int) -> str:
    entries = list(entries)
    shown: list[str] = []
    used = len("Other types: ")
    for position, entry in enumerate(entries):
        name = entry.info.full_name
        left = len(entries) - position - 1
        tail = len(f", … and {left} more") if left else 0
        if used + len(name) + 2 + tail > room:
            more = f"… and {len(entries) - position} more"
            return ", ".join([*shown, more]) if shown else ""
        shown.append(name)
        used += len(name) + 2
    return ", ".join(shown)
