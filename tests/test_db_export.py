"""CSV export of a user's history, on both databases, and `spark history --csv`."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from spark.db import export
from spark.db.engine import Database
from spark.db.export import CSV_COLUMNS, history_csv_lines, safe_cell, write_history_csv
from spark.db.models import GenerationRecord
from spark.db.types import utc_now
from spark.db.users import create_user

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("a door = open", "a door = open"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (True, "True"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


async def make_users(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        a = (await create_user(session=session, username="ada")).id
        b = (await create_user(session=session, username="bob")).id
    return a, b


def record(user_id: int, prompt: str, hours_ago: float, **kw: object) -> GenerationRecord:
    values: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-sonnet-5-5",
        "prompt": prompt,
        "status": "succeeded",
        "input_tokens": 120,
        "output_tokens": 800,
        "cost_usd": Decimal("0.008240"),
        "generation_ms": 4321,
        "created_at": utc_now() - timedelta(hours=hours_ago),
    }
    values.update(kw)
    return GenerationRecord(user_id=user_id, **values)


async def export_rows(db: Database, user_id: int) -> list[dict[str, str]]:
    out = io.StringIO()
    async with db.session(user_id=user_id) as session:
        written = await write_history_csv(out, session=session, user_id=user_id)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert written == len(rows)
    return rows


async def test_export_is_the_users_rows_newest_first_and_injection_safe(db: Database) -> None:
    a, b = await make_users(db)
    async with db.session(user_id=a) as session:
        session.add_all(
            [
                record(a, "=cmd|' /C calc'!A0", 2, class_name="Door"),
                record(a, 'a "quoted", multi\nline prompt', 1, status="failed", cost_usd=None),
            ]
        )
    async with db.session(user_id=b) as session:
        session.add(record(b, "bob's secret", 1))
    rows = await export_rows(db, a)
    assert [r["prompt"] for r in rows] == ['a "quoted", multi\nline prompt', "'=cmd|' /C calc'!A0"]
    assert rows[1]["class_name"] == "Door" and rows[1]["cost_usd"] == "0.008240"
    assert rows[1]["generation_ms"] == "4321" and rows[1]["input_tokens"] == "120"
    assert rows[0]["status"] == "failed" and rows[0]["cost_usd"] == ""
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert "bob" not in str(rows)


async def test_export_pages_through_many_rows(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "_PAGE", 3)
    a, _ = await make_users(db)
    same_time = utc_now() - timedelta(hours=1)
    async with db.session(user_id=a) as session:
        session.add_all([record(a, f"p{n}", 0, created_at=same_time) for n in range(7)])
        session.add(record(a, "newest", 0.1))
    rows = await export_rows(db, a)
    assert len(rows) == 8 and rows[0]["prompt"] == "newest"
    assert sorted(r["prompt"] for r in rows[1:]) == [f"p{n}" for n in range(7)]
    assert len({r["id"] for r in rows}) == 8  # ties on created_at neither lost nor repeated


async def test_export_since_and_empty(db: Database) -> None:
    a, b = await make_users(db)
    async with db.session(user_id=a) as session:
        session.add_all([record(a, "old", 24 * 10), record(a, "new", 1)])
    async with db.session(user_id=a) as session:
        lines = [
            line
            async for line in history_csv_lines(
                session=session, user_id=a, since=utc_now() - timedelta(days=1)
            )
        ]
    assert len(lines) == 2 and lines[0].startswith("id,created_at") and "new" in lines[1]
    assert await export_rows(db, b) == []


def test_cli_history_csv(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SPARK_DATABASE_URL": database_url}
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "a door that opens", "-o", "out/"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["history", "--csv", "history.csv"], env=env)
    assert result.exit_code == 0, result.output
    assert "Wrote 1 generation(s)" in result.stderr
    with (tmp_path / "history.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["prompt"], r["provider"], r["status"]) for r in rows] == [
        ("a door that opens", "offline", "succeeded")
    ]
    result = runner.invoke(app, ["history", "--csv", "-"], env=env)
    assert result.exit_code == 0 and result.stdout.startswith("id,created_at,")
    result = runner.invoke(
        app, ["history", "--csv", str(tmp_path / "no" / "such" / "f.csv")], env=env
    )
    assert result.exit_code == 2 and "Cannot write" in result.stderr
