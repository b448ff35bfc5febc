"""The app factory: settings, engine, stores, middleware, error handlers and routers.

``create_app()`` builds everything on each call (nothing at import time), so tests make apps
with their own settings and engine, and ``uvicorn --factory spark.web:create_app`` works for
several workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from spark import __version__
from spark.config import Settings, load_settings
from spark.generation import Engine
from spark.providers import available_providers
from spark.web.conversations import ConversationStore, MemoryConversationStore
from spark.web.deps import WebState
from spark.web.errors import install_error_handlers
from spark.web.routes import export, generate, models, pages
from spark.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware

_HERE = Path(__file__).parent
log = logging.getLogger(__name__)

DESCRIPTION = """\
Turn a sentence into a Unity C# script. `POST /api/generate` streams Server-Sent Events
(`start`, `token`, `retry`, `repair`, `validation`, then `done` or `error`), or returns one JSON
result with `"stream": false`. Errors are JSON: `{"error": {"kind", "message", "hint"}}`.
"""


async def _warm_up(engine: Engine) -> None:
    """Load the configured providers' SDKs and model lists before the first page asks."""
    for name in available_providers(engine.settings):
        try:
            await engine.models.listing(name)
        except Exception as exc:  # a warm-up never fails anything: the page reports problems
            log.debug("warm-up of %s failed: %s", name, exc)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    conversations: ConversationStore | None = None,
) -> FastAPI:
    """A SPARK web app. An ``engine`` passed in stays the caller's to close."""
    settings = settings or load_settings()
    owns_engine = engine is None
    the_engine = engine or Engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up = asyncio.create_task(_warm_up(the_engine))
        yield
        warm_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warm_up
        if owns_engine:
            await the_engine.aclose()

    # Room for the longest prompt even if every character were a JSON \uXXXX escape.
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
    app.state.spark = WebState(
        settings=settings,
        engine=the_engine,
        conversations=conversations or MemoryConversationStore(),
        templates=Jinja2Templates(directory=_HERE / "templates"),
    )
    app.add_middleware(BodySizeLimitMiddleware, limit=body_limit)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for module in (pages, generate, models, export):
        app.include_router(module.router)
    return app
