"""One reply of the model, streamed with SPARK's retry policy and counted call by call.

:func:`stream_reply` is the one place a provider is called: the engine (:mod:`spark.generation`)
uses it for the first reply and every repair round. :class:`~spark.retry.RetryPolicy` decides
after each failed call; this loop applies the decision: a ``RetryEvent`` (displays clear the
partial text), the wait, and the whole reply again from scratch. Every call is noted in the
:class:`~spark.attempts.GenerationRun` as it goes (usage as the provider reports it), so a
failed, retried or cancelled call is still counted.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from spark.errors import AIError
from spark.events import Event, RetryEvent, TokenEvent
from spark.text import storable

if TYPE_CHECKING:
    from spark.attempts import GenerationRun
    from spark.providers.base import ChatMessage, Provider, StreamOptions
    from spark.retry import RetryDecision, RetryPolicy

Sleep = Callable[[float], Awaitable[Any]]


async def stream_reply(
    provider: Provider,
    messages: list[ChatMessage],
    model_id: str,
    options: StreamOptions,
    run: GenerationRun,
    *,
    repair_round: int,
    policy: RetryPolicy,
    sleep: Sleep,
    clean: Callable[[AIError], object],
) -> AsyncGenerator[Event]:
    """Stream one reply into ``run.reply``, retrying per ``policy``; raise the final AIError.

    ``clean`` removes secrets from an error before anyone sees it.
    """
    attempt = 0  # of this reply
    while True:
        attempt += 1
        run.begin_call(repair_round)
        parts: list[str] = []
        try:
            async for chunk in provider.stream(messages, model_id, options):
                if chunk.usage is not None:
                    run.report_usage(chunk.usage)
                if chunk.final:
                    run.stop_reason = chunk.stop_reason
                elif chunk.text and (text := storable(chunk.text)):
                    parts.append(text)
                    yield TokenEvent(text)
        except AIError as exc:
            clean(exc)
            run.end_call(exc)
            decision = policy.decide(exc, attempt)
            if not decision.retry:
                raise final_error(exc, decision, attempt, policy) from exc
            run.retried()
            yield RetryEvent(
                attempt=attempt + 1,
                max_attempts=policy.max_attempts,
                delay=decision.delay,
                error=exc,
            )
            await sleep(decision.delay)
            continue
        run.end_call()
        run.reply = "".join(parts)
        return


def final_error(
    error: AIError, decision: RetryDecision, attempts: int, policy: RetryPolicy
) -> AIError:
    """The error a reply finally fails with: ``error``, saying why SPARK stopped retrying."""
    message, hint = error.message, error.hint
    if decision.reason == "exhausted":
        message = f"{message} Gave up after {attempts} attempts."
    elif decision.reason == "retry_after_too_long":
        wait = error.retry_after or 0
        message = (
            f"{message} Rate limited for {wait:g} s, longer than SPARK waits "
            f"({policy.max_delay:g} s)."
        )
        hint = f"Try again in {wait:g} s."
    return AIError(
        message,
        hint=hint,
        provider=error.provider,
        kind=error.kind,
        retryable=error.retryable,
        status=error.status,
        error_type=error.error_type,
        error_code=error.error_code,
        request_id=error.request_id,
        retry_after=error.retry_after,
    )
