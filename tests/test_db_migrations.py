"""Migrations: upgrade from empty, downgrade to base, upgrade again, on SQLite and PostgreSQL;
the models match what the migrations build; the roles are what row-level security needs."""

from __future__ import annotations

import secrets
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, bindparam, inspect, text

from spark.db.engine import Database
from spark.db.errors import SchemaOutOfDateError
from spark.db.migrate import (
    HEAD,
    MIGRATIONS,
    TABLES,
    current_revision,
    downgrade,
    ensure_schema,
    upgrade,
)
from spark.db.models import Base
from spark.db.types import UTCDateTime
from tests.db_fixtures import PostgresServer

EVAL_TABLES = ("spark_eval_runs", "spark_eval_items")  # revision 0013
MONTHLY_TABLE = "spark_usage_monthly"  # revision 0014
REVISION_0012_TABLES = {
    "spark_team_instructions",
    "spark_user_instructions",
    "spark_team_templates",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _model_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection)
    with warnings.catch_warnings():
        # SQLite cannot reflect the lower(username) index; PostgreSQL checks it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return list(compare_metadata(context, Base.metadata))


async def _up_down_up(database: Database) -> None:
    assert await current_revision(database) is None
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(TABLES)
        assert await connection.run_sync(_model_drift) == []
    await downgrade(database, "base")
    assert await current_revision(database) is None
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
    await upgrade(database)
    assert await current_revision(database) == HEAD


def test_head_constant_matches_the_revisions() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


async def test_sqlite_up_down_up(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        await _up_down_up(database)
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def test_postgres_up_down_up(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_migrations"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            await _up_down_up(database)
            async with database.engine.connect() as connection:
                flags = (
                    await connection.execute(
                        text(
                            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                            "WHERE relname = ANY(:names)"
                        ),
                        {"names": list(TABLES)},
                    )
                ).all()
        secured = {name for name, enabled, forced in flags if enabled and forced}
        assert secured == {
            "api_tokens",
            "spark_user_preferences",
            "spark_generation_history",
            "spark_sessions",
            "spark_usage_daily",
            MONTHLY_TABLE,
            "spark_conversations",
            "spark_limit_reservations",
            "spark_user_instructions",
            "spark_response_cache",
        }
    finally:
        postgres.drop_database(name)


async def _sessions_revision_down_and_up(database: Database) -> set[str]:
    """Upgrade, step back over revision 0006 only, and forward again; the functions it left."""
    await upgrade(database)
    await downgrade(database, "0005")
    assert await current_revision(database) == "0005"
    async with database.engine.connect() as connection:
        later = {  # revisions 0006, 0008, 0009 and every one from 0010 on
            "spark_sessions",
            "spark_usage_daily",
            "spark_usage_daily_team",
            "spark_conversations",
            *LIMIT_TABLES,
            *EVAL_TABLES,
            *REVISION_0012_TABLES,
            "spark_response_cache",
            MONTHLY_TABLE,
        }
        assert await connection.run_sync(_tables) == set(TABLES) - later
        functions: set[str] = set()
        if database.is_postgresql:
            found = await connection.execute(
                text("SELECT proname FROM pg_proc WHERE proname LIKE 'spark%session%'")
            )
            functions = set(found.scalars())
    await upgrade(database)
    assert await current_revision(database) == HEAD
    return functions


async def test_sqlite_sessions_revision_down_and_up(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        assert await _sessions_revision_down_and_up(database) == set()


async def test_postgres_sessions_revision_down_and_up(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            assert await _sessions_revision_down_and_up(database) == set()
        functions = postgres.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'spark%session%' ORDER BY 1",
            database=name,
        )
        assert functions == [("spark_forget_expired_sessions",), ("spark_user_id_for_session",)]
    finally:
        postgres.drop_database(name)


async def _chat_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0009 only (its table and columns go) and forward again."""
    await upgrade(database)
    await downgrade(database, "0008")
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(TABLES) - {
            "spark_conversations",
            *LIMIT_TABLES,
            *EVAL_TABLES,
            *REVISION_0012_TABLES,
            "spark_response_cache",
            MONTHLY_TABLE,
        }
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("spark_generation_history")}
        )
        assert "explanation" not in columns and "partial" not in columns
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_model_drift) == []


async def test_sqlite_chat_revision_down_and_up(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        await _chat_revision_down_and_up(database)


async def test_postgres_chat_revision_down_and_up(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            await _chat_revision_down_and_up(database)
    finally:
        postgres.drop_database(name)


LIMIT_TABLES = {"spark_limits", "spark_limit_counters", "spark_limit_reservations"}


async def _limits_revision_down_and_up(database: Database) -> set[str]:
    """Step back over revision 0010 only (its tables, columns and function go) and forward
    again; the limit functions left after the downgrade."""
    await upgrade(database)
    await downgrade(database, "0009")
    functions: set[str] = set()
    async with database.engine.connect() as connection:
        later = LIMIT_TABLES | REVISION_0012_TABLES | set(EVAL_TABLES)
        later |= {"spark_response_cache", MONTHLY_TABLE}
        assert await connection.run_sync(_tables) == set(TABLES) - later
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("spark_generation_history")}
        )
        assert "reserved_usd" not in columns and "settled_usd" not in columns
        if database.is_postgresql:
            found = await connection.execute(
                text("SELECT proname FROM pg_proc WHERE proname LIKE 'spark%limit%'")
            )
            functions = set(found.scalars())
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_model_drift) == []
    return functions


async def test_sqlite_limits_revision_down_and_up(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        assert await _limits_revision_down_and_up(database) == set()


async def test_postgres_limits_revision_down_and_up(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            assert await _limits_revision_down_and_up(database) == set()
        functions = postgres.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'spark%limit%'", database=name
        )
        assert sorted(functions) == [  # 0010's, and 0015's clean-up
            ("spark_expire_limit_reservations",),
            ("spark_forget_old_limit_reservations",),
        ]
    finally:
        postgres.drop_database(name)


def test_app_role_is_neither_superuser_nor_owner_nor_bypassrls(postgres: PostgresServer) -> None:
    [(superuser, bypass)] = postgres.execute(
        f"SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = '{postgres.app}'"
    )
    assert (superuser, bypass) == (False, False)
    owners = postgres.execute(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE tablename IN "
        "('users', 'api_tokens', 'spark_user_preferences', 'spark_generation_history')",
        database=postgres.database,
    )
    assert owners == [(postgres.owner,)]
    # What upgrade granted: the tables, but no maintenance function beyond the listed ones.
    granted = postgres.execute(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants "
        f"WHERE grantee = '{postgres.app}' AND table_name = 'spark_generation_history'",
        database=postgres.database,
    )
    assert {p for (p,) in granted} == {"SELECT", "INSERT", "UPDATE", "DELETE"}


async def test_sqlite_is_migrated_on_first_use(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'new' / 'spark.db'}") as database:
        await ensure_schema(database)
        assert await current_revision(database) == HEAD


async def test_unmigrated_postgres_says_what_to_run(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            with pytest.raises(SchemaOutOfDateError, match="no SPARK tables") as info:
                await ensure_schema(database)
        assert "spark db upgrade" in (info.value.hint or "")
    finally:
        postgres.drop_database(name)


async def test_upgrade_notes_a_missing_app_role(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            notes = await upgrade(database, app_role="no_such_role_here")
        assert len(notes) == 1 and "does not exist" in notes[0]
    finally:
        postgres.drop_database(name)


_MIGRATE_AT_ONCE = """
import asyncio, sys, time
from spark.db.engine import Database
from spark.db.migrate import ensure_schema

async def main() -> None:
    while time.time() < float(sys.argv[2]):
        time.sleep(0.001)
    async with Database("sqlite:///" + sys.argv[1]) as database:
        await ensure_schema(database)

asyncio.run(main())
"""


def test_processes_migrating_a_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Two `spark` commands started together on a new database used to both run the
    migrations; the second failed with "table ... already exists"."""
    import subprocess
    import sys
    import time

    path = tmp_path / "spark.db"
    start = str(time.time() + 2.0)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE_AT_ONCE, str(path), start],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in processes]
    assert [err for err, code in outcomes if code != 0] == []


EVAL_PREVIOUS = "0012"  # the revision r0013 follows


async def _eval_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0013 only (the eval tables and the history's tag go) and
    forward again."""
    await upgrade(database)
    await downgrade(database, EVAL_PREVIOUS)
    assert await current_revision(database) == EVAL_PREVIOUS
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(TABLES) - set(EVAL_TABLES) - {
            "spark_response_cache",
            MONTHLY_TABLE,
        }
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("spark_generation_history")}
        )
        assert "eval_run_id" not in columns
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_model_drift) == []


INSTRUCTIONS_PREVIOUS = "0010"  # the revision r0012 follows


async def _instructions_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0012 only (its tables and history columns go) and forward."""
    await upgrade(database)
    await downgrade(database, INSTRUCTIONS_PREVIOUS)
    assert await current_revision(database) == INSTRUCTIONS_PREVIOUS
    async with database.engine.connect() as connection:
        later = REVISION_0012_TABLES | set(EVAL_TABLES) | {"spark_response_cache", MONTHLY_TABLE}
        assert await connection.run_sync(_tables) == set(TABLES) - later
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("spark_generation_history")}
        )
        assert "team_instructions_version" not in columns
        assert "personal_instructions_version" not in columns
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_model_drift) == []


BOOKS_PREVIOUS = "0011"  # the revision r0015 follows
BOOKS_FUNCTIONS = ("spark_forget_old_limit_reservations", "spark_team_cache_savings")


async def _books_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0015 only (the history's reservation parts, the cached index
    and the two functions go) and forward again."""
    await upgrade(database)
    await downgrade(database, BOOKS_PREVIOUS)
    assert await current_revision(database) == BOOKS_PREVIOUS
    functions = text("SELECT proname FROM pg_proc WHERE proname = ANY(:names)")
    async with database.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("spark_generation_history")}
        )
        assert "reservation_parts" not in columns and "reserved_usd" in columns
        indexes = await connection.run_sync(
            lambda c: {i["name"] for i in inspect(c).get_indexes("spark_generation_history")}
        )
        assert "ix_spark_generation_history_cached" not in indexes
        if database.is_postgresql:
            found = await connection.execute(functions, {"names": list(BOOKS_FUNCTIONS)})
            assert found.all() == []
    await upgrade(database)
    assert await current_revision(database) == HEAD
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_model_drift) == []
        if database.is_postgresql:
            found = await connection.execute(functions, {"names": list(BOOKS_FUNCTIONS)})
            assert sorted(found.scalars()) == list(BOOKS_FUNCTIONS)


MONTHLY_PREVIOUS = "0015"  # the revision r0014 follows


async def _monthly_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0014 only: the monthly rollup and its triggers go, the team view
    and the rebuild work as revision 0008 made them; forward again fills it from the history."""
    await upgrade(database)
    as_ann = text("SELECT set_config('spark.user_id', '1', true)")  # PostgreSQL's row security
    insert = text(
        "INSERT INTO spark_generation_history (user_id, provider, model, prompt, status, "
        "cost_usd, created_at) VALUES (1, 'offline', 'm', 'p', 'succeeded', 0.25, :at)"
    ).bindparams(bindparam("at", type_=UTCDateTime))
    at = datetime.now(UTC) - timedelta(days=40)
    async with database.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO users (id, username, is_admin) VALUES (1, 'ann', true)")
        )
        if database.is_postgresql:
            await connection.execute(as_ann)
        await connection.execute(insert, {"at": at})
    await downgrade(database, MONTHLY_PREVIOUS)
    assert await current_revision(database) == MONTHLY_PREVIOUS
    async with database.engine.begin() as connection:
        assert MONTHLY_TABLE not in await connection.run_sync(_tables)
        if database.is_postgresql:
            await connection.execute(as_ann)
        await connection.execute(insert, {"at": at})  # no trigger left writing to it
        if database.is_postgresql:  # revision 0008's functions again
            team = await connection.execute(
                text("SELECT team_generations FROM spark_team_usage(now() - interval '90 days')")
            )
            assert team.scalar_one() == 2
            await connection.execute(text("SELECT spark_rebuild_usage_daily()"))
    await upgrade(database)
    async with database.engine.begin() as connection:
        if database.is_postgresql:
            await connection.execute(as_ann)
        months = await connection.execute(
            text("SELECT user_id, generations, cost_micros FROM spark_usage_monthly")
        )
        assert months.all() == [(1, 2, 500000)]
        assert await connection.run_sync(_model_drift) == []


STEPS_BACK = [
    _eval_revision_down_and_up,
    _instructions_revision_down_and_up,
    _books_revision_down_and_up,
    _monthly_revision_down_and_up,
]


@pytest.mark.parametrize("step_back", STEPS_BACK)
async def test_sqlite_revision_down_and_up(tmp_path: Path, step_back: Any) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        await step_back(database)


@pytest.mark.parametrize("step_back", STEPS_BACK)
async def test_postgres_revision_down_and_up(postgres: PostgresServer, step_back: Any) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            await step_back(database)
    finally:
        postgres.drop_database(name)


async def _cache_revision_down_and_up(database: Database) -> None:
    """Step back over revision 0011 only: a cache hit stays a success, the status CHECK takes
    'cached' only while 0011 is applied, the rollup triggers keep working; forward again."""
    await upgrade(database)
    as_ann = text("SELECT set_config('spark.user_id', '1', true)")  # PostgreSQL's row security
    insert = text(
        "INSERT INTO spark_generation_history (user_id, provider, model, prompt, status) "
        "VALUES (1, 'offline', 'm', 'p', :status)"
    )
    async with database.engine.begin() as connection:
        await connection.execute(text("INSERT INTO users (id, username) VALUES (1, 'ann')"))
        if database.is_postgresql:
            await connection.execute(as_ann)
        await connection.execute(insert, {"status": "cached"})
    await downgrade(database, "0013")
    async with database.engine.connect() as connection:
        if database.is_postgresql:
            await connection.execute(as_ann)
        statuses = await connection.execute(text("SELECT status FROM spark_generation_history"))
        assert statuses.scalars().all() == ["succeeded"]
        assert {"spark_response_cache", MONTHLY_TABLE}.isdisjoint(
            await connection.run_sync(_tables)
        )
    with pytest.raises(Exception, match=r"(?i)check"):
        async with database.engine.begin() as connection:
            if database.is_postgresql:
                await connection.execute(as_ann)
            await connection.execute(insert, {"status": "cached"})
    await upgrade(database)
    async with database.engine.begin() as connection:
        if database.is_postgresql:
            await connection.execute(as_ann)
        await connection.execute(insert, {"status": "cached"})
        rolled = await connection.execute(
            text("SELECT status, generations FROM spark_usage_daily ORDER BY status")
        )
        assert rolled.all() == [("cached", 1), ("succeeded", 1)]
        if not database.is_postgresql:
            check = await connection.execute(text("PRAGMA integrity_check"))
            assert check.scalar_one() == "ok"
        assert await connection.run_sync(_model_drift) == []


async def test_sqlite_cache_revision_down_and_up(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'spark.db'}") as database:
        await _cache_revision_down_and_up(database)


async def test_postgres_cache_revision_down_and_up(postgres: PostgresServer) -> None:
    name = f"{postgres.database}_{secrets.token_hex(2)}"
    postgres.create_database(name)
    try:
        async with Database(postgres.url("owner", name)) as database:
            await _cache_revision_down_and_up(database)
    finally:
        postgres.drop_database(name)
