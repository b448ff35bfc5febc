"""The response cache with the engine, the recorder and a real database (SQLite and
PostgreSQL, as the app role), the fake upstream behind the providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text, update

from spark.caching import cache_key, cacheable
from spark.db.cache import (
    CacheSettings,
    DatabaseCache,
    cache_settings,
    forget_expired_cache,
    set_cache_settings,
)
from spark.db.engine import Database
from spark.db.history import cleanup_history, delete_generation
from spark.db.models import GenerationRecord, ResponseCacheEntry, User
from spark.db.recorder import HistoryRecorder
from spark.db.stats import generation_stats
from spark.db.types import utc_now
from spark.db.users import create_user
from spark.errors import UsageError
from spark.events import DoneEvent
from spark.generation import Engine, GenerationRequest
from tests.db_fixtures import PostgresServer
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Reply
from tests.test_generation import BROKEN, settings_for

USER = CacheSettings(enabled=True, scope="user", ttl=3600)
TEAM = CacheSettings(enabled=True, scope="team", ttl=3600)


@pytest.fixture
async def engine(upstream: FakeUpstream) -> AsyncIterator[Engine]:
    async def no_sleep(_seconds: float) -> None:
        return None

    async with Engine(settings_for(upstream), sleep=no_sleep) as the_engine:
        yield the_engine


async def new_user(db: Database, name: str, *, admin: bool = False) -> int:
    async with db.session() as session:
        user = await create_user(session=session, username=name)
        if admin:
            user.is_admin = True
        return user.id


def ask(prompt: str = "a coin that spins", **kw: Any) -> GenerationRequest:
    return GenerationRequest(prompt, provider="anthropic", model="claude-sonnet-5-5", **kw)


async def generate(
    engine: Engine, db: Database, user_id: int, settings: CacheSettings | None, request: Any
) -> tuple[DoneEvent, int]:
    recorder = HistoryRecorder(db, user_id=user_id)
    cache = (
        None
        if settings is None
        else DatabaseCache(db, user_id=user_id, settings=settings, recorder=recorder)
    )
    events = [e async for e in engine.generate(request, recorder=recorder, cache=cache)]
    done = events[-1]
    assert isinstance(done, DoneEvent), done
    assert recorder.record_id is not None
    return done, recorder.record_id


async def row(db: Database, user_id: int, record_id: int) -> GenerationRecord:
    async with db.session(user_id=user_id) as session:
        found = await session.get(GenerationRecord, record_id)
        assert found is not None
        return found


async def test_a_second_identical_request_is_a_hit_at_zero_cost(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann = await new_user(db, "ann")
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    first, first_id = await generate(engine, db, ann, USER, ask())
    assert not first.result.cached and first.result.cost_usd == Decimal("0.022000")
    second, second_id = await generate(engine, db, ann, USER, ask())
    assert len(upstream.anthropic.history) == 1  # no second provider call
    hit = second.result
    assert hit.cached and hit.cost_usd == Decimal(0) and hit.attempts == 0
    assert hit.saved_usd == Decimal("0.022000") and hit.cached_from == first_id
    assert hit.code == first.result.code and hit.class_name == "CoinSpinner"
    assert hit.validation is not None and hit.validation.ok
    stored = await row(db, ann, second_id)
    assert stored.status == "cached" and stored.cost_usd == Decimal(0)
    assert stored.saved_usd == Decimal("0.022000") and stored.cached_from == first_id
    assert stored.generated_code == first.result.code
    async with db.session(user_id=ann) as session:
        stats = await generation_stats(session=session, user_id=ann, days_back=30)
    assert stats.total_generations == 2
    assert stats.succeeded == 1
    assert stats.cache_hits == 1 and stats.cache_saved_usd == Decimal("0.022000")


async def test_a_different_prompt_history_or_model_misses(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann = await new_user(db, "ann")
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT)] * 3)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    await generate(engine, db, ann, USER, ask())
    for request in (
        ask("a coin that spins fast"),
        GenerationRequest("a coin that spins", provider="openai", model="gpt-6.2-sol"),
    ):
        done, _ = await generate(engine, db, ann, USER, request)
        assert not done.result.cached
    plans = [await engine.prepare(ask()), await engine.prepare(ask())]
    assert cache_key(plans[0]) == cache_key(plans[1])
    from spark.providers.base import ChatMessage

    follow_up = await engine.prepare(ask(history=(ChatMessage("user", "x"),)))
    assert cache_key(follow_up) != cache_key(plans[0])


async def test_no_cache_and_regenerate_go_to_the_provider(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann = await new_user(db, "ann")
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT)] * 2)
    await generate(engine, db, ann, None, ask())  # the cache off: nothing stored
    done, _ = await generate(engine, db, ann, USER, ask())
    assert not done.result.cached
    async with db.session(user_id=ann) as session:
        assert len((await session.execute(select(ResponseCacheEntry))).all()) == 1


async def test_an_invalid_script_is_not_stored(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann = await new_user(db, "ann")
    upstream.anthropic.enqueue(Reply(BROKEN), Reply(BROKEN), Reply(BROKEN), Reply(BROKEN))
    done, _ = await generate(engine, db, ann, USER, ask())
    assert not cacheable(done.result)
    again, _ = await generate(engine, db, ann, USER, ask())
    assert not again.result.cached


async def test_user_scope_is_private_and_team_scope_is_shared(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann, bob = await new_user(db, "ann"), await new_user(db, "bob")
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT)] * 3)
    await generate(engine, db, ann, USER, ask())
    done, _ = await generate(engine, db, bob, USER, ask())
    assert not done.result.cached  # ann's entry is hers
    await generate(engine, db, ann, TEAM, ask("a door"))
    done, _ = await generate(engine, db, bob, TEAM, ask("a door"))
    assert done.result.cached
    assert len(upstream.anthropic.history) == 3


async def test_entries_expire_and_go_with_their_history_row(
    engine: Engine, db: Database, upstream: FakeUpstream
) -> None:
    ann = await new_user(db, "ann")
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT)] * 3)
    await generate(engine, db, ann, USER, ask())
    async with db.session(user_id=ann) as session:
        await session.execute(
            update(ResponseCacheEntry).values(expires_at=utc_now() - timedelta(seconds=1))
        )
    plan = await engine.prepare(ask())
    expired = DatabaseCache(
        db, user_id=ann, settings=USER, recorder=HistoryRecorder(db, user_id=ann)
    )
    assert await expired.lookup(cache_key(plan)) is None
    async with db.session() as session:
        assert await forget_expired_cache(session=session) == 1
    done, source = await generate(engine, db, ann, USER, ask())
    assert not done.result.cached  # expired: asked again, and stored again
    async with db.session(user_id=ann) as session:
        assert await delete_generation(session=session, user_id=ann, record_id=source)
        assert (await session.execute(select(ResponseCacheEntry))).first() is None
    await generate(engine, db, ann, USER, ask("a lamp"))
    async with db.session(user_id=ann) as session:
        await session.execute(
            update(GenerationRecord).values(created_at=utc_now() - timedelta(days=9))
        )
    async with db.session() as session:
        assert await cleanup_history(session=session, days=8) >= 1
    async with db.session(user_id=ann) as session:
        assert (await session.execute(select(ResponseCacheEntry))).first() is None


async def test_admin_settings_win_over_the_environment(
    db: Database, upstream: FakeUpstream
) -> None:
    admin_id = await new_user(db, "root", admin=True)
    other = await new_user(db, "ann")
    settings = settings_for(upstream)
    async with db.session() as session:
        assert await cache_settings(session=session, settings=settings) == CacheSettings(
            enabled=False, scope="user", ttl=7 * 86400
        )
        admin = await session.get(User, admin_id)
        assert admin is not None
        await set_cache_settings(session=session, admin=admin, enabled=True, scope="team", ttl=600)
        assert await cache_settings(session=session, settings=settings) == TEAM.__class__(
            enabled=True, scope="team", ttl=600
        )
        with pytest.raises(UsageError):
            await set_cache_settings(session=session, admin=admin, ttl=5)
        with pytest.raises(UsageError):
            await set_cache_settings(session=session, admin=admin, scope="everyone")
        user = await session.get(User, other)
        assert user is not None
        with pytest.raises(PermissionError):
            await set_cache_settings(session=session, admin=user, enabled=False)


# --- row-level security (PostgreSQL, as the app role) ----------------------------------------


@pytest.fixture
async def app_db(pg: PostgresServer) -> AsyncIterator[Database]:
    async with Database(pg.url("app")) as database:
        yield database


async def test_rls_user_entries_are_the_owners_team_entries_everyones(
    app_db: Database, engine: Engine, upstream: FakeUpstream
) -> None:
    ann, bob = await new_user(app_db, "ann"), await new_user(app_db, "bob")
    upstream.anthropic.enqueue(*[Reply(DEFAULT_TEXT)] * 2)
    await generate(engine, app_db, ann, USER, ask("private"))
    await generate(engine, app_db, ann, TEAM, ask("shared"))
    everything = text("SELECT scope, user_id FROM spark_response_cache ORDER BY scope")
    async with app_db.session(user_id=ann) as session:
        assert (await session.execute(everything)).all() == [("team", ann), ("user", ann)]
    async with app_db.session(user_id=bob) as session:
        assert (await session.execute(everything)).all() == [("team", ann)]
        # Bob can neither change nor delete Ann's team entry, nor write one in her name.
        changed = await session.execute(text("UPDATE spark_response_cache SET code = 'x'"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        deleted = await session.execute(text("DELETE FROM spark_response_cache"))
        assert deleted.rowcount == 0  # type: ignore[attr-defined]
    async with app_db.session() as session:  # nobody: nothing, not even team entries
        assert (await session.execute(everything)).all() == []
    with pytest.raises(Exception, match="row-level security"):
        async with app_db.session(user_id=bob) as session:
            await session.execute(
                text(
                    "INSERT INTO spark_response_cache (user_id, scope, cache_key, generation_id, "
                    "provider, model, reply, code, class_name, file_name, expires_at) "
                    "SELECT :ann, 'team', 'k', 1, 'p', 'm', 'r', 'c', 'C', 'C.cs', now()"
                ),
                {"ann": ann},
            )
    async with app_db.session(user_id=ann) as session:
        assert (await session.execute(everything)).all() == [("team", ann), ("user", ann)]
