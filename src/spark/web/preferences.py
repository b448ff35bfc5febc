"""Which provider and model the chat screen starts with.

Phase 1: the configured default (``SPARK_DEFAULT_PROVIDER`` / ``SPARK_DEFAULT_MODEL``) when that
provider is available, else the offline templates. With accounts, the user's saved choice
(``spark_user_preferences``, ``GET/PUT /api/preferences``) is read here first.
"""

from __future__ import annotations

from spark.config import Settings
from spark.generation import Engine
from spark.providers import OFFLINE, is_available
from spark.web.auth import WebUser


async def initial_choice(*, user: WebUser, settings: Settings, engine: Engine) -> tuple[str, str]:
    """``(provider, model)`` to preselect for ``user``."""
    provider = settings.default_provider or OFFLINE
    if provider not in {p.id for p in engine.catalog.providers} or not is_available(
        provider, settings
    ):
        provider = OFFLINE
    model = settings.default_model if provider == settings.default_provider else None
    if model is None or engine.catalog.find(provider, model) is None:
        model = engine.catalog.default_model(provider).id
    return provider, model
