"""Conversation memory: earlier turns of a chat, so a follow-up revises the previous script.

Phase 1 keeps conversations in memory (lost on restart, per process). The database will store
them as history rows linked by conversation id; it only has to implement
:class:`ConversationStore`. Every call names the owner, and a store never answers with another
user's conversation or generation.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

from spark.providers.base import ChatMessage

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
    created: float = field(default_factory=time.time)


@dataclass(slots=True)
class Conversation:
    id: str
    owner: str
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> tuple[ChatMessage, ...]:
        """The recent turns as chat messages, oldest first."""
        messages: list[ChatMessage] = []
        for turn in self.turns[-CONTEXT_TURNS:]:
            messages += [ChatMessage("user", turn.prompt), ChatMessage("assistant", turn.reply)]
        return tuple(messages)


class ConversationStore(Protocol):
    """Where conversations live (memory now, the database later)."""

    async def start(self, *, owner: str) -> Conversation: ...

    async def get(self, *, owner: str, conversation_id: str) -> Conversation | None: ...

    async def add_turn(self, *, owner: str, conversation_id: str, turn: Turn) -> None: ...

    async def find_turn(self, *, owner: str, generation_id: str) -> Turn | None: ...


class MemoryConversationStore:
    """Conversations in a dict, the least recently used dropped beyond ``max_conversations``."""

    def __init__(self, *, max_conversations: int = 500, max_turns: int = 50) -> None:
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._max_conversations = max_conversations
        self._max_turns = max_turns
        self._lock = asyncio.Lock()

    async def start(self, *, owner: str) -> Conversation:
        async with self._lock:
            conversation = Conversation(id=new_id("c"), owner=owner)
            self._conversations[conversation.id] = conversation
            while len(self._conversations) > self._max_conversations:
                self._conversations.popitem(last=False)
            return conversation

    async def get(self, *, owner: str, conversation_id: str) -> Conversation | None:
        async with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None or conversation.owner != owner:
                return None
            self._conversations.move_to_end(conversation_id)
            return conversation

    async def add_turn(self, *, owner: str, conversation_id: str, turn: Turn) -> None:
        async with self._lock:
            conversation = self._conversations.get(conversation_id)
            if conversation is None or conversation.owner != owner:
                # Dropped from memory while the generation ran: keep the result findable.
                conversation = Conversation(id=conversation_id, owner=owner)
                self._conversations[conversation_id] = conversation
            conversation.turns.append(turn)
            del conversation.turns[: -self._max_turns]
            self._conversations.move_to_end(conversation_id)

    async def find_turn(self, *, owner: str, generation_id: str) -> Turn | None:
        async with self._lock:
            for conversation in reversed(self._conversations.values()):
                if conversation.owner != owner:
                    continue
                for turn in conversation.turns:
                    if turn.generation_id == generation_id:
                        return turn
            return None
