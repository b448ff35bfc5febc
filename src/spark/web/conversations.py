"""Conversations and their history: follow-ups revise the current script, across instances.

A conversation is the user's history rows sharing one ``conversation_id``
(``spark_generation_history``), so any instance on the same database continues it; what the
user changed about it (a title, the revision restored as current) is in
``spark_conversations`` (:mod:`spark.db.conversations`). Each generation that left a script is a
**revision**; the current one is the restored one, else the newest. A follow-up sends the turns
up to the revision it builds on (the current one, or the one before the last for Regenerate
and Edit) back to the model, each earlier script as the assistant's turn (a fenced ``csharp``
block, which is what the model answered with). Every call names the owner, and a store never
answers with another user's conversation or generation.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from spark.db import Database
from spark.db.conversations import (
    conversation_info,
    conversation_records,
    forget_current_revision,
    has_script,
    title_from_prompt,
)
from spark.db.history import GenerationOutcome, get_generation
from spark.db.models import ANSWERED, GenerationRecord
from spark.db.recorder import Finishing, HistoryRecorder
from spark.events import DoneEvent, ErrorEvent
from spark.generation import ChatMessage
from spark.recording import GenerationStart
from spark.unity.extract import extract_code, prose_of

log = logging.getLogger(__name__)

NO_BASE = 0  # a prompt that built on no earlier revision
# Turns sent back to the model as context: the latest script matters, old ones cost tokens.
CONTEXT_TURNS = 6


def new_id(prefix: str) -> str:
    """An unguessable id such as ``c_3f9a...``."""
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class Turn:
    """One generation of a conversation that left a script (a revision)."""

    generation_id: str
    prompt: str
    reply: str
    provider: str
    model: str
    code: str
    file_name: str
    partial: bool = False
    explanation: str | None = None  # the model's prose around the script (Markdown)


@dataclass(slots=True)
class Conversation:
    id: str
    owner: int
    records: list[GenerationRecord] = field(default_factory=list)  # oldest first
    title: str = ""
    current_id: int | None = None  # restored by the user; None: the newest revision

    @property
    def turns(self) -> list[Turn]:
        """The finished revisions, oldest first (partial ones are not sent as context)."""
        return [_turn(r) for r in self.records if r.status in ANSWERED]

    @property
    def revisions(self) -> list[GenerationRecord]:
        """Every generation that left a script, partial ones included, oldest first."""
        return [r for r in self.records if has_script(r)]

    @property
    def current(self) -> GenerationRecord | None:
        """The current revision: the restored one, else the newest finished one."""
        finished = [r for r in self.revisions if not r.partial]
        chosen = [r for r in self.revisions if r.id == self.current_id]
        return chosen[0] if chosen else (finished[-1] if finished else None)

    def base_for(self, base_id: int | None = None, *, fresh: bool = False) -> int:
        """The revision a new prompt builds on: ``base_id``, else the current one; 0 for none
        (``fresh``, or a conversation without a finished revision)."""
        if fresh:
            return NO_BASE
        if base_id is not None:
            return base_id
        current = self.current
        return current.id if current is not None else NO_BASE

    def history(self, base_id: int | None = None) -> tuple[ChatMessage, ...]:
        """The turns that led to revision ``base_id`` (default: the current one; 0: none), as
        chat messages, oldest first: the revision, the one it built on, and so on back (rows
        older than this bookkeeping count every finished turn before them)."""
        base = self.base_for(base_id)
        by_id = {r.id: r for r in self.records}
        chain: list[GenerationRecord] = []
        record = by_id.get(base)
        while record is not None and record not in chain:
            chain.append(record)
            parent = record.base_generation_id
            if parent is None:  # written before revision 0009: take the turns before it
                earlier = self.records[: self.records.index(record)]
                chain.extend(reversed(earlier))
                break
            record = by_id.get(parent) if parent != NO_BASE else None
        turns = [_turn(r) for r in reversed(chain) if r.status in ANSWERED]
        messages: list[ChatMessage] = []
        for turn in turns[-CONTEXT_TURNS:]:
            messages += [ChatMessage("user", turn.prompt), ChatMessage("assistant", turn.reply)]
        return tuple(messages)

    def knows(self, generation_id: int) -> bool:
        return any(r.id == generation_id for r in self.records)


class WebRecorder(HistoryRecorder):
    """A history recorder whose row is written before the stream starts (so the ``start``
    event can name the generation): its first ``start`` writes the row, later ones (the
    engine's own) do nothing.

    ``partial_text`` is what the model has written so far (the runner keeps it up to date):
    a generation stopped before it finished keeps it, split into script and prose, marked
    partial, so it can still be read and exported."""

    partial_text: str = ""
    new: bool = False  # the generation begins its conversation

    async def start(self, started: GenerationStart) -> None:
        if self.record_id is None:
            await super().start(started)

    def outcome(self, event: DoneEvent | ErrorEvent) -> GenerationOutcome:
        figures = super().outcome(event)
        if not isinstance(event, ErrorEvent) or not self.partial_text.strip():
            return figures
        script = extract_code(self.partial_text)
        if not script.code.strip():
            return figures
        return replace(
            figures,
            generated_code=script.code,
            class_name=script.class_name,
            explanation=prose_of(self.partial_text) or None,
            partial=True,
        )

    def finishing(self, figures: GenerationOutcome) -> Finishing | None:
        """A new revision becomes current (a restored one no longer is), in the transaction
        that finishes the row. Not needed in a conversation this generation began: no revision
        of it can have been restored."""
        conversation_id = self.conversation_id
        if figures.status not in ANSWERED or not conversation_id or self.new:
            return None

        async def forget(connection: AsyncConnection) -> None:
            await forget_current_revision(
                session=connection, user_id=self.user_id, conversation_id=conversation_id
            )

        return forget

    @property
    def generation_id(self) -> str:
        return "" if self.record_id is None else str(self.record_id)


class ConversationStore(Protocol):
    """Where conversations and their generations live."""

    async def get(self, *, owner: int, conversation_id: str) -> Conversation | None: ...

    async def find_turn(self, *, owner: int, generation_id: str) -> Turn | None: ...

    def recorder(
        self,
        *,
        owner: int,
        conversation_id: str,
        unity_target: dict[str, Any] | None = None,
        base_generation_id: int | None = None,
        new_conversation: bool = False,
    ) -> WebRecorder: ...


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
        partial=record.partial,
        explanation=record.explanation,
    )


def parse_generation_id(generation_id: str) -> int | None:
    """``generation_id`` as a row id, or None when it cannot be one."""
    if not (generation_id.isascii() and generation_id.isdigit()) or len(generation_id) > 18:
        return None
    return int(generation_id)


class DatabaseConversationStore:
    """Conversations as history rows in SPARK's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, *, owner: int, conversation_id: str) -> Conversation | None:
        async with self.database.session(user_id=owner) as session:
            records = await conversation_records(
                session=session, user_id=owner, conversation_id=conversation_id
            )
            info = await conversation_info(
                session=session, user_id=owner, conversation_id=conversation_id
            )
            for record in records:
                session.expunge(record)
        if not records:
            return None
        return Conversation(
            id=conversation_id,
            owner=owner,
            records=records,
            title=(info.title if info and info.title else title_from_prompt(records[0].prompt)),
            current_id=info.current_generation_id if info else None,
        )

    async def find_turn(self, *, owner: int, generation_id: str) -> Turn | None:
        """A revision of the user's (finished, or stopped with partial text), by id."""
        record_id = parse_generation_id(generation_id)
        if record_id is None:
            return None
        async with self.database.session(user_id=owner) as session:
            record = await get_generation(session=session, user_id=owner, record_id=record_id)
        if record is None or not has_script(record):
            return None
        return _turn(record)

    def recorder(
        self,
        *,
        owner: int,
        conversation_id: str,
        unity_target: dict[str, Any] | None = None,
        base_generation_id: int | None = None,
        new_conversation: bool = False,
    ) -> WebRecorder:
        """The recorder of a new generation in the conversation (its row is written by its
        first ``start``), with the Unity target and the revision it builds on
        (``new_conversation``: the generation begins the conversation)."""
        recorder = WebRecorder(
            self.database,
            user_id=owner,
            conversation_id=conversation_id,
            unity_target=unity_target,
            base_generation_id=base_generation_id,
        )
        recorder.new = new_conversation
        return recorder
