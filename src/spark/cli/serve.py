"""``spark serve``: run the web app with uvicorn on this machine, printing its URL.

FastAPI and uvicorn are imported inside the command, so other commands start fast. The socket
is bound here, before uvicorn starts, so the printed URL carries the real port (``--port 0``
picks a free one) and a busy port is one clear error line. Ctrl+C (SIGINT) or SIGTERM shuts
down gracefully: open streams get a few seconds to finish.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer

from spark.cli.common import fail, settings_or_exit, stderr_console, stdout_console

GRACEFUL_SHUTDOWN_SECONDS = 5


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port).", min=0)] = 8000,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logs and tracebacks.")] = False,
) -> None:
    """Run the SPARK web app (chat screen and JSON API) and print its URL."""
    import uvicorn

    from spark.errors import ConfigError
    from spark.web import create_app

    settings = settings_or_exit(debug)
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
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        log_level="debug" if debug else "info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )
    stdout_console().print(f"SPARK is running at {url} — press Ctrl+C to stop.")
    if not _is_loopback(host):
        stderr_console().print(
            "[yellow]Warning:[/] SPARK has no sign-in yet: anyone who can reach this address "
            "can generate scripts with your API keys. Prefer --host 127.0.0.1."
        )
    uvicorn.Server(config).run(sockets=[sock])
