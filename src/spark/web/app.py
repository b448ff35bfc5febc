"""The app factory: settings, engine, database, sessions, middleware, error handlers, routers.

``create_app()`` builds everything on each call (nothing at import time), so tests make apps
with their own settings and engine, and ``uvicorn --factory spark.web:create_app`` works for
several workers. While the app runs (its lifespan), a task deletes history older than
``SPARK_HISTORY_RETENTION_DAYS`` once a day, SIGTERM/SIGINT first stop the open generation
streams with a final ``error`` event (:mod:`spark.web.shutdown`), and ``/mcp`` serves MCP over
Streamable HTTP on the same engine (:mod:`spark.mcp.http`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from spark import __version__
from spark.config import Settings, load_settings
from spark.db import Database
from spark.db.local import retention_loop
from spark.generation import Engine
from spark.mcp.http import McpHttp
from spark.mcp.service import McpService
from spark.web.auth import SESSION_LIFETIME, NotSignedIn, sign_in_url
from spark.web.conversations import DatabaseConversationStore
from spark.web.deps import ReadyDatabase, WebState
from spark.web.errors import install_error_handlers
from spark.web.formatting import install_filters
from spark.web.openapi import install_openapi
from spark.web.routes import (
    account,
    chat,
    controls,
    dashboard,
    estimate,
    evals,
    export,
    generate,
    history,
    instructions,
    limits,
    limits_page,
    models,
    pages,
    personal,
    preferences,
    prompt_templates,
    team_pages,
)
from spark.web.secret import secret_key
from spark.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from spark.web.shutdown import ShutdownNotice
from spark.web.throttle import SignInThrottle

SESSION_COOKIE = "spark_session"
SESSION_MAX_AGE = int(SESSION_LIFETIME.total_seconds())  # the cookie lives as long as its row

_HERE = Path(__file__).parent
log = logging.getLogger(__name__)

DESCRIPTION = """\
Turn a sentence into a Unity C# script. `POST /api/generate` streams Server-Sent Events
(`start`, `token`, `retry`, `repair`, `validation`, then `done` or `error`), or returns one JSON
result with `"stream": false`. Errors are JSON: `{"error": {"kind", "message", "hint"}}`.
"""


async def _warm_up(engine: Engine) -> None:
    """Load the configured providers' SDKs and model lists before the first page asks."""
    for name in engine.models.available_providers():
        try:
            await engine.models.listing(name)
        except Exception as exc:  # a warm-up never fails anything: the page reports problems
            log.debug("warm-up of %s failed: %s", name, exc)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotSignedIn)
    if exc.path.startswith("/api/"):
        return JSONResponse(
            {
                "error": {
                    "kind": "unauthenticated",
                    "message": "Sign in first.",
                    "hint": "Use the session of SPARK's page, or send "
                    "`Authorization: Bearer <api token>` (spark tokens create).",
                }
            },
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return RedirectResponse(sign_in_url(exc.path), status_code=303)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    database: Database | None = None,
) -> FastAPI:
    """A SPARK web app. An ``engine`` or ``database`` passed in stays the caller's to close."""
    settings = settings or load_settings()
    owns_engine = engine is None
    the_engine = engine or Engine(settings)
    owns_database = database is None
    the_database = database or Database.from_settings(settings)
    session_key = secret_key(settings)

    shutdown = ShutdownNotice()
    ready = ReadyDatabase(the_database)
    # MCP over Streamable HTTP at /mcp, on the same engine and database (API tokens only).
    mcp = McpHttp(
        McpService(
            settings=settings,
            engine=the_engine,
            database=ready.get,
            transport="http",
            stopping=shutdown.wait,
        )
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up = asyncio.create_task(_warm_up(the_engine))
        retention = asyncio.create_task(
            retention_loop(the_database, days=settings.history_retention_days)
        )
        # SIGTERM/SIGINT: open streams get their final `error` event before the server closes.
        with shutdown.listening():
            async with mcp.running():
                yield
        for task in (warm_up, retention):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if owns_engine:
            await the_engine.aclose()
        if owns_database:
            await the_database.dispose()

    # Room for the longest prompt even if every character were a six-byte JSON escape (\u + 4 hex).
    body_limit = 6 * settings.max_prompt_chars + 64 * 1024
    app = FastAPI(
        title="SPARK",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Swagger UI and ReDoc load from a CDN and run inline scripts, which the CSP refuses:
        # /docs is SPARK's own page rendered from /openapi.json instead.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    templates = Jinja2Templates(directory=_HERE / "templates")
    install_filters(templates.env)
    app.state.spark = WebState(
        settings=settings,
        engine=the_engine,
        database=ready,
        conversations=DatabaseConversationStore(the_database),
        templates=templates,
        throttle=SignInThrottle(),
        shutdown=shutdown,
    )
    # Signed (itsdangerous), HttpOnly, SameSite=Lax; SecurityHeadersMiddleware adds Secure
    # when the request came over HTTPS (behind a proxy: one listed in SPARK_TRUSTED_PROXIES).
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=False,
    )
    app.add_middleware(BodySizeLimitMiddleware, limit=body_limit)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.trusted_proxies:
        # Outermost: sessions, Secure cookies and the sign-in throttle see the client and scheme
        # a listed proxy names. Nobody else's X-Forwarded-* headers are read (spark serve turns
        # uvicorn's own handling off).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_error_handlers(app)
    install_openapi(app)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    # A plain ASGI route, outside SparkRoute's checks: MCP's JSON-RPC is the SDK's to parse
    # (tests/test_mcp_http.py holds it to clean errors for hostile input).
    app.router.routes.append(Route("/mcp", endpoint=mcp, include_in_schema=False))
    for module in (
        chat,
        pages,
        account,
        personal,
        generate,
        models,
        preferences,
        instructions,
        prompt_templates,
        export,  # before history: /history/export is not a generation id
        history,
        dashboard,
        estimate,
        limits,
        limits_page,
        evals,
        controls,
        team_pages,
    ):
        app.include_router(module.router)
    return app
