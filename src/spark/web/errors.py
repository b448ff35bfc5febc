"""How the web app answers failures: one JSON shape for the API, a small page for browsers.

Bad input is a 4xx with ``{"error": {"kind", "message", "hint"}}``, never a 500: malformed JSON
400, a body that fails validation 422 (text that is not text, see :mod:`spark.web.routing`,
included), an empty or over-long prompt or unknown provider/model 422 (``invalid_input``), a
provider without a key 409 (``not_configured``), an unknown conversation or generation 404, a
spend or rate limit 429 (``budget`` / ``rate_limited``, with ``Retry-After``). A
provider failure during a non-streamed generation is a 502 whose ``kind`` is the
:class:`~spark.errors.ErrorKind`. Anything unexpected is logged and answered 500 with a generic
message (no traceback, no secrets). Pages get the same message on an HTML page
(``error.html``) instead of JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from spark import __version__
from spark.errors import ConfigError, SparkError, UsageError, error_json
from spark.limits import LimitError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A 4xx answer with SPARK's error body."""

    def __init__(self, status: int, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.hint = hint


TOO_LARGE_HINT = "Shorten the prompt (see SPARK_MAX_PROMPT_CHARS)."


class BodyTooLarge(StarletteHTTPException):
    """A request body past the size limit (answered 413 ``too_large``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit:,} bytes.")


def error_detail(error: SparkError) -> dict[str, Any]:
    """The JSON form of a SparkError (shared by error answers and SSE ``error`` events)."""
    return error_json(error)


def status_for(error: SparkError) -> int:
    if isinstance(error, LimitError):
        return 429
    if isinstance(error, ConfigError):
        return 409
    if isinstance(error, UsageError):
        return 422
    return 502


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/openapi.json", "/healthz", "/mcp")


def _json(status: int, detail: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)


_TITLES = {
    400: "This request could not be read",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    422: "This input cannot be used",
}


def _back(request: Request) -> str:
    """Where "Go back" leads: the SPARK page the request came from, else the chat."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc.lower() == request.headers.get("host", "").lower()
    if same_site and referer.path.startswith("/") and referer.path != request.url.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


async def _page_user(request: Request) -> tuple[Any, str | None]:
    """The signed-in user and the CSRF token for an error page's layout (its menu, its theme),
    or (None, None) when nobody is signed in or that cannot be told."""
    from spark.web.auth import optional_user
    from spark.web.security import csrf_token

    if "session" not in request.scope:
        return None, None
    try:
        user = await optional_user(request, await request.app.state.spark.database.get())
    except Exception:  # a broken token or database: the error page still shows
        return None, None
    return (user, csrf_token(request)) if user is not None and not user.by_token else (None, None)


async def error_page(
    request: Request,
    status: int,
    message: str,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An HTML answer for a browser: the message (and hint) on a page of the site, inside the
    layout (with the menu when someone is signed in)."""
    templates: Jinja2Templates = request.app.state.spark.templates
    user, csrf = await _page_user(request)
    context = {
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "message": message,
        "hint": hint,
        "back": _back(request),
        "version": __version__,
        "user": user,
        "csrf_token": csrf,
    }
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure its documented shape."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if not _wants_json(request):  # a form of SPARK's pages (an expired CSRF token, say)
            return await error_page(request, exc.status, exc.message, exc.hint)
        return _json(exc.status, {"kind": exc.kind, "message": exc.message, "hint": exc.hint})

    async def spark_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SparkError)
        answer = _json(status_for(exc), error_detail(exc))
        if isinstance(exc, LimitError) and exc.retry_after is not None:
            answer.headers["Retry-After"] = str(exc.retry_after)
        return answer

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
        message = f"The request is invalid: {summary}."
        if not _wants_json(request):
            return await error_page(request, 422, message, "Correct it and try again.")
        return _json(
            422,
            {
                "kind": "invalid_request",
                "message": message,
                "hint": "See the API reference at /docs.",
                "errors": problems,
            },
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        headers = dict(exc.headers or {})
        if status == 405:  # Starlette names only the methods of the first route that matched
            headers["Allow"] = ", ".join(_allowed_methods(request))
        message = "Not found." if status == 404 else str(exc.detail)
        kind, hint = ("too_large", TOO_LARGE_HINT) if status == 413 else (f"http_{status}", None)
        if not _wants_json(request):
            return await error_page(request, status, message, hint, headers=headers)
        return JSONResponse(
            {"error": {"kind": kind, "message": message, "hint": hint}},
            status_code=status,
            headers=headers,
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
