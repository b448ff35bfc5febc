"""Database URLs and settings: the default SQLite file, driver choice, passwords kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark.config import Settings
from spark.db.engine import Database, describe, normalize_url
from spark.db.errors import DatabaseError


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.database_url.get_secret_value() == (
        f"sqlite+aiosqlite:///{tmp_path / 'data' / 'spark.db'}"
    )
    assert settings.history_retention_days == 90 and settings.cli_user == "local"


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARK_DATABASE_URL", "postgresql://app:pw@db.example/spark")
    monkeypatch.setenv("SPARK_HISTORY_RETENTION_DAYS", "30")
    settings = Settings()
    assert settings.database_url.get_secret_value() == "postgresql://app:pw@db.example/spark"
    assert "pw@" not in repr(settings)  # a URL may carry a password
    assert settings.history_retention_days == 30


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@h/db", "postgresql+psycopg"),
        ("postgres://u:p@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+psycopg"),
    ],
)
def test_async_drivers_are_chosen(raw: str, driver: str) -> None:
    assert normalize_url(raw).drivername == driver


def test_password_never_shown() -> None:
    assert describe(normalize_url("postgresql://u:s3cret@h/db")) == (
        "postgresql+psycopg://u:***@h/db"
    )


@pytest.mark.parametrize("raw", ["mysql://u@h/db", "not a url", "oracle://x"])
def test_unsupported_urls_are_database_errors(raw: str) -> None:
    with pytest.raises(DatabaseError):
        normalize_url(raw)


async def test_unwritable_sqlite_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match="Cannot create the folder"):
        Database(f"sqlite:///{blocker / 'sub' / 'spark.db'}")


@pytest.mark.parametrize(
    ("reason", "hint_has"),
    [
        ("disk I/O error", "disk may be full"),
        ("database or disk is full", "disk may be full"),
        ("attempt to write a readonly database", "not writable"),
        ("unable to open database file", "SPARK_DATABASE_URL"),
    ],
)
def test_sqlite_failures_get_a_hint_that_fits(reason: str, hint_has: str) -> None:
    from spark.db.engine import connection_error

    error = connection_error(normalize_url("sqlite:///x.db"), OSError(reason))
    assert reason in error.message and hint_has in (error.hint or "")
