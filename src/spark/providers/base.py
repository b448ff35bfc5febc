"""The one small interface every provider implements.

A provider turns a conversation into a stream of :class:`Chunk` objects: text deltas as they
arrive, usage as soon as the provider reports it, then one final chunk carrying usage and the
stop reason. SDK types never leave the
provider's own module; SDK exceptions are translated into :class:`spark.errors.AIError` at the
boundary. Retrying is not the provider's business: the orchestrator owns the one retry policy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from spark.usage import Usage

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of the conversation sent to a provider."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Per-call settings that every provider understands."""

    system: str = ""
    max_tokens: int = 4096
    temperature: float | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a streamed reply.

    Text chunks carry ``text``. A chunk with ``usage`` reports the call's usage so far (the
    whole call's, not an increment): providers send one as soon as they learn it (Anthropic's
    ``message_start``), so that a stream which breaks off later is still billed what the
    provider said. The last chunk of a stream has ``final=True`` and carries the final
    ``usage`` and ``stop_reason`` (``"end"``, ``"max_tokens"``, or the provider's own word).
    """

    text: str = ""
    final: bool = False
    usage: Usage | None = None
    stop_reason: str | None = None


@runtime_checkable
class Provider(Protocol):
    """A source of Unity scripts: Anthropic, OpenAI, an OpenAI-compatible server, templates."""

    @property
    def name(self) -> str:
        """The registry key, e.g. ``"anthropic"``."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], model: str, options: StreamOptions
    ) -> AsyncIterator[Chunk]:
        """Stream the reply; raise :class:`spark.errors.AIError` on any failure."""
        ...

    async def list_models(self) -> list[str]:
        """Model ids the provider offers right now (its live list; may raise AIError)."""
        ...
