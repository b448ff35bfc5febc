"""Prompt templates: starting points with typed parameters that fill a structured prompt.

The built-in ones are TOML files in ``spark/prompt_templates/`` (one per template, named after
it); a team adds its own in the database (``spark.db.templates``), in the same shape. Every
template, wherever it comes from, passes :func:`parse_template`: a name, a title, a prompt text
with ``{placeholders}``, and parameters, each with a kind (``text``, ``int``, ``float``,
``bool``, ``choice``), a default, and a range (``min``/``max``), allowed values or a length
limit. :meth:`PromptTemplate.fill` checks the values a user gave (type, range, allowed values)
and returns the prompt, or raises :class:`TemplateValuesError` with one message per parameter.
(The offline provider's script templates in ``providers/template_library`` are another thing:
C# it writes without a model.)
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from spark.errors import UsageError
from spark.text import text_problem

Kind = Literal["text", "int", "float", "bool", "choice"]
KINDS: tuple[str, ...] = ("text", "int", "float", "bool", "choice")
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,31})\}")
MAX_PROMPT = 10_000
MAX_TEXT = 200
MAX_PARAMETERS = 20
MAX_CHOICES = 30


class TemplateError(UsageError):
    """A template definition that is not valid (says which file or template, and why)."""


class TemplateValuesError(UsageError):
    """Values for a template's parameters that are not valid: ``problems`` maps each
    parameter to what is wrong with its value."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = "; ".join(f"{name}: {why}" for name, why in problems.items())
        super().__init__(f"Check the template's values: {first}.")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of a template (see the module docstring)."""

    name: str
    kind: Kind
    default: Any
    label: str = ""
    help: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    max_length: int = MAX_TEXT

    def check(self, value: Any) -> Any:
        """``value`` as this parameter's type, or ValueError saying why it is not one.
        Strings are accepted for every kind (a form sends strings)."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in {"true", "false", "on", "off"}:
                return value.lower() in {"true", "on"}
            raise ValueError("must be true or false")
        if self.kind in {"int", "float"}:
            number = _number(value, whole=self.kind == "int")
            if self.min is not None and number < self.min:
                raise ValueError(f"must be at least {_show(self.min)}")
            if self.max is not None and number > self.max:
                raise ValueError(f"must be at most {_show(self.max)}")
            return number
        if not isinstance(value, str):
            raise ValueError("must be text")
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        text = " ".join(value.split())  # one line: the value goes into a sentence
        if self.kind == "choice":
            if text not in self.allowed:
                raise ValueError("must be one of " + ", ".join(self.allowed))
            return text
        if not text:
            raise ValueError("must not be empty")
        if len(text) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters")
        return text

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default}
        for key in ("label", "help"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        if self.allowed:
            data["allowed"] = list(self.allowed)
        if self.kind == "text":
            data["max_length"] = self.max_length
        return data


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A template: ``prompt`` with a ``{placeholder}`` per parameter."""

    name: str
    title: str
    prompt: str
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    source: Literal["built-in", "team"] = "built-in"

    def fill(self, values: Mapping[str, Any]) -> str:
        """The prompt with ``values`` (defaults for those not given); TemplateValuesError for
        values that are wrong or for parameters the template does not have."""
        problems: dict[str, str] = {}
        known = {p.name: p for p in self.parameters}
        for name in values:
            if name not in known:
                problems[str(name)[:40]] = "this template has no such parameter"
        filled: dict[str, str] = {}
        for parameter in self.parameters:
            raw = values.get(parameter.name, parameter.default)
            try:
                filled[parameter.name] = _show(parameter.check(raw))
            except ValueError as exc:
                problems[parameter.name] = str(exc)
        if problems:
            raise TemplateValuesError(problems)
        return PLACEHOLDER.sub(lambda m: filled.get(m[1], m[0]), self.prompt)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "prompt": self.prompt,
            "parameters": [p.to_json() for p in self.parameters],
            "source": self.source,
        }


def _number(value: Any, *, whole: bool) -> float | int:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, str):
        try:
            value = int(value.strip()) if whole else float(value.strip())
        except ValueError:
            raise ValueError("must be a whole number" if whole else "must be a number") from None
    if whole and isinstance(value, float) and value.is_integer():
        value = int(value)
    if whole and not isinstance(value, int):
        raise ValueError("must be a whole number")
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    if abs(value) > 1e12:
        raise ValueError("is out of range")
    return value if whole else float(value)


def _show(value: Any) -> str:
    """A value as it goes into the prompt: ``5``, ``2.5``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else str(value)
    return str(value)


# --- reading and checking definitions -----------------------------------------------------------


def parse_template(
    data: Mapping[str, Any], *, where: str, source: Literal["built-in", "team"] = "built-in"
) -> PromptTemplate:
    """A template from its definition (a TOML file's table, or a team template's JSON), or a
    TemplateError naming ``where`` and what is wrong."""

    def bad(why: str) -> TemplateError:
        return TemplateError(f"{where}: {why}.", hint="See docs/prompts.md#prompt-templates.")

    if not isinstance(data, Mapping):
        raise bad("a template is a table of name, title, prompt and parameters")
    unknown = set(data) - {"name", "title", "description", "prompt", "parameters"}
    if unknown:
        raise bad(f"unknown key {sorted(unknown)[0]!r}")
    name, title = data.get("name"), data.get("title")
    prompt, description = data.get("prompt"), data.get("description", "")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise bad("name must be 1-64 lower-case letters, digits and dashes")
    if not isinstance(title, str) or not title.strip() or len(title) > 120:
        raise bad("title must be text of 1-120 characters")
    if not isinstance(description, str) or len(description) > 1000:
        raise bad("description must be text of at most 1000 characters")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT:
        raise bad(f"prompt must be text of 1-{MAX_PROMPT} characters")
    for key, text in (("title", title), ("description", description), ("prompt", prompt)):
        if text_problem(text):
            raise bad(f"{key} {text_problem(text)}")
    raw = data.get("parameters", [])
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) > MAX_PARAMETERS:
        raise bad(f"parameters must be a list of at most {MAX_PARAMETERS}")
    parameters = tuple(_parameter(item, bad) for item in raw)
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise bad("two parameters have the same name")
    used = set(PLACEHOLDER.findall(prompt))
    if used - set(names):
        raise bad(f"the prompt's {{{sorted(used - set(names))[0]}}} is not a parameter")
    if set(names) - used:
        raise bad(f"parameter {sorted(set(names) - used)[0]!r} is not used in the prompt")
    return PromptTemplate(
        name=name,
        title=title.strip(),
        prompt=prompt.strip(),
        description=description.strip(),
        parameters=parameters,
        source=source,
    )


def _parameter(item: Any, bad: Any) -> Parameter:
    if not isinstance(item, Mapping):
        raise bad("each parameter is a table")
    unknown = set(item) - {
        "name", "kind", "default", "label", "help", "min", "max", "allowed", "max_length",
    }  # fmt: skip
    name = item.get("name")
    if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
        raise bad("a parameter's name must be 1-32 lower-case letters, digits and _")
    if unknown:
        raise bad(f"parameter {name!r}: unknown key {sorted(unknown)[0]!r}")
    kind = item.get("kind")
    if kind not in KINDS:
        raise bad(f"parameter {name!r}: kind must be one of {', '.join(KINDS)}")
    label, help_ = item.get("label", ""), item.get("help", "")
    if not isinstance(label, str) or not isinstance(help_, str) or len(label + help_) > 400:
        raise bad(f"parameter {name!r}: label and help are short text")
    bounds = [item.get("min"), item.get("max")]
    for bound in bounds:
        if bound is not None and (
            kind not in {"int", "float"}
            or isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
        ):
            raise bad(f"parameter {name!r}: min and max are numbers, for int and float only")
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise bad(f"parameter {name!r}: min is above max")
    allowed = item.get("allowed", [])
    if kind == "choice":
        if (
            not isinstance(allowed, list)
            or not 1 <= len(allowed) <= MAX_CHOICES
            or not all(isinstance(a, str) and a.strip() and len(a) <= MAX_TEXT for a in allowed)
        ):
            raise bad(f"parameter {name!r}: a choice needs 1-{MAX_CHOICES} allowed values")
    elif "allowed" in item:
        raise bad(f"parameter {name!r}: allowed is for choice parameters only")
    max_length = item.get("max_length", MAX_TEXT)
    if kind != "text" and "max_length" in item:
        raise bad(f"parameter {name!r}: max_length is for text parameters only")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not max_length >= 1:
        raise bad(f"parameter {name!r}: max_length is a whole number of 1-{MAX_TEXT}")
    if max_length > MAX_TEXT:
        raise bad(f"parameter {name!r}: max_length is a whole number of 1-{MAX_TEXT}")
    if "default" not in item:
        raise bad(f"parameter {name!r} has no default")
    parameter = Parameter(
        name=name,
        kind=kind,
        default=item["default"],
        label=label,
        help=help_,
        min=bounds[0],
        max=bounds[1],
        allowed=tuple(allowed) if kind == "choice" else (),
        max_length=max_length,
    )
    try:
        checked = parameter.check(item["default"])
    except ValueError as exc:
        raise bad(f"parameter {name!r}: the default {exc}") from None
    if type(checked) is not type(item["default"]) and kind != "float":
        raise bad(f"parameter {name!r}: the default must be a {kind}, not text")
    return parameter


def read_template_file(name: str, text: str) -> PromptTemplate:
    """A built-in template from its file (``name``: the file's name, which must be the
    template's name + ``.toml``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{name}: not valid TOML ({exc}).") from None
    template = parse_template(data, where=name)
    if name != f"{template.name}.toml":
        raise TemplateError(f"{name}: the file must be named {template.name}.toml.")
    return template


@functools.cache
def builtin_templates() -> dict[str, PromptTemplate]:
    """The built-in templates by name, read once (a bad file raises TemplateError)."""
    folder = resources.files("spark").joinpath("prompt_templates")
    found: dict[str, PromptTemplate] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            template = read_template_file(entry.name, entry.read_text(encoding="utf-8"))
            found[template.name] = template
    return found
