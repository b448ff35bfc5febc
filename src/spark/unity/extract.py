"""Pulling the C# script out of a model's reply, and naming its file.

Preference order: a fenced block marked ``csharp``/``cs``/``c#``; else the largest fenced block;
else the whole reply when it looks like C#. A reply cut off inside a fence (max tokens) still
yields the code written so far. The file is named after the script's main class.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

DEFAULT_CLASS_NAME = "GeneratedScript"
_FENCE = re.compile(
    r"^[ \t]*(```+|~~~+)[ \t]*([\w#+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S
)
_OPEN_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w#+.-]*)[^\n]*\n", re.M)
_CSHARP_TAGS = {"csharp", "cs", "c#", "c-sharp"}
_UNITY_BASES = (
    "MonoBehaviour",
    "ScriptableObject",
    "NetworkBehaviour",
    "StateMachineBehaviour",
    "Editor",
    "EditorWindow",
)
_CLASS = re.compile(
    r"^[ \t]*(?:\[[^\]\n]*\][ \t]*)*(?P<mods>(?:(?:public|internal|private|protected|sealed|"
    r"abstract|static|partial|unsafe|file)\s+)*)(?:class|record|struct)\s+(?P<name>[A-Za-z_]\w*)"
    r"(?P<rest>[^{\n]*)",
    re.M,
)
_LOOKS_LIKE_CSHARP = re.compile(
    r"^\s*(using\s+[\w.]+;|(public\s+|internal\s+)?(class|struct|enum|namespace)\s)", re.M
)


@dataclass(frozen=True, slots=True)
class ExtractedCode:
    """The script found in a reply."""

    code: str
    class_name: str
    from_fence: bool
    unterminated: bool  # the reply ended inside an open code fence

    @property
    def file_name(self) -> str:
        return f"{self.class_name}.cs"


def extract_code(reply: str) -> ExtractedCode:
    """Find the C# script in ``reply`` (see the module docstring for the order)."""
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(reply)]
    tagged = [body for tag, body in blocks if tag in _CSHARP_TAGS]
    if tagged:
        code, fenced, unterminated = max(tagged, key=len), True, False
    elif blocks:
        code, fenced, unterminated = max((body for _, body in blocks), key=len), True, False
    else:
        opening = _OPEN_FENCE.search(reply)
        if opening is not None:
            code, fenced, unterminated = reply[opening.end() :], True, True
        else:
            # No fence at all: the whole reply is the script if it reads like C#, else none.
            looks_like_code = bool(_LOOKS_LIKE_CSHARP.search(reply)) and "{" in reply
            code, fenced, unterminated = (reply if looks_like_code else ""), False, False
    code = code.strip("\n")
    if code:
        code += "\n"
    return ExtractedCode(
        code=code,
        class_name=main_class_name(code),
        from_fence=fenced,
        unterminated=unterminated,
    )


@functools.lru_cache(maxsize=64)
def prose_of(reply: str) -> str:
    """The reply without its script: the model's explanation around it (Markdown), such as
    the set-up steps. C# code blocks go (an unterminated one to the end), other fences stay.

    Remembered for the last few replies: the history row and the answer of one generation
    (a cache hit's above all) each ask for the same reply's prose."""
    code = extract_code(reply).code.strip("\n")

    def keep(match: re.Match[str]) -> str:
        tag, body = match.group(2).lower(), match.group(3).strip("\n")
        return "" if tag in _CSHARP_TAGS or (code and body == code) else match.group(0)

    text = _FENCE.sub(keep, reply)
    opening = _OPEN_FENCE.search(text)
    if opening is not None and opening.group(2).lower() in (*_CSHARP_TAGS, ""):
        text = text[: opening.start()]
    elif opening is None and not _FENCE.search(reply) and _LOOKS_LIKE_CSHARP.search(reply):
        return ""  # the whole reply is the script
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def main_class_name(code: str) -> str:
    """The class Unity will attach: a MonoBehaviour/ScriptableObject subclass, else the first
    public class, else the first class; ``GeneratedScript`` when there is none."""
    classes = [(m.group("name"), m.group("mods"), m.group("rest")) for m in _CLASS.finditer(code)]
    for name, _mods, rest in classes:
        if ":" in rest and any(re.search(rf"\b{b}\b", rest) for b in _UNITY_BASES):
            return name
    for name, mods, _rest in classes:
        if "public" in mods.split():
            return name
    return classes[0][0] if classes else DEFAULT_CLASS_NAME
