"""A user's conversations: their history rows sharing a ``conversation_id``, plus what the user
changed about them (``spark_conversations``: a title, the revision that is current).

A conversation needs no row of its own to exist: its first generation makes it. Its title is
the one the user gave it, else its first prompt. Its revisions are its generations that left a
script (succeeded, or stopped with partial text); the current one is the revision the user
restored, else the newest. Every function acts for one user only (and on PostgreSQL, row-level
security enforces it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from spark.db.models import ANSWERED, ConversationInfo, GenerationRecord
from spark.db.types import utc_now
from spark.text import storable

MAX_TITLE_CHARS = 200
MAX_TURNS = 200  # rows read for one conversation (far more than anyone scrolls through)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One line of the conversation list."""

    id: str
    title: str
    generations: int
    updated_at: datetime
    renamed: bool


def title_from_prompt(prompt: str, limit: int = 80) -> str:
    """A conversation's default title: its first prompt on one line, shortened."""
    line = " ".join(prompt.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def has_script(record: GenerationRecord) -> bool:
    """Whether ``record`` is a revision: it left a script (finished, or stopped part-way)."""
    if not record.generated_code:
        return False
    return record.status in ANSWERED or record.partial


async def list_conversations(
    *, session: AsyncSession, user_id: int, limit: int = 30
) -> list[ConversationSummary]:
    """The user's conversations, most recently active first."""
    h = GenerationRecord
    groups = (
        select(
            h.conversation_id,
            func.count().label("generations"),
            func.max(h.created_at).label("updated_at"),
            func.min(h.id).label("first_id"),
        )
        .where(h.user_id == user_id, h.conversation_id.is_not(None))
        .group_by(h.conversation_id)
        .order_by(func.max(h.created_at).desc())
        .limit(limit)
        .subquery()
    )
    query = (
        select(groups, h.prompt, ConversationInfo.title)
        .join(h, h.id == groups.c.first_id)
        .outerjoin(
            ConversationInfo,
            (ConversationInfo.user_id == user_id)
            & (ConversationInfo.id == groups.c.conversation_id),
        )
        .order_by(groups.c.updated_at.desc())
    )
    rows = (await session.execute(query)).all()
    return [
        ConversationSummary(
            id=row.conversation_id,
            title=row.title or title_from_prompt(row.prompt),
            generations=int(row.generations),
            updated_at=row.updated_at,
            renamed=row.title is not None,
        )
        for row in rows
    ]


async def conversation_records(
    *, session: AsyncSession, user_id: int, conversation_id: str
) -> list[GenerationRecord]:
    """The conversation's generations, oldest first (empty: no such conversation of theirs)."""
    h = GenerationRecord
    query = (
        select(h)
        .where(h.user_id == user_id, h.conversation_id == conversation_id)
        .order_by(h.created_at, h.id)
        .limit(MAX_TURNS)
    )
    return list((await session.execute(query)).scalars())


async def conversation_info(
    *, session: AsyncSession, user_id: int, conversation_id: str
) -> ConversationInfo | None:
    query = select(ConversationInfo).where(
        ConversationInfo.user_id == user_id, ConversationInfo.id == conversation_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _upsert(
    session: AsyncSession, user_id: int, conversation_id: str, **values: object
) -> None:
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ConversationInfo).values(
        user_id=user_id, id=conversation_id, updated_at=utc_now(), **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "id"], set_={**values, "updated_at": utc_now()}
        )
    )


async def rename_conversation(
    *, session: AsyncSession, user_id: int, conversation_id: str, title: str
) -> str:
    """Give the conversation ``title`` (blank: back to its first prompt); the title kept."""
    cleaned = " ".join(storable(title).split())[:MAX_TITLE_CHARS]
    await _upsert(session, user_id, conversation_id, title=cleaned or None)
    return cleaned


async def set_current_revision(
    *, session: AsyncSession, user_id: int, conversation_id: str, generation_id: int | None
) -> None:
    """Make ``generation_id`` the conversation's current revision (None: the newest)."""
    await _upsert(session, user_id, conversation_id, current_generation_id=generation_id)


_FORGET_CURRENT = (
    update(ConversationInfo)
    .where(
        ConversationInfo.user_id == bindparam("b_user_id"),
        ConversationInfo.id == bindparam("b_id"),
        ConversationInfo.current_generation_id.is_not(None),
    )
    .values(current_generation_id=None, updated_at=bindparam("b_now"))
)


async def forget_current_revision(
    *, session: AsyncSession | AsyncConnection, user_id: int, conversation_id: str
) -> None:
    """The newest revision is current again (after a new one was made)."""
    await session.execute(
        _FORGET_CURRENT, {"b_user_id": user_id, "b_id": conversation_id, "b_now": utc_now()}
    )


async def delete_conversation(*, session: AsyncSession, user_id: int, conversation_id: str) -> int:
    """Delete the conversation and its generations; how many generations went."""
    await session.execute(
        delete(ConversationInfo).where(
            ConversationInfo.user_id == user_id, ConversationInfo.id == conversation_id
        )
    )
    result = await session.execute(
        delete(GenerationRecord).where(
            GenerationRecord.user_id == user_id,
            GenerationRecord.conversation_id == conversation_id,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
