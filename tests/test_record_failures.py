"""A generation's row always finishes, or the user is told it did not.

Text from the provider is stored safely: NUL characters are removed and lone surrogates become
U+FFFD (PostgreSQL refuses NUL in text; neither database can encode a lone surrogate). A
finishing write the database refuses is tried again; when it keeps failing the row is marked
``failed`` (kind ``record``) with its figures, and the final event is an error, not a success.
The database failures are real: a trigger in the database refuses the write, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from spark.db.engine import Database
from spark.db.history import get_generation
from spark.db.recorder import FINISH_TRIES, RETRY_DELAYS, HistoryRecorder
from spark.db.stats import generation_stats
from spark.errors import ErrorKind
from spark.events import DoneEvent, ErrorEvent, TokenEvent
from spark.generation import GenerationRequest
from spark.web.conversations import DatabaseConversationStore
from tests.fakes.upstream import FakeUpstream, Reply
from tests.test_billing import engine_for
from tests.test_db_recorder import new_user, only_row

REQUEST = GenerationRequest("a coin that spins", provider="anthropic", model="claude-sonnet-5-5")
# A reply whose code holds a NUL and a lone surrogate (the fake sends them as JSON escapes,
# which is how a provider would: the SDK decodes them into the Python string).
HOSTILE_REPLY = """```csharp
using UnityEngine;

// a coin\u0000 that spins \ud800 fast
public class CoinSpinner : MonoBehaviour
{
    [SerializeField] private float degreesPerSecond = 180f;

    private void Update()
    {
        transform.Rotate(0f, degreesPerSecond * Time.deltaTime, 0f);
    }
}
```
"""

_TRIGGER = "spark_test_refuse_finish"


class Refusal:
    """A trigger that makes the database refuse updates of history rows matching ``when``."""

    def __init__(self, request: pytest.FixtureRequest, backend: str, db: Database) -> None:
        self.backend, self.db = backend, db
        self.pg = request.getfixturevalue("postgres") if backend == "postgresql" else None

    async def install(self, when: str) -> None:
        if self.pg is not None:
            self.pg.execute(
                "CREATE OR REPLACE FUNCTION spark_test_refuse() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$",
                role="owner",
            )
            self.pg.execute(
                f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE ON spark_generation_history "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION spark_test_refuse()",
                role="owner",
            )
            return
        async with self.db.engine.begin() as connection:
            await connection.exec_driver_sql(
                f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE ON spark_generation_history "
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
            )

    async def remove(self) -> None:
        if self.pg is not None:
            self.pg.execute(
                f"DROP TRIGGER IF EXISTS {_TRIGGER} ON spark_generation_history", role="owner"
            )
            return
        async with self.db.engine.begin() as connection:
            await connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {_TRIGGER}")


@pytest.fixture
async def refusal(request: pytest.FixtureRequest, backend: str, db: Database) -> Iterator[Any]:
    trigger = Refusal(request, backend, db)
    yield trigger
    await trigger.remove()


async def generate(upstream: FakeUpstream, recorder: HistoryRecorder) -> list[Any]:
    async with engine_for(upstream) as engine:
        return [e async for e in engine.generate(REQUEST, recorder=recorder)]


async def test_nul_and_lone_surrogates_from_the_provider_are_stored_safely(
    db: Database, upstream: FakeUpstream
) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Reply(HOSTILE_REPLY, input_tokens=100, output_tokens=50))
    events = await generate(upstream, HistoryRecorder(db, user_id=user_id))
    done = events[-1]
    assert isinstance(done, DoneEvent)
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert "\x00" not in streamed and "\ud800" not in streamed  # what the user sees is clean
    assert "// a coin that spins \ufffd fast" in done.result.code
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind) == ("succeeded", None)  # not left running
    assert row.generated_code == done.result.code
    # The export finds it, and its cost is in the statistics.
    store = DatabaseConversationStore(db)
    turn = await store.find_turn(owner=user_id, generation_id=str(row.id))
    assert turn is not None and turn.code == done.result.code
    async with db.session(user_id=user_id) as session:
        stats = await generation_stats(session=session, user_id=user_id)
    assert stats.total_cost_usd == row.cost_usd == Decimal("0.000700")


async def test_a_refused_finishing_write_is_tried_again(
    db: Database, upstream: FakeUpstream, refusal: Refusal
) -> None:
    """The database recovers after the first refusal: the second try finishes the row."""
    user_id = await new_user(db)
    await refusal.install("NEW.status <> 'running'")
    waits: list[float] = []

    async def database_recovers(seconds: float) -> None:
        waits.append(seconds)
        await refusal.remove()

    events = await generate(upstream, HistoryRecorder(db, user_id=user_id, sleep=database_recovers))
    assert isinstance(events[-1], DoneEvent)
    assert waits == [RETRY_DELAYS[0]]
    row = await only_row(db, user_id)
    assert (row.status, row.generated_code) == ("succeeded", events[-1].result.code)


async def no_wait(_seconds: float) -> None:
    return None


async def test_an_outcome_that_cannot_be_written_fails_the_row_and_the_generation(
    db: Database, upstream: FakeUpstream, refusal: Refusal, caplog: pytest.LogCaptureFixture
) -> None:
    """Every full write is refused: after FINISH_TRIES the row is still marked failed with its
    figures (so its cost is counted), and the user sees an error, not a success."""
    caplog.set_level(logging.INFO, "spark.db.recorder")
    user_id = await new_user(db)
    await refusal.install("NEW.generated_code IS NOT NULL")
    upstream.anthropic.enqueue(Reply(input_tokens=100, output_tokens=50))
    events = await generate(upstream, HistoryRecorder(db, user_id=user_id, sleep=no_wait))
    error = events[-1]
    assert not any(isinstance(e, DoneEvent) for e in events)
    assert isinstance(error, ErrorEvent) and error.error.kind is ErrorKind.RECORD
    assert error.result is not None and error.result.class_name == "CoinSpinner"
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.generated_code) == ("failed", "record", None)
    assert (row.input_tokens, row.output_tokens, row.cost_usd) == (100, 50, Decimal("0.000700"))
    assert row.finished_at is not None
    assert caplog.text.count("could not finish history row") == FINISH_TRIES
    assert "could not record the generation" in caplog.text


async def test_a_row_that_cannot_be_finished_at_all_is_an_error(
    db: Database, upstream: FakeUpstream, refusal: Refusal, caplog: pytest.LogCaptureFixture
) -> None:
    """Not even the fallback can be written: the row stays ``running`` (the next start of a
    process marks it interrupted), but never silently: the generation ends in an error."""
    caplog.set_level(logging.WARNING)
    user_id = await new_user(db)
    await refusal.install("NEW.status <> 'running'")
    events = await generate(upstream, HistoryRecorder(db, user_id=user_id, sleep=no_wait))
    error = events[-1]
    assert isinstance(error, ErrorEvent) and error.error.kind is ErrorKind.RECORD
    assert "could not save it in your history" in error.error.message
    row = await only_row(db, user_id)
    assert row.status == "running"
    assert "forced failure" in caplog.text


async def test_a_failed_generation_that_cannot_be_written_says_so(
    db: Database, upstream: FakeUpstream, refusal: Refusal
) -> None:
    """A failure stays the failure the user sees, with a note that it was not saved either."""
    user_id = await new_user(db)
    await refusal.install("NEW.status <> 'running'")
    upstream.anthropic.enqueue(Reply("No code today."))
    events = await generate(upstream, HistoryRecorder(db, user_id=user_id, sleep=no_wait))
    error = events[-1]
    assert isinstance(error, ErrorEvent) and error.error.kind is ErrorKind.NO_CODE
    assert "could not be saved in your history" in (error.error.hint or "")
    async with db.session(user_id=user_id) as session:
        row = await get_generation(session=session, user_id=user_id, record_id=1)
    assert row is None or row.status == "running"


def test_spark_generate_says_when_it_could_not_save_and_exits_1(
    upstream: FakeUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's database refuses to finish the row: the script is still written (it was paid
    for), but the command says the generation was not saved and exits 1, not 0."""
    from typer.testing import CliRunner

    from spark.cli import app

    monkeypatch.chdir(tmp_path)
    database = tmp_path / "spark.db"
    env = {
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": upstream.anthropic_base_url,
        "SPARK_DATABASE_URL": f"sqlite:///{database}",
    }
    runner = CliRunner()
    assert runner.invoke(app, ["history"], env=env).exit_code == 0  # creates the database
    with sqlite3.connect(database) as connection:
        connection.execute(
            f"CREATE TRIGGER {_TRIGGER} BEFORE UPDATE ON spark_generation_history "
            "WHEN NEW.status <> 'running' BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
        )
    result = runner.invoke(
        app, ["generate", "a coin", "-p", "anthropic", "-o", "out/", "--no-stream"], env=env
    )
    assert result.exit_code == 1, result.output
    assert "could not save it in your history" in result.stderr
    assert (tmp_path / "out" / "CoinSpinner.cs").is_file()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT status FROM spark_generation_history").fetchall() == [
            ("running",)
        ]
