"""Repository functions on both databases: users, tokens, preferences, history, retention."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from spark.db.engine import Database
from spark.db.history import (
    GenerationOutcome,
    HistoryFilters,
    cleanup_history,
    delete_generation,
    finish_generation,
    get_generation,
    list_generations,
    start_generation,
)
from spark.db.local import prepare_database, retention_loop
from spark.db.models import ApiToken, GenerationRecord, GenerationStatus
from spark.db.preferences import get_preferences, update_preferences
from spark.db.types import utc_now
from spark.db.users import (
    TokenOwner,
    authenticate,
    count_users,
    create_api_token,
    create_user,
    delete_api_token,
    get_or_create_user,
    get_user_by_username,
    list_api_tokens,
    list_users,
    set_disabled,
    token_owner,
    user_for_token,
)
from spark.errors import UsageError

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


async def make_user(db: Database, name: str, **kwargs: object) -> int:
    async with db.session() as session:
        user = await create_user(session=session, username=name, **kwargs)  # type: ignore[arg-type]
        return user.id


async def add_generation(
    db: Database, user_id: int, prompt: str = "a rotating cube", *, age: timedelta | None = None
) -> int:
    async with db.session(user_id=user_id) as session:
        record = await start_generation(
            session=session, user_id=user_id, provider="anthropic", model="m", prompt=prompt
        )
        if age is not None:
            record.created_at = utc_now() - age
        return record.id


async def test_usernames_are_unique_in_any_case(db: Database) -> None:
    await make_user(db, "Alice")
    with pytest.raises(UsageError, match="already exists"):
        await make_user(db, "alice")
    async with db.session() as session:
        found = await get_user_by_username(session=session, username="ALICE")
        assert found is not None and found.username == "Alice"
        assert [u.username for u in await list_users(session=session)] == ["Alice"]


async def test_invalid_username_and_short_password_are_refused(db: Database) -> None:
    with pytest.raises(UsageError, match="Invalid username"):
        await make_user(db, "no spaces")
    with pytest.raises(UsageError, match="at least 8"):
        await make_user(db, "bob", password="short")


async def test_password_sign_in(db: Database) -> None:
    await make_user(db, "carol", password="correct horse", is_admin=True)
    async with db.session() as session:
        user = await authenticate(session=session, username="Carol", password="correct horse")
        assert user is not None and user.is_admin
        assert await authenticate(session=session, username="carol", password="wrong pass") is None
        assert await authenticate(session=session, username="nobody", password="whatever1") is None
        assert user.password_hash is not None and "correct horse" not in user.password_hash
        await set_disabled(session=session, user_id=user.id, disabled=True)
    async with db.session() as session:
        assert (
            await authenticate(session=session, username="carol", password="correct horse") is None
        )


async def test_local_user_does_not_count_as_a_sign_in_account(db: Database) -> None:
    async with db.session() as session:
        local = await get_or_create_user(session=session, username="local")
        again = await get_or_create_user(session=session, username="LOCAL")
        assert again.id == local.id
        assert await count_users(session=session) == 1
        assert await count_users(session=session, can_sign_in=True) == 0


async def test_api_tokens(db: Database) -> None:
    user_id = await make_user(db, "dave")
    async with db.session(user_id=user_id) as session:
        row, token = await create_api_token(session=session, user_id=user_id, name="ci")
        assert token.startswith("spark_") and len(token) > 40
        assert row.token_hash != token and token not in row.token_hash
        assert row.last_used_at is None
    async with db.session() as session:  # signing in: nobody is known yet
        user = await user_for_token(session=session, token=token)
        assert user is not None and user.id == user_id
        assert await user_for_token(session=session, token=token + "x") is None
        assert await user_for_token(session=session, token="not-a-token") is None
    async with db.session(user_id=user_id) as session:
        [listed] = await list_api_tokens(session=session, user_id=user_id)
        assert listed.last_used_at is not None and listed.prefix == token[:12]
        await set_disabled(session=session, user_id=user_id, disabled=True)
    async with db.session() as session:
        assert await user_for_token(session=session, token=token) is None
    async with db.session(user_id=user_id) as session:
        assert await delete_api_token(session=session, user_id=user_id, token_id=row.id)
        assert await list_api_tokens(session=session, user_id=user_id) == []


async def test_token_owner_finds_the_account_and_stamps_the_last_use(db: Database) -> None:
    """The API's token lookup (issue 15): one read; on SQLite the stamp at most once a minute."""
    user_id = await make_user(db, "erin")
    async with db.session(user_id=user_id) as session:
        _, token = await create_api_token(session=session, user_id=user_id, name="ci")

    async def last_used() -> Any:
        async with db.session(user_id=user_id) as session:
            [listed] = await list_api_tokens(session=session, user_id=user_id)
            return listed.last_used_at

    assert await token_owner(database=db, token=token) == TokenOwner(user_id, "erin", False)
    assert await token_owner(database=db, token=token + "x") is None
    assert await token_owner(database=db, token="not-a-token") is None
    stamped = await last_used()
    assert stamped is not None
    if not db.is_postgresql:  # PostgreSQL's lookup function stamps every use
        assert await token_owner(database=db, token=token) is not None
        assert await last_used() == stamped  # a second later: not written again
        async with db.session(user_id=user_id) as session:
            old = stamped - timedelta(minutes=2)
            await session.execute(update(ApiToken).values(last_used_at=old))
        assert await token_owner(database=db, token=token) is not None
        assert await last_used() >= stamped
    async with db.session(user_id=user_id) as session:
        await set_disabled(session=session, user_id=user_id, disabled=True)
    assert await token_owner(database=db, token=token) is None


async def test_preferences_are_created_on_first_access_and_updated(db: Database) -> None:
    user_id = await make_user(db, "erin")
    async with db.session(user_id=user_id) as session:
        prefs = await get_preferences(session=session, user_id=user_id)
        assert prefs.preferred_provider is None and prefs.preferred_models == {}
        first_update = prefs.updated_at
    async with db.session(user_id=user_id) as session:
        prefs = await update_preferences(
            session=session,
            user_id=user_id,
            preferred_provider="anthropic",
            preferred_models={"anthropic": "claude-x"},
            input_system="new",
            repair_rounds=2,
        )
    async with db.session(user_id=user_id) as session:
        prefs = await update_preferences(session=session, user_id=user_id, unity_version="6000.1")
        assert prefs.preferred_provider == "anthropic"  # untouched fields stay
        assert prefs.preferred_models == {"anthropic": "claude-x"}
        assert (prefs.input_system, prefs.repair_rounds, prefs.unity_version) == (
            "new",
            2,
            "6000.1",
        )
        assert prefs.updated_at >= first_update
        with pytest.raises(UsageError):
            await update_preferences(session=session, user_id=user_id, input_system="joystick")
        with pytest.raises(UsageError):
            await update_preferences(session=session, user_id=user_id, repair_rounds=9)


async def test_history_row_exists_from_the_start_and_is_finished(db: Database) -> None:
    user_id = await make_user(db, "frank")
    record_id = await add_generation(db, user_id)
    async with db.session(user_id=user_id) as session:
        record = await get_generation(session=session, user_id=user_id, record_id=record_id)
        assert record is not None and record.status == "running" and record.finished_at is None
        outcome = GenerationOutcome(
            status=GenerationStatus.SUCCEEDED,
            model="claude-final",
            generated_code="public class Cube {}",
            class_name="Cube",
            success=True,
            input_tokens=10,
            output_tokens=20,
            cache_read_tokens=3,
            cost_usd=Decimal("0.001234"),
            generation_ms=1500,
            attempts=2,
            repair_rounds=1,
            validation_summary="OK",
            validation_errors=0,
            validation_warnings=1,
        )
        await finish_generation(
            session=session, user_id=user_id, record_id=record_id, outcome=outcome
        )
    async with db.session(user_id=user_id) as session:
        record = await get_generation(session=session, user_id=user_id, record_id=record_id)
        assert record is not None
        assert (record.status, record.provider, record.model) == (
            "succeeded",
            "anthropic",
            "claude-final",
        )
        assert record.cost_usd == Decimal("0.001234") and record.total_tokens == 33
        assert record.finished_at is not None and record.finished_at >= record.created_at
        assert record.created_at.tzinfo is not None


async def test_history_list_search_paging_and_ownership(db: Database) -> None:
    alice, bob = await make_user(db, "alice"), await make_user(db, "bob")
    for i in range(5):
        await add_generation(
            db, alice, f"alice prompt {i} 100%_done", age=timedelta(minutes=10 - i)
        )
    bobs = await add_generation(db, bob, "bob's prompt")
    async with db.session(user_id=alice) as session:
        page = await list_generations(session=session, user_id=alice, limit=2, offset=1)
        assert page.total == 5 and [r.prompt[:14] for r in page.items] == [
            "alice prompt 3",
            "alice prompt 2",
        ]
        found = await list_generations(
            session=session, user_id=alice, filters=HistoryFilters(search="PROMPT 4")
        )
        assert [r.prompt[:14] for r in found.items] == ["alice prompt 4"]
        # LIKE wildcards in the search are taken literally.
        assert (
            await list_generations(
                session=session, user_id=alice, filters=HistoryFilters(search="0%_d")
            )
        ).total == 5
        assert (
            await list_generations(
                session=session, user_id=alice, filters=HistoryFilters(search="x%")
            )
        ).total == 0
        assert await get_generation(session=session, user_id=alice, record_id=bobs) is None
        assert not await delete_generation(session=session, user_id=alice, record_id=bobs)
        assert await delete_generation(session=session, user_id=alice, record_id=page.items[0].id)
        assert (await list_generations(session=session, user_id=alice)).total == 4
    async with db.session(user_id=bob) as session:
        assert (await list_generations(session=session, user_id=bob)).total == 1


async def test_history_filters_narrow_by_every_field(db: Database) -> None:
    alice, bob = await make_user(db, "alice"), await make_user(db, "bob")
    spinner = await add_generation(db, alice, "a coin", age=timedelta(days=3))
    door = await add_generation(db, alice, "a door")
    await add_generation(db, bob, "bob's coin")
    async with db.session(user_id=alice) as session:
        await finish_generation(
            session=session,
            user_id=alice,
            record_id=spinner,
            outcome=GenerationOutcome(
                status=GenerationStatus.SUCCEEDED,
                provider="openai",
                model="gpt-x",
                generated_code="class Spinner { void Update() { transform.Rotate(0, 90, 0); } }",
                class_name="Spinner",
            ),
        )
        record = await get_generation(session=session, user_id=alice, record_id=door)
        assert record is not None
        record.conversation_id = "c_1"
        today = record.created_at.date()

    async def ids(**by: Any) -> list[int]:
        async with db.session(user_id=alice) as session:
            page = await list_generations(
                session=session, user_id=alice, filters=HistoryFilters(**by)
            )
        return [r.id for r in page.items]

    assert await ids() == [door, spinner]
    assert await ids(search="  transform.ROTATE ") == [spinner]  # the code, trimmed, any case
    assert await ids(search="spinner") == [spinner]  # the class name
    assert await ids(search="coin") == [spinner]  # the prompt; never bob's rows
    assert await ids(provider="openai") == [spinner]
    assert await ids(model="m") == [door]
    assert await ids(status="running") == [door]
    assert await ids(conversation_id="c_1") == [door]
    assert await ids(date_from=today) == [door]
    assert await ids(date_to=today - timedelta(days=1)) == [spinner]
    assert await ids(date_from=date.min, date_to=date.max) == [door, spinner]
    assert not HistoryFilters().active and HistoryFilters(search="x").active


async def test_cleanup_deletes_old_history_of_every_user(db: Database) -> None:
    alice, bob = await make_user(db, "alice"), await make_user(db, "bob")
    await add_generation(db, alice, "old", age=timedelta(days=100))
    await add_generation(db, bob, "old too", age=timedelta(days=91))
    await add_generation(db, alice, "recent", age=timedelta(days=89))
    async with db.session() as session:
        assert await cleanup_history(session=session, days=90) == 2
    async with db.session(user_id=alice) as session:
        assert [
            r.prompt for r in (await list_generations(session=session, user_id=alice)).items
        ] == ["recent"]


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session(user_id=424242) as session:
            session.add(
                GenerationRecord(
                    user_id=424242, provider="p", model="m", prompt="x", status="running"
                )
            )


async def test_status_must_be_known(db: Database) -> None:
    user_id = await make_user(db, "gina")
    record_id = await add_generation(db, user_id)
    with pytest.raises(IntegrityError):
        async with db.session(user_id=user_id) as session:
            await session.execute(
                update(GenerationRecord)
                .where(GenerationRecord.id == record_id)
                .values(status="exploded")
            )


async def test_retention_loop_cleans_up_until_cancelled(db: Database) -> None:
    user_id = await make_user(db, "hal")
    await add_generation(db, user_id, "ancient", age=timedelta(days=400))
    await add_generation(db, user_id, "fresh")
    task = asyncio.create_task(retention_loop(db, days=90, every=3600, first_after=0))
    try:
        for _ in range(100):
            async with db.session(user_id=user_id) as session:
                page = await list_generations(session=session, user_id=user_id)
            if page.total == 1:
                break
            await asyncio.sleep(0.02)
        assert [r.prompt for r in page.items] == ["fresh"]
        assert not task.done()  # it sleeps until the next round
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_prepare_database_interrupts_rows_of_dead_processes(db: Database) -> None:
    user_id = await make_user(db, "ivy")
    async with db.session(user_id=user_id) as session:
        dead = await start_generation(
            session=session,
            user_id=user_id,
            provider="p",
            model="m",
            prompt="x",
            runner=f"{socket.gethostname()}:999999999",
        )
        alive = await start_generation(
            session=session,
            user_id=user_id,
            provider="p",
            model="m",
            prompt="y",
            runner="elsewhere:1",
        )
        old = await start_generation(
            session=session,
            user_id=user_id,
            provider="p",
            model="m",
            prompt="z",
            runner="elsewhere:2",
        )
        old.created_at = utc_now() - timedelta(days=1)
    assert await prepare_database(db) == 2
    async with db.session(user_id=user_id) as session:
        statuses = {
            r.id: r.status for r in (await list_generations(session=session, user_id=user_id)).items
        }
    assert statuses == {dead.id: "interrupted", alive.id: "running", old.id: "interrupted"}
