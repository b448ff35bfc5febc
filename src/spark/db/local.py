"""Opening the database for a process: the CLI (acting for its local user) and the server.

- :func:`prepare_database` is what a process does first: migrate a SQLite database (PostgreSQL
  must be migrated by its owner: ``spark db upgrade``) and mark generations abandoned by
  crashed processes ``interrupted``.
- :func:`open_cli_database` also creates the local user named by ``SPARK_CLI_USER``.
- :func:`retention_loop` is the server's daily ``SPARK_HISTORY_RETENTION_DAYS`` clean-up (and
  the spend and rate limits' rows no request reads again).

Any database failure comes out as one :class:`~spark.db.errors.DatabaseError` line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spark.db.cache import forget_expired_cache
from spark.db.engine import Database, connection_error, describe
from spark.db.errors import DatabaseError
from spark.db.history import cleanup_history, interrupt_abandoned_generations
from spark.db.limits import forget_old_limit_rows
from spark.db.migrate import ensure_schema
from spark.db.sign_in import forget_old_sign_in_failures
from spark.db.types import utc_now
from spark.db.users import get_or_create_user
from spark.db.web_sessions import forget_expired_web_sessions

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.recorder import HistoryRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LocalDatabase:
    """An open database and the user the command acts for."""

    database: Database
    user_id: int
    username: str

    def recorder(self, conversation_id: str | None = None) -> HistoryRecorder:
        """A recorder for one generation of this user."""
        from spark.db.recorder import HistoryRecorder

        return HistoryRecorder(self.database, user_id=self.user_id, conversation_id=conversation_id)


def database_failure(database: Database, exc: SQLAlchemyError) -> DatabaseError:
    """One clear line for an unexpected database error (connection, permission, schema)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return connection_error(database.url, exc)
    orig = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(orig).splitlines() if line.strip()), "")
    return DatabaseError(
        f"The database {describe(database.url)} failed: {first or type(orig).__name__}.",
        hint="Check SPARK_DATABASE_URL and that `spark db upgrade` has run (see README).",
    )


@asynccontextmanager
async def open_database(settings: Settings, *, migration: bool = False) -> AsyncIterator[Database]:
    """The configured database, disposed of at the end; failures as DatabaseError."""
    database = Database.from_settings(settings, migration=migration)
    try:
        yield database
    except SQLAlchemyError as exc:
        raise database_failure(database, exc) from None
    finally:
        await database.dispose()


async def prepare_database(database: Database) -> int:
    """Start-up: make the schema current (SQLite) or check it (PostgreSQL), then mark rows of
    crashed processes ``interrupted``; returns how many were."""
    await ensure_schema(database)
    async with database.session() as session:
        return await interrupt_abandoned_generations(session=session)


async def retention_loop(
    database: Database, *, days: int, every: float = 86400.0, first_after: float = 60.0
) -> None:
    """Delete history older than ``days`` days (and the response-cache entries made from it),
    sign-in failure counts older than a day, expired sessions and expired cache entries, and
    the limits' past counters and ended reservations (in a transaction of its own: it takes
    the limits lock; :func:`spark.db.limits.forget_old_limit_rows`), now and then, until
    cancelled (server task)."""
    await asyncio.sleep(first_after)
    while True:
        try:
            async with database.session() as session:
                deleted = await cleanup_history(session=session, days=days)
                await forget_old_sign_in_failures(
                    session=session, before=utc_now() - timedelta(days=1)
                )
                await forget_expired_web_sessions(session=session)
                await forget_expired_cache(session=session)
            async with database.session() as session:
                limits = await forget_old_limit_rows(session=session)
            log.info("history clean-up: deleted %d generations older than %d days", deleted, days)
            log.info(
                "limits clean-up: deleted %d past counters and %d ended reservations",
                limits.counters,
                limits.reservations,
            )
        except (SQLAlchemyError, DatabaseError):
            log.exception("history clean-up failed; trying again in %g s", every)
        await asyncio.sleep(every)


@asynccontextmanager
async def open_cli_database(settings: Settings) -> AsyncIterator[LocalDatabase]:
    """The database ready for the CLI's user (see the module docstring)."""
    async with open_database(settings) as database:
        await prepare_database(database)
        async with database.session() as session:
            user = await get_or_create_user(session=session, username=settings.cli_user)
            user_id, username = user.id, user.username
        yield LocalDatabase(database, user_id, username)
