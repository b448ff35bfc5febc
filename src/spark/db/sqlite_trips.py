"""One trip to aiosqlite's thread per SQLite statement, not four.

aiosqlite runs every SQLite call on a thread of its own; each call is a trip there and back
(a queue, a thread switch, a wake-up of the event loop). SQLAlchemy's cursor over aiosqlite
makes four trips per statement: open a cursor, execute, fetch the rows, close the cursor. On a
2-core machine a trip costs 0.05-0.1 ms of CPU, and SQLAlchemy's greenlet switches around each
add as much again: about 0.25 ms of a statement's 0.4 ms (``bench/cache.py``'s ``1 transaction``
row and docs/benchmarks.md). A generation makes five statements and a cache hit four, so this
is a good part of what the server spends on them.

:class:`OneTripCursor` does the four steps in one function run on aiosqlite's thread, and keeps
the rows, the description, ``rowcount`` and ``lastrowid`` for SQLAlchemy to read. It is put in
place by :func:`use_one_trip_cursors` (a ``connect`` event of the engine): the connection
SQLAlchemy made gets a subclass whose ``cursor()`` returns it. Server-side cursors (results
streamed in parts) keep SQLAlchemy's own. The subclass also skips the trip of a commit or a
rollback when SQLite has no transaction open (``sqlite3.Connection.in_transaction``): after a
transaction of one statement, which SPARK runs without ``BEGIN`` (SQLite commits it by
itself), the driver's commit would only find that out on the thread.

The connection's class, its ``_connection`` (the aiosqlite connection), that connection's
``_execute`` and ``_conn`` are what SQLAlchemy's own adapter uses too;
:func:`one_trip_supported` checks they are there, and where they are not (another SQLAlchemy
or aiosqlite) the stock cursor stays: slower, never wrong.
``tests/test_db_sqlite_trips.py`` checks the swap happens with the versions installed, so an
upgrade that defeats it fails a test instead of quietly costing time.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.util import await_only

_Result = tuple[Any, list[Any], int, int | None]
_SUBCLASSES: dict[type, type] = {}


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Result:
    """On aiosqlite's thread: execute, fetch everything, close."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """A DB-API cursor for SQLAlchemy over one aiosqlite connection: each ``execute`` is one
    trip to aiosqlite's thread, which leaves every row here (SQLAlchemy buffers them anyway
    for non-streamed results)."""

    server_side = False
    __slots__ = ("_adapted", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapted: Any) -> None:
        self._adapted = adapted
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        driver = self._adapted._connection
        try:
            result: _Result = await_only(
                driver._execute(_run, driver._conn, operation, parameters, many)
            )
        except Exception as error:
            self._adapted._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = result
        self._rows = collections.deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._trip(operation, parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._trip(operation, seq_of_parameters, True)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async results call this to close the driver's cursor early: the
        SQLite cursor was closed on its thread already."""

    def setinputsizes(self, *sizes: Any) -> None:
        """Not used by SQLite."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Not used by SQLite."""


def one_trip_supported(dbapi_connection: Any) -> bool:
    """Whether ``dbapi_connection`` (SQLAlchemy's adapted aiosqlite connection) has what
    :class:`OneTripCursor` uses."""
    driver = getattr(dbapi_connection, "_connection", None)
    return (
        callable(getattr(dbapi_connection, "cursor", None))
        and callable(getattr(dbapi_connection, "_handle_exception", None))
        and callable(getattr(driver, "_execute", None))
        and isinstance(getattr(driver, "_conn", None), sqlite3.Connection)
    )


def _one_trip_class(base: type) -> type:
    found = _SUBCLASSES.get(base)
    if found is None:

        def cursor(self: Any, server_side: bool = False) -> Any:
            if server_side:
                return base.cursor(self, server_side=True)  # type: ignore[attr-defined]
            return OneTripCursor(self)

        def commit(self: Any) -> None:
            if _in_transaction(self):
                base.commit(self)  # type: ignore[attr-defined]

        def rollback(self: Any) -> None:
            if _in_transaction(self):
                base.rollback(self)  # type: ignore[attr-defined]

        namespace = {
            "__slots__": (),
            "cursor": cursor,
            "commit": commit,
            "rollback": rollback,
            "__module__": __name__,
        }
        found = _SUBCLASSES[base] = type(f"OneTrip{base.__name__}", (base,), namespace)
    return found


def _in_transaction(adapted: Any) -> bool:
    """Whether SQLite has a transaction open on the connection (else a commit or a rollback
    would do nothing: no trip). True when that cannot be read (a closed connection): the
    stock method then says what is wrong."""
    try:
        return bool(adapted._connection._conn.in_transaction)
    except Exception:
        return True


def use_one_trip_cursors(dbapi_connection: Any, _record: Any = None) -> None:
    """A ``connect`` event: give SQLAlchemy's new aiosqlite connection one-trip cursors (if
    :func:`one_trip_supported`)."""
    if one_trip_supported(dbapi_connection):
        dbapi_connection.__class__ = _one_trip_class(type(dbapi_connection))
