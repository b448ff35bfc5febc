"""Security headers for every response, and the same-origin check on state-changing requests.

The Content-Security-Policy allows scripts, styles, images and fetches from the app itself only:
no inline scripts or styles, no CDN, no framing. Pages keep working under it because every
script and stylesheet is a static file served by the app.

:func:`require_same_origin` is phase 1's guard against cross-site requests (a web page the user
visits posting to the local SPARK): a browser's ``Origin``/``Sec-Fetch-Site`` must say the
request comes from SPARK's own pages. With accounts, the CSRF token check replaces it here, in
the one dependency every state-changing route takes (:data:`SameOrigin`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark.web.errors import ApiError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` (and ``no-store`` for the API) to every HTTP response.

    Plain ASGI rather than ``BaseHTTPMiddleware`` so streamed responses pass straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if is_api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Caps request bodies at ``limit`` bytes: a declared ``Content-Length`` above it gets
    SPARK's JSON 413 before anything is read; a body sent without a length is cut off (the
    request ends as if the client had gone) once it passes the limit."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope.get("headers", [])).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit:
                response = JSONResponse(
                    {
                        "error": {
                            "kind": "too_large",
                            "message": f"The request body is larger than {self.limit:,} bytes.",
                            "hint": "Shorten the prompt (see SPARK_MAX_PROMPT_CHARS).",
                        }
                    },
                    status_code=413,
                )
                await response(scope, receive, send)
                return
            if not declared:
                receive = self._counting(receive)
        await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    return {"type": "http.disconnect"}
            return message

        return counted


async def require_same_origin(request: Request) -> None:
    """Refuse a browser request sent by another site's page (403)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise _cross_site()
    origin = request.headers.get("origin")
    if origin is None:
        return  # not sent by a browser page (curl, scripts) or a same-origin GET
    host = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        raise _cross_site()


def _cross_site() -> ApiError:
    return ApiError(
        403,
        "cross_site",
        "Requests from other web sites are refused.",
        "Use SPARK's own page, or call the API without an Origin header.",
    )


SameOrigin = Annotated[None, Depends(require_same_origin)]
