"""Which provider and model the chat screen starts with.

The user's saved choice (``spark_user_preferences``, saved by ``PUT /api/preferences`` when a
picker changes), checked by the engine's :meth:`~spark.models.ModelDirectory.default_choice`
(still available, model still known; else the configured default; else the first provider
with a key; else the offline templates).
"""

from __future__ import annotations

from typing import NamedTuple

from spark.db import Database
from spark.db.preferences import get_preferences
from spark.generation import Engine
from spark.web.auth import WebUser


class InitialChoice(NamedTuple):
    provider: str
    model: str
    saved_models: dict[str, str]  # the model last chosen per provider (for the model picker)


async def initial_choice(*, user: WebUser, engine: Engine, database: Database) -> InitialChoice:
    """The provider and model to preselect for ``user``."""
    async with database.session(user_id=user.id) as session:
        prefs = await get_preferences(session=session, user_id=user.id)
        saved_provider, saved_models = prefs.preferred_provider, dict(prefs.preferred_models or {})
    choice = await engine.models.default_choice(saved_provider, saved_models, first_configured=True)
    return InitialChoice(choice.provider, choice.model, saved_models)
