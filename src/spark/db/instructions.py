"""Team and personal instructions in the database: each save is a new version.

The team's (``spark_team_instructions``) are shared and written only by admins; a user's
(``spark_user_instructions``) are theirs alone (row-level security on PostgreSQL). Clearing
saves an empty version, so a generation's recorded version always names the text it was sent
(or, for a cleared one, that none was). Versions count from 1 per team and per user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spark.db.models import TeamInstructions, User, UserInstructions
from spark.db.site import NotAdminError
from spark.db.types import utc_now
from spark.instructions import Instructions, InstructionsVersion

if TYPE_CHECKING:
    from spark.db.engine import Database


async def current_team_instructions(*, session: AsyncSession) -> InstructionsVersion | None:
    """The newest version of the team's instructions, or None if never set."""
    row = await session.scalar(
        select(TeamInstructions).order_by(TeamInstructions.version.desc()).limit(1)
    )
    return InstructionsVersion(row.version, row.text) if row is not None else None


async def current_user_instructions(
    *, session: AsyncSession, user_id: int
) -> InstructionsVersion | None:
    """The newest version of ``user_id``'s own instructions, or None if never set."""
    row = await session.scalar(
        select(UserInstructions)
        .where(UserInstructions.user_id == user_id)
        .order_by(UserInstructions.version.desc())
        .limit(1)
    )
    return InstructionsVersion(row.version, row.text) if row is not None else None


async def instructions_in_force(*, session: AsyncSession, user_id: int) -> Instructions:
    """What a generation of ``user_id`` is sent: the team's newest and the user's newest."""
    return Instructions(
        team=await current_team_instructions(session=session),
        personal=await current_user_instructions(session=session, user_id=user_id),
    )


def _newest(column: Any, model: Any, *where: Any) -> Any:
    """The newest version's ``column`` (a scalar subquery)."""
    return select(column).where(*where).order_by(model.version.desc()).limit(1).scalar_subquery()


# Both newest versions in one statement, built once (the user's id is bound per call).
IN_FORCE_COLUMNS = (
    _newest(TeamInstructions.version, TeamInstructions),
    _newest(TeamInstructions.text, TeamInstructions),
    _newest(UserInstructions.version, UserInstructions, UserInstructions.user_id == bindparam("u")),
    _newest(UserInstructions.text, UserInstructions, UserInstructions.user_id == bindparam("u")),
)
IN_FORCE = select(*IN_FORCE_COLUMNS)


async def read_instructions_in_force(*, database: Database, user_id: int) -> Instructions:
    """:func:`instructions_in_force` in one read-only statement of its own (a generation's
    hot path)."""
    async with database.transaction(user_id=user_id, read_only=True, statements=1) as connection:
        row = (await connection.execute(IN_FORCE, {"u": user_id})).one()
    return instructions_from(*row)


def instructions_from(
    team_version: int | None, team_text: str | None, own_version: int | None, own_text: str | None
) -> Instructions:
    """The :class:`Instructions` of a row of :data:`IN_FORCE`."""
    return Instructions(
        team=None if team_version is None else InstructionsVersion(team_version, team_text or ""),
        personal=None if own_version is None else InstructionsVersion(own_version, own_text or ""),
    )


async def save_team_instructions(
    *, session: AsyncSession, admin_id: int, text: str, operator: bool = False
) -> InstructionsVersion:
    """Save ``text`` (already checked) as the team's next version; NotAdminError unless
    ``admin_id`` is an enabled admin. ``operator``: the command line, which holds the
    database's own credentials (it can make anyone an admin), saves for ``admin_id``."""
    admin = await session.scalar(select(User).where(User.id == admin_id))
    allowed = admin is not None and not admin.disabled and (admin.is_admin or operator)
    if not allowed:
        raise NotAdminError("Only an admin can change the team's instructions.")
    newest = await session.scalar(select(func.max(TeamInstructions.version)))
    row = TeamInstructions(
        version=(newest or 0) + 1, text=text, created_by=admin_id, created_at=utc_now()
    )
    session.add(row)
    await session.flush()
    return InstructionsVersion(row.version, row.text)


async def save_user_instructions(
    *, session: AsyncSession, user_id: int, text: str
) -> InstructionsVersion:
    """Save ``text`` (already checked) as ``user_id``'s next version."""
    newest = await session.scalar(
        select(func.max(UserInstructions.version)).where(UserInstructions.user_id == user_id)
    )
    row = UserInstructions(
        user_id=user_id, version=(newest or 0) + 1, text=text, created_at=utc_now()
    )
    session.add(row)
    await session.flush()
    return InstructionsVersion(row.version, row.text)


async def instructions_used(
    *,
    session: AsyncSession,
    user_id: int,
    team_version: int | None,
    personal_version: int | None,
) -> Instructions:
    """The texts of the recorded versions (for a history row)."""
    team = personal = None
    if team_version is not None:
        row = await session.get(TeamInstructions, team_version)
        team = InstructionsVersion(row.version, row.text) if row is not None else None
    if personal_version is not None:
        mine = await session.get(UserInstructions, (user_id, personal_version))
        personal = InstructionsVersion(mine.version, mine.text) if mine is not None else None
    return Instructions(team=team, personal=personal)
