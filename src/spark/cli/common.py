"""Helpers shared by the CLI commands: settings, error printing, exit codes."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from spark.errors import AIError, ConfigError, SparkError, UsageError

if TYPE_CHECKING:
    from spark.config import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class SparkGroup(TyperGroup):
    """A command group whose ``--help`` flag defaults to ``False`` rather than ``None``.

    Typer coerces a parameter's value through a pydantic adapter unless it already is a bool,
    so the absent ``--help`` of the group in ``spark generate --help`` (``None``) imported
    pydantic and built an adapter: ~0.1 s of start-up for a help page. Commands that need
    pydantic (settings) import it anyway when they run.
    """

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def exit_code_for(error: SparkError) -> int:
    """Usage and configuration mistakes are 2; a failed generation is 1."""
    return EXIT_USAGE if isinstance(error, UsageError | ConfigError) else EXIT_FAILED


def settings_or_exit(debug: bool) -> Settings:
    """Load settings; a bad value in the environment or .env is a usage error, not a traceback."""
    from pydantic import ValidationError

    from spark.config import load_settings

    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    try:
        return load_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        fail(
            ConfigError(
                f"Invalid configuration: {problems}.",
                hint="Check your .env file "
                "and SPARK_* environment variables (see README, Configuration).",
            ),
            debug=debug,
        )


class _OneLineFormatter(logging.Formatter):
    """``Warning: message (ExceptionType: its first line)``: no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"Warning: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
            first = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
            text += f" ({type(cause).__name__}{': ' + first if first else ''})"
        return text


@contextmanager
def one_line_warnings(enabled: bool = True) -> Iterator[None]:
    """While in the block, show logged warnings and errors as one line each on stderr, without
    a traceback (for a command whose own failures are reported by :func:`fail`; ``--debug``
    shows everything, so it passes ``enabled=False``)."""
    if not enabled:
        yield
        return
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def error_payload(error: SparkError) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": error.kind.value if isinstance(error, AIError) else type(error).__name__,
        "message": error.message,
        "hint": error.hint,
    }
    if isinstance(error, AIError):
        payload.update(
            provider=error.provider,
            status=error.status,
            retryable=error.retryable,
            request_id=error.request_id,
        )
    return payload


def print_error(error: SparkError, console: Console) -> None:
    console.print(f"[bold red]Error:[/] {escape(error.message)}")
    if error.hint:
        console.print(f"[dim]Hint:[/] {escape(error.hint)}")


def fail(error: SparkError, *, debug: bool, json_output: bool = False) -> NoReturn:
    """Report ``error`` the way the user asked (text or JSON) and exit with its code."""
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    if json_output:
        typer.echo(json.dumps({"ok": False, "error": error_payload(error)}, indent=2))
    else:
        print_error(error, stderr_console())
    raise typer.Exit(exit_code_for(error))
