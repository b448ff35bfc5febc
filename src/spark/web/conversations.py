"""Conversations and their history: follow-ups revise the previous script, across instances.

A conversation is the user's history rows sharing one ``conversation_id``
(``spark_generation_history``), so any instance on the same database continues it. The rows keep
the generated code, not the model's full reply, so a follow-up sends the earlier scripts back as
the assistant's turns (a fenced ``csharp`` block, which is what the model answered with). Every
call names the owner, and a store never answers with another user's conversation or generation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Protocol

from spark.db import Database
from spark.db.history import HistoryFilters, get_generation, list_generations
from spark.db.models import GenerationRecord, GenerationStatus
from spark.db.recorder import HistoryRecorder
from spark.generation import ChatMessage
from spark.recording import GenerationStart

# Turns sent back to the model as context: the latest script matters, old ones cost tokens.
CONTEXT_TURNS = 6


def new_id(prefix: str) -> str:
    """An unguessable id such as ``c_3f9a...``."""
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class Turn:
    """One finished generation of a conversation."""

    generation_id: str
    prompt: str
    reply: str
    provider: str
    model: str
    code: str
    file_name: str


@dataclass(slots=True)
class Conversation:
    id: str
    owner: int
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> tuple[ChatMessage, ...]:
        """The recent turns as chat messages, oldest first."""
        messages: list[ChatMessage] = []
        for turn in self.turns[-CONTEXT_TURNS:]:
            messages += [ChatMessage("user", turn.prompt), ChatMessage("assistant", turn.reply)]
        return tuple(messages)


class WebRecorder(HistoryRecorder):
    """A history recorder whose row is written before the stream starts (so the ``start``
    event can name the generation): its first ``start`` writes the row, later ones (the
    engine's own) do nothing."""

    async def start(self, started: GenerationStart) -> None:
        if self.record_id is None:
            await super().start(started)

    @property
    def generation_id(self) -> str:
        return "" if self.record_id is None else str(self.record_id)


class ConversationStore(Protocol):
    """Where conversations and their generations live."""

    async def get(self, *, owner: int, conversation_id: str) -> Conversation | None: ...

    async def find_turn(self, *, owner: int, generation_id: str) -> Turn | None: ...

    def recorder(self, *, owner: int, conversation_id: str) -> WebRecorder: ...


def _turn(record: GenerationRecord) -> Turn:
    code = record.generated_code or ""
    return Turn(
        generation_id=str(record.id),
        prompt=record.prompt,
        reply=f"```csharp\n{code}\n```",
        provider=record.provider,
        model=record.model,
        code=code,
        file_name=f"{record.class_name or 'GeneratedScript'}.cs",
    )


class DatabaseConversationStore:
    """Conversations as history rows in SPARK's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, *, owner: int, conversation_id: str) -> Conversation | None:
        async with self.database.session(user_id=owner) as session:
            page = await list_generations(
                session=session,
                user_id=owner,
                filters=HistoryFilters(conversation_id=conversation_id),
                limit=50,
            )
        if not page.items:
            return None
        done = [r for r in reversed(page.items) if r.status == GenerationStatus.SUCCEEDED]
        return Conversation(id=conversation_id, owner=owner, turns=[_turn(r) for r in done])

    async def find_turn(self, *, owner: int, generation_id: str) -> Turn | None:
        if not (generation_id.isascii() and generation_id.isdigit()) or len(generation_id) > 18:
            return None
        async with self.database.session(user_id=owner) as session:
            record = await get_generation(
                session=session, user_id=owner, record_id=int(generation_id)
            )
        if record is None or record.status != GenerationStatus.SUCCEEDED:
            return None
        return _turn(record)

    def recorder(self, *, owner: int, conversation_id: str) -> WebRecorder:
        """The recorder of a new generation in the conversation (its row is written by its
        first ``start``)."""
        return WebRecorder(self.database, user_id=owner, conversation_id=conversation_id)
