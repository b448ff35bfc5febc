"""``GET/PUT /api/preferences``: the provider and model the user chose last, and their Unity
target (version, input system, render pipeline).

The chat page saves the choice whenever a picker changes and starts from it on the next visit
(:func:`spark.web.preferences.initial_choice`); its compact Unity target selector saves the
target, which the next generation's system prompt and validator use.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from spark.config import Settings
from spark.db.models import UserPreferences
from spark.db.preferences import get_preferences, update_preferences
from spark.errors import UsageError
from spark.unity.target import UnityTarget, check_unity_version, default_target
from spark.web.auth import CurrentUser
from spark.web.deps import DatabaseDep, EngineDep, SettingsDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, PreferencesBody, PreferencesOut
from spark.web.security import CsrfProtected
from spark.web.target import stored_target

router = APIRouter(prefix="/api", tags=["preferences"], route_class=SparkRoute)


def _out(prefs: UserPreferences, settings: Settings) -> PreferencesOut:
    stored = stored_target(prefs, settings) | {"project": None}
    target = UnityTarget.from_dict(stored, defaults=default_target(settings))
    return PreferencesOut(
        provider=prefs.preferred_provider,
        models=dict(prefs.preferred_models or {}),
        unity_version=prefs.unity_version,
        input_system=prefs.input_system,
        render_pipeline=prefs.render_pipeline,
        target=target.describe(),
    )


@router.get(
    "/preferences",
    summary="The saved provider, model and Unity target",
    responses={401: {"model": ErrorBody, "description": "Not signed in."}},
)
async def read_preferences(
    database: DatabaseDep, settings: SettingsDep, user: CurrentUser
) -> PreferencesOut:
    """The provider chosen last, per provider the model chosen last, and the Unity target."""
    async with database.session(user_id=user.id) as session:
        return _out(await get_preferences(session=session, user_id=user.id), settings)


@router.put(
    "/preferences",
    summary="Save the provider, model and Unity target",
    responses={
        401: {"model": ErrorBody, "description": "Not signed in."},
        403: {"model": ErrorBody, "description": "No CSRF token, or another site's page."},
        422: {"model": ErrorBody, "description": "Unknown provider or model, bad Unity version."},
    },
)
async def save_preferences(
    body: PreferencesBody,
    database: DatabaseDep,
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    _: CsrfProtected,
) -> PreferencesOut:
    """Remember `provider` (and `model` for it): the chat page starts from them next time.
    Target fields that are sent are saved too (`null`: back to the server's setting)."""
    if body.provider not in {p.id for p in engine.catalog.providers}:
        raise ApiError(422, "invalid_input", f"Unknown provider {body.provider!r}.")
    if body.model is not None:
        listing = await engine.models.listing(body.provider)
        if all(m.id != body.model for m in listing.models):
            raise ApiError(
                422, "invalid_input", f"Unknown model {body.model!r} for {body.provider}."
            )
    target: dict[str, Any] = {
        name: getattr(body, name)
        for name in ("unity_version", "input_system", "render_pipeline")
        if name in body.model_fields_set
    }
    if target.get("unity_version"):
        try:
            target["unity_version"] = check_unity_version(target["unity_version"])
        except UsageError as exc:
            raise ApiError(422, "invalid_input", exc.message, exc.hint) from None
    elif "unity_version" in target:
        target["unity_version"] = None  # blank: the server's SPARK_UNITY_VERSION
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
            **target,
        )
        return _out(prefs, settings)
