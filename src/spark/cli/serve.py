"""``spark serve``: run the web app with uvicorn on this machine, printing its URL.

FastAPI and uvicorn are imported inside the command, so other commands start fast. Before
anything listens, the database is prepared (SQLite migrated, PostgreSQL checked, rows of dead
processes marked interrupted) and the session key found: a problem with either is one clear
error line. Serving beyond loopback requires ``SPARK_SECRET_KEY``. The socket is bound (and
listening) here, before uvicorn starts, so the printed URL carries the real port (``--port 0``
picks a free one), a busy port is one clear error line, and a request that arrives while the
workers start waits for them. Forwarded headers (``X-Forwarded-For``/``-Proto``) are left to
the app, which believes them only from ``SPARK_TRUSTED_PROXIES``. Ctrl+C (SIGINT) or SIGTERM
shuts down gracefully: open streams get a few seconds to finish; the app's daily history
clean-up task is cancelled.

``--workers N`` (default: one per CPU core) runs N worker processes, uvicorn's supervisor
handing each the one bound socket; each worker builds its own app (``spark.web:create_app``,
from the same environment and ``.env``), engine and connection pools. With one worker the app
runs in this process, as before.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from spark.cli.common import fail, settings_or_exit, stdout_console

if TYPE_CHECKING:
    from spark.config import Settings

GRACEFUL_SHUTDOWN_SECONDS = 5
LISTEN_BACKLOG = 2048  # uvicorn's default


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _prepare(settings: Settings) -> int:
    """Migrate (SQLite) or check (PostgreSQL) the database; mark dead processes' rows."""
    from spark.db.local import open_database, prepare_database

    async with open_database(settings) as database:
        return await prepare_database(database)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port).", min=0)] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Worker processes (default: one per CPU core).", min=1, max=256
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logs and tracebacks.")] = False,
) -> None:
    """Run the SPARK web app (chat screen and JSON API) and print its URL."""
    import uvicorn

    from spark.errors import ConfigError, SparkError
    from spark.web import create_app
    from spark.web.params import MAX_REQUEST_HEAD_BYTES
    from spark.web.secret import secret_key

    settings = settings_or_exit(debug)
    if not _is_loopback(host) and settings.session_key is None:
        fail(
            ConfigError(
                f"SPARK_SECRET_KEY must be set to serve on {host}.",
                hint="Set it to a long random string, the same on every instance: "
                'python -c "import secrets; print(secrets.token_urlsafe(48))"',
            ),
            debug=debug,
        )
    try:
        import asyncio  # here, not at module level: every `spark` command imports this module

        asyncio.run(_prepare(settings))
        processes = workers or os.cpu_count() or 1
        # One worker: the app runs here. Several: each builds its own; the key file is made
        # here first, so that a problem with it is one line rather than a worker's traceback.
        app = create_app(settings) if processes == 1 else None
        secret_key(settings)
    except SparkError as exc:
        fail(exc, debug=debug)
    try:
        sock = _bind(host, port)
    except OSError as exc:
        fail(
            ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint="Is SPARK (or something else) already running there? "
                "Pick another port with --port.",
            ),
            debug=debug,
        )
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}"
    config = uvicorn.Config(
        app or "spark.web:create_app",
        factory=app is None,
        workers=processes,
        log_level="debug" if debug else "info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
        # uvicorn would believe X-Forwarded-For from any loopback client; the app reads those
        # headers itself, from SPARK_TRUSTED_PROXIES only.
        proxy_headers=False,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
    )
    shown = f" ({processes} workers)" if processes > 1 else ""
    stdout_console().print(f"SPARK is running at {url}{shown} — press Ctrl+C to stop.")
    if app is not None:
        uvicorn.Server(config).run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
