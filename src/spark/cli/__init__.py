"""The ``spark`` command.

The commands live in a Typer app (`spark.cli.commands`), loaded only when needed: ``spark validate``
and ``spark check`` are dispatched before Typer is imported, because Typer, Click and pydantic
together cost more start-up time than validating a file (see `spark.cli_validate` and
docs/benchmarks.md).
``from spark.cli import app`` still gives the Typer app.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


def main() -> None:
    """Console-script entry point."""
    _survive_file_size_limit()
    argv = sys.argv[1:]
    if argv[:1] == ["validate"]:
        from spark.cli_validate import main as validate_main

        raise SystemExit(validate_main(argv[1:]))
    if argv[:1] == ["check"]:
        from spark.cli_check import main as check_main

        raise SystemExit(check_main(argv[1:]))
    from spark.cli.commands import app

    app()


def _survive_file_size_limit() -> None:
    """Make a write past the file-size limit (``ulimit -f``) fail with ``EFBIG`` instead of
    killing the process with ``SIGXFSZ``, so that a generation already paid for still reaches
    the terminal. CPython's own start-up does this too, but an embedding interpreter may not."""
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def __getattr__(name: str) -> Any:
    if name == "app":
        from spark.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
