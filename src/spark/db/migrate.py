"""Schema migrations without an alembic.ini: Alembic configured in code, run on our engine.

- :func:`upgrade` / :func:`downgrade` run the revisions in ``migrations/versions``; on
  PostgreSQL :func:`upgrade` then grants the app role what it needs (see docs/database.md).
- :func:`ensure_schema` is what every entry point calls first: SQLite is upgraded
  automatically (it is the zero-set-up default); PostgreSQL must already be at the head
  revision (``spark db upgrade``, run as the table owner), or a clear error says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from spark.db.engine import Database, connection_error
from spark.db.errors import DatabaseError, SchemaOutOfDateError

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test keeps the two in step). Knowing it here
# lets a process check the schema without importing Alembic.
HEAD = "0016"  # 0011 follows 0013, 0015 follows 0011, 0014 follows 0015, 0016 follows 0014
TABLES = (
    "users",
    "api_tokens",
    "spark_user_preferences",
    "spark_generation_history",
    "spark_site_settings",
    "spark_sign_in_failures",
    "spark_sessions",
    "spark_usage_daily",
    "spark_usage_daily_team",
    "spark_usage_monthly",
    "spark_conversations",
    "spark_limits",
    "spark_limit_counters",
    "spark_limit_reservations",
    "spark_eval_runs",
    "spark_eval_items",
    "spark_team_instructions",
    "spark_user_instructions",
    "spark_team_templates",
    "spark_response_cache",
)
# Read and written only by SPARK's SECURITY DEFINER functions and triggers: the app role gets
# no rights on it (it holds everyone's figures together).
OWNER_ONLY_TABLES = ("spark_usage_daily_team",)

log = logging.getLogger(__name__)


@contextmanager
def _migration_lock(database: Database) -> Iterator[None]:
    """An inter-process lock beside a SQLite file (none for an in-memory database)."""
    name = database.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        yield
        return
    from filelock import FileLock

    with FileLock(f"{Path(name).expanduser()}.migrate-lock", mode=0o600):
        yield


def _alembic_config(connection: Connection) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _read_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if rows else None


async def current_revision(database: Database) -> str | None:
    """The revision the database is at (``None``: empty database)."""
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(_read_revision)
    except DBAPIError as exc:
        raise connection_error(database.url, exc) from None


async def upgrade(
    database: Database, revision: str = "head", *, app_role: str | None = None
) -> list[str]:
    """Upgrade to ``revision``; on PostgreSQL grant ``app_role`` access. Returns notes to show."""
    from alembic import command

    def run(connection: Connection) -> list[str]:
        command.upgrade(_alembic_config(connection), revision)  # type: ignore[arg-type]
        if connection.dialect.name == "postgresql" and app_role:
            return grant_app_role(connection, app_role)
        return []

    await database.check()  # an unreachable server is not a failed migration
    try:
        async with database.engine.connect() as connection:
            notes = await connection.run_sync(run)
            await connection.commit()
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise connection_error(database.url, exc) from None
        raise DatabaseError(
            f"The migration failed: {str(exc.orig).strip().splitlines()[0]}",
            hint="Run `spark db upgrade` as the owner of the tables "
            "(SPARK_DATABASE_MIGRATION_URL).",
        ) from exc
    return notes


async def downgrade(database: Database, revision: str = "base") -> None:
    """Downgrade to ``revision`` (``base``: drop everything SPARK created)."""
    from alembic import command

    def run(connection: Connection) -> None:
        command.downgrade(_alembic_config(connection), revision)  # type: ignore[arg-type]

    async with database.engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Grant ``role`` use of SPARK's tables and functions (idempotent). Returns notes to show."""
    from spark.db.migrations.versions import (
        r0002_postgres_security,
        r0003_team_stats,
        r0006_sessions,
        r0008_usage_rollup,
        r0010_limits,
        r0011_fallback_cache,
        r0015_team_books,
    )

    exists = connection.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if exists is None:
        return [
            f"The app role {role} does not exist, so nothing was granted to it; create it "
            "(see docs/database.md) and run `spark db upgrade` again."
        ]
    if role == connection.execute(text("SELECT current_user")).scalar_one():
        return [
            f"The app connects as the table owner ({role}): row-level security still applies "
            "(it is forced), but a separate app role is safer."
        ]
    quoted = connection.dialect.identifier_preparer.quote(role)
    tables = ", ".join(t for t in TABLES if t not in OWNER_ONLY_TABLES)
    connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {quoted}"))
    connection.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))
    sequences = connection.execute(
        text(
            "SELECT pg_get_serial_sequence(quote_ident(table_name), 'id') "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND column_name = 'id' AND table_name = ANY(:tables)"
        ),
        {"tables": list(TABLES)},
    ).scalars()
    for sequence in sequences:
        if sequence:
            connection.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {quoted}"))
    signatures = (
        r0002_postgres_security.function_signatures()
        + r0003_team_stats.function_signatures()
        + r0006_sessions.function_signatures()
        + r0008_usage_rollup.function_signatures()
        + r0010_limits.function_signatures()
        + r0011_fallback_cache.function_signatures()
        + r0015_team_books.function_signatures()
    )
    for signature in signatures:
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION {signature} TO {quoted}"))
    notes = []
    superuser, bypass = exists
    if superuser or bypass:
        notes.append(
            f"The app role {role} is a superuser or has BYPASSRLS: row-level security does not "
            "apply to it. Use a plain role (see docs/database.md)."
        )
    log.debug("granted %s access to %s and SPARK's functions", role, TABLES)
    return notes


async def ensure_schema(database: Database, *, app_role: str | None = None) -> None:
    """Make sure the schema is current: upgrade SQLite, check PostgreSQL."""
    revision = await current_revision(database)
    if revision == HEAD:
        return
    if not database.is_postgresql:
        # Several processes may open a new file at once (two CLI commands, the workers of
        # `spark serve`): one migrates while the others wait, then find it current.
        with _migration_lock(database):
            if await current_revision(database) != HEAD:
                await upgrade(database)
        return
    if revision is None:
        raise SchemaOutOfDateError(
            "The PostgreSQL database has no SPARK tables yet.",
            hint="Run `spark db upgrade` as the table owner (SPARK_DATABASE_MIGRATION_URL).",
        )
    raise SchemaOutOfDateError(
        f"The database schema is at revision {revision}; this SPARK needs {HEAD}.",
        hint="Run `spark db upgrade` as the table owner (SPARK_DATABASE_MIGRATION_URL).",
    )
