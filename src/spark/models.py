"""Which models a provider offers: the catalog merged with the provider's live list.

The live ``/v1/models`` list is asked for only when the provider is configured, with its own
short timeout (``SPARK_MODELS_TIMEOUT``), and the answer is cached for ``models_cache_seconds``
— a failure (an error or a timeout) too, so a stalled ``/v1/models`` costs one wait per
time-to-live, not one per request. A failure falls back to the catalog alone (logged, never
raised), so a flaky ``/v1/models`` never blocks a generation or a model dropdown. Concurrent
askers for one provider share a single request. Generations resolve a model that is in the
catalog without asking at all (``Engine.resolve``).
"""

from __future__ import annotations

import asyncio
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
