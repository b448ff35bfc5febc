"""Each user's preferences: one row, created on first access, updated field by field.

``None`` in a field means "use the server's setting" (``SPARK_UNITY_VERSION`` and so on).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import UserPreferences
from spark.db.types import utc_now
from spark.errors import UsageError

INPUT_SYSTEMS = ("legacy", "new", "both")
THEMES = ("light", "dark")  # None: follow the browser
RENDER_PIPELINES = ("built-in", "urp", "hdrp", "custom")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()  # "leave this field as it is"


async def get_preferences(*, session: AsyncSession, user_id: int) -> UserPreferences:
    """The user's preferences, created with defaults on first access."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(UserPreferences)
        .values(user_id=user_id, preferred_models={}, updated_at=utc_now())
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    query = select(UserPreferences).where(UserPreferences.user_id == user_id)
    return (await session.execute(query)).scalar_one()


async def find_preferences(*, session: AsyncSession, user_id: int) -> UserPreferences:
    """The user's preferences without creating the row (a blank one when there is none), for
    a transaction that only reads."""
    found = await session.get(UserPreferences, user_id)
    return found if found is not None else UserPreferences(user_id=user_id, preferred_models={})


async def update_preferences(
    *,
    session: AsyncSession,
    user_id: int,
    preferred_provider: str | _Unset | None = UNSET,
    preferred_models: dict[str, str] | _Unset = UNSET,
    unity_version: str | _Unset | None = UNSET,
    input_system: str | _Unset | None = UNSET,
    repair_rounds: int | _Unset | None = UNSET,
    theme: str | _Unset | None = UNSET,
    render_pipeline: str | _Unset | None = UNSET,
    unity_project: str | _Unset | None = UNSET,
) -> UserPreferences:
    """Change the given fields (others stay); UsageError for a value SPARK cannot use."""
    if not isinstance(input_system, _Unset) and input_system not in (None, *INPUT_SYSTEMS):
        raise UsageError(f"Input system must be one of {', '.join(INPUT_SYSTEMS)}.")
    if isinstance(repair_rounds, int) and not 0 <= repair_rounds <= 3:
        raise UsageError("Repair rounds must be between 0 and 3.")
    if not isinstance(theme, _Unset) and theme not in (None, *THEMES):
        raise UsageError(f"Theme must be one of {', '.join(THEMES)}, or none.")
    if not isinstance(render_pipeline, _Unset) and render_pipeline not in (None, *RENDER_PIPELINES):
        raise UsageError(f"Render pipeline must be one of {', '.join(RENDER_PIPELINES)}.")
    prefs = await get_preferences(session=session, user_id=user_id)
    changes: dict[str, Any] = {
        "preferred_provider": preferred_provider,
        "unity_version": unity_version,
        "input_system": input_system,
        "repair_rounds": repair_rounds,
        "theme": theme,
        "render_pipeline": render_pipeline,
        "unity_project": unity_project,
    }
    if not isinstance(preferred_models, _Unset):
        changes["preferred_models"] = {str(k): str(v) for k, v in preferred_models.items()}
    for name, value in changes.items():
        if not isinstance(value, _Unset):
            setattr(prefs, name, value)
    prefs.updated_at = utc_now()
    await session.flush()
    return prefs
