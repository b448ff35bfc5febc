"""``spark db``, ``spark users``, ``spark tokens`` and ``spark stats`` (``spark history`` is in
`spark.cli.history_commands`).

Commands that touch the database. Only signatures live at module level: SQLAlchemy and the
``spark.db`` package are imported inside the functions, so other commands start fast. Database
failures print one line and exit 2; ``register(app)`` adds everything to the ``spark`` app.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from spark.cli.common import (
    SparkGroup,
    fail,
    settings_or_exit,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.stats import GenerationStats

T = TypeVar("T")

db_app = typer.Typer(
    cls=SparkGroup, help="Set up and maintain SPARK's database.", no_args_is_help=True
)
users_app = typer.Typer(cls=SparkGroup, help="Manage user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(cls=SparkGroup, help="Manage API tokens.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def register(app: typer.Typer) -> None:
    """Add the database commands to the ``spark`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    from spark.cli.history_commands import history_app  # it uses this module's helpers

    app.add_typer(history_app, name="history")
    from spark.cli.instructions import instructions_app

    app.add_typer(instructions_app, name="instructions")
    from spark.cli.templates import templates_app

    app.add_typer(templates_app, name="templates")
    app.command("stats")(stats)
    from spark.cli.limits_commands import limits_app

    app.add_typer(limits_app, name="limits")


def _run(
    work: Callable[[Settings], Coroutine[Any, Any, T]], *, debug: bool, json_output: bool = False
) -> T:
    """Run ``work`` with the settings; SPARK's errors become one line and an exit code."""
    import asyncio

    from spark.errors import SparkError

    settings = settings_or_exit(debug)
    try:
        return asyncio.run(work(settings))
    except SparkError as exc:
        fail(exc, debug=debug, json_output=json_output)


@db_app.command("upgrade")
def db_upgrade(debug: DebugOption = False) -> None:
    """Create or upgrade the tables (PostgreSQL: as the owner, SPARK_DATABASE_MIGRATION_URL)."""

    async def work(settings: Settings) -> None:
        from spark.db.engine import describe
        from spark.db.local import open_database
        from spark.db.migrate import current_revision, upgrade

        async with open_database(settings, migration=True) as database:
            notes = await upgrade(database, app_role=settings.database_app_role)
            revision = await current_revision(database)
            for note in notes:
                stderr_console().print(f"[yellow]Note:[/] {note}")
            typer.echo(f"Database {describe(database.url)} is at revision {revision}.")

    _run(work, debug=debug)


@db_app.command("current")
def db_current(debug: DebugOption = False) -> None:
    """Show the schema revision and whether it is the one this SPARK needs."""

    async def work(settings: Settings) -> None:
        from spark.db.local import open_database
        from spark.db.migrate import HEAD, current_revision

        async with open_database(settings) as database:
            revision = await current_revision(database)
        state = "up to date" if revision == HEAD else f"needs `spark db upgrade` to {HEAD}"
        typer.echo(f"{revision or 'empty'} ({state})")

    _run(work, debug=debug)


@db_app.command("cleanup")
def db_cleanup(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Keep this many days (default: retention setting)."),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Delete generation history older than SPARK_HISTORY_RETENTION_DAYS (every user's),
    expired response-cache entries, and the spend and rate limits' past counters and ended
    reservations."""

    async def work(settings: Settings) -> None:
        from spark.db.cache import forget_expired_cache
        from spark.db.history import cleanup_history
        from spark.db.limits import forget_old_limit_rows
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema

        keep = days or settings.history_retention_days
        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                deleted = await cleanup_history(session=session, days=keep)
                expired = await forget_expired_cache(session=session)
            async with database.session() as session:
                limits = await forget_old_limit_rows(session=session)
        typer.echo(f"Deleted {deleted} generation{'s' * (deleted != 1)} older than {keep} days.")
        if expired:
            typer.echo(f"Deleted {expired} expired cache entr{'ies' if expired != 1 else 'y'}.")
        if limits.counters or limits.reservations:
            typer.echo(
                f"Deleted {limits.counters} past limit counter{'s' * (limits.counters != 1)} "
                f"and {limits.reservations} ended reservation{'s' * (limits.reservations != 1)}."
            )

    _run(work, debug=debug)


@db_app.command("rollup")
def db_rollup(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Recompute the usage rollup from the history.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Rebuild the daily usage rollup behind the admins' team view from the history.

    Triggers keep the rollup in step with the history, and `spark db upgrade` fills it, so
    this is for repairs: after restoring or editing history rows by hand, say.
    """
    if not rebuild:
        from spark.errors import UsageError

        fail(
            UsageError(
                "Nothing to do.",
                hint="`spark db rollup --rebuild` recomputes the usage rollup from the history.",
            ),
            debug=debug,
        )

    async def work(settings: Settings) -> None:
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.db.rollup import rebuild_rollup

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                rows = await rebuild_rollup(session=session)
        typer.echo(f"Rebuilt the usage rollup from the history: {rows} row{'s' * (rows != 1)}.")

    _run(work, debug=debug)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The new account's name.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make it an administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    debug: DebugOption = False,
) -> None:
    """Create a user account (asks for its password unless --password-stdin)."""
    password = _read_password(password_stdin)

    async def work(settings: Settings) -> None:
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.db.users import create_user

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                user = await create_user(
                    session=session,
                    username=username,
                    password=password,
                    email=email,
                    is_admin=admin,
                )
        role = "administrator" if admin else "user"
        typer.echo(f"Created {role} {user.username} (id {user.id}).")

    _run(work, debug=debug)


@users_app.command("list")
def users_list(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """List user accounts."""

    async def work(settings: Settings) -> list[dict[str, Any]]:
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.db.users import list_users

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                users = await list_users(session=session)
        return [
            {
                "id": u.id,
                "username": u.username,
                "email": u.email,
                "is_admin": u.is_admin,
                "disabled": u.disabled,
                "can_sign_in": u.password_hash is not None,
                "created_at": u.created_at.isoformat(),
            }
            for u in users
        ]

    users = _run(work, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps(users, indent=2))
        return
    from rich.table import Table

    table = Table("id", "username", "email", "admin", "disabled", "password", "created")
    for u in users:
        table.add_row(
            str(u["id"]),
            u["username"],
            u["email"] or "",
            "yes" if u["is_admin"] else "",
            "yes" if u["disabled"] else "",
            "yes" if u["can_sign_in"] else "no",
            u["created_at"][:16].replace("T", " "),
        )
    stdout_console().print(table)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'ci' or 'cursor'.")],
    user: Annotated[str, typer.Option("--user", "-u", help="The account the token acts for.")],
    debug: DebugOption = False,
) -> None:
    """Create an API token and print it (only the token, and only this once)."""

    async def work(settings: Settings) -> str:
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.db.users import create_api_token, get_user_by_username
        from spark.errors import UsageError

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                account = await get_user_by_username(session=session, username=user)
            if account is None:
                raise UsageError(f"No user called {user!r}.", hint="See `spark users list`.")
            async with database.session(user_id=account.id) as session:
                _, token = await create_api_token(session=session, user_id=account.id, name=name)
        return token

    typer.echo(_run(work, debug=debug))


def stats(
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=3650, help="Days back.")] = 30,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show your generation statistics over the last N days (the CLI's user)."""

    async def work(settings: Settings) -> GenerationStats:
        from spark.db.local import open_cli_database
        from spark.db.stats import generation_stats

        async with (
            open_cli_database(settings) as local,
            local.database.session(user_id=local.user_id) as session,
        ):
            return await generation_stats(session=session, user_id=local.user_id, days_back=days)

    figures = _run(work, debug=debug, json_output=json_output)
    from spark.cli.db_output import stats_json, stats_tables

    if json_output:
        typer.echo(json.dumps(stats_json(figures), indent=2))
    else:
        console = stdout_console()
        for table in stats_tables(figures):
            console.print(table)
