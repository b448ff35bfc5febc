"""How the web app answers failures: one JSON shape for the API, a small page for browsers.

Bad input is a 4xx with ``{"error": {"kind", "message", "hint"}}``, never a 500: malformed JSON
400, a body that fails validation 422, an empty or over-long prompt or unknown provider/model
422 (``invalid_input``), a provider without a key 409 (``not_configured``), an unknown
conversation or generation 404. A provider failure during a non-streamed generation is a 502
whose ``kind`` is the :class:`~spark.errors.ErrorKind`. Anything unexpected is logged and
answered 500 with a generic message (no traceback, no secrets).
"""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from spark.errors import AIError, ConfigError, SparkError, UsageError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A 4xx answer with SPARK's error body."""

    def __init__(self, status: int, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.hint = hint


def error_detail(error: SparkError) -> dict[str, Any]:
    """The JSON form of a SparkError (shared by error answers and SSE ``error`` events)."""
    detail: dict[str, Any] = {
        "kind": _kind(error),
        "message": error.message,
        "hint": error.hint,
    }
    if isinstance(error, AIError):
        detail.update(provider=error.provider, status=error.status, retryable=error.retryable)
    return detail


def status_for(error: SparkError) -> int:
    if isinstance(error, ConfigError):
        return 409
    if isinstance(error, UsageError):
        return 422
    return 502


def _kind(error: SparkError) -> str:
    if isinstance(error, AIError):
        return error.kind.value
    if isinstance(error, ConfigError):
        return "not_configured"
    if isinstance(error, UsageError):
        return "invalid_input"
    return "error"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/openapi.json" or path == "/healthz"


def _json(status: int, detail: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure its documented shape."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if not _wants_json(request):  # a form of SPARK's pages (an expired CSRF token, say)
            hint = f" {html.escape(exc.hint)}" if exc.hint else ""
            return HTMLResponse(
                f"<!doctype html><title>{exc.status}</title><p>{exc.status}: "
                f'{html.escape(exc.message)}{hint} <a href="/">Back to SPARK</a></p>',
                status_code=exc.status,
            )
        return _json(exc.status, {"kind": exc.kind, "message": exc.message, "hint": exc.hint})

    async def spark_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SparkError)
        return _json(status_for(exc), error_detail(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        if any(p["type"] == "json_invalid" for p in problems):
            return _json(
                400,
                {
                    "kind": "invalid_json",
                    "message": "The request body is not valid JSON.",
                    "hint": "Send a JSON object such as "
                    '{"provider": "offline", "prompt": "a coin that spins"}.',
                },
            )
        summary = "; ".join(f"{'.'.join(p['loc'][1:]) or 'body'}: {p['msg']}" for p in problems)
        return _json(
            422,
            {
                "kind": "invalid_request",
                "message": f"The request is invalid: {summary}.",
                "hint": "See the API reference at /docs.",
                "errors": problems,
            },
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = "Not found." if exc.status_code == 404 else str(exc.detail)
        if not _wants_json(request):
            return HTMLResponse(
                f"<!doctype html><title>{exc.status_code}</title><p>{exc.status_code}: "
                f'{html.escape(message)} <a href="/">Back to SPARK</a></p>',
                status_code=exc.status_code,
                headers=exc.headers,
            )
        return JSONResponse(
            {"error": {"kind": f"http_{exc.status_code}", "message": message, "hint": None}},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return _json(
            500,
            {
                "kind": "internal",
                "message": "SPARK hit an unexpected error.",
                "hint": "Try again; if it keeps happening, run `spark serve --debug` and "
                "check the log.",
            },
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(SparkError, spark_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
