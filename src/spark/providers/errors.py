"""Turning a provider's HTTP failure into one :class:`spark.errors.AIError`.

The SDK modules (``anthropic.py``, ``openai.py``) pull status, headers and the error body's
type/code/message out of their own exception classes and hand them here, so the table of what is
retryable and the wording users see live in one place.

Retryable: connection failures and timeouts, 408 (request timeout), 409 (conflict), 429 (rate
limits), 500, 502, 503, 504, 529 (Anthropic overloaded), mid-stream ``overloaded_error``/
``api_error`` events, a stream cut before the provider said it was complete and an event
whose data is not JSON (kind ``stream``: the provider was reached, unlike ``connection``).
Not retryable: 400, 401, 403, 404, 413, 422 and quota/billing exhaustion (OpenAI 429
``insufficient_quota`` and billing codes, Anthropic billing / spend-limit errors).
``x-should-retry`` from the provider overrides the table either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from spark.errors import AIError, ErrorKind
from spark.retry import parse_retry_after, should_retry_header
from spark.text import storable

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})

_STATUS_KIND: dict[int, ErrorKind] = {
    400: ErrorKind.BAD_REQUEST,
    401: ErrorKind.AUTH,
    402: ErrorKind.QUOTA,
    403: ErrorKind.PERMISSION,
    404: ErrorKind.NOT_FOUND,
    408: ErrorKind.TIMEOUT,
    409: ErrorKind.CONFLICT,
    413: ErrorKind.TOO_LARGE,
    422: ErrorKind.BAD_REQUEST,
    429: ErrorKind.RATE_LIMIT,
    529: ErrorKind.OVERLOADED,
}

# OpenAI's codes for an account that cannot pay, and Anthropic's billing error types.
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "billing_error",
        "credit_balance_too_low",
        "spend_limit_reached",
    }
)
_QUOTA_TEXT = re.compile(
    r"credit balance|billing|spend(ing)? limit|usage limits?|insufficient[_ ]quota"
    r"|exceeded your current quota",
    re.IGNORECASE,
)
# Mid-stream error types that mean "try again" (Anthropic's SSE ``error`` event, OpenAI's
# error chunk).
RETRYABLE_STREAM_TYPES = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "server_error"}
)

_KEY_LIKE = re.compile(r"\b(sk|key)-[A-Za-z0-9_\-*]{6,}")


def scrub(text: str | None) -> str:
    """Drop anything that looks like an API key (even a masked one) from provider text, and
    make it storable (see :func:`spark.text.storable`)."""
    return storable(_KEY_LIKE.sub("[redacted]", text or "")).strip()


def _is_quota(status: int, error_type: str | None, error_code: str | None, text: str) -> bool:
    if status == 402:
        return True
    if (error_type or "") in QUOTA_CODES or (error_code or "") in QUOTA_CODES:
        return True
    return status in (400, 403, 429) and bool(_QUOTA_TEXT.search(text))


def error_from_status(
    *,
    provider: str,
    display: str,
    key_env: str | None,
    status: int,
    headers: Mapping[str, str] | None,
    error_type: str | None,
    error_code: str | None,
    api_message: str | None,
    request_id: str | None,
    model: str,
    mid_stream: bool = False,
) -> AIError:
    """Build the AIError for an HTTP error response (or an error event inside a 200 stream)."""
    detail = scrub(api_message)
    if mid_stream or status == 200:
        kind = {
            "overloaded_error": ErrorKind.OVERLOADED,
            "rate_limit_error": ErrorKind.RATE_LIMIT,
        }.get(error_type or "", ErrorKind.STREAM)
        retryable = (error_type or "") in RETRYABLE_STREAM_TYPES or error_type is None
        status_for_error: int | None = status if status != 200 else None
    else:
        kind = _STATUS_KIND.get(status, ErrorKind.SERVER if status >= 500 else ErrorKind.UNKNOWN)
        retryable = status in RETRYABLE_STATUS
        status_for_error = status
        if _is_quota(status, error_type, error_code, detail):
            kind, retryable = ErrorKind.QUOTA, False
        elif error_type == "overloaded_error":
            kind, retryable = ErrorKind.OVERLOADED, True
    verdict = should_retry_header(headers)
    if verdict is not None and kind is not ErrorKind.QUOTA:
        retryable = verdict
    retry_after = parse_retry_after(headers) if retryable else None
    message, hint = _wording(kind, display, key_env, status_for_error, detail, model)
    return AIError(
        message,
        hint=hint,
        provider=provider,
        kind=kind,
        retryable=retryable,
        status=status_for_error,
        error_type=error_type,
        error_code=error_code,
        request_id=request_id,
        retry_after=retry_after,
    )


def error_from_transport(
    *, provider: str, display: str, base_url: str, timeout: bool, detail: str = ""
) -> AIError:
    """Build the AIError for a failure below HTTP: refused, dropped, or timed-out connections."""
    if timeout:
        message = f"{display} did not answer in time ({base_url})."
        kind = ErrorKind.TIMEOUT
    else:
        message = f"Could not reach {display} at {base_url}" + (
            f": {scrub(detail)}" if detail else "."
        )
        kind = ErrorKind.CONNECTION
    hint = "Check your network connection (and the base URL setting if you changed it)."
    return AIError(message, hint=hint, provider=provider, kind=kind, retryable=True)


def error_from_transport_failure(
    exc: Exception,
    *,
    provider: str,
    display: str,
    base_url: str,
    timeout_types: tuple[type[Exception], ...],
    stream_open: bool = False,
) -> AIError:
    """Build the AIError for an SDK connection error or a raw ``httpx2`` transport error.

    ``timeout_types`` are the SDK's own timeout classes. A failure after the provider had
    answered (``stream_open``), or a raw transport error (the SDKs let those escape while a
    stream is read), broke an open stream: the provider was reached, the reply was cut.
    """
    import httpx2

    if isinstance(exc, (*timeout_types, httpx2.TimeoutException)):
        return error_from_transport(
            provider=provider, display=display, base_url=base_url, timeout=True
        )
    if stream_open or isinstance(exc, httpx2.TransportError):
        cause = exc if isinstance(exc, httpx2.TransportError) else exc.__cause__ or exc
        return error_from_broken_stream(
            provider=provider, display=display, detail=type(cause).__name__
        )
    return error_from_transport(
        provider=provider, display=display, base_url=base_url, timeout=False
    )


def error_from_broken_stream(*, provider: str, display: str, detail: str = "") -> AIError:
    """The stream ended before the provider said it was complete."""
    message = f"The {display} stream broke off before the reply was complete" + (
        f" ({scrub(detail)})." if detail else "."
    )
    return AIError(
        message,
        hint="This is usually transient; SPARK retries automatically.",
        provider=provider,
        kind=ErrorKind.STREAM,
        retryable=True,
    )


def error_from_malformed_event(*, provider: str, display: str, detail: str = "") -> AIError:
    """An event of the stream whose data is not the JSON object the API promises."""
    message = f"The {display} stream sent an event SPARK could not read" + (
        f" ({scrub(detail)})." if detail else "."
    )
    return AIError(
        message,
        hint="This is usually transient (a proxy or connection that garbled the reply); SPARK "
        "retries automatically.",
        provider=provider,
        kind=ErrorKind.STREAM,
        retryable=True,
    )


def _wording(
    kind: ErrorKind,
    display: str,
    key_env: str | None,
    status: int | None,
    detail: str,
    model: str,
) -> tuple[str, str]:
    code = f" ({status})" if status else ""
    said = f" {display} said: {detail}" if detail else ""
    key = key_env or "the API key setting"
    match kind:
        case ErrorKind.AUTH:
            return (
                f"{display} rejected the API key{code}.",
                f"Check {key}: it may be mistyped, revoked or belong to another organisation.",
            )
        case ErrorKind.PERMISSION:
            return (
                f"Your {display} key is not allowed to do this{code}.{said}",
                f"Check the key's permissions, or pick another model than '{model}'.",
            )
        case ErrorKind.QUOTA:
            return (
                f"Your {display} account has no credit or quota left{code}.{said}",
                "Add credit or raise the spend limit in the provider's billing settings, then try "
                "again. Retrying now will not help.",
            )
        case ErrorKind.NOT_FOUND:
            return (
                f"{display} does not know the model '{model}'{code}.",
                "Pick a current model (see `spark models`).",
            )
        case ErrorKind.TOO_LARGE:
            return (
                f"The request is too large for {display}{code}.",
                "Shorten the prompt or start a new conversation.",
            )
        case ErrorKind.BAD_REQUEST:
            return (
                f"{display} rejected the request{code}.{said}",
                f"The model '{model}' may not support this request; try another model.",
            )
        case ErrorKind.RATE_LIMIT:
            return (
                f"Rate limited by {display}{code}.",
                "Wait a minute and try again, or check your rate limits in the provider console.",
            )
        case ErrorKind.OVERLOADED:
            return (
                f"{display} is overloaded{code}.",
                "Try again in a few minutes, or pick another model or provider.",
            )
        case ErrorKind.TIMEOUT:
            return (
                f"{display} timed out waiting for the request{code}.{said}",
                "This is usually transient; SPARK retries automatically. If it keeps happening, "
                "check your connection or try again later.",
            )
        case ErrorKind.CONFLICT:
            return (
                f"{display} reported a conflict with another request{code}.{said}",
                "This is usually transient; SPARK retries automatically. If it keeps happening, "
                "wait a moment and try again.",
            )
        case ErrorKind.STREAM:
            return (
                f"The {display} stream failed mid-reply.{said}",
                "This is usually transient; try again.",
            )
        case _:
            return (
                f"{display} had a server error{code}.{said}",
                "The provider seems to be having trouble; try again in a few minutes.",
            )
