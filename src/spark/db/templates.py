"""The team's prompt templates (``spark_team_templates``): shared by everyone, written by admins.

Definitions are checked by :func:`spark.prompt_library.parse_template` before they are stored,
and again when read (a row that no longer passes is skipped with a log line, not an error for
every user). A team template cannot take a built-in template's name.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import TeamTemplate, User
from spark.db.site import NotAdminError
from spark.db.types import utc_now
from spark.errors import UsageError
from spark.prompt_library import PromptTemplate, TemplateError, builtin_templates, parse_template

log = logging.getLogger(__name__)


class TemplateExistsError(UsageError):
    """A template of that name exists already (built-in, or the team's when adding)."""


def _definition(row: TeamTemplate) -> dict[str, Any]:
    return {
        "name": row.name,
        "title": row.title,
        "description": row.description,
        "prompt": row.prompt,
        "parameters": row.parameters,
    }


def _template(row: TeamTemplate) -> PromptTemplate | None:
    try:
        return parse_template(_definition(row), where=f"team template {row.name}", source="team")
    except TemplateError as exc:
        log.warning("skipping a stored team template: %s", exc.message)
        return None


async def team_templates(*, session: AsyncSession) -> list[PromptTemplate]:
    """The team's templates, by name."""
    rows = (await session.scalars(select(TeamTemplate).order_by(TeamTemplate.name))).all()
    return [t for t in map(_template, rows) if t is not None]


async def find_template(*, session: AsyncSession, name: str) -> PromptTemplate | None:
    """The built-in or team template called ``name``."""
    builtin = builtin_templates().get(name)
    if builtin is not None:
        return builtin
    row = await session.scalar(select(TeamTemplate).where(TeamTemplate.name == name))
    return _template(row) if row is not None else None


async def _require_admin(session: AsyncSession, user_id: int, *, operator: bool) -> None:
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None or user.disabled or not (user.is_admin or operator):
        raise NotAdminError("Only an admin can change the team's templates.")


async def save_team_template(
    *,
    session: AsyncSession,
    user_id: int,
    definition: dict[str, Any],
    replace: bool,
    operator: bool = False,
) -> PromptTemplate:
    """Add (``replace=False``) or replace a team template from its ``definition``; raises
    TemplateError (not valid), TemplateExistsError (name taken when adding, or a built-in
    name), UsageError (replacing one that does not exist) or NotAdminError."""
    await _require_admin(session, user_id, operator=operator)
    template = parse_template(definition, where="the template", source="team")
    if template.name in builtin_templates():
        raise TemplateExistsError(
            f"'{template.name}' is a built-in template's name.", hint="Choose another name."
        )
    row = await session.scalar(select(TeamTemplate).where(TeamTemplate.name == template.name))
    if row is None and replace:
        raise UsageError(f"The team has no template called '{template.name}'.")
    if row is not None and not replace:
        raise TemplateExistsError(
            f"The team already has a template called '{template.name}'.",
            hint="Edit it, or choose another name.",
        )
    stored = template.to_json()
    if row is None:
        row = TeamTemplate(name=template.name, created_by=user_id, created_at=utc_now())
        session.add(row)
    row.title = stored["title"]
    row.description = stored["description"]
    row.prompt = stored["prompt"]
    row.parameters = stored["parameters"]
    row.updated_at = utc_now()
    await session.flush()
    return template


async def delete_team_template(
    *, session: AsyncSession, user_id: int, name: str, operator: bool = False
) -> bool:
    """Delete the team template ``name``; False when there is none."""
    await _require_admin(session, user_id, operator=operator)
    result = await session.execute(delete(TeamTemplate).where(TeamTemplate.name == name))
    return bool(getattr(result, "rowcount", 0))
