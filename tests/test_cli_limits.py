"""`spark limits` and `spark generate` meeting a limit, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from tests.fakes.upstream import FakeUpstream


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `spark ...` in a clean folder with extra environment; (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_set_show_and_clear(spark, database_url: str) -> None:
    env = {"SPARK_DATABASE_URL": database_url}
    assert spark("generate", "a door that opens", "-o", "out/", env=env)[0] == 0  # makes "local"
    code, out, err = spark(
        "limits", "set", "--user", "local", "--daily", "5", "--monthly", "50", env=env
    )
    assert code == 0, err
    assert "daily $ 5.00" in out and "monthly $ 50.00" in out
    assert spark("limits", "set", "--team", "--rpm", "60", "--concurrent", "4", env=env)[0] == 0
    assert spark("limits", "set", "--provider", "anthropic", "--daily", "20", env=env)[0] == 0
    assert spark("limits", "set", "--default", "--daily", "1", env=env)[0] == 0
    assert spark("limits", "set", "--user", "local", "--monthly", "none", env=env)[0] == 0
    code, out, _ = spark("limits", "show", "--json", env=env)
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["local"]["daily_usd"] == "5.00" and rows["local"]["monthly_usd"] is None
    assert rows["team"]["requests_per_minute"] == 60 and rows["team"]["concurrent"] == 4
    assert rows["provider:anthropic"]["daily_usd"] == "20.00"
    assert rows["default"]["daily_usd"] == "1.00"
    code, out, _ = spark("limits", "show", env=env)
    assert code == 0 and "local" in out and "20.00" in out
    assert spark("limits", "clear", "--user", "local", env=env)[0] == 0
    code, out, _ = spark("limits", "show", "--json", env=env)
    assert "local" not in {row["name"] for row in json.loads(out)}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--team", "--daily", "-1"), "negative"),
        (("--team", "--daily", "NaN"), "finite"),
        (("--team", "--daily", "1e999"), "more than"),
        (("--team", "--daily", "five"), "number"),
        (("--team", "--rpm", "2.5"), "whole number"),
        (("--team", "--daily", "5\x00"), "number"),
        (("--user", "nobody", "--daily", "1"), "no user"),
        (("--provider", "acme", "--daily", "1"), "Unknown provider"),
        (("--provider", "openai", "--rpm", "1"), "spend limits only"),
        (("--team", "--default", "--daily", "1"), "exactly one"),
        (("--daily", "1"), "exactly one"),
    ],
)
def test_bad_values_are_one_clear_line(
    spark, database_url: str, args: tuple[str, ...], words: str
) -> None:
    code, out, err = spark("limits", "set", *args, env={"SPARK_DATABASE_URL": database_url})
    assert code != 0 and words in err and "Traceback" not in err
    code, out, _ = spark("limits", "show", "--json", env={"SPARK_DATABASE_URL": database_url})
    assert json.loads(out) == []  # nothing was changed


def test_generate_is_refused_by_the_budget(
    spark, database_url: str, upstream: FakeUpstream
) -> None:
    env = {
        "SPARK_DATABASE_URL": database_url,
        "ANTHROPIC_API_KEY": "sk-ant-test-key",
        "ANTHROPIC_BASE_URL": upstream.anthropic_base_url,
    }
    assert spark("limits", "set", "--team", "--daily", "0.001", env=env)[0] == 0
    code, out, err = spark("generate", "a coin", "--provider", "anthropic", "-o", "out/", env=env)
    assert code != 0
    assert "team's daily limit of $0.001" in err and "resets at" in err
    assert upstream.anthropic.history == []
    code, out, _ = spark("history", "--json", env=env)
    assert json.loads(out) == []  # not a generation
