"""The ``spark`` command.

The commands live in a Typer app (`spark.cli.commands`), loaded only when needed: ``spark validate``
is dispatched before Typer is imported, because Typer, Click and pydantic together cost more
start-up time than validating a file (see `spark.cli_validate` and docs/benchmarks.md).
``from spark.cli import app`` still gives the Typer app.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    if argv[:1] == ["validate"]:
        from spark.cli_validate import main as validate_main

        raise SystemExit(validate_main(argv[1:]))
    from spark.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":
        from spark.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
