"""The offline provider's template library: reading ``template_library/`` and checking it.

``index.toml`` describes every template (keywords, naming, parameters with their cues); each
``.cs.tmpl`` file is a complete Unity script with ``{{name}}`` placeholders. The double-brace
syntax cannot clash with C#, whose only use of ``{{`` is escaping inside interpolated strings,
which the templates avoid (the check below rejects any stray ``{{`` or ``}}``).

:func:`load_library` validates everything up front and raises :class:`TemplateLibraryError`
naming the file at fault; :func:`get_library` does it once per process.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Literal, cast

from spark.errors import SparkError

ParamType = Literal["float", "int", "bool", "choice", "string"]
ParamValue = float | int | bool | str

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
CLASS_PLACEHOLDER = "class_name"
_PARAM_TYPES: frozenset[str] = frozenset({"float", "int", "bool", "choice", "string"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")


class TemplateLibraryError(SparkError):
    """The template library shipped with SPARK is inconsistent (a packaging bug, not user input)."""


def phrase_pattern(phrase: str) -> str:
    """Regex source matching ``phrase`` as whole words in lower-cased text.

    Words are separated by spaces, hyphens or underscores in the text; a word ending in ``*``
    is a stem (any ending), any other word may take a plural ``s``/``es``.
    """
    parts: list[str] = []
    for word in phrase.lower().split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        elif word[-1].isalpha():
            parts.append(re.escape(word) + r"(?:e?s)?")
        else:
            parts.append(re.escape(word))
    return r"(?<!\w)" + r"[\s_-]+".join(parts) + r"(?!\w)"


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase from the index, compiled once."""

    text: str
    regex: re.Pattern[str]

    @classmethod
    def of(cls, text: str) -> Phrase:
        return cls(text, re.compile(phrase_pattern(text)))

    def found_in(self, lowered: str) -> bool:
        return self.regex.search(lowered) is not None


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One tunable of a template: its type, default, and how a prompt can set it."""

    name: str
    type: ParamType
    default: ParamValue
    label: str
    unit: str
    before: tuple[Phrase, ...] = ()
    after: tuple[tuple[Phrase, float], ...] = ()  # (phrase, multiplier)
    set_by: tuple[tuple[Phrase, ParamValue], ...] = ()
    choices: Mapping[str, str] | None = None
    patterns: tuple[re.Pattern[str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    name_prefix: str = ""


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """One template of the library, with its source text."""

    id: str
    title: str
    file: str
    source: str
    default_class: str
    name_suffix: str
    priority: int
    order: int
    summary: str
    setup: str
    samples: tuple[str, ...]
    keywords: tuple[tuple[Phrase, float], ...]
    role_words: frozenset[str]
    name_after: tuple[str, ...]
    prefer_object: bool
    handles: frozenset[str]
    caveats: tuple[tuple[Phrase, str], ...]  # mention -> note on what the template doesn't do
    params: tuple[ParamSpec, ...]
    identifiers: frozenset[str]  # every identifier the script uses: class names must avoid them

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class TemplateLibrary:
    """All templates, the fallback template's id and the features no template implements."""

    templates: tuple[TemplateSpec, ...]
    fallback: str
    unsupported: tuple[tuple[Phrase, str], ...]

    def get(self, template_id: str) -> TemplateSpec:
        for spec in self.templates:
            if spec.id == template_id:
                return spec
        raise KeyError(template_id)

    @property
    def fallback_template(self) -> TemplateSpec:
        return self.get(self.fallback)


def library_root() -> Traversable:
    """The folder of the library shipped inside the package."""
    return files("spark.providers").joinpath("template_library")


@functools.cache
def get_library() -> TemplateLibrary:
    """The packaged library, loaded and validated once per process."""
    return load_library(library_root())


def load_library(root: Traversable) -> TemplateLibrary:
    """Read ``index.toml`` and every template under ``root``; raise on any inconsistency."""
    index_file = root.joinpath("index.toml")
    try:
        index = tomllib.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateLibraryError(f"index.toml: cannot read the template index: {exc}") from exc

    entries = index.get("templates")
    if not isinstance(entries, list) or not entries:
        raise TemplateLibraryError("index.toml: no [[templates]] entries")
    templates = tuple(_load_template(root, entry, order) for order, entry in enumerate(entries))

    ids = [t.id for t in templates]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TemplateLibraryError(f"index.toml: duplicate template ids: {', '.join(duplicates)}")
    fallback = str(index.get("fallback", ""))
    if fallback not in ids:
        raise TemplateLibraryError(f"index.toml: fallback '{fallback}' is not a template id")
    unsupported = tuple(
        (Phrase.of(str(k)), str(v)) for k, v in _table(index, "unsupported", "index.toml").items()
    )
    return TemplateLibrary(templates=templates, fallback=fallback, unsupported=unsupported)


def _load_template(root: Traversable, entry: Any, order: int) -> TemplateSpec:
    if not isinstance(entry, dict):
        raise TemplateLibraryError(f"index.toml: template #{order + 1} is not a table")
    where = f"index.toml [template {entry.get('id', order + 1)!s}]"
    file = _str(entry, "file", where)
    try:
        source = root.joinpath(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateLibraryError(f"{file}: cannot read template file ({exc})") from exc

    params = tuple(
        _load_param(name, raw, f"{where} param '{name}'")
        for name, raw in _table(entry, "params", where).items()
    )
    _check_placeholders(file, source, {p.name for p in params})

    default_class = _str(entry, "default_class", where)
    if not _PASCAL.fullmatch(default_class):
        raise TemplateLibraryError(f"{where}: default_class '{default_class}' is not PascalCase")
    identifiers = frozenset(_IDENTIFIER.findall(PLACEHOLDER.sub(" ", source)))
    if default_class in identifiers:
        raise TemplateLibraryError(f"{file}: default class '{default_class}' is used in the body")
    if not file.startswith(default_class + "."):
        raise TemplateLibraryError(f"{where}: file '{file}' is not named after '{default_class}'")

    samples = tuple(str(s) for s in _list(entry, "samples", where))
    if len(samples) < 2:
        raise TemplateLibraryError(f"{where}: needs at least two sample prompts")
    keywords = tuple(
        (Phrase.of(str(k)), _number(v, f"{where} keyword '{k}'"))
        for k, v in _table(entry, "keywords", where).items()
    )
    return TemplateSpec(
        id=_str(entry, "id", where),
        title=_str(entry, "title", where),
        file=file,
        source=source,
        default_class=default_class,
        name_suffix=str(entry.get("name_suffix", "")),
        priority=int(_number(entry.get("priority", 0), f"{where} priority")),
        order=order,
        summary=_str(entry, "summary", where),
        setup=_str(entry, "setup", where),
        samples=samples,
        keywords=keywords,
        role_words=frozenset(str(w).lower() for w in _list(entry, "role_words", where)),
        name_after=tuple(str(w).lower() for w in _list(entry, "name_after", where)),
        prefer_object=bool(entry.get("prefer_object", False)),
        handles=frozenset(str(h) for h in _list(entry, "handles", where)),
        caveats=tuple(
            (Phrase.of(str(k)), str(v)) for k, v in _table(entry, "caveats", where).items()
        ),
        params=params,
        identifiers=identifiers,
    )


def _check_placeholders(file: str, source: str, defined: set[str]) -> None:
    used = set(PLACEHOLDER.findall(source))
    allowed = defined | {CLASS_PLACEHOLDER}
    unknown = sorted(used - allowed)
    if unknown:
        names = ", ".join("{{" + u + "}}" for u in unknown)
        raise TemplateLibraryError(f"{file}: placeholder {names} is not defined in index.toml")
    unused = sorted(defined - used)
    if unused:
        raise TemplateLibraryError(
            f"{file}: index.toml defines parameter(s) {', '.join(unused)} the template never uses"
        )
    if CLASS_PLACEHOLDER not in used:
        raise TemplateLibraryError(f"{file}: the class must be declared as {{{{class_name}}}}")
    stray = PLACEHOLDER.sub("", source)
    for token in ("{{", "}}"):
        if token in stray:
            line = stray[: stray.index(token)].count("\n") + 1
            raise TemplateLibraryError(f"{file}: malformed placeholder '{token}' near line {line}")


def _load_param(name: str, raw: Any, where: str) -> ParamSpec:
    if not isinstance(raw, dict):
        raise TemplateLibraryError(f"{where}: not a table")
    kind = raw.get("type")
    if kind not in _PARAM_TYPES:
        raise TemplateLibraryError(f"{where}: type must be one of {sorted(_PARAM_TYPES)}")
    ptype = cast(ParamType, kind)
    choices = None
    if ptype == "choice":
        choices = {str(k): str(v) for k, v in _table(raw, "choices", where).items()}
        if not choices:
            raise TemplateLibraryError(f"{where}: a choice parameter needs choices")
    minimum = _optional_number(raw.get("min"), f"{where} min")
    maximum = _optional_number(raw.get("max"), f"{where} max")
    default = _coerce(ptype, raw.get("default"), choices, f"{where} default")
    numeric = isinstance(default, int | float) and not isinstance(default, bool)
    too_low = numeric and minimum is not None and float(default) < minimum
    too_high = numeric and maximum is not None and float(default) > maximum
    if too_low or too_high:
        raise TemplateLibraryError(f"{where}: default {default} is outside min/max")
    after = [(Phrase.of(str(p)), 1.0) for p in _list(raw, "after", where)]
    after += [
        (Phrase.of(str(p)), _number(m, f"{where} scale"))
        for p, m in _table(raw, "scale", where).items()
    ]
    try:
        patterns = tuple(re.compile(str(p)) for p in _list(raw, "patterns", where))
    except re.error as exc:
        raise TemplateLibraryError(f"{where}: bad pattern: {exc}") from exc
    if any(p.groups != 1 for p in patterns):
        raise TemplateLibraryError(f"{where}: every pattern needs exactly one group")
    return ParamSpec(
        name=name,
        type=ptype,
        default=default,
        label=str(raw.get("label", name.replace("_", " "))),
        unit=str(raw.get("unit", "")),
        before=tuple(Phrase.of(str(p)) for p in _list(raw, "before", where)),
        after=tuple(after),
        set_by=tuple(
            (Phrase.of(str(p)), _coerce(ptype, v, choices, f"{where} set_by '{p}'"))
            for p, v in _table(raw, "set_by", where).items()
        ),
        choices=choices,
        patterns=patterns,
        minimum=minimum,
        maximum=maximum,
        name_prefix=str(raw.get("name_prefix", "")),
    )


def _coerce(
    ptype: ParamType, value: Any, choices: Mapping[str, str] | None, where: str
) -> ParamValue:
    ok = False
    if ptype == "bool":
        ok = isinstance(value, bool)
    elif ptype == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif ptype == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif ptype == "choice":
        ok = isinstance(value, str) and choices is not None and value in choices
    else:
        ok = isinstance(value, str)
    if not ok:
        raise TemplateLibraryError(f"{where}: {value!r} is not a valid {ptype} value")
    return cast(ParamValue, value)


def _str(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise TemplateLibraryError(f"{where}: '{key}' must be a non-empty string")
    return value


def _list(table: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise TemplateLibraryError(f"{where}: '{key}' must be a list")
    return value


def _table(table: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise TemplateLibraryError(f"{where}: '{key}' must be a table")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateLibraryError(f"{where}: {value!r} is not a number")
    return float(value)


def _optional_number(value: Any, where: str) -> float | None:
    return None if value is None else _number(value, where)
