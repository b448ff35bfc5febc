"""Which provider and model the chat screen starts with.

The user's saved choice (``spark_user_preferences``, saved by ``PUT /api/preferences`` when a
picker changes) when that provider is still available and knows that model; else the configured
default (``SPARK_DEFAULT_PROVIDER`` / ``SPARK_DEFAULT_MODEL``) when available; else the offline
templates.
"""

from __future__ import annotations

from typing import NamedTuple

from spark.config import Settings
from spark.db import Database
from spark.db.preferences import get_preferences
from spark.generation import Engine
from spark.providers import OFFLINE, is_available
from spark.web.auth import WebUser


class InitialChoice(NamedTuple):
    provider: str
    model: str
    saved_models: dict[str, str]  # the model last chosen per provider (for the model picker)


def _usable(provider: str | None, settings: Settings, engine: Engine) -> bool:
    return (
        provider is not None
        and provider in {p.id for p in engine.catalog.providers}
        and is_available(provider, settings)
    )


async def initial_choice(
    *, user: WebUser, settings: Settings, engine: Engine, database: Database
) -> InitialChoice:
    """The provider and model to preselect for ``user``."""
    async with database.session(user_id=user.id) as session:
        prefs = await get_preferences(session=session, user_id=user.id)
        saved_provider, saved_models = prefs.preferred_provider, dict(prefs.preferred_models or {})
    if _usable(saved_provider, settings, engine):
        assert saved_provider is not None
        provider, model = saved_provider, saved_models.get(saved_provider)
    else:
        provider = settings.default_provider or OFFLINE
        if not _usable(provider, settings, engine):
            provider = OFFLINE
        model = settings.default_model if provider == settings.default_provider else None
    if model is not None:
        listing = await engine.models.listing(provider)
        if all(m.id != model for m in listing.models):
            model = None
    if model is None:
        model = engine.catalog.default_model(provider).id
    return InitialChoice(provider, model, saved_models)
