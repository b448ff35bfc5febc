"""Which models a provider offers: the catalog merged with the provider's live list.

The live ``/v1/models`` list is asked for only when the provider is configured, and cached for
``models_cache_seconds``; a failure falls back to the catalog alone (logged, never raised), so a
flaky ``/v1/models`` never blocks a generation or a model dropdown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

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
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    async def listing(self, provider: str) -> ModelListing:
        """The merged model list of ``provider`` (catalog only when it is not configured)."""
        live_ids = await self._live_ids(provider)
        if live_ids is None:
            return ModelListing(provider, tuple(self._catalog.models(provider)), live=False)
        merged = self._catalog.merge_live(provider, live_ids)
        return ModelListing(provider, tuple(merged), live=True)

    async def _live_ids(self, provider: str) -> tuple[str, ...] | None:
        if provider == OFFLINE or not is_available(provider, self._settings):
            return None
        now = self._clock()
        cached = self._cache.get(provider)
        if cached is not None and now - cached[0] < self._settings.models_cache_seconds:
            return cached[1]
        try:
            ids = tuple(await self._provider_for(provider).list_models())
        except AIError as exc:
            log.warning("could not list %s models, using the catalog: %s", provider, exc.message)
            return None
        self._cache[provider] = (now, ids)
        return ids
