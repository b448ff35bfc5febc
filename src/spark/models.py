"""Which models a provider offers: the catalog merged with the provider's live list.

The live ``/v1/models`` list is asked for only when the provider is configured, with its own
short timeout (``SPARK_MODELS_TIMEOUT``), and the answer is cached for ``models_cache_seconds``
— a failure (an error or a timeout) too, so a stalled ``/v1/models`` costs one wait per
time-to-live, not one per request. A failure falls back to the catalog alone (logged, never
raised), so a flaky ``/v1/models`` never blocks a generation or a model dropdown. Concurrent
askers for one provider share a single request. Generations resolve a model that is in the
catalog without asking at all (``Engine.prepare``).

The directory also answers the model questions of every adapter (through ``Engine.models``):
:meth:`ModelDirectory.overview` (providers, availability and models, for ``spark models``,
``GET /api/models``, the chat page and MCP's ``list_models``), :meth:`ModelDirectory.requested`
(the configured defaults, without I/O) and :meth:`ModelDirectory.default_choice` (what a user
starts with); :func:`model_json` is a model's JSON form.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spark.catalog import Catalog, ModelInfo
from spark.config import Settings
from spark.errors import AIError
from spark.providers import OFFLINE, is_available
from spark.providers.base import Provider

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelListing:
    """A provider's models; ``live`` says whether the provider's own list was merged in."""

    provider: str
    models: tuple[ModelInfo, ...]
    live: bool

    def find(self, model_id: str) -> ModelInfo | None:
        for model in self.models:
            if model.id == model_id or model_id in model.aliases:
                return model
        return None


@dataclass(frozen=True, slots=True)
class ProviderModels:
    """One provider as adapters show it: whether it can be used (else what to set) and its
    models (``live``: the provider's own list was merged in)."""

    id: str
    display_name: str
    available: bool
    how_to_enable: str  # the catalog's words: "set ANTHROPIC_API_KEY to enable"
    live: bool
    models: tuple[ModelInfo, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """The provider and model a user starts with."""

    provider: str
    model: str


def model_json(model: ModelInfo, provider: ProviderModels) -> dict[str, Any]:
    """One model of an overview as JSON-ready data (prices as strings, per million tokens):
    ``spark models --json`` and MCP's ``list_models``."""
    price = model.price
    return {
        "provider": model.provider,
        "id": model.id,
        "display_name": model.display_name,
        "label": model.label,
        "status": model.status,
        "default": model.default,
        "note": model.note,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "price": None
        if price is None
        else {
            "input": str(price.input),
            "output": str(price.output),
            "cache_read": str(price.cache_read),
            "cache_write": str(price.cache_write),
            "checked": price.checked.isoformat(),
        },
        "available": provider.available,
        "how_to_enable": provider.how_to_enable,
        "live_list": provider.live,
    }


class ModelDirectory:
    """Merges catalog and live model lists, with a per-provider time-to-live cache."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        provider_for: Callable[[str], Provider],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._provider_for = provider_for
        self._clock = clock
        # provider → (when asked, live ids or None for a failure)
        self._cache: dict[str, tuple[float, tuple[str, ...] | None]] = {}
        self._asking: dict[str, asyncio.Lock] = {}

    async def listing(self, provider: str) -> ModelListing:
        """The merged model list of ``provider`` (catalog only when it is not configured)."""
        live_ids = await self._live_ids(provider)
        if live_ids is None:
            return ModelListing(provider, tuple(self._catalog.models(provider)), live=False)
        merged = self._catalog.merge_live(provider, live_ids)
        return ModelListing(provider, tuple(merged), live=True)

    def available(self, provider: str | None) -> bool:
        """Whether ``provider`` is in the catalog and configured (its key or URL is set)."""
        return (
            provider is not None
            and any(p.id == provider for p in self._catalog.providers)
            and is_available(provider, self._settings)
        )

    def available_providers(self) -> list[str]:
        """The providers that can be used now, in the catalog's order."""
        return [p.id for p in self._catalog.providers if self.available(p.id)]

    async def overview(self, provider: str | None = None) -> list[ProviderModels]:
        """Every provider of the catalog (or only ``provider``: UsageError if unknown) with
        its availability and merged model list."""
        names = [provider] if provider is not None else [p.id for p in self._catalog.providers]
        overview = []
        for name in names:
            info = self._catalog.provider(name)
            listing = await self.listing(info.id)
            overview.append(
                ProviderModels(
                    id=info.id,
                    display_name=info.display_name,
                    available=self.available(info.id),
                    how_to_enable=info.needs,
                    live=listing.live,
                    models=listing.models,
                )
            )
        return overview

    def requested(self, provider: str | None, model: str | None) -> tuple[str, str | None]:
        """Provider and model as asked, the configured defaults filled in (no I/O):
        ``SPARK_DEFAULT_PROVIDER`` (else offline), and ``SPARK_DEFAULT_MODEL`` for that
        provider; a None model stands for the provider's default in the catalog."""
        name = provider or self._settings.default_provider or OFFLINE
        if model is None and name == self._settings.default_provider:
            model = self._settings.default_model
        return name, model

    async def default_choice(
        self,
        saved_provider: str | None = None,
        saved_models: Mapping[str, str] | None = None,
        *,
        first_configured: bool = False,
    ) -> Choice:
        """What to preselect for a user: their saved choice when that provider is still
        available and knows that model; else the configured default (``SPARK_DEFAULT_PROVIDER``)
        when available; else, with ``first_configured`` (a new web account), the first provider
        of the catalog with a key (or URL); else the offline templates. The model falls back to
        the provider's default."""
        if saved_provider is not None and self.available(saved_provider):
            provider, model = saved_provider, (saved_models or {}).get(saved_provider)
        elif first_configured and self._settings.default_provider is None:
            configured = [p.id for p in self._catalog.providers if p.id != OFFLINE]
            provider = next((p for p in configured if self.available(p)), OFFLINE)
            model = None
        else:
            provider, model = self.requested(None, None)
            if not self.available(provider):
                provider, model = OFFLINE, None
        if model is not None and (await self.listing(provider)).find(model) is None:
            model = None
        return Choice(provider, model or self._catalog.default_model(provider).id)

    def _cached(self, provider: str) -> tuple[bool, tuple[str, ...] | None]:
        entry = self._cache.get(provider)
        if entry is None or self._clock() - entry[0] >= self._settings.models_cache_seconds:
            return False, None
        return True, entry[1]

    async def _live_ids(self, provider: str) -> tuple[str, ...] | None:
        if provider == OFFLINE or not is_available(provider, self._settings):
            return None
        fresh, ids = self._cached(provider)
        if fresh:
            return ids
        async with self._asking.setdefault(provider, asyncio.Lock()):
            fresh, ids = self._cached(provider)  # another request may have just asked
            if fresh:
                return ids
            ids = await self._ask(provider)
            self._cache[provider] = (self._clock(), ids)
            return ids

    async def _ask(self, provider: str) -> tuple[str, ...] | None:
        timeout = self._settings.models_timeout
        try:
            async with asyncio.timeout(timeout):
                return tuple(await self._provider_for(provider).list_models())
        except AIError as exc:
            log.warning("could not list %s models, using the catalog: %s", provider, exc.message)
        except TimeoutError:
            log.warning("could not list %s models in %g s, using the catalog", provider, timeout)
        return None
