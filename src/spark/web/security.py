"""Security headers for every response, and the CSRF check on state-changing requests.

The Content-Security-Policy allows scripts, styles, images and fetches from the app itself only:
no inline scripts or styles, no CDN, no framing. Pages keep working under it because every
script and stylesheet is a static file served by the app. Cookies set over HTTPS get ``Secure``.

Cross-site request forgery: every session carries a random CSRF token. Forms send it as the
hidden ``csrf_token`` field; the page's JavaScript reads it from ``<meta name="csrf-token">``
and sends it as ``X-CSRF-Token``. A state-changing request signed in by the cookie must carry it
(:data:`CsrfProtected`, :func:`check_csrf`), and a browser's ``Origin``/``Sec-Fetch-Site`` must
also say it comes from SPARK's own pages. Requests with an API token (``Authorization: Bearer``)
carry no cookie a browser could send on its own, so they are exempt.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark.web.auth import SESSION_CSRF, OptionalUser
from spark.web.errors import TOO_LARGE_HINT, ApiError, BodyTooLarge

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
        is_https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                if is_api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if is_https:
                    headers = [_secure_cookie(h) for h in headers]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookie(header: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    name, value = header
    if name.lower() == b"set-cookie" and b"secure" not in value.lower():
        return name, value + b"; secure"
    return header


class BodySizeLimitMiddleware:
    """Caps request bodies at ``limit`` bytes with SPARK's JSON 413: a declared
    ``Content-Length`` above it is refused before anything is read; a body sent without a
    length is refused as soon as it passes the limit (reading it raises :class:`BodyTooLarge`,
    which the app's error handlers answer)."""

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
                            "message": BodyTooLarge(self.limit).detail,
                            "hint": TOO_LARGE_HINT,
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
                    raise BodyTooLarge(self.limit)
            return message

        return counted


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use), for forms and the ``<meta>`` tag."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


def require_same_origin(request: Request) -> None:
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


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse (403) a cookie-authenticated request without the session's CSRF token."""
    require_same_origin(request)
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not sent
        # as bytes: compare_digest refuses str with characters beyond ASCII
        or not secrets.compare_digest(_utf8(sent), _utf8(expected))
    ):
        raise ApiError(
            403,
            "csrf",
            "This request lacks a valid CSRF token.",
            "Reload the page and try again (API clients: use an API token).",
        )


async def require_csrf(request: Request, user: OptionalUser) -> None:
    """The dependency of every state-changing API route (bearer-token calls are exempt)."""
    if user is not None and user.by_token:
        return
    check_csrf(request, request.headers.get("x-csrf-token"))


def _cross_site() -> ApiError:
    return ApiError(
        403,
        "cross_site",
        "Requests from other web sites are refused.",
        "Use SPARK's own page, or call the API without an Origin header.",
    )


CsrfProtected = Annotated[None, Depends(require_csrf)]
