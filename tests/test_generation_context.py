"""The one read a generation makes before it starts (spark.db.team_controls.generation_context)
gives exactly what the separate reads give: target, fallback, cache settings, instructions,
limits - on SQLite and on PostgreSQL (the app's role, row-level security on)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from spark.config import Settings
from spark.db.cache import cache_settings
from spark.db.engine import Database
from spark.db.fallback import fallback_lists, set_team_fallback, set_user_fallback
from spark.db.instructions import (
    read_instructions_in_force,
    save_team_instructions,
    save_user_instructions,
)
from spark.db.limits import _choose, applying, set_limits
from spark.db.preferences import update_preferences
from spark.db.site import set_site_setting
from spark.db.team_controls import generation_context
from spark.db.users import create_user
from spark.fallback import parse_routes
from spark.limits import DEFAULT, TEAM, Limits, provider_scope, user_scope
from spark.web.auth import WebUser
from spark.web.target import context_target, user_target


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="k" * 32)


async def _users(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        ada = await create_user(session=session, username="ada", is_admin=True)
        bob = await create_user(session=session, username="bob")
        return ada.id, bob.id


def _web_user(user_id: int, name: str) -> WebUser:
    return WebUser(id=user_id, name=name)


async def _same_as_separate_reads(
    db: Database, settings: Settings, user_id: int, name: str
) -> None:
    context = await generation_context(settings=settings, database=db, user_id=user_id)
    async with db.session(user_id=user_id, read_only=True) as session:
        lists = await fallback_lists(session=session, user_id=user_id, default=settings.fallback)
        caching = await cache_settings(session=session, settings=settings)
    assert (context.fallback, context.caching) == (lists.effective, caching)
    assert context.instructions == await read_instructions_in_force(database=db, user_id=user_id)
    target = await user_target(settings=settings, database=db, user=_web_user(user_id, name))
    assert context_target(context, settings) == target
    async with db.session(user_id=user_id) as session:
        limits = await applying(session=session, user_id=user_id, provider="anthropic")
    assert _choose(context.limits, user_id, "anthropic") == limits


async def test_nothing_stored_reads_as_the_server_defaults(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ada, _ = await _users(db)
    context = await generation_context(settings=settings, database=db, user_id=ada)
    assert context.fallback == () and context.limits == {}
    assert context.instructions.team is None and context.instructions.personal is None
    assert context.caching.enabled == settings.cache
    assert set(context.target.values()) == {None}
    await _same_as_separate_reads(db, settings, ada, "ada")


async def test_everything_stored_reads_as_the_separate_reads(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ada, bob = await _users(db)
    async with db.session(user_id=bob) as session:
        await update_preferences(
            session=session, user_id=bob, unity_version="2022.3", input_system="new"
        )
        await set_user_fallback(
            session=session, user_id=bob, routes=parse_routes("openai:gpt-6.2-sol")
        )
        await save_user_instructions(session=session, user_id=bob, text="Use namespaces.")
    async with db.session(user_id=ada) as session:
        await save_team_instructions(session=session, admin_id=ada, text="Comment every method.")
        await save_user_instructions(session=session, user_id=ada, text="ada's own, not bob's")
    async with db.session() as session:
        await set_team_fallback(
            session=session,
            admin=None,
            routes=parse_routes("anthropic:claude-sonnet-5-5 -> openai:gpt-6.2-sol"),
        )
        await set_site_setting(session=session, admin=None, key="cache", value="true")
        await set_site_setting(session=session, admin=None, key="cache_scope", value="team")
        for scope, limits in {
            DEFAULT: Limits(daily_usd=Decimal(5)),
            TEAM: Limits(monthly_usd=Decimal(100), concurrent=4),
            provider_scope("anthropic"): Limits(daily_usd=Decimal(20)),
            provider_scope("openai"): Limits(daily_usd=Decimal(2)),
            user_scope(ada): Limits(requests_per_minute=3),
        }.items():
            await set_limits(session=session, admin_id=None, scope=scope, limits=limits)
    context = await generation_context(settings=settings, database=db, user_id=bob)
    assert context.target["unity_version"] == "2022.3"
    assert [str(r) for r in context.fallback] == ["openai:gpt-6.2-sol"]  # bob's own list
    assert context.caching.enabled and context.caching.scope == "team"
    assert context.instructions.personal is not None
    assert context.instructions.personal.text == "Use namespaces."
    # Bob's limits are the default (ada's own row is not his); every provider's is there.
    assert user_scope(ada) not in context.limits
    assert {DEFAULT, TEAM, provider_scope("openai")} <= set(context.limits)
    for user_id, name in ((bob, "bob"), (ada, "ada")):
        await _same_as_separate_reads(db, settings, user_id, name)
