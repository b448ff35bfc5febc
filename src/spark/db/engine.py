"""Opening SPARK's database: URL handling, connection set-up, and per-user sessions.

``Database(url)`` wraps one SQLAlchemy async engine. SQLite connections get foreign keys
enforced, WAL, a busy timeout and transactions that take the write lock when they begin, so
the CLI and several server processes can share the file without "database is locked".
PostgreSQL transactions opened through :meth:`Database.session` carry the signed-in user in
``spark.user_id`` (``set_config(..., true)``: local to the transaction, so a pooled connection
never leaks one user's identity into another's request). Row-level security reads it. A
transaction acting for nobody sends no ``set_config`` at all: SPARK never sets the value beyond
a transaction, so it is unset (or empty) at every transaction's start, which row-level security
reads as nobody - one round trip fewer for every token check.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from spark.db.errors import DatabaseError
from spark.db.sqlite_trips import use_one_trip_cursors
from spark.private_files import create_private_file, make_private_folder

_HINT = "Check SPARK_DATABASE_URL (and, for PostgreSQL, that the server is running)."
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
_ASYNC_DRIVERS = {"sqlite+aiosqlite", "postgresql+psycopg"}
_READ_ONLY = "spark_read_only"
_ONE_STATEMENT = "spark_one_statement"
_LAST_USED = "spark_last_used"
PING_IDLE_AFTER = 10.0  # seconds: a pooled PostgreSQL connection idle longer is pinged first
_ANNOUNCE_USER = text("SELECT set_config('spark.user_id', :user_id, true)")
# The SQLite databases (by id) whose write turn this context holds: see Database._writer_turn.
_WRITING: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "spark_writing", default=frozenset()
)


def normalize_url(raw: str) -> URL:
    """Parse ``raw`` and pick the async driver (``sqlite://``, ``postgresql://`` work too)."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise DatabaseError(
            "The database URL is not a valid URL.",
            hint="Use sqlite:///path/to/spark.db or postgresql://user:password@host/dbname.",
        ) from None
    backend = url.get_backend_name()
    if backend not in _DRIVERS:
        raise DatabaseError(
            f"Unsupported database '{backend}' in the database URL: SPARK supports SQLite "
            "and PostgreSQL.",
            hint=_HINT,
        )
    if url.drivername not in _ASYNC_DRIVERS:
        url = url.set(drivername=_DRIVERS[backend])
    return url


def describe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(orig).__name__


def connection_error(url: URL, error: BaseException) -> DatabaseError:
    """A one-line :class:`DatabaseError` for a failure to reach the database at ``url``."""
    reason = _first_line(error)
    hint = _HINT
    if url.get_backend_name() == "sqlite" and any(
        words in reason.lower() for words in ("disk", "full", "readonly", "read-only")
    ):
        hint = "The disk may be full, or the file or its folder not writable (SPARK_DATA_DIR)."
    return DatabaseError(f"Cannot use the database {describe(url)}: {reason}.", hint=hint)


class _SparkSession(Session):
    """Session class whose transactions announce the current user to PostgreSQL."""


@event.listens_for(_SparkSession, "after_begin")
def _announce_user(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    user_id = session.info.get("spark_user_id")
    if user_id is not None:  # acting for nobody: the setting is unset already (see below)
        connection.execute(_ANNOUNCE_USER, {"user_id": str(user_id)})


def _stamp_use(_dbapi_connection: Any, record: Any) -> None:
    """``connect`` and ``checkin``: when the pooled connection was last known to work."""
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """``checkout`` on PostgreSQL: ping a connection that lay idle for :data:`PING_IDLE_AFTER`
    seconds or more, and have the pool replace it if the ping fails.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip per
    transaction, a fifth of a cache hit's. A connection in use a moment ago is alive unless the
    server went away since; then its next statement fails, SQLAlchemy invalidates the pool's
    older connections with it, and the next checkouts connect afresh (docs/database.md).
    """
    last = record.info.get(_LAST_USED)
    if last is not None and time.monotonic() - last < PING_IDLE_AFTER:
        return
    try:
        _ping(dbapi_connection)
    except Exception as exc:  # whatever the driver raised: the pool tries a new connection
        raise DisconnectionError(f"the pooled connection did not answer: {exc}") from exc


def _ping(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    # The driver would BEGIN by itself, and only before the first write (the reads before it
    # outside any transaction); _sqlite_begin begins every transaction instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """``BEGIN IMMEDIATE``: take the write lock at the start, waiting for it (busy timeout).

    A transaction that reads, then writes - finishing a history row does - could not wait for
    the lock at its first write: had another process written since its read, SQLite would fail
    it at once with "database is locked" (its snapshot is stale). Taking the lock first makes
    writers queue instead. A session opened ``read_only`` begins deferred: it blocks no writer.
    A transaction of one statement (:meth:`Database.transaction`) needs no BEGIN: SQLite makes
    every statement atomic by itself (a write waits for the lock, up to the busy timeout).
    """
    options = connection.get_execution_options()
    if options.get(_ONE_STATEMENT, False):
        return
    connection.exec_driver_sql("BEGIN" if options.get(_READ_ONLY, False) else "BEGIN IMMEDIATE")


class _Shared:
    """The transaction of one :meth:`Database.sharing` scope (opened at its first block)."""

    __slots__ = ("begun", "busy", "connection", "database", "ended", "failed", "task", "user_id")

    def __init__(self, database: Database) -> None:
        self.database = database
        self.task = asyncio.current_task()
        self.connection: AsyncConnection | None = None
        self.begun: Any = None
        self.user_id: int | None = None  # who the transaction acts for (PostgreSQL)
        self.busy = False
        self.failed = False
        self.ended = False

    def takes(self, database: Database, *, read_only: bool, joins: bool) -> bool:
        return (
            database is self.database
            and not (self.ended or self.failed or self.busy)
            and (read_only or (joins and database.is_postgresql))
            and asyncio.current_task() is self.task
        )

    @asynccontextmanager
    async def join(self, user_id: int | None) -> AsyncIterator[AsyncConnection]:
        database = self.database
        self.busy = True
        try:
            try:
                connection = self.connection
                if connection is None:
                    engine = database.engine
                    if not database.is_postgresql:  # every statement on its own: no BEGIN
                        engine = database.option_engine(((_ONE_STATEMENT, True),))
                    connection = self.connection = await engine.connect()
                    self.begun = await connection.begin()
                if database.is_postgresql and user_id != self.user_id:
                    value = "" if user_id is None else str(user_id)  # '': nobody
                    await connection.execute(_ANNOUNCE_USER, {"user_id": value})
                    self.user_id = user_id
            except DBAPIError as exc:
                raise connection_error(database.url, exc) from None
            try:
                yield connection
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise connection_error(database.url, exc) from None
                raise
        except BaseException:
            self.failed = True
            raise
        finally:
            self.busy = False

    async def yield_to(self, database: Database) -> None:
        """A block of this task that does not join is about to take a connection of its own:
        end the shared transaction first (when no joined block is running), so that no task
        ever holds a pooled connection while it waits for another (a pool emptied by requests
        each holding one would wait forever)."""
        if (
            database is self.database
            and self.connection is not None
            and not self.busy
            and asyncio.current_task() is self.task
        ):
            await self.end()

    async def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            if self.failed:
                await self.begun.rollback()
            else:
                try:
                    await self.begun.commit()
                except DBAPIError as exc:
                    if exc.connection_invalidated:
                        raise connection_error(self.database.url, exc) from None
                    raise
        finally:
            await connection.close()


# This task's Database.sharing scope, if any.
_SHARED: contextvars.ContextVar[_Shared | None] = contextvars.ContextVar(
    "spark_shared", default=None
)


class Database:
    """SPARK's database at one URL. Use ``async with`` (or call :meth:`dispose`) to close it."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = normalize_url(url) if isinstance(url, str) else url
        self.dialect = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            kwargs.update(connect_args={"connect_timeout": 10})
        else:
            self._create_sqlite_folder()
            # Every transaction ends in a commit or a rollback (SQLAlchemy rolls back one still
            # open when its connection closes), so the pool's own rollback on return would be
            # one more trip to aiosqlite's thread for nothing.
            kwargs["pool_reset_on_return"] = None
        try:
            self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError, ImportError, TypeError) as exc:
            raise DatabaseError(
                f"Cannot use the database URL {describe(self.url)}: {_first_line(exc)}.",
                hint=_HINT,
            ) from None
        if self.dialect == "postgresql":
            event.listen(self.engine.sync_engine, "connect", _stamp_use)
            event.listen(self.engine.sync_engine, "checkin", _stamp_use)
            event.listen(self.engine.sync_engine, "checkout", _ping_if_idle)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", use_one_trip_cursors)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        # Per event loop: a Database may be used from more than one (tests, CLI helpers).
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._option_engines: dict[tuple[tuple[str, Any], ...], AsyncEngine] = {}
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_SparkSession
        )

    @classmethod
    def from_settings(cls, settings: Any, *, migration: bool = False) -> Database:
        """The database the settings name (``migration``: the owner's URL, if one is set)."""
        secret = settings.database_url
        if migration and settings.database_migration_url is not None:
            secret = settings.database_migration_url
        return cls(secret.get_secret_value())

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def _create_sqlite_folder(self) -> None:
        """The database's folder (0700) and the file itself (0600, empty: SQLite fills it), so
        nobody else on the machine can read them (nor the -wal/-shm files, which SQLite creates
        with the database file's mode)."""
        name = self.url.database
        if not name or name == ":memory:" or name.startswith("file:"):
            return
        path = Path(name).expanduser()
        try:
            make_private_folder(path.parent)
            fd = create_private_file(path)
            if fd is not None:
                os.close(fd)
        except OSError as exc:
            raise DatabaseError(
                f"Cannot create the folder for the database {name}: {exc.strerror or exc}.",
                hint="Set SPARK_DATA_DIR or SPARK_DATABASE_URL to a writable place.",
            ) from None

    @asynccontextmanager
    async def session(
        self, *, user_id: int | None = None, read_only: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One transaction, committed when the block ends (rolled back on an exception).

        ``user_id`` is the user the transaction acts for; on PostgreSQL row-level security
        lets it see and write only that user's rows (none at all when it is ``None``).
        ``read_only``: the transaction only reads (on SQLite it then takes no write lock).
        """
        shared = _SHARED.get()
        if shared is not None:
            await shared.yield_to(self)
        writer = not read_only and self.dialect == "sqlite" and id(self) not in _WRITING.get()
        async with contextlib.AsyncExitStack() as stack:
            if writer:
                await stack.enter_async_context(self._writer_turn())
            session = await stack.enter_async_context(self._sessions())
            session.info["spark_user_id"] = user_id
            await stack.enter_async_context(session.begin())
            # On SQLite a session opened inside another of the same task begins deferred, as
            # every transaction did before: the outer one may hold the write lock already.
            options = None if writer or self.dialect != "sqlite" else {_READ_ONLY: True}
            try:
                await session.connection(execution_options=options)
            except DBAPIError as exc:
                raise connection_error(self.url, exc) from None
            yield session

    @asynccontextmanager
    async def transaction(
        self,
        *,
        user_id: int | None = None,
        read_only: bool = False,
        statements: int = 2,
        joins: bool = False,
    ) -> AsyncIterator[AsyncConnection]:
        """Like :meth:`session`, but a Core connection (no ORM): for the few statements of
        the hot path (a token's user, a generation's row), where an ORM session adds only
        work. ``statements=1`` promises one statement: SQLite then runs it without a BEGIN.

        Inside a :meth:`sharing` scope a ``read_only`` block (and on PostgreSQL a block that
        says it ``joins``) runs on the scope's one transaction instead of its own.
        """
        shared = _SHARED.get()
        if shared is not None:
            if shared.takes(self, read_only=read_only, joins=joins):
                async with shared.join(user_id) as connection:
                    yield connection
                return
            await shared.yield_to(self)
        writer = not read_only and self.dialect == "sqlite" and id(self) not in _WRITING.get()
        options: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if statements == 1:
                options[_ONE_STATEMENT] = True
            elif not writer:
                options[_READ_ONLY] = True
        engine = self.option_engine(tuple(sorted(options.items()))) if options else self.engine
        async with contextlib.AsyncExitStack() as stack:
            if writer:
                await stack.enter_async_context(self._writer_turn())
            try:
                connection = await stack.enter_async_context(engine.connect())
                await stack.enter_async_context(connection.begin())
                if self.dialect == "postgresql" and user_id is not None:
                    await connection.execute(_ANNOUNCE_USER, {"user_id": str(user_id)})
            except DBAPIError as exc:
                raise connection_error(self.url, exc) from None
            try:
                yield connection
            except DBAPIError as exc:
                if exc.connection_invalidated:  # the server went away: one clear line
                    raise connection_error(self.url, exc) from None
                raise

    @asynccontextmanager
    async def sharing(self) -> AsyncIterator[None]:
        """A scope whose :meth:`transaction` blocks share one transaction, where they can.

        A request that answers from the response cache makes four or five short transactions
        before it has its answer (the token's user, the generation's context, the lookup, the
        record); each costs a pool checkout and, on PostgreSQL, ``BEGIN``, ``set_config`` and
        ``COMMIT`` round trips. In this scope the read-only blocks (on PostgreSQL also the
        blocks that say they ``joins``: a cache hit's record) run on one connection and one
        transaction, opened at the first such block and ended by :meth:`end_sharing` (or when
        the scope ends): committed, or rolled back if a joined block or the scope raised. On
        SQLite the shared connection runs each statement on its own (no ``BEGIN``), as the
        blocks' own one-statement transactions did; writes keep their own transactions (the
        write lock is taken only by the writers). Row-level security follows each block: the
        transaction is told the block's user whenever it changes.

        A block of the scope's task that does not join (a write on SQLite, an ORM session)
        ends the shared transaction before it takes its own connection: no request holds one
        pooled connection while it waits for another, so requests that each hold one cannot
        empty the pool and wait on each other. The blocks after it get their own transactions.
        The scope belongs to the task that opens it: a block of another task (one started
        inside the scope copies it), or one opened inside another joined block, gets its own
        transaction, as outside the scope.
        """
        shared = _Shared(self)
        token = _SHARED.set(shared)
        try:
            yield
        except BaseException:
            shared.failed = True
            raise
        finally:
            _SHARED.reset(token)
            await shared.end()

    def option_engine(self, options: tuple[tuple[str, Any], ...]) -> AsyncEngine:
        """The engine with these execution options, sharing the pool: setting them on each
        connection would be one more switch into SQLAlchemy's greenlet per transaction."""
        engine = self._option_engines.get(options)
        if engine is None:
            engine = self._option_engines[options] = self.engine.execution_options(**dict(options))
        return engine

    def acting_for(self, connection: AsyncConnection, user_id: int) -> None:
        """Note that a statement on ``connection`` made its transaction act for ``user_id``
        (``set_config`` of its own): if it is this task's shared transaction, the next block
        for that user sends none."""
        shared = _SHARED.get()
        if shared is not None and shared.connection is connection:
            shared.user_id = user_id

    async def end_sharing(self) -> None:
        """End this task's :meth:`sharing` scope of this database now (commit its transaction,
        or roll it back if a joined block failed); later blocks get their own transactions.
        Call it before work that must not hold the shared transaction (a provider call)."""
        shared = _SHARED.get()
        if shared is not None and shared.database is self:
            await shared.end()

    @contextlib.asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        """On SQLite, one writing transaction of this process at a time.

        SQLite has one write lock per file; wanted by several connections of one process, the
        losers poll for it (the busy timeout's sleeps) and under load some lost for longer than
        the timeout (4 server workers, 100 generations at a time: up to 13 in 800 failed).
        Queued here instead, in order, only the process's one writer at a time meets other
        processes' writers at the lock.
        """
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        async with lock:
            held = _WRITING.get()
            _WRITING.set(held | {id(self)})
            try:
                yield
            finally:
                _WRITING.set(held)

    async def check(self) -> None:
        """Connect once; raise :class:`DatabaseError` with one clear line if that fails."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            raise connection_error(self.url, exc) from None

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose()
