"""Signed-in sessions (``spark.db.web_sessions``) and the first-admin claim, on both databases.

On PostgreSQL everything runs as the app role under row-level security, each transaction acting
for a user exactly as the web app opens them.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from spark.db.engine import Database
from spark.db.models import User, WebSession
from spark.db.types import utc_now
from spark.db.users import (
    create_user,
    get_or_create_user,
    set_disabled,
    set_password,
    sign_up_user,
)
from spark.db.web_sessions import (
    end_user_web_sessions,
    end_web_session,
    forget_expired_web_sessions,
    start_web_session,
    user_for_web_session,
)
from spark.errors import UsageError
from tests.web_support import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

DAY = timedelta(days=1)


async def make_user(db: Database, name: str) -> int:
    async with db.session() as session:
        return (await create_user(session=session, username=name, password=PASSWORD)).id


async def start(db: Database, user_id: int, *, lifetime: timedelta = DAY, now=None) -> str:
    async with db.session(user_id=user_id) as session:
        return await start_web_session(session=session, user_id=user_id, lifetime=lifetime, now=now)


async def owner(db: Database, session_id: str) -> str | None:
    """The username a cookie's session id signs in (looked up acting for nobody, like a
    request before it is known who sent it)."""
    async with db.session() as session:
        user = await user_for_web_session(session=session, session_id=session_id)
    return None if user is None else user.username


async def test_a_session_signs_its_user_in_until_it_ends(db: Database) -> None:
    ada = await make_user(db, "ada")
    sid = await start(db, ada)
    assert await owner(db, sid) == "ada"
    assert await owner(db, sid + "x") is None
    async with db.session(user_id=ada) as session:
        assert await end_web_session(session=session, user_id=ada, session_id=sid)
    assert await owner(db, sid) is None
    async with db.session(user_id=ada) as session:  # ending it again changes nothing
        assert not await end_web_session(session=session, user_id=ada, session_id=sid)


async def test_only_the_session_ids_hash_is_stored(db: Database) -> None:
    ada = await make_user(db, "ada")
    sid = await start(db, ada)
    async with db.session(user_id=ada) as session:
        stored = list(await session.scalars(select(WebSession.id)))
    assert stored == [hashlib.sha256(sid.encode()).hexdigest()]


async def test_ending_every_session_of_a_user_leaves_other_users_alone(db: Database) -> None:
    ada, bob = await make_user(db, "ada"), await make_user(db, "bob")
    adas = [await start(db, ada) for _ in range(3)]
    bobs = await start(db, bob)
    async with db.session(user_id=ada) as session:
        assert await end_user_web_sessions(session=session, user_id=ada) == 3
    assert [await owner(db, sid) for sid in adas] == [None] * 3
    assert await owner(db, bobs) == "bob"


async def test_a_password_change_ends_every_session_of_the_account(db: Database) -> None:
    ada, bob = await make_user(db, "ada"), await make_user(db, "bob")
    adas, bobs = await start(db, ada), await start(db, bob)
    async with db.session(user_id=ada) as session:
        await set_password(session=session, user_id=ada, password="a brand new passphrase")
    assert (await owner(db, adas), await owner(db, bobs)) == (None, "bob")


async def test_sessions_are_changed_only_by_a_transaction_acting_for_their_user(
    db: Database,
) -> None:
    """Under row-level security a transaction acting for nobody would silently change nothing:
    the functions refuse it on both databases instead."""
    ada = await make_user(db, "ada")
    sid = await start(db, ada)
    async with db.session() as session:
        with pytest.raises(ValueError, match="for this user"):
            await start_web_session(session=session, user_id=ada, lifetime=DAY)
        with pytest.raises(ValueError, match="for this user"):
            await end_user_web_sessions(session=session, user_id=ada)
        with pytest.raises(ValueError, match="for this user"):
            await set_password(session=session, user_id=ada, password="another passphrase")
    assert await owner(db, sid) == "ada"


async def test_expired_sessions_sign_nobody_in_and_are_forgotten(db: Database) -> None:
    ada = await make_user(db, "ada")
    old = await start(db, ada, now=utc_now() - 2 * DAY)
    live = await start(db, ada)
    assert (await owner(db, old), await owner(db, live)) == (None, "ada")
    async with db.session() as session:
        assert await forget_expired_web_sessions(session=session) == 1
    async with db.session(user_id=ada) as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 1
    assert await owner(db, live) == "ada"


async def test_a_disabled_or_deleted_account_is_signed_out(db: Database) -> None:
    ada, bob = await make_user(db, "ada"), await make_user(db, "bob")
    adas, bobs = await start(db, ada), await start(db, bob)
    async with db.session() as session:
        await set_disabled(session=session, user_id=ada, disabled=True)
        await session.delete(await session.get(User, bob))
    assert (await owner(db, adas), await owner(db, bobs)) == (None, None)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_row_level_security_hides_other_users_sessions(db: Database) -> None:
    """PostgreSQL, as the app role: acting for bob, ada's sessions cannot be seen or ended."""
    ada, bob = await make_user(db, "ada"), await make_user(db, "bob")
    sid = await start(db, ada)
    async with db.session(user_id=bob) as session:
        assert (await session.execute(text("SELECT count(*) FROM spark_sessions"))).scalar() == 0
        deleted = await session.execute(text("DELETE FROM spark_sessions"))
        assert deleted.rowcount == 0
    async with db.session() as session:  # acting for nobody: nothing at all
        assert (await session.execute(text("SELECT count(*) FROM spark_sessions"))).scalar() == 0
    assert await owner(db, sid) == "ada"


# --- the first admin ----------------------------------------------------------------------------


async def _sign_up(db: Database, name: str) -> bool:
    async with db.session() as session:
        return (await sign_up_user(session=session, username=name, password=PASSWORD)).is_admin


async def test_simultaneous_first_sign_ups_make_one_admin(database_url: str) -> None:
    """Ten sign-ups at once through two connection pools (two instances of the app)."""
    async with Database(database_url) as one, Database(database_url) as two:
        admins = await asyncio.gather(*(_sign_up((one, two)[n % 2], f"u{n}") for n in range(10)))
    assert admins.count(True) == 1


async def test_the_first_admin_is_the_first_account_that_can_sign_in(db: Database) -> None:
    async with db.session() as session:  # the CLI's user has no password: it does not count
        await get_or_create_user(session=session, username="local")
    with pytest.raises(UsageError):  # a failed sign-up gives its claim back
        await _sign_up(db, "local")
    assert await _sign_up(db, "ada")
    assert not await _sign_up(db, "bob")


async def test_no_sign_up_becomes_admin_once_an_account_can_sign_in(db: Database) -> None:
    """An existing database (accounts made before the claim existed, or by `spark users
    create`): nobody signing up later becomes admin."""
    await make_user(db, "ada")
    assert not await _sign_up(db, "bob")
