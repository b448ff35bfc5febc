"""`spark history` gives back any generation whole: `show ID` (text, `--code`, `--json`), and
the code in `--json` and `--csv`; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from tests.fakes.upstream import FakeUpstream, Fault
from tests.test_cli import fake_env


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):
    """Run `spark ...` on the test's database; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        full = {"SPARK_DATABASE_URL": database_url, **(env or {})}
        result = CliRunner().invoke(app, list(args), env=full, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def generated(spark, prompt: str) -> tuple[int, str]:
    """Generate offline; the history id and the code, from the JSON result."""
    code, out, err = spark("generate", prompt, "-o", "out/", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert Path(data["path"]).read_text() == data["code"]
    return data["history_id"], data["code"]


def test_show_gives_back_everything(spark) -> None:
    first, first_code = generated(spark, "rotate an object at 90 degrees per second")
    second, second_code = generated(spark, "a door that opens")
    assert first != second and first_code != second_code

    code, out, _ = spark("history", "show", str(first), "--code")
    assert (code, out) == (0, first_code)  # exactly the code, nothing else
    code, out, _ = spark("history", "show", str(second))
    assert code == 0
    for words in (
        f"Generation {second}: succeeded",
        "a door that opens",
        "offline/",
        "DoorTrigger",
        " in / ",
        "OK — 0 errors",
    ):
        assert words in out
    assert out.endswith(second_code)
    code, out, _ = spark("history", "show", str(first), "--json")
    row = json.loads(out)
    assert code == 0
    assert (row["id"], row["status"], row["code"]) == (first, "succeeded", first_code)
    assert row["prompt"] == "rotate an object at 90 degrees per second"
    assert row["input_tokens"] > 0 and row["validation_summary"].startswith("OK")
    assert row["validation_errors"] == 0


def test_show_refuses_unknown_and_other_users_ids(spark) -> None:
    mine, _ = generated(spark, "a rotating cube")
    code, out, err = spark("history", "show", str(mine + 1000))
    assert code == 2
    assert f"There is no generation {mine + 1000} in the history of 'local'" in err
    code, out, err = spark("history", "show", str(mine), "--code", env={"SPARK_CLI_USER": "eve"})
    assert (code, out) == (2, "")
    assert "in the history of 'eve'" in err
    code, _, err = spark("history", "show", str(mine), "--code", "--json")
    assert code == 2 and "Choose --code or --json" in err


def test_a_failed_generation_shows_its_error_and_has_no_code(spark, upstream: FakeUpstream) -> None:
    upstream.anthropic.enqueue(Fault.auth())
    assert spark("generate", "a coin", "-p", "anthropic", env=fake_env(upstream))[0] == 1
    code, out, _ = spark("history", "--json")
    failed = json.loads(out)[0]
    assert (failed["status"], failed["code"]) == ("failed", None)
    code, out, _ = spark("history", "show", str(failed["id"]))
    assert code == 0
    assert "failed" in out and "auth: Anthropic rejected the API key" in out
    code, out, err = spark("history", "show", str(failed["id"]), "--code")
    assert (code, out) == (1, "")
    assert f"Generation {failed['id']} has no code: its status is failed (Anthropic" in err


def test_json_and_csv_carry_the_code(spark, tmp_path: Path) -> None:
    ids_and_code = dict([generated(spark, "a door that opens"), generated(spark, "a coin")])
    code, out, _ = spark("history", "--json")
    assert code == 0
    assert {row["id"]: row["code"] for row in json.loads(out)} == ids_and_code
    code, out, _ = spark("history", "--csv", "-")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {int(row["id"]): row["generated_code"] for row in rows} == ids_and_code
    assert spark("history", "--csv", "all.csv")[0] == 0
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as handle:
        assert [row["generated_code"] for row in csv.DictReader(handle)] == [
            row["generated_code"] for row in rows
        ]


def test_listing_still_works_with_its_options(spark) -> None:
    generated(spark, "a door that opens")
    generated(spark, "a coin")
    code, out, _ = spark("history", "--limit", "1", "--search", "door")
    assert code == 0 and "door" in out and "a coin" not in out
    code, out, _ = spark("history", "--help")
    assert code == 0 and "show" in out and "--csv" in out


def test_search_finds_code_as_the_web_app_does(spark) -> None:
    door, door_code = generated(spark, "a door that opens")
    _coin, coin_code = generated(spark, "a coin")
    # A line of the door's script that neither prompt nor class name holds, nor the coin's code.
    line = next(
        text.strip()
        for text in door_code.splitlines()
        if len(text.strip()) > 12 and text.strip() not in coin_code and "Door" not in text
    )
    code, out, _ = spark("history", "--search", line, "--json")
    assert code == 0
    assert [row["id"] for row in json.loads(out)] == [door]
    code, out, _ = spark("history", "--search", "NO SUCH TEXT ANYWHERE", "--json")
    assert (code, json.loads(out)) == (0, [])
