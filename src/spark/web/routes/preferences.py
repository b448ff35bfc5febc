"""``GET/PUT /api/preferences``: the provider and model the user chose last.

The chat page saves the choice whenever a picker changes and starts from it on the next visit
(:func:`spark.web.preferences.initial_choice`).
"""

from __future__ import annotations

from fastapi import APIRouter

from spark.db.preferences import get_preferences, update_preferences
from spark.web.auth import CurrentUser
from spark.web.deps import DatabaseDep, EngineDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, PreferencesBody, PreferencesOut
from spark.web.security import CsrfProtected

router = APIRouter(prefix="/api", tags=["preferences"], route_class=SparkRoute)


@router.get(
    "/preferences",
    summary="The saved provider and model",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}},
)
async def read_preferences(database: DatabaseDep, user: CurrentUser) -> PreferencesOut:
    """The provider chosen last and, per provider, the model chosen last."""
    async with database.session(user_id=user.id) as session:
        prefs = await get_preferences(session=session, user_id=user.id)
        return PreferencesOut(
            provider=prefs.preferred_provider, models=dict(prefs.preferred_models or {})
        )


@router.put(
    "/preferences",
    summary="Save the provider and model",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        403: {"model": ErrorBody, "description": "No CSRF token, or another site's page."},
        422: {"model": ErrorBody, "description": "Unknown provider or model."},
    },
)
async def save_preferences(
    body: PreferencesBody,
    database: DatabaseDep,
    engine: EngineDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> PreferencesOut:
    """Remember `provider` (and `model` for it): the chat page starts from them next time."""
    if body.provider not in {p.id for p in engine.catalog.providers}:
        raise ApiError(422, "invalid_input", f"Unknown provider {body.provider!r}.")
    if body.model is not None:
        listing = await engine.models.listing(body.provider)
        if all(m.id != body.model for m in listing.models):
            raise ApiError(
                422, "invalid_input", f"Unknown model {body.model!r} for {body.provider}."
            )
    async with database.session(user_id=user.id) as session:
        prefs = await get_preferences(session=session, user_id=user.id)
        models = dict(prefs.preferred_models or {})
        if body.model is not None:
            models[body.provider] = body.model
        prefs = await update_preferences(
            session=session,
            user_id=user.id,
            preferred_provider=body.provider,
            preferred_models=models,
        )
        return PreferencesOut(
            provider=prefs.preferred_provider, models=dict(prefs.preferred_models or {})
        )
