"""Recording generations: a row from the start, finished with the final figures, and finished
as ``cancelled`` when the consumer goes away; crashed processes' rows become ``interrupted``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from spark.config import Settings
from spark.db.engine import Database
from spark.db.history import get_generation, interrupt_abandoned_generations, list_generations
from spark.db.models import GenerationRecord
from spark.db.recorder import HistoryRecorder
from spark.db.users import create_user, get_user_by_username
from spark.errors import ErrorKind, UsageError
from spark.events import DoneEvent, ErrorEvent, TokenEvent
from spark.generation import Engine, GenerationRequest
from spark.recording import GenerationStart
from spark.unity.prompts import SYSTEM_PROMPT_VERSION
from tests.fakes.upstream import FakeUpstream, Fault, Reply

MODEL = "claude-sonnet-5-5"


def engine_for(upstream: FakeUpstream, **overrides: Any) -> Engine:
    async def no_sleep(_seconds: float) -> None:
        return None

    settings = Settings(
        anthropic_api_key="test-key",
        anthropic_base_url=upstream.anthropic_base_url,
        read_timeout=5.0,
        **overrides,
    )
    return Engine(settings, sleep=no_sleep)


async def new_user(db: Database, name: str = "player") -> int:
    async with db.session() as session:
        return (await create_user(session=session, username=name)).id


async def only_row(db: Database, user_id: int) -> GenerationRecord:
    async with db.session(user_id=user_id) as session:
        page = await list_generations(session=session, user_id=user_id)
    assert page.total == 1
    return page.items[0]


REQUEST = GenerationRequest("a coin that spins", provider="anthropic", model=MODEL)


async def test_a_finished_generation_is_recorded_with_its_figures(
    db: Database, upstream: FakeUpstream
) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Fault.server(503), Reply(input_tokens=50, cache_read_tokens=7))
    recorder = HistoryRecorder(db, user_id=user_id, conversation_id="c_1")
    async with engine_for(upstream) as engine:
        async for event in engine.generate(REQUEST, recorder=recorder):
            if isinstance(event, DoneEvent):
                # Recorded before the consumer sees the result: a disconnect now loses nothing.
                assert (await only_row(db, user_id)).status == "succeeded"
                done = event
    row = await only_row(db, user_id)
    result = done.result
    assert (row.provider, row.model, row.prompt) == ("anthropic", MODEL, "a coin that spins")
    assert (row.status, row.success, row.error_kind) == ("succeeded", True, None)
    assert (row.class_name, row.generated_code) == (result.class_name, result.code)
    assert (row.input_tokens, row.output_tokens, row.cache_read_tokens) == (
        50,
        result.usage.output_tokens,
        7,
    )
    assert row.cost_usd == result.cost_usd and row.cost_usd is not None and row.cost_usd > 0
    assert (row.attempts, row.repair_rounds, row.generation_ms) == (2, 0, result.duration_ms)
    assert row.validation_summary == result.validation.summary()
    assert row.validation_errors == 0
    assert (row.system_prompt_version, row.conversation_id) == (SYSTEM_PROMPT_VERSION, "c_1")
    assert row.finished_at is not None and recorder.record_id == row.id


async def test_a_failed_generation_is_recorded_with_its_error(
    db: Database, upstream: FakeUpstream
) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Fault.auth())
    async with engine_for(upstream) as engine:
        events = [
            e async for e in engine.generate(REQUEST, recorder=HistoryRecorder(db, user_id=user_id))
        ]
    assert isinstance(events[-1], ErrorEvent)
    row = await only_row(db, user_id)
    assert (row.status, row.success, row.error_kind) == ("failed", False, "auth")
    assert row.error_message == events[-1].error.message and "test-key" not in row.error_message
    assert row.attempts == 1 and row.generated_code is None


async def test_a_generation_refused_before_any_call_is_recorded(db: Database, upstream) -> None:
    user_id = await new_user(db)
    request = GenerationRequest("a coin that spins", provider="anthropic", model="claude-nope-1")
    async with engine_for(upstream) as engine:
        [event] = [
            e async for e in engine.generate(request, recorder=HistoryRecorder(db, user_id=user_id))
        ]
    assert isinstance(event, ErrorEvent)
    assert "Unknown model 'claude-nope-1'" in event.error.message
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.provider, row.model) == (
        "failed",
        "usage",
        "anthropic",
        "claude-nope-1",
    )
    assert row.error_message == event.error.message


@pytest.mark.parametrize("prompt", ["", "   \n\t", "x" * 40_001], ids=["empty", "blank", "long"])
async def test_a_bad_prompt_is_an_error_but_no_history_row(
    db: Database, upstream, prompt: str
) -> None:
    user_id = await new_user(db)
    request = GenerationRequest(prompt, provider="anthropic")
    async with engine_for(upstream, max_prompt_chars=40_000) as engine:
        [event] = [
            e async for e in engine.generate(request, recorder=HistoryRecorder(db, user_id=user_id))
        ]
    assert isinstance(event, ErrorEvent)
    assert isinstance(event.error, UsageError)
    assert "prompt" in event.error.message
    async with db.session(user_id=user_id) as session:
        assert (await list_generations(session=session, user_id=user_id)).total == 0
    assert upstream.anthropic.history == []


async def test_consumer_that_stops_reading_leaves_a_cancelled_row(
    db: Database, upstream: FakeUpstream
) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Reply(chunk_size=4, chunk_delay=0.05))
    async with engine_for(upstream) as engine:
        events = engine.generate(REQUEST, recorder=HistoryRecorder(db, user_id=user_id))
        async for event in events:
            assert isinstance(event, TokenEvent)
            assert (await only_row(db, user_id)).status == "running"  # the row exists already
            break
        await events.aclose()  # what a web framework does when the client disconnects
        row = await only_row(db, user_id)
    assert (row.status, row.error_kind, row.success) == ("failed", "cancelled", False)
    assert row.attempts == 1 and row.finished_at is not None and row.generation_ms is not None


async def test_cancelled_task_still_finishes_its_row(db: Database, upstream: FakeUpstream) -> None:
    user_id = await new_user(db)
    upstream.anthropic.enqueue(Reply(chunk_size=4, chunk_delay=0.05))
    first_token = asyncio.Event()

    async def consume(engine: Engine) -> None:
        async for event in engine.generate(REQUEST, recorder=HistoryRecorder(db, user_id=user_id)):
            if isinstance(event, TokenEvent):
                first_token.set()

    async with engine_for(upstream) as engine:
        task = asyncio.create_task(consume(engine))
        await asyncio.wait_for(first_token.wait(), 5)
        task.cancel()  # Ctrl-C under asyncio.run, or a server cancelling the request
        await asyncio.sleep(0)
        task.cancel()  # and again, as level-triggered cancel scopes do: recording is shielded
        with pytest.raises(asyncio.CancelledError):
            await task
    # Leaving the engine waited for the shielded recording, with what message_start billed.
    row = await only_row(db, user_id)
    assert (row.status, row.error_kind) == ("failed", "cancelled")
    assert (row.input_tokens, row.output_tokens, row.attempts) == (42, 1, 1)


class BrokenRecorder:
    async def start(self, started: GenerationStart) -> None:
        raise RuntimeError("database on fire")

    async def finish(self, outcome: DoneEvent | ErrorEvent) -> None:
        raise RuntimeError("still on fire")


async def test_a_recorder_that_cannot_finish_turns_success_into_an_error(
    upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing ``start`` is only logged (the generation goes on); a failing ``finish`` means
    the outcome was not saved, and the user is told so instead of seeing a success."""
    caplog.set_level(logging.ERROR, "spark.generation")
    async with engine_for(upstream) as engine:
        events = [e async for e in engine.generate(REQUEST, recorder=BrokenRecorder())]
    assert not any(isinstance(e, DoneEvent) for e in events)
    error = events[-1]
    assert isinstance(error, ErrorEvent) and error.error.kind is ErrorKind.RECORD
    assert "could not save it in your history" in error.error.message
    assert error.result is not None and error.result.class_name == "CoinSpinner"  # not lost
    assert error.usage == error.result.usage and error.usage.input_tokens == 42
    assert caplog.text.count("could not record the generation") == 2
    assert "database on fire" in caplog.text and "still on fire" in caplog.text


def _spark_env(database_url: str, upstream: FakeUpstream) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "SPARK_"))
    }
    env.update(
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=upstream.anthropic_base_url,
        SPARK_DATABASE_URL=database_url,
        SPARK_CLI_USER="crash-test",
    )
    return env


async def _wait_for_running_row(db: Database, proc: asyncio.subprocess.Process) -> GenerationRecord:
    """The row the process has started (found as its user: PostgreSQL hides it otherwise)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.returncode is None, await proc.communicate()
        async with db.session() as session:
            user = await get_user_by_username(session=session, username="crash-test")
        if user is not None:
            async with db.session(user_id=user.id) as session:
                page = await list_generations(session=session, user_id=user.id)
            if page.items:
                return page.items[0]
        await asyncio.sleep(0.1)
    raise AssertionError("the spark process never recorded its generation")


# A process in the middle of a generation: the engine and recorder as the app uses them, with a
# provider whose reply never comes (no SDK to import, so the process is up in a moment).
STALLED_GENERATION = """
import asyncio, sys
from spark.config import Settings
from spark.db.engine import Database
from spark.db.recorder import HistoryRecorder
from spark.db.users import get_or_create_user
from spark.generation import Engine, GenerationRequest

class Stalled:
    name = "offline"

    async def stream(self, messages, model, options):
        print("streaming", flush=True)
        await asyncio.sleep(3600)
        yield

    async def list_models(self):
        return []

async def main():
    async with Database(sys.argv[1]) as db:
        async with db.session() as session:
            user = await get_or_create_user(session=session, username="crash-test")
        recorder = HistoryRecorder(db, user_id=user.id)
        async with Engine(Settings(), providers={"offline": Stalled()}) as engine:
            async for _ in engine.generate(GenerationRequest("a coin"), recorder=recorder):
                pass

asyncio.run(main())
"""


async def test_rows_of_a_killed_process_are_marked_interrupted(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", STALLED_GENERATION, database_url),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line == b"streaming\n", (line, await proc.communicate())
        row = await _wait_for_running_row(db, proc)
        assert row.runner is not None and row.runner.endswith(f":{proc.pid}")
        async with db.session() as session:  # a live process's row is left alone
            assert await interrupt_abandoned_generations(session=session) == 0
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.returncode is None:
            proc.kill()
        await asyncio.wait_for(proc.communicate(), 10)
    # Killed: its status is -SIGKILL, or 255 when something else in this test process reaped
    # the child first (asyncio then logs "Unknown child process"); either way it is gone.
    assert proc.returncode in (-signal.SIGKILL, 255), proc.returncode
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)
    async with db.session(user_id=row.user_id) as session:  # nothing could finish it
        still = await get_generation(session=session, user_id=row.user_id, record_id=row.id)
        assert still is not None and still.status == "running"
    async with db.session() as session:  # what a starting process does
        assert await interrupt_abandoned_generations(session=session) == 1
    async with db.session(user_id=row.user_id) as session:
        after = await get_generation(session=session, user_id=row.user_id, record_id=row.id)
    assert after is not None
    assert (after.status, after.error_kind, after.success) == ("interrupted", "interrupted", False)
    assert after.finished_at is not None


@asynccontextmanager
async def spark_generate(
    database_url: str, upstream: FakeUpstream, cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`spark generate` (Anthropic, against ``upstream``) as a subprocess, killed if it
    outlives the block."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "spark", "generate", "a coin", "-p", "anthropic", "-o", "out/"),
        cwd=cwd,
        env=_spark_env(database_url, upstream),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # one is enough: it is slow
async def test_ctrl_c_in_spark_generate_finishes_the_row_as_cancelled(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    with FakeUpstream() as stalling:
        stalling.anthropic.enqueue(Reply(latency=60))  # still generating when Ctrl-C comes
        async with spark_generate(database_url, stalling, tmp_path) as proc:
            row = await _wait_for_running_row(db, proc)
            while not stalling.anthropic.history:  # mid-request, not mid-import
                assert proc.returncode is None
                await asyncio.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 130 and b"Traceback" not in err
    async with db.session(user_id=row.user_id) as session:
        after = await get_generation(session=session, user_id=row.user_id, record_id=row.id)
    assert after is not None and (after.status, after.error_kind) == ("failed", "cancelled")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # one is enough: it is slow
@pytest.mark.parametrize(
    ("sig", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["Ctrl-C", "SIGTERM"]
)
async def test_stopping_spark_generate_mid_reply_bills_what_was_reported(
    db: Database, database_url: str, tmp_path: Path, sig: int, exit_code: int
) -> None:
    """Ctrl-C or SIGTERM after the first tokens: the row is finished as cancelled with the
    tokens the provider reported in message_start (420 in, 1 out), not 0/0."""
    with FakeUpstream() as slow:
        slow.anthropic.enqueue(Reply(input_tokens=420, chunk_delay=60))  # one delta, then waits
        async with spark_generate(database_url, slow, tmp_path) as proc:
            assert proc.stderr is not None
            seen = b""
            while b"Here is a script" not in seen:  # the first delta was shown: mid-reply
                chunk = await asyncio.wait_for(proc.stderr.read(200), 30)
                assert chunk, (seen, await proc.communicate())
                seen += chunk
            proc.send_signal(sig)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == exit_code and b"Traceback" not in err, err
    async with db.session() as session:
        user = await get_user_by_username(session=session, username="crash-test")
    assert user is not None
    row = await only_row(db, user.id)
    assert (row.status, row.error_kind) == ("failed", "cancelled")
    assert (row.input_tokens, row.output_tokens, row.attempts) == (420, 1, 1)
