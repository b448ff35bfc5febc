"""MCP over Streamable HTTP, served by the web app at ``/mcp`` with the JSON API's API tokens.

:class:`McpHttp` is a plain ASGI app the web app routes ``/mcp`` to (and runs, in its
lifespan, with :meth:`McpHttp.running`). Every request must carry ``Authorization: Bearer
<api token>`` - the tokens of ``spark tokens create`` and the Account page; a missing, wrong,
revoked or disabled account's token is a 401 with SPARK's JSON error body, before the MCP SDK
sees anything. The token's user is put in the request (:data:`~spark.mcp.service.CALLER_SCOPE_KEY`),
so each call - not each session - acts for that user: its generations are recorded under them
and it reads only their history (on PostgreSQL through row-level security, as the web app).
There are no cookie sessions here, so no CSRF token is needed; a browser page of another site
(an ``Origin`` that is not this host) is refused all the same.

The SDK's session manager runs **stateless**: no MCP session lives in one process's memory, so
``spark serve --workers N`` can answer any request in any worker (and there is no stream to
open with GET, nor a session to end with DELETE: both are 405). Clients on the 2026-07-28
protocol cancel a call by closing its response stream; the generation then stops and its row
ends ``failed: cancelled``. The SDK's own DNS-rebinding check (a list of allowed hosts) is off:
a rebinding page has no API token to send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from spark.db.users import user_for_token
from spark.mcp.server import build_server
from spark.mcp.service import CALLER_SCOPE_KEY, TOKEN_HINT, Caller, McpService


class McpHttp:
    """The ``/mcp`` endpoint (see the module docstring)."""

    def __init__(self, service: McpService) -> None:
        self.service = service
        self.server = build_server(service)
        self.server.streamable_http_app(
            stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._manager = self.server.session_manager
        self._running = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve MCP requests within the block (the web app's lifespan)."""
        async with self._manager.run():
            self._running = True
            try:
                yield
            finally:
                self._running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - the route is HTTP only
            return
        refusal = await self._refusal(scope)
        if isinstance(refusal, JSONResponse):
            await refusal(scope, receive, send)
            return
        await self._manager.handle_request({**scope, CALLER_SCOPE_KEY: refusal}, receive, send)

    async def _refusal(self, scope: Scope) -> JSONResponse | Caller:
        """The caller of the request, or the answer that refuses it."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self._running:
            return _error(503, "unavailable", "MCP is not running on this server yet.", None)
        if scope["method"] != "POST":  # stateless: no stream to open (GET), no session to end
            return _error(
                405,
                "method_not_allowed",
                f"{scope['method']} is not served at /mcp: send each MCP message as a POST.",
                None,
            )
        origin = headers.get("origin")
        if (
            origin is not None
            and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
        ):
            return _error(
                403,
                "cross_site",
                "Requests from other web sites are refused.",
                "Call /mcp from an MCP client, without an Origin header.",
            )
        scheme, _, token = headers.get("authorization", "").partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            database = await self.service.database()
            async with database.session() as session:
                user = await user_for_token(session=session, token=token.strip())
        if user is None:
            return _error(401, "unauthenticated", "Send a valid SPARK API token.", TOKEN_HINT)
        return Caller(user.id, user.username)


def _error(status: int, kind: str, message: str, hint: str | None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 405:
        headers = {"Allow": "POST"}
    body = {"error": {"kind": kind, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)
