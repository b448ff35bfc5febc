"""Each web user's Unity target: the Unity version, input system and render pipeline their
scripts are written for, and (only with ``SPARK_ALLOW_PROJECT_PATHS=1``) a project folder on
the server. Stored in the user's preferences; the Account page and the chat screen's compact
selector change it; the system prompt and the validator use it (through
:func:`spark.unity.target.resolve_target`, as the command line does with ``--project``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select

from spark.config import Settings
from spark.db import Database
from spark.db.models import UserPreferences
from spark.db.team_controls import GenerationContext
from spark.unity.target import UnityTarget, resolve_target
from spark.web.auth import WebUser

PIPELINE_CHOICES = (
    ("", "not specified"),
    ("built-in", "Built-in"),
    ("urp", "URP"),
    ("hdrp", "HDRP"),
)
INPUT_CHOICES = (
    ("both", "Both"),
    ("legacy", "Input Manager (old)"),
    ("new", "Input System package (new)"),
)


def stored_target(prefs: UserPreferences, settings: Settings) -> dict[str, Any]:
    """What the user chose, as :meth:`UnityTarget.from_dict` reads it (None: the server's)."""
    return stored_choice(
        {
            "unity_version": prefs.unity_version,
            "input_system": prefs.input_system,
            "render_pipeline": prefs.render_pipeline,
            "unity_project": prefs.unity_project,
        },
        settings,
    )


def stored_choice(columns: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """:func:`stored_target` from the preference columns as read (no ORM object to build: a
    tenth of a millisecond on every generation)."""
    return {
        "unity_version": columns["unity_version"],
        "input_system": columns["input_system"],
        "render_pipeline": columns["render_pipeline"],
        "project": columns["unity_project"] if settings.allow_project_paths else None,
    }


# Built once: only the user's id is bound per request. No row yet: the server's defaults.
_TARGET = select(
    UserPreferences.unity_version,
    UserPreferences.input_system,
    UserPreferences.render_pipeline,
    UserPreferences.unity_project,
).where(UserPreferences.user_id == bindparam("user_id"))


async def user_target(*, settings: Settings, database: Database, user: WebUser) -> UnityTarget:
    """The user's Unity target, its project read when project folders are allowed (raises
    ProjectError when the saved folder is no longer a Unity project)."""
    async with database.transaction(user_id=user.id, read_only=True, statements=1) as connection:
        row = (await connection.execute(_TARGET, {"user_id": user.id})).first()
    if row is None:
        return target_of(stored_target(UserPreferences(), settings), settings)
    return target_of(stored_choice(row._asdict(), settings), settings)


def context_target(context: GenerationContext, settings: Settings) -> UnityTarget:
    """:func:`user_target` from what :func:`~spark.db.team_controls.generation_context` read."""
    return target_of(stored_choice(context.target, settings), settings)


def target_of(stored: dict[str, Any], settings: Settings) -> UnityTarget:
    """The target of a user's stored choice (raises ProjectError for a folder that is no
    longer a Unity project)."""
    return resolve_target(settings, stored=stored, allow_project=settings.allow_project_paths)
