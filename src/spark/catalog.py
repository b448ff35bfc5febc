"""The model catalog: which providers and models SPARK knows, what they cost, which to suggest.

The data lives in ``catalog.toml`` beside this module (see ``docs/models.md`` for how to update
it); this module loads it, validates it strictly and answers questions about it. Adapters show
``ModelInfo.label`` in pickers, the orchestrator prices a call with :meth:`Catalog.cost`, and a
provider's live model list is combined with the catalog by :meth:`Catalog.merge_live`.

Retired models stay in the catalog and stay selectable, labelled "(retired)": old history rows
must still resolve, and the provider, not SPARK, is the one to refuse the call.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from spark.errors import ConfigError, UsageError
from spark.usage import Usage

__all__ = [
    "Catalog",
    "CatalogError",
    "ModelInfo",
    "ModelStatus",
    "Price",
    "ProviderInfo",
    "load_catalog",
]

ModelStatus = Literal["current", "legacy", "retired", "unknown"]

_FILE_STATUSES: tuple[str, ...] = ("current", "legacy", "retired")
_PER_TOKENS = Decimal(1_000_000)
_COST_QUANTUM = Decimal("0.000001")
_UNLISTED_NOTE = "reported by the provider; not in SPARK's catalog"

_PROVIDER_KEYS = frozenset({"id", "display_name", "key_env", "enable_env", "needs", "note"})
_MODEL_KEYS = frozenset(
    {
        "provider",
        "id",
        "display_name",
        "status",
        "default",
        "aliases",
        "context_window",
        "max_output_tokens",
        "note",
        "price",
        "replacement",
        "retired_on",
    }
)
_PRICE_RATES = ("input", "output", "cache_read", "cache_write")
_PRICE_KEYS = frozenset({*_PRICE_RATES, "checked", "source"})


class CatalogError(ConfigError):
    """The catalog file is missing, unreadable or breaks one of its rules."""


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens, exact; ``checked`` is when the numbers were last verified."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    checked: datetime.date
    source: str = ""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model as SPARK presents it. ``price`` is None when the price is not known."""

    id: str
    display_name: str
    provider: str
    context_window: int | None
    max_output_tokens: int | None
    price: Price | None
    status: ModelStatus
    note: str = ""
    default: bool = False
    aliases: tuple[str, ...] = ()
    replacement: str | None = None
    retired_on: datetime.date | None = None

    @property
    def label(self) -> str:
        """The name to show people, with the status when it is not ``current``."""
        if self.status == "current":
            return self.display_name
        if self.status == "unknown":
            return f"{self.display_name} (not in catalog)"
        return f"{self.display_name} ({self.status})"

    @property
    def is_selectable(self) -> bool:
        """Always True: retired and unknown models stay selectable, labelled."""
        return True

    def answers_to(self, model_id: str) -> bool:
        """Whether ``model_id`` names this model (its id or one of its aliases)."""
        return model_id == self.id or model_id in self.aliases


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """A provider, how to switch it on, and its models in display order.

    ``key_env`` holds the API key; ``enable_env`` is the variable whose presence enables the
    provider (None: always available).
    """

    id: str
    display_name: str
    key_env: str | None
    needs: str
    models: tuple[ModelInfo, ...]
    enable_env: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every provider and model SPARK knows, loaded from one catalog file."""

    providers: tuple[ProviderInfo, ...]
    source: str = ""

    def provider(self, provider: str) -> ProviderInfo:
        """The provider with this id; a :class:`UsageError` naming the known ones otherwise."""
        for info in self.providers:
            if info.id == provider:
                return info
        known = ", ".join(p.id for p in self.providers)
        raise UsageError(
            f"Unknown provider {provider!r}. Known providers: {known}.",
            hint="Run `spark models` to see every provider and model.",
        )

    def models(self, provider: str) -> tuple[ModelInfo, ...]:
        """The provider's catalog models, in display order (retired ones included)."""
        return self.provider(provider).models

    def find(self, provider: str, model_id: str) -> ModelInfo | None:
        """The model called ``model_id`` (id or alias; case-insensitive as a fallback)."""
        models = self.models(provider)
        for model in models:
            if model.answers_to(model_id):
                return model
        folded = model_id.casefold()
        for model in models:
            if any(name.casefold() == folded for name in (model.id, *model.aliases)):
                return model
        return None

    def default_model(self, provider: str) -> ModelInfo:
        """The provider's default model (the loader guarantees exactly one, and current)."""
        return next(m for m in self.models(provider) if m.default)

    def current_models(self, provider: str) -> tuple[ModelInfo, ...]:
        """The provider's ``current`` models, in display order."""
        return tuple(m for m in self.models(provider) if m.status == "current")

    def suggest(self, provider: str, model_id: str) -> list[ModelInfo]:
        """Current models to offer instead of ``model_id`` (unknown, legacy or retired).

        The model's replacement comes first, then current models with close names, then the
        provider's default; never the model itself, never a non-current model.
        """
        current = self.current_models(provider)
        asked = self.find(provider, model_id)
        picks: list[ModelInfo] = []

        def add(model: ModelInfo | None) -> None:
            if model is None or model.status != "current" or model in picks or model == asked:
                return
            picks.append(model)

        add(self._current_replacement(provider, asked))
        wanted = model_id.casefold()
        for model in current:
            if wanted and (wanted in model.id.casefold() or model.id.casefold() in wanted):
                add(model)
        by_name = {m.id.casefold(): m for m in current}
        for name in difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6):
            add(by_name[name])
        add(self.default_model(provider))
        return picks

    def cost(self, provider: str, model_id: str, usage: Usage) -> Decimal | None:
        """USD cost of ``usage`` on this model, to 6 decimal places; None if the price is unknown.

        Prices are the catalog's standard rates: long-prompt surcharges (Haiku 5.5 above 100K
        tokens, OpenAI above 272K) are not applied.
        """
        model = self.find(provider, model_id)
        if model is None or model.price is None:
            return None
        price = model.price
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_read_tokens * price.cache_read
            + usage.cache_write_tokens * price.cache_write
        )
        return (total / _PER_TOKENS).quantize(_COST_QUANTUM, rounding=ROUND_HALF_UP)

    def merge_live(self, provider: str, live_ids: Iterable[str]) -> list[ModelInfo]:
        """The catalog's models in catalog order, then the live ids the catalog does not know.

        Catalog models missing from the live list keep their place: providers hide retired
        models from their lists, and SPARK keeps them, labelled. Live ids come as reported
        (callers filter out non-chat models such as embeddings first).
        """
        models = list(self.models(provider))
        known = {name for m in models for name in (m.id, *m.aliases)}
        for raw in live_ids:
            live_id = raw.strip()
            if not live_id or live_id in known:
                continue
            known.add(live_id)
            models.append(
                ModelInfo(
                    id=live_id,
                    display_name=live_id,
                    provider=provider,
                    context_window=None,
                    max_output_tokens=None,
                    price=None,
                    status="unknown",
                    note=_UNLISTED_NOTE,
                )
            )
        return models

    def _current_replacement(self, provider: str, model: ModelInfo | None) -> ModelInfo | None:
        """Follow ``replacement`` links from ``model`` to the first current model, if any."""
        seen: set[str] = set()
        while model is not None and model.replacement and model.id not in seen:
            seen.add(model.id)
            model = self.find(provider, model.replacement)
            if model is not None and model.status == "current":
                return model
        return None


# --- loading and validation ----------------------------------------------------------------


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate a catalog file: the packaged ``catalog.toml`` when ``path`` is None.

    The packaged catalog is read once per process. Raises :class:`CatalogError` naming the file
    and the entry at fault.
    """
    if path is None:
        return _packaged_catalog()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the model catalog ({exc.strerror}).") from exc
    return _parse(text, str(path))


@functools.cache
def _packaged_catalog() -> Catalog:
    resource = resources.files("spark").joinpath("catalog.toml")
    return _parse(resource.read_text(encoding="utf-8"), str(resource))


def _parse(text: str, where: str) -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    return _Validator(where).catalog(data)


class _Validator:
    """Turns parsed TOML into a :class:`Catalog`, failing on the first broken rule."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, entry: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.where}: {entry}: {problem}")

    def catalog(self, data: Mapping[str, Any]) -> Catalog:
        extra = set(data) - {"provider", "model"}
        if extra:
            raise self.fail(
                "top level", f"unknown keys {sorted(extra)} (expected [[provider]], [[model]])"
            )
        raw_providers = self.table_list(data, "provider")
        raw_models = self.table_list(data, "model")
        provider_fields = [self.provider(i, raw) for i, raw in enumerate(raw_providers, 1)]
        if not provider_fields:
            raise self.fail("top level", "no [[provider]] entries")
        by_provider: dict[str, list[ModelInfo]] = {}
        for fields in provider_fields:
            if fields["id"] in by_provider:
                raise self.fail(f"provider {fields['id']!r}", "duplicate provider id")
            by_provider[fields["id"]] = []
        for i, raw in enumerate(raw_models, 1):
            model = self.model(i, raw, by_provider)
            by_provider[model.provider].append(model)
        for provider_id, models in by_provider.items():
            self.check_provider_models(provider_id, models)
        providers = tuple(
            ProviderInfo(models=tuple(by_provider[f["id"]]), **f) for f in provider_fields
        )
        return Catalog(providers=providers, source=self.where)

    def table_list(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail("top level", f"{key!r} must be an array of tables ([[{key}]])")
        return cast(list[Mapping[str, Any]], value)

    def provider(self, index: int, raw: Mapping[str, Any]) -> dict[str, Any]:
        entry = f"provider #{index}"
        provider_id = self.text(raw, "id", entry)
        entry = f"provider {provider_id!r}"
        self.no_extra_keys(raw, _PROVIDER_KEYS, entry)
        return {
            "id": provider_id,
            "display_name": self.text(raw, "display_name", entry),
            "key_env": self.optional_text(raw, "key_env", entry),
            "enable_env": self.optional_text(raw, "enable_env", entry),
            "needs": self.text(raw, "needs", entry),
            "note": self.optional_text(raw, "note", entry) or "",
        }

    def model(
        self, index: int, raw: Mapping[str, Any], providers: Mapping[str, list[ModelInfo]]
    ) -> ModelInfo:
        entry = f"model #{index}"
        model_id = self.text(raw, "id", entry)
        provider = self.text(raw, "provider", f"model {model_id!r}")
        entry = f"model {provider}/{model_id}"
        self.no_extra_keys(raw, _MODEL_KEYS, entry)
        if provider not in providers:
            known = ", ".join(providers)
            raise self.fail(entry, f"unknown provider {provider!r} (known: {known})")
        status = self.text(raw, "status", entry)
        if status not in _FILE_STATUSES:
            raise self.fail(
                entry, f"unknown status {status!r} (expected one of {', '.join(_FILE_STATUSES)})"
            )
        default = raw.get("default", False)
        if not isinstance(default, bool):
            raise self.fail(entry, "'default' must be true or false")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise self.fail(entry, "'aliases' must be a list of non-empty strings")
        return ModelInfo(
            id=model_id,
            display_name=self.text(raw, "display_name", entry),
            provider=provider,
            context_window=self.optional_count(raw, "context_window", entry),
            max_output_tokens=self.optional_count(raw, "max_output_tokens", entry),
            price=self.price(raw.get("price"), entry),
            status=cast(ModelStatus, status),
            note=self.optional_text(raw, "note", entry) or "",
            default=default,
            aliases=tuple(aliases),
            replacement=self.optional_text(raw, "replacement", entry),
            retired_on=self.optional_date(raw, "retired_on", entry),
        )

    def price(self, raw: object, entry: str) -> Price | None:
        if raw is None or raw == "unknown":
            return None
        if not isinstance(raw, dict):
            raise self.fail(entry, "'price' must be a table or the string \"unknown\"")
        self.no_extra_keys(raw, _PRICE_KEYS, f"{entry} price")
        rates = {name: self.rate(raw, name, entry) for name in _PRICE_RATES}
        checked = raw.get("checked")
        if not isinstance(checked, datetime.date) or isinstance(checked, datetime.datetime):
            raise self.fail(entry, "price needs 'checked = YYYY-MM-DD' (the date it was verified)")
        source = raw.get("source", "")
        if not isinstance(source, str):
            raise self.fail(entry, "price 'source' must be a string")
        return Price(checked=checked, source=source, **rates)

    def rate(self, raw: Mapping[str, Any], name: str, entry: str) -> Decimal:
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(
                entry, f'price {name!r} must be a string such as "0.10" (floats are inexact)'
            )
        try:
            rate = Decimal(value)
        except InvalidOperation:
            raise self.fail(entry, f"price {name!r} is not a number: {value!r}") from None
        if not rate.is_finite():
            raise self.fail(entry, f"price {name!r} must be a finite number, not {value!r}")
        if rate < 0:
            raise self.fail(entry, f"price {name!r} is negative ({value})")
        return rate

    def check_provider_models(self, provider: str, models: list[ModelInfo]) -> None:
        entry = f"provider {provider!r}"
        names: dict[str, str] = {}
        for model in models:
            for name in (model.id, *model.aliases):
                if name in names:
                    raise self.fail(
                        f"model {provider}/{model.id}",
                        f"duplicate id {name!r} (already used by {provider}/{names[name]})",
                    )
                names[name] = model.id
        defaults = [m for m in models if m.default]
        if len(defaults) != 1:
            found = ", ".join(m.id for m in defaults) or "none"
            raise self.fail(entry, f"needs exactly one default model (found {found})")
        if defaults[0].status != "current":
            raise self.fail(
                f"model {provider}/{defaults[0].id}",
                f"the default model must be current, not {defaults[0].status}",
            )
        for model in models:
            if model.replacement is None:
                continue
            if model.replacement == model.id:
                raise self.fail(f"model {provider}/{model.id}", "is its own replacement")
            if model.replacement not in names:
                raise self.fail(
                    f"model {provider}/{model.id}",
                    f"replacement {model.replacement!r} is not a {provider} model in the catalog",
                )

    def no_extra_keys(self, raw: Mapping[str, Any], allowed: frozenset[str], entry: str) -> None:
        extra = set(raw) - allowed
        if extra:
            raise self.fail(entry, f"unknown keys {sorted(extra)} (allowed: {sorted(allowed)})")

    def text(self, raw: Mapping[str, Any], key: str, entry: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, f"{key!r} is required and must be a non-empty string")
        return value

    def optional_text(self, raw: Mapping[str, Any], key: str, entry: str) -> str | None:
        if key not in raw:
            return None
        return self.text(raw, key, entry)

    def optional_count(self, raw: Mapping[str, Any], key: str, entry: str) -> int | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(entry, f"{key!r} must be a positive whole number of tokens")
        return value

    def optional_date(self, raw: Mapping[str, Any], key: str, entry: str) -> datetime.date | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            raise self.fail(entry, f"{key!r} must be a date (YYYY-MM-DD)")
        return value
