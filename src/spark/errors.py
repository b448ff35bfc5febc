"""SPARK's error tree: every provider failure becomes one :class:`AIError`.

::

    SparkError                      anything SPARK reports to a user
     ├── ConfigError                bad or missing configuration (e.g. no API key for a provider)
     ├── UsageError                 bad input from the user (empty prompt, unknown provider/model)
     ├── AIError                    a provider call failed; ``kind`` says how, ``retryable`` whether
     │                              the orchestrator's retry policy may try again
     └── spark.limits.LimitError    refused by a spend limit (``budget``) or a rate limit
                                    (``rate_limited``) before any provider call: HTTP 429

Providers raise :class:`AIError` (translated from their SDK's exceptions at the boundary); the
orchestrator decides whether to retry from ``retryable``/``retry_after`` alone. ``message`` is for
people: it says what happened and what to do, and never contains a secret.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class SparkError(Exception):
    """Base class of every error SPARK reports to a user."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(SparkError):
    """Configuration is missing or invalid (e.g. a provider has no API key)."""


class UsageError(SparkError):
    """The user asked for something that cannot be done (bad prompt, unknown model...)."""


class ErrorKind(StrEnum):
    """How a provider call (or a generation) failed. Values are stable: they are stored in
    history rows."""

    MISSING_KEY = "missing_key"
    AUTH = "auth"
    PERMISSION = "permission"
    QUOTA = "quota"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    RATE_LIMIT = "rate_limit"
    OVERLOADED = "overloaded"
    SERVER = "server"
    TIMEOUT = "timeout"  # no answer in time, or the provider's 408
    CONFLICT = "conflict"  # the provider's 409
    CONNECTION = "connection"  # the provider could not be reached
    STREAM = "stream"  # the reply broke off mid-stream
    CANCELLED = "cancelled"  # the consumer stopped (Stop, closed tab, Ctrl-C, SIGTERM)
    SHUTDOWN = "shutdown"  # the server was shutting down
    NO_CODE = "no_code"
    RECORD = "record"  # the outcome could not be saved in the history
    UNKNOWN = "unknown"


class AIError(SparkError):
    """A provider call failed.

    ``retryable`` is the provider's verdict on whether the same request may succeed later;
    ``retry_after`` is the delay the provider asked for, in seconds, if it asked.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        kind: ErrorKind,
        retryable: bool,
        status: int | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider
        self.kind = kind
        self.retryable = retryable
        self.status = status
        self.error_type = error_type
        self.error_code = error_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"AIError(provider={self.provider!r}, kind={self.kind.value!r}, "
            f"status={self.status!r}, retryable={self.retryable!r}, message={self.message!r})"
        )


def shutdown_error(provider: str) -> AIError:
    """What stops a generation when the server is shutting down (the web app's streams and
    MCP over HTTP alike): recorded as failed with kind ``shutdown``."""
    return AIError(
        "The server is shutting down, so this generation was stopped.",
        hint="Try again in a moment.",
        provider=provider,
        kind=ErrorKind.SHUTDOWN,
        retryable=True,
    )


def client_kind(error: SparkError) -> str:
    """The kind clients are told (the web API's and MCP's ``kind``): an AIError's own kind,
    ``not_configured`` or ``invalid_input``."""
    if isinstance(error, AIError):
        return error.kind.value
    kind = getattr(error, "kind", None)
    if isinstance(kind, str):  # spark.limits' errors: "budget", "rate_limited"
        return kind
    if isinstance(error, ConfigError):
        return "not_configured"
    if isinstance(error, UsageError):
        return "invalid_input"
    return "error"


def error_json(error: SparkError) -> dict[str, Any]:
    """``{"kind", "message", "hint"}`` (and an AIError's provider, status and whether retrying
    may help; a limit's figures): how the web API and MCP report an error."""
    detail: dict[str, Any] = {
        "kind": client_kind(error),
        "message": error.message,
        "hint": error.hint,
    }
    if isinstance(error, AIError):
        detail.update(provider=error.provider, status=error.status, retryable=error.retryable)
    details = getattr(error, "details", None)
    if callable(details):  # a limit's figures: the limit, what is spent, when it resets
        detail.update(details())
    return detail
