"""``spark fallback`` and ``spark cache``: the team controls from a terminal (docs/teams.md).

Without ``--me`` they change the team's settings, as the server's operator (the CLI holds the
database's own credentials, as for ``spark users``); with ``--me``, the fallback list of the
CLI's user (``SPARK_CLI_USER``). The database modules are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spark.cli.common import SparkGroup, stdout_console
from spark.cli.db_commands import DebugOption, JsonOption, _run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from spark.config import Settings

fallback_app = typer.Typer(
    cls=SparkGroup,
    help="Provider fallback: models to try when the chosen provider is down.",
    no_args_is_help=True,
)
cache_app = typer.Typer(
    cls=SparkGroup,
    help="The response cache: identical requests answered at $0.",
    no_args_is_help=True,
)

MeOption = Annotated[
    bool, typer.Option("--me", help="Your own list (SPARK_CLI_USER), not the team's.")
]


@asynccontextmanager
async def _session(
    settings: Settings, *, read_only: bool = False
) -> AsyncIterator[tuple[int, AsyncSession]]:
    """One transaction of the CLI's user: ``(user_id, session)``."""
    from spark.db.local import open_cli_database

    async with (
        open_cli_database(settings) as local,
        local.database.session(user_id=local.user_id, read_only=read_only) as session,
    ):
        yield local.user_id, session


def register(app: typer.Typer) -> None:
    """Add ``fallback`` and ``cache`` to the ``spark`` app."""
    app.add_typer(fallback_app, name="fallback")
    app.add_typer(cache_app, name="cache")


def _print_lists(lists: dict[str, list[str] | None], json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(lists))
        return
    out = stdout_console()

    def shown(routes: list[str] | None, none: str) -> str:
        if routes is None:
            return none
        return " → ".join(routes) if routes else "off"

    out.print(f"team:      {shown(lists['team'], 'off')}")
    out.print(f"yours:     {shown(lists['mine'], 'follows the team’s')}")
    out.print(f"in force:  {shown(lists['effective'], 'off')}")


async def _set_fallback(settings: Settings, entries: list[str] | None, me: bool) -> dict[str, Any]:
    from spark.db.fallback import fallback_lists, set_team_fallback, set_user_fallback
    from spark.fallback import parse_routes

    routes = None if entries is None else parse_routes(entries)
    async with _session(settings) as (user_id, session):
        if me:
            await set_user_fallback(session=session, user_id=user_id, routes=routes)
        else:
            await set_team_fallback(session=session, admin=None, routes=routes)
        lists = await fallback_lists(session=session, user_id=user_id, default=settings.fallback)
    return lists.to_json()


@fallback_app.command("show")
def fallback_show(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """Show the team's list, yours, and the one your generations use."""

    async def work(settings: Settings) -> dict[str, Any]:
        from spark.db.fallback import fallback_lists

        async with _session(settings, read_only=True) as (user_id, session):
            lists = await fallback_lists(
                session=session, user_id=user_id, default=settings.fallback
            )
        return lists.to_json()

    _print_lists(_run(work, debug=debug, json_output=json_output), json_output)


@fallback_app.command("set")
def fallback_set(
    entries: Annotated[
        list[str],
        typer.Argument(help="provider:model entries in order, e.g. openai:gpt-6.2-sol."),
    ],
    me: MeOption = False,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Set the team's fallback list (or, with --me, your own)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _set_fallback(settings, entries, me)

    _print_lists(_run(work, debug=debug, json_output=json_output), json_output)


@fallback_app.command("off")
def fallback_off(
    me: MeOption = False, json_output: JsonOption = False, debug: DebugOption = False
) -> None:
    """Turn fallback off for the team (or, with --me, for you only)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _set_fallback(settings, [], me)

    _print_lists(_run(work, debug=debug, json_output=json_output), json_output)


@fallback_app.command("clear")
def fallback_clear(
    me: MeOption = False, json_output: JsonOption = False, debug: DebugOption = False
) -> None:
    """Forget the team's list (SPARK_FALLBACK applies again) or, with --me, yours (you follow
    the team's again)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _set_fallback(settings, None, me)

    _print_lists(_run(work, debug=debug, json_output=json_output), json_output)


async def _cache_change(
    settings: Settings,
    *,
    enabled: bool | None = None,
    scope: str | None = None,
    ttl: int | None = None,
    reset: bool = False,
) -> dict[str, Any]:
    from spark.db.cache import (
        cache_settings,
        check_cache_settings,
        reset_cache_settings,
        set_cache_settings,
    )

    check_cache_settings(scope, ttl)
    async with _session(settings) as (_, session):
        if reset:
            await reset_cache_settings(session=session, admin=None)
        else:
            await set_cache_settings(
                session=session, admin=None, enabled=enabled, scope=scope, ttl=ttl
            )
        return (await cache_settings(session=session, settings=settings)).to_json()


def _print_cache(values: dict[str, Any], json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(values))
        return
    state = "on" if values["enabled"] else "off"
    stdout_console().print(
        f"response cache: {state} · scope {values['scope']} · entries live "
        f"{values['ttl_seconds']:,} s"
    )


@cache_app.command("show")
def cache_show(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """Whether the response cache is on, its scope and its entries' lifetime."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _cache_change(settings)

    _print_cache(_run(work, debug=debug, json_output=json_output), json_output)


@cache_app.command("set")
def cache_set(
    on: Annotated[
        bool | None, typer.Option("--on/--off", help="Switch the cache on or off.")
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="user (each their own) or team (shared).")
    ] = None,
    ttl: Annotated[
        int | None, typer.Option("--ttl", help="Seconds an entry lives (60 to 31,622,400).")
    ] = None,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Change the team's response-cache settings (what is not given stays)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _cache_change(settings, enabled=on, scope=scope, ttl=ttl)

    _print_cache(_run(work, debug=debug, json_output=json_output), json_output)


@cache_app.command("reset")
def cache_reset(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """Forget the team's cache settings: SPARK_CACHE, SPARK_CACHE_SCOPE, SPARK_CACHE_TTL apply."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await _cache_change(settings, reset=True)

    _print_cache(_run(work, debug=debug, json_output=json_output), json_output)
