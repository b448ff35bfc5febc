"""The database commands, and `spark generate` recording into the history they show."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from spark.db.engine import Database
from spark.db.history import list_generations, start_generation
from spark.db.migrate import HEAD
from spark.db.types import utc_now
from spark.db.users import get_user_by_username, user_for_token
from tests.db_fixtures import PostgresServer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `spark ...` in a clean folder with extra environment; (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str], stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), env=env, input=stdin, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_generate_records_history_and_stats(spark, database_url: str) -> None:
    env = {"SPARK_DATABASE_URL": database_url}
    assert (
        spark("generate", "rotate an object at 90 degrees per second", "-o", "out/", env=env)[0]
        == 0
    )
    assert spark("generate", "a door that opens", "-o", "out/", env=env)[0] == 0
    code, out, _ = spark("history", "--json", env=env)
    assert code == 0
    rows = json.loads(out)
    assert [r["class_name"] for r in rows] == ["DoorTrigger", "Rotator"]  # newest first
    assert {r["status"] for r in rows} == {"succeeded"}
    assert all(r["provider"] == "offline" and r["input_tokens"] > 0 for r in rows)
    code, out, _ = spark("stats", "--json", env=env)
    figures = json.loads(out)
    assert (figures["total_generations"], figures["succeeded"], figures["success_rate"]) == (
        2,
        2,
        100.0,
    )
    assert figures["provider_counts"] == {"offline": 2}
    assert figures["by_day"][0]["generations"] == 2
    code, out, _ = spark("history", "--limit", "1", env=env)
    assert code == 0 and "DoorTrigger" in out and "Rotator" not in out
    code, out, _ = spark("stats", "--days", "7", env=env)
    assert code == 0 and "success rate" in out and "100.0%" in out and "spark-templates" in out


def test_default_database_is_a_file_in_the_data_dir(spark, tmp_path: Path) -> None:
    env = {"SPARK_DATA_DIR": str(tmp_path / "data")}
    code, _, err = spark("history", env=env)
    assert code == 0 and "No generations yet" in err
    assert (tmp_path / "data" / "spark.db").is_file()
    code, out, _ = spark("db", "current", env=env)
    assert code == 0 and out.strip() == f"{HEAD} (up to date)"


def test_users_and_tokens(spark, database_url: str) -> None:
    env = {"SPARK_DATABASE_URL": database_url}
    code, out, _ = spark(
        "users",
        "create",
        "Ada",
        "--admin",
        "--password-stdin",
        env=env,
        stdin="analytical engine\n",
    )
    assert code == 0 and "Created administrator Ada" in out
    code, _, err = spark(
        "users", "create", "ada", "--password-stdin", env=env, stdin="whatever123\n"
    )
    assert code == 2 and "already exists" in err and "Traceback" not in err
    code, out, _ = spark("users", "list", "--json", env=env)
    [user] = json.loads(out)
    assert (user["username"], user["is_admin"], user["can_sign_in"]) == ("Ada", True, True)
    code, out, err = spark("tokens", "create", "ci", "--user", "ada", env=env)
    assert code == 0 and err == ""
    token = out.strip()
    assert out == token + "\n" and token.startswith("spark_")  # only the token, for scripts

    async def owner_of_token() -> str | None:
        async with Database(database_url) as db, db.session() as session:
            found = await user_for_token(session=session, token=token)
            return None if found is None else found.username

    assert asyncio.run(owner_of_token()) == "Ada"
    code, _, err = spark("tokens", "create", "ci", "--user", "nobody", env=env)
    assert code == 2 and "No user called 'nobody'" in err


def test_password_prompt_asks_twice(spark, database_url: str) -> None:
    env = {"SPARK_DATABASE_URL": database_url}
    code, out, _ = spark("users", "create", "bob", env=env, stdin="pass-word-1\npass-word-1\n")
    assert code == 0 and "Created user bob" in out


def test_cleanup_uses_the_retention_setting(spark, database_url: str) -> None:
    async def seed() -> None:
        async with Database(database_url) as db:
            from spark.db.users import create_user

            async with db.session() as session:
                user = await create_user(session=session, username="old-timer")
            async with db.session(user_id=user.id) as session:
                for age in (5, 40, 100):
                    row = await start_generation(
                        session=session, user_id=user.id, provider="p", model="m", prompt="x"
                    )
                    row.created_at = utc_now() - timedelta(days=age)

    asyncio.run(seed())
    env = {"SPARK_DATABASE_URL": database_url, "SPARK_HISTORY_RETENTION_DAYS": "60"}
    code, out, _ = spark("db", "cleanup", env=env)
    assert (code, out.strip()) == (0, "Deleted 1 generation older than 60 days.")
    code, out, _ = spark("db", "cleanup", "--days", "30", env=env)
    assert (code, out.strip()) == (0, "Deleted 1 generation older than 30 days.")


def test_cleanup_forgets_past_limit_counters_and_ended_reservations(
    spark, database_url: str
) -> None:
    from decimal import Decimal

    from spark.db.limits import DatabaseQuota, set_limits
    from spark.limits import TEAM, Limits

    async def seed() -> None:
        async with Database(database_url) as db:
            from spark.db.users import create_user

            async with db.session() as session:
                user = await create_user(session=session, username="spender")
                # A limit applies, so the reservation is held (a row, a slot, counters).
                await set_limits(
                    session=session, admin_id=None, scope=TEAM, limits=Limits(daily_usd=Decimal(9))
                )
            ago = utc_now() - timedelta(days=3)
            quota = DatabaseQuota(db, user_id=user.id, clock=lambda: ago)
            held = await quota.reserve(provider="anthropic", model="m", amount=Decimal("0.01"))
            await quota.settle(held, Decimal("0.01"))

    asyncio.run(seed())
    env = {"SPARK_DATABASE_URL": database_url}
    code, out, _ = spark("db", "cleanup", env=env)
    # The user's, the team's and the provider's day (and month, when 3 days ago was last
    # month's) and the two minutes; the reservation.
    lines = out.strip().splitlines()
    assert code == 0 and lines[0] == "Deleted 0 generations older than 90 days."
    assert lines[1].startswith("Deleted ") and lines[1].endswith(" and 1 ended reservation.")
    assert int(lines[1].split()[1]) in (5, 8)  # 3 days (+ 3 months) + 2 minutes
    code, out, _ = spark("db", "cleanup", env=env)
    assert (code, out.strip()) == (0, "Deleted 0 generations older than 90 days.")


def test_db_upgrade_on_sqlite(spark, tmp_path: Path) -> None:
    env = {"SPARK_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    code, out, _ = spark("db", "upgrade", env=env)
    assert code == 0 and f"is at revision {HEAD}" in out and "fresh.db" in out


def test_db_upgrade_on_postgres_as_owner_grants_the_app_role(
    spark, postgres: PostgresServer
) -> None:
    name = f"{postgres.database}_cli"
    postgres.create_database(name)
    try:
        env = {
            "SPARK_DATABASE_URL": postgres.url("app", name),
            "SPARK_DATABASE_MIGRATION_URL": postgres.url("owner", name),
            "SPARK_DATABASE_APP_ROLE": postgres.app,
        }
        code, _, err = spark("history", env=env)
        assert code == 2 and "no SPARK tables" in err and "spark db upgrade" in err
        code, out, err = spark("db", "upgrade", env=env)
        assert code == 0 and f"is at revision {HEAD}" in out and postgres.password not in out + err
        code, _, err = spark("generate", "a rotating cube", "-o", "out/", env=env)
        assert code == 0, err
        code, out, _ = spark("history", "--json", env=env)
        assert [r["status"] for r in json.loads(out)] == ["succeeded"]
    finally:
        postgres.drop_database(name)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://root@127.0.0.1/spark", "Unsupported database 'mysql'"),
        ("::not a url::", "not a valid URL"),
        ("postgresql://nobody:secret-pw@127.0.0.1:1/spark", "Cannot use the database"),
    ],
)
@pytest.mark.parametrize(
    "command", [["history"], ["stats"], ["generate", "a cube"], ["db", "upgrade"]]
)
def test_a_bad_database_url_is_one_clear_line(
    spark, url: str, words: str, command: list[str]
) -> None:
    code, out, err = spark(*command, env={"SPARK_DATABASE_URL": url})
    assert code == 2
    assert words in err and "Traceback" not in err and "secret-pw" not in out + err
    assert err.splitlines()[0].startswith("Error: ")
    assert len([line for line in err.splitlines() if line.startswith("Error")]) == 1


def test_history_of_the_cli_user_only(spark, database_url: str) -> None:
    env = {"SPARK_DATABASE_URL": database_url, "SPARK_CLI_USER": "me"}
    assert spark("generate", "a rotating cube", "-o", "out/", env=env)[0] == 0
    code, out, _ = spark("history", "--json", env={**env, "SPARK_CLI_USER": "someone-else"})
    assert (code, json.loads(out)) == (0, [])

    async def rows_of_me() -> int:
        async with Database(database_url) as db, db.session() as session:
            me = await get_user_by_username(session=session, username="me")
            assert me is not None and me.password_hash is None
        async with Database(database_url) as db, db.session(user_id=me.id) as session:
            return (await list_generations(session=session, user_id=me.id)).total

    assert asyncio.run(rows_of_me()) == 1
