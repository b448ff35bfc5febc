"""``spark limits``: show and set spend and rate limits (docs/teams.md).

``spark limits set`` changes only the limits it is given (``--daily none`` removes one);
``spark limits clear`` removes a scope's row (a user then falls back to the default). The
command line acts with the database's own rights, like ``spark users create``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spark.cli.common import SparkGroup
from spark.cli.db_commands import DebugOption, JsonOption, _run

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.limits import Limits

limits_app = typer.Typer(
    cls=SparkGroup, help="Show and set spend and rate limits.", no_args_is_help=True
)

UserOption = Annotated[str | None, typer.Option("--user", help="A user's limits (username).")]
TeamOption = Annotated[bool, typer.Option("--team", help="The whole team's limits.")]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", help="One provider's limits (team-wide spend).")
]
DefaultOption = Annotated[
    bool, typer.Option("--default", help="The limits of users without their own.")
]
NONE_WORDS = ("none", "off", "unlimited")


def _value(raw: str | None, name: str, parse: Any, current: Any) -> Any:
    if raw is None:
        return current
    if raw.strip().lower() in NONE_WORDS:
        return None
    return parse(raw, name)


async def _scope(
    session: Any, user: str | None, team: bool, provider: str | None, default: bool
) -> str:
    """The one scope the options name (spark.db.limits.scope_for, with the catalog's providers)."""
    from spark.catalog import load_catalog
    from spark.db.limits import scope_for

    return await scope_for(
        session=session,
        user=user,
        team=team,
        provider=provider,
        default=default,
        providers=[p.id for p in load_catalog().providers],
    )


@limits_app.command("set")
def limits_set(
    user: UserOption = None,
    team: TeamOption = False,
    provider: ProviderOption = None,
    default: DefaultOption = False,
    daily: Annotated[str | None, typer.Option("--daily", help="USD a UTC day.")] = None,
    monthly: Annotated[str | None, typer.Option("--monthly", help="USD a UTC month.")] = None,
    rpm: Annotated[str | None, typer.Option("--rpm", help="Generations started a minute.")] = None,
    concurrent: Annotated[
        str | None, typer.Option("--concurrent", help="Generations running at once.")
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Set limits of one scope (values not given stay as they are; `none` removes one)."""

    async def work(settings: Settings) -> Limits:
        from spark.db.limits import get_limits, set_limits
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.errors import UsageError
        from spark.limits import Limits, parse_rate, parse_usd

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                scope = await _scope(session, user, team, provider, default)
                now = await get_limits(session=session, scope=scope) or Limits()
                try:
                    limits = Limits(
                        daily_usd=_value(daily, "--daily", parse_usd, now.daily_usd),
                        monthly_usd=_value(monthly, "--monthly", parse_usd, now.monthly_usd),
                        requests_per_minute=_value(
                            rpm, "--rpm", parse_rate, now.requests_per_minute
                        ),
                        concurrent=_value(concurrent, "--concurrent", parse_rate, now.concurrent),
                    )
                except ValueError as exc:
                    raise UsageError(str(exc), hint="e.g. --daily 5 --monthly 50") from None
                if scope.startswith("provider:") and (
                    limits.requests_per_minute is not None or limits.concurrent is not None
                ):
                    raise UsageError(
                        "A provider has spend limits only.",
                        hint="Set rate limits per user or for the team.",
                    )
                await set_limits(session=session, admin_id=None, scope=scope, limits=limits)
        return limits

    limits = _run(work, debug=debug)
    typer.echo(f"Limits set: {_summary(limits.to_json())}.")


@limits_app.command("clear")
def limits_clear(
    user: UserOption = None,
    team: TeamOption = False,
    provider: ProviderOption = None,
    default: DefaultOption = False,
    debug: DebugOption = False,
) -> None:
    """Remove every limit of one scope (a user then has the default's)."""

    async def work(settings: Settings) -> None:
        from spark.db.limits import set_limits
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema
        from spark.limits import Limits

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                scope = await _scope(session, user, team, provider, default)
                await set_limits(session=session, admin_id=None, scope=scope, limits=Limits())

    _run(work, debug=debug)
    typer.echo("Limits removed.")


@limits_app.command("show")
def limits_show(json_output: JsonOption = False, debug: DebugOption = False) -> None:
    """Every limit that is set (USD per UTC day and month, requests a minute, at once)."""

    async def work(settings: Settings) -> list[dict[str, Any]]:
        from spark.db.limits import describe_limits
        from spark.db.local import open_database
        from spark.db.migrate import ensure_schema

        async with open_database(settings) as database:
            await ensure_schema(database)
            async with database.session() as session:
                return await describe_limits(session=session)

    rows = _run(work, debug=debug, json_output=json_output)
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("No limits are set.")
        return
    from rich.table import Table

    from spark.cli.common import stdout_console

    table = Table("scope", "daily $", "monthly $", "req/min", "at once")
    for row in rows:
        table.add_row(
            row["name"],
            *(str(row[k] or "-") for k in ("daily_usd", "monthly_usd")),
            *(
                str(row[k] if row[k] is not None else "-")
                for k in ("requests_per_minute", "concurrent")
            ),
        )
    stdout_console().print(table)


def _summary(values: dict[str, Any]) -> str:
    words = {
        "daily_usd": "daily $",
        "monthly_usd": "monthly $",
        "requests_per_minute": "requests a minute",
        "concurrent": "at once",
    }
    parts = [f"{words[k]} {v}" for k, v in values.items() if v is not None]
    return ", ".join(parts) or "none (no limits)"


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
