"""SPARK's storage: users, API tokens, preferences and generation history.

SQLite (the default, a file in ``SPARK_DATA_DIR``) or PostgreSQL with row-level security,
through SQLAlchemy 2 (async) and Alembic. Modules:

- ``engine``: :class:`Database` (URL, connection set-up, per-user transactions);
- ``migrate``: schema upgrades without an alembic.ini; ``migrations/``: the revisions;
- ``models``: the tables; ``types``: portable column types;
- ``users``, ``preferences``, ``history``, ``stats``: keyword-only repository functions that take
  an ``AsyncSession`` from :meth:`Database.session`;
- ``recorder``: :class:`HistoryRecorder`, which the orchestrator calls to record a generation;
- ``local``: opening the database for the CLI (and its local user).

Importing this package imports SQLAlchemy: command-line code imports it inside functions.
"""

from spark.db.engine import Database
from spark.db.errors import DatabaseError, SchemaOutOfDateError

__all__ = ["Database", "DatabaseError", "SchemaOutOfDateError"]
