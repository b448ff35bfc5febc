"""Choosing a template for a prompt and filling it: keywords, numbers, class names.

Everything here is pure and deterministic:

* :func:`score_templates` / :func:`match_template` weigh each template's keywords in the prompt;
  ties go to the higher ``priority`` from the index, then to the earlier entry.
* :func:`extract_numbers` finds the numbers in a prompt ("1,000", "-5", "0.5s"), and
  :func:`fill_params` gives each to the parameter whose cue words stand next to it ("speed of
  7.5", "90 degrees per second"), strongest cue first.
* :func:`derive_class_name` turns the prompt's subject ("enemy that patrols") into a PascalCase
  class name (``EnemyPatrol``) or falls back to the template's default.
* :func:`render_conversation` puts it together for a whole conversation, so that follow-ups
  ("also make it faster, 180 degrees per second") keep the earlier template and its values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spark.providers.template_index import (
    CLASS_PLACEHOLDER,
    PLACEHOLDER,
    ParamSpec,
    ParamValue,
    TemplateLibrary,
    TemplateSpec,
    get_library,
)
from spark.providers.template_naming import derive_class_name

__all__ = [
    "NumberMention",
    "TemplateMatch",
    "TemplateRender",
    "derive_class_name",
    "extract_numbers",
    "fill_params",
    "format_value",
    "match_template",
    "render_conversation",
    "render_template_for_prompt",
    "score_templates",
]

# A number standing alone: "90", "7.5", ".5", "1,000", "-3", optionally glued to a short unit
# ("2s", "90deg"). Anything else glued to it ("2D", "3rd", "Vector3") is not a quantity.
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>[-−+])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?![.,]\d)(?P<glued>[^\W\d_]*)"
)
_GLUED_UNITS = frozenset(
    {"s", "sec", "secs", "ms", "m", "min", "mins", "hp", "deg", "pts", "f", "x", "hz", "rpm", "u"}
)
# Words that may sit between a cue and its number: "speed of 7.5", "jump height should be 3".
_FILLERS = (
    "of|to|at|is|be|should|will|set|equal|equals|around|about|roughly|approximately|approx|a|an|"
    "the|with|by|exactly"
)
_TRAILING_FILLER = re.compile(r"(?:[\s:=~(]+|(?<!\w)(?:" + _FILLERS + r"))$")
_AFTER_GAP = re.compile(r"[\s-]*")
_STRENGTH_BEFORE = 2.0
_STRENGTH_AFTER = 3.0
_INT32_MAX = 2_147_483_647


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number found in a prompt, with where it stands."""

    value: float
    start: int
    end: int  # end of the digits (a glued unit such as the "s" of "2s" comes after)
    text: str


@dataclass(frozen=True, slots=True)
class TemplateMatch:
    """A template's score for a prompt and the keywords that earned it."""

    template: TemplateSpec
    score: float
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TemplateRender:
    """A filled template, ready to show: the script and what was taken from the prompt."""

    template_id: str
    title: str
    class_name: str
    code: str
    params: dict[str, ParamValue]  # every parameter's final value
    filled: dict[str, ParamValue]  # only those the prompt set
    notes: tuple[str, ...]  # honest remarks for the user: fallbacks, clamps, unsupported asks
    matched_keywords: tuple[str, ...] = ()
    fell_back: bool = False  # nothing matched: the general template was used
    setup: str = ""
    display: dict[str, str] = field(default_factory=dict)  # filled, for people: speed -> 90°/s


def _lower(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def score_templates(prompt: str, library: TemplateLibrary | None = None) -> list[TemplateMatch]:
    """Every template with a positive score, best first (ties: priority, then index order)."""
    library = library or get_library()
    lowered = _lower(prompt)
    matches: list[TemplateMatch] = []
    for spec in library.templates:
        hits = [(p.text, w) for p, w in spec.keywords if p.found_in(lowered)]
        score = sum(w for _, w in hits)
        if score > 0:
            matches.append(TemplateMatch(spec, score, tuple(t for t, _ in hits)))
    matches.sort(key=lambda m: (-m.score, -m.template.priority, m.template.order))
    return matches


def match_template(prompt: str, library: TemplateLibrary | None = None) -> TemplateMatch | None:
    """The best template for ``prompt``, or None when no keyword of any template is in it."""
    matches = score_templates(prompt, library)
    return matches[0] if matches else None


def extract_numbers(prompt: str) -> list[NumberMention]:
    """The quantities in ``prompt`` in order: "1,000" is 1000, "-5" is -5, "2D" is not a number."""
    found: list[NumberMention] = []
    for m in _NUMBER.finditer(prompt):
        glued = m.group("glued")
        if glued and glued.lower() not in _GLUED_UNITS:
            continue
        value = float(m.group("num").replace(",", ""))
        if m.group("sign") in ("-", "−"):
            value = -value
        found.append(NumberMention(value, m.start(), m.end("num"), m.group(0)))
    return found


def _strip_fillers(text: str) -> str:
    """``text`` without trailing filler words and punctuation (at most a few)."""
    for _ in range(6):
        stripped = _TRAILING_FILLER.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


def _cue_strength(spec: ParamSpec, lowered: str, number: NumberMention) -> tuple[float, float]:
    """How strongly ``spec``'s cues point at ``number`` (0 = not at all), and the unit scale."""
    strength, scale = 0.0, 1.0
    head = _strip_fillers(lowered[: number.start])
    for phrase in spec.before:
        found = phrase.regex.search(head)
        if found and found.end() == len(head):
            strength = max(strength, _STRENGTH_BEFORE + len(phrase.text) / 100)
    gap = _AFTER_GAP.match(lowered, number.end)
    tail_start = gap.end() if gap else number.end
    best_after = 0.0
    for phrase, multiplier in spec.after:
        found = phrase.regex.match(lowered, tail_start)
        if found and len(phrase.text) / 100 + _STRENGTH_AFTER > best_after:
            best_after, scale = _STRENGTH_AFTER + len(phrase.text) / 100, multiplier
    return strength + best_after, scale


@dataclass(slots=True)
class _Filling:
    filled: dict[str, ParamValue]
    notes: list[str]
    unclaimed: list[NumberMention]


def fill_params(spec: TemplateSpec, prompt: str) -> tuple[dict[str, ParamValue], list[str]]:
    """Values set by ``prompt`` for ``spec``'s parameters, and notes (clamps, ignored numbers)."""
    filling = _fill_one(spec, prompt)
    notes = filling.notes + _unclaimed_notes(filling.unclaimed)
    return filling.filled, notes


def _fill_one(spec: TemplateSpec, prompt: str) -> _Filling:
    lowered = _lower(prompt)
    filled: dict[str, ParamValue] = {}
    notes: list[str] = []

    for param in spec.params:
        for phrase, value in param.set_by:
            if phrase.found_in(lowered):
                filled[param.name] = value
                break
        if param.type == "string":
            for pattern in param.patterns:
                found = pattern.search(prompt)
                if found:
                    filled[param.name] = _clean_string(found.group(1))
                    break

    numbers = extract_numbers(prompt)
    numeric = [p for p in spec.params if p.type in ("float", "int")]
    candidates: list[tuple[float, int, int, float]] = []  # strength, number idx, param idx, scale
    for n_index, number in enumerate(numbers):
        for p_index, param in enumerate(numeric):
            strength, scale = _cue_strength(param, lowered, number)
            if strength > 0:
                candidates.append((strength, n_index, p_index, scale))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_numbers: set[int] = set()
    used_params: set[int] = set()
    for _, n_index, p_index, scale in candidates:
        if n_index in used_numbers or p_index in used_params:
            continue
        used_numbers.add(n_index)
        used_params.add(p_index)
        param = numeric[p_index]
        value, note = _fit(param, numbers[n_index].value * scale)
        filled[param.name] = value
        if note:
            notes.append(note)
    unclaimed = [n for i, n in enumerate(numbers) if i not in used_numbers]
    return _Filling(filled, notes, unclaimed)


def _unclaimed_notes(unclaimed: Sequence[NumberMention]) -> list[str]:
    if not unclaimed:
        return []
    listed = ", ".join(n.text.strip() for n in unclaimed)
    return [f"I couldn't tell which setting {listed} was meant for, so the template ignores it."]


def _clean_string(text: str) -> str:
    """A prompt fragment made safe inside a C# string literal."""
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " _-./")
    return kept.strip()[:64]


def _fit(param: ParamSpec, value: float) -> tuple[ParamValue, str | None]:
    """``value`` rounded and clamped to ``param``'s type and range, with a note if it changed."""
    label = param.label
    note = None
    low = param.minimum if param.minimum is not None else -float(_INT32_MAX)
    high = param.maximum if param.maximum is not None else float(_INT32_MAX)
    fitted = value
    if value < low and low >= 0 and low <= -value <= high:
        fitted = -value
        note = f"{label} can't be negative, so I used {_plain(fitted)}."
    elif value < low or value > high:
        fitted = min(max(value, low), high)
        note = f"{label} {_plain(value)} is out of range, so I used {_plain(fitted)}."
    if param.type == "int":
        rounded = round(fitted)
        if rounded != fitted and note is None:
            note = f"{label} is a whole number, so {_plain(fitted)} became {rounded}."
        return rounded, note
    return float(fitted), note


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def format_value(param: ParamSpec, value: ParamValue) -> str:
    """``value`` as C# source: ``90f``, ``7.5f``, ``3``, ``true``, a choice's expression."""
    if param.type == "bool":
        return "true" if value else "false"
    if param.type == "int":
        return str(int(value))
    if param.type == "float":
        number = float(value)
        if number.is_integer():
            return f"{int(number)}f"
        text = repr(number)
        if "e" in text or "E" in text:
            text = f"{number:.9f}".rstrip("0")
        return f"{text}f"
    if param.type == "choice":
        assert param.choices is not None
        return param.choices[str(value)]
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def display_value(param: ParamSpec, value: ParamValue) -> str:
    """``value`` for people: ``90°/s``, ``2 s``, ``on``, ``x``."""
    if param.type == "bool":
        return "on" if value else "off"
    if param.type in ("float", "int"):
        return f"{_plain(float(value))}{param.unit}"
    if param.type == "string":
        return f'"{value}"' if value else "(empty)"
    return str(value)


def render(spec: TemplateSpec, class_name: str, values: Mapping[str, ParamValue]) -> str:
    """The template's source with every placeholder replaced."""
    replacements = {CLASS_PLACEHOLDER: class_name}
    for param in spec.params:
        replacements[param.name] = format_value(param, values.get(param.name, param.default))
    return PLACEHOLDER.sub(lambda m: replacements[m.group(1)], spec.source)


def render_template_for_prompt(
    prompt: str, library: TemplateLibrary | None = None
) -> TemplateRender:
    """Choose, name and fill a template for one prompt."""
    return render_conversation([prompt], library)


def render_conversation(
    user_messages: Sequence[str], library: TemplateLibrary | None = None
) -> TemplateRender:
    """Choose, name and fill a template for a conversation's user turns, oldest first.

    The latest turn that matches any template chooses it, except that a tie with the template
    already in use keeps that one ("also add a double jump" stays 2D). The run of turns since
    the conversation last asked for another template supplies the values (later turns win) and
    the class name (earlier turns win, so a follow-up does not rename the file).
    """
    library = library or get_library()
    messages = list(user_messages) or [""]
    chosen = _choose_per_turn(messages, library)

    current = next((c for c in reversed(chosen) if c is not None), None)
    notes: list[str] = []
    matched: tuple[str, ...]
    if current is None:
        spec, matched, fell_back = library.fallback_template, (), True
        notes.append(
            "Nothing in your prompt matched one of the templates, so this is the general "
            f"starting point ({spec.title}: {spec.summary})."
        )
    else:
        spec, matched, fell_back = current.template, current.keywords, False

    # The conversation's segment about this template: back from the latest turn while each
    # turn either chose this template or matched nothing.
    start = len(messages) - 1
    while start > 0:
        previous = chosen[start - 1]
        if previous is not None and previous.template.id != spec.id:
            break
        start -= 1
    segment = messages[start:]

    filled: dict[str, ParamValue] = {}
    unclaimed: list[NumberMention] = []
    for index, message in enumerate(segment):
        filling = _fill_one(spec, message)
        filled.update(filling.filled)
        notes.extend(filling.notes)
        if index == len(segment) - 1:
            unclaimed = filling.unclaimed
    notes.extend(_unclaimed_notes(unclaimed))

    latest = messages[-1]
    latest_filling = _fill_one(spec, latest)
    if len(messages) > 1 and not fell_back and chosen[-1] is None and not latest_filling.filled:
        options = ", ".join(p.label for p in spec.params) or "none"
        notes.append(
            f"Your latest message doesn't map to anything the {spec.title} template can change "
            f"(its options: {options}), so apart from that the script is as before."
        )
    notes.extend(_unsupported_notes(spec, segment, library))

    prefix = ""
    for param in spec.params:
        if param.name_prefix and param.name in filled and filled[param.name] != param.default:
            prefix = param.name_prefix
    # A turn that matched nothing ("make it faster") names nothing, unless no turn matched.
    namers = [m for m, c in zip(segment, chosen[start:], strict=True) if fell_back or c is not None]
    class_name, name_note = derive_class_name(namers, spec, prefix)
    if name_note:
        notes.append(name_note)

    filled = {p.name: filled[p.name] for p in spec.params if p.name in filled}
    values = {p.name: filled.get(p.name, p.default) for p in spec.params}
    return TemplateRender(
        template_id=spec.id,
        title=spec.title,
        class_name=class_name,
        code=render(spec, class_name, values),
        params=values,
        filled=filled,
        notes=tuple(dict.fromkeys(notes)),
        matched_keywords=matched,
        fell_back=fell_back,
        setup=spec.setup,
        display={
            spec.param(name).label: display_value(spec.param(name), value)
            for name, value in filled.items()
        },
    )


def _choose_per_turn(
    messages: Sequence[str], library: TemplateLibrary
) -> list[TemplateMatch | None]:
    """The template each turn is about (None where it matched nothing), oldest first."""
    chosen: list[TemplateMatch | None] = []
    current: TemplateMatch | None = None
    for message in messages:
        matches = score_templates(message, library)
        if not matches:
            chosen.append(None)
            continue
        top = matches[0]
        if current is not None:
            for match in matches:
                if match.template.id == current.template.id and match.score == top.score:
                    top = match
        current = top
        chosen.append(current)
    return chosen


def _unsupported_notes(
    spec: TemplateSpec, messages: Sequence[str], library: TemplateLibrary
) -> list[str]:
    lowered = " \n ".join(_lower(m) for m in messages)
    missing = [
        description
        for phrase, description in library.unsupported
        if phrase.text not in spec.handles and phrase.found_in(lowered)
    ]
    notes = [note for phrase, note in spec.caveats if phrase.found_in(lowered)]
    if missing:
        listed = ", ".join(dict.fromkeys(missing))
        notes.append(
            f"The {spec.title} template can't add {listed}; that part of your request is not in "
            "this script (an AI provider can write it)."
        )
    return notes
