"""The offline provider: a library of Unity script templates that needs no API key.

:class:`TemplateProvider` speaks the same :class:`~spark.providers.base.Provider` protocol as the
AI providers, so the orchestrator, CLI, web app and MCP server treat it alike. It picks a
template for the conversation (see :mod:`spark.providers.template_fill`), fills it with names and
numbers from the prompt, and streams a reply that says plainly that it is a template: a sentence
or two of prose, any notes, then the script in one ``csharp`` fence.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from spark.errors import AIError, ErrorKind
from spark.providers.base import ChatMessage, Chunk, StreamOptions
from spark.providers.template_fill import (
    TemplateRender,
    render_conversation,
    render_template_for_prompt,
)
from spark.providers.template_index import TemplateLibrary, get_library
from spark.usage import Usage

__all__ = [
    "MODEL_ID",
    "PROVIDER_NAME",
    "TemplateProvider",
    "TemplateRender",
    "compose_reply",
    "render_template_for_prompt",
    "split_reply",
]

PROVIDER_NAME = "offline"
MODEL_ID = "spark-templates"
_CHARS_PER_TOKEN = 4
_WORDS_PER_CHUNK = 4
_LONG_LINE = 60
_WORD = re.compile(r"\S+\s*")


class TemplateProvider:
    """Fills templates instead of calling a model; costs nothing and works offline.

    ``chunk_delay`` is the pause between streamed pieces in seconds (0 still yields to the event
    loop, so consumers see a real stream).
    """

    def __init__(
        self,
        *,
        chunk_delay: float = 0.0,
        library: TemplateLibrary | None = None,
        configured: Sequence[str] = (),
    ) -> None:
        if chunk_delay < 0:
            raise ValueError("chunk_delay must be >= 0")
        self._chunk_delay = chunk_delay
        self._library = library
        self._configured = tuple(configured)  # other providers that have their key or URL

    @property
    def name(self) -> str:
        return PROVIDER_NAME

    async def list_models(self) -> list[str]:
        return [MODEL_ID]

    async def stream(
        self, messages: Sequence[ChatMessage], model: str, options: StreamOptions
    ) -> AsyncIterator[Chunk]:
        """Stream the filled template as a reply, then a final chunk with estimated usage."""
        if model != MODEL_ID:
            raise AIError(
                f"The offline provider has one model, '{MODEL_ID}', not '{model}'.",
                provider=PROVIDER_NAME,
                kind=ErrorKind.NOT_FOUND,
                retryable=False,
                hint=f"Use --model {MODEL_ID}.",
            )
        user_turns = [m.content for m in messages if m.role == "user"]
        if not user_turns:
            raise AIError(
                "The conversation has no user message to answer.",
                provider=PROVIDER_NAME,
                kind=ErrorKind.BAD_REQUEST,
                retryable=False,
            )

        library = self._library or get_library()
        reply = compose_reply(render_conversation(user_turns, library), self._configured)
        stop_reason = "end"
        limit = max(options.max_tokens, 0) * _CHARS_PER_TOKEN
        if len(reply) > limit:
            reply, stop_reason = reply[:limit], "max_tokens"

        for piece in split_reply(reply):
            yield Chunk(text=piece)
            await asyncio.sleep(self._chunk_delay)

        input_chars = len(options.system) + sum(len(m.content) for m in messages)
        yield Chunk(
            final=True,
            usage=Usage(input_tokens=_tokens(input_chars), output_tokens=_tokens(len(reply))),
            stop_reason=stop_reason,
        )


def _tokens(chars: int) -> int:
    return -(-chars // _CHARS_PER_TOKEN)


_PROVIDER_NAMES = {"anthropic": "Claude", "openai": "OpenAI", "openai_compat": "your local server"}


def compose_reply(render: TemplateRender, configured: Sequence[str] = ()) -> str:
    """The reply text: honest prose about the template, notes, the script, setup.
    ``configured`` names the model providers that are set up (their keys are never asked
    for again)."""
    if configured:
        names = " or ".join(_PROVIDER_NAMES.get(name, name) for name in configured)
        how = f"choose {names} as the provider for generated code"
    else:
        how = "set ANTHROPIC_API_KEY or OPENAI_API_KEY for generated code"
    intro = f"Offline template **{render.title}** (no AI model was used — {how})."
    if render.display:
        filled = ", ".join(f"{label} = {value}" for label, value in render.display.items())
        detail = f"Class `{render.class_name}`, filled from your prompt: {filled}."
    else:
        detail = f"Class `{render.class_name}`, with the template's default settings."
    parts = [f"{intro} {detail}"]
    if render.notes:
        parts.append("\n".join(f"- {note}" for note in render.notes))
    parts.append(f"```csharp\n{render.code.rstrip()}\n```")
    if render.setup:
        parts.append(f"Setup: {render.setup}")
    return "\n\n".join(parts) + "\n"


def split_reply(text: str) -> list[str]:
    """``text`` in stream-sized pieces (a line, or a few words of a long line); exact on join."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        if len(line) <= _LONG_LINE:
            pieces.append(line)
            continue
        ends = [m.end() for m in _WORD.finditer(line)]
        start = 0
        for cut in ends[_WORDS_PER_CHUNK - 1 :: _WORDS_PER_CHUNK]:
            pieces.append(line[start:cut])
            start = cut
        if start < len(line):
            pieces.append(line[start:])
    return pieces
