"""`spark eval` as the user meets it: real subprocesses against the fake upstream (the report's
figures, the JSON and HTML files, Ctrl-C and --resume), and its usage errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from tests.eval_support import ITEMS, MODELS, SUITE_TOML, comparable, enqueue, expected
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Reply
from tests.test_cli import fake_env


def env_for(upstream: FakeUpstream, home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "SPARK_"))
    }
    env.update(fake_env(upstream), SPARK_DATA_DIR=str(home / "data"), PYTHONUNBUFFERED="1")
    env["HOME"] = str(home)
    return env


def spark_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "spark", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_real_run_reports_every_scripted_figure(upstream: FakeUpstream, tmp_path: Path) -> None:
    (tmp_path / "suite.toml").write_text(SUITE_TOML, "utf-8")
    for model in MODELS:
        enqueue(upstream, model)
    env = env_for(upstream, tmp_path)
    args = ["eval", "--suite", "suite.toml", "--models", ",".join(MODELS)]
    args += ["--concurrency", "2", "--json", "report.json", "--html", "report.html"]
    proc = spark_process(args, env, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    for row, model in zip(report["models"], MODELS, strict=True):
        assert comparable(row) == expected(model)
    assert report["status"] == "finished" and report["stopped_early"] == {}
    # The terminal table: a column per model, the figures the JSON has.
    for model in MODELS:
        assert model in out
    assert f"{expected(MODELS[0])['score']:.1f}" in out
    assert "bad_request 1" in out and "auth 1" in out
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "<svg" in html and "<script" not in html
    assert html.count("<tr>") >= len(ITEMS) * len(MODELS) + len(MODELS)
    # Every generation is in the CLI user's history, tagged with the run.
    ids = [r["history_id"] for r in report["results"]]
    assert len(set(ids)) == len(ITEMS) * len(MODELS) and None not in ids
    listing = spark_process(["eval", "--list"], env, tmp_path)
    out, err = listing.communicate(timeout=60)
    assert report["run_id"] in out and "finished" in out and "12/12" in out


@pytest.mark.parametrize(
    ("stop", "exit_code", "status"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGKILL, -signal.SIGKILL, "running")],
    ids=["ctrl-c", "crash"],
)
def test_an_interrupted_run_keeps_finished_items_and_resume_finishes(
    upstream: FakeUpstream, tmp_path: Path, stop: int, exit_code: int, status: str
) -> None:
    """Ctrl-C marks the run interrupted and says how to resume; a crash (SIGKILL) leaves it
    running. Either way --resume generates only what is missing."""
    (tmp_path / "suite.toml").write_text(SUITE_TOML, "utf-8")
    # Every request gets the same good reply, slowly: the interruption falls mid-run.
    upstream.anthropic.default_reply = Reply(DEFAULT_TEXT, ttft=0.4)
    env = env_for(upstream, tmp_path)
    args = ["eval", "--suite", "suite.toml", "--models", MODELS[0], "--json", "r.json"]
    proc = spark_process(args, env, tmp_path)
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if sum(" #1: " in seen for seen in lines) == 2:
            break
    proc.send_signal(stop)
    _, rest = proc.communicate(timeout=60)
    err = "".join(lines) + rest
    assert proc.returncode == exit_code, err
    assert "Traceback" not in err
    run_id = next(line for line in lines if line.startswith("Eval run")).split()[2].rstrip(":")
    if stop == signal.SIGINT:
        assert f"Finished items are kept: resume with `spark eval --resume {run_id}`" in err
    listing = spark_process(["eval", "--list"], env, tmp_path).communicate(timeout=60)[0]
    assert status in listing
    done_before = int(listing.split(f"/{len(ITEMS)}")[0].split()[-1])
    assert 2 <= done_before < len(ITEMS)

    # The run remembers its suite file: no --suite needed to resume it.
    resume = ["eval", "--resume", run_id, "--json", "r.json"]
    resumed = spark_process(resume, env, tmp_path)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["run_id"] == run_id and report["status"] == "finished"
    keys = [(r["model"], r["item_id"], r["run"]) for r in report["results"]]
    assert len(keys) == len(set(keys)) == len(ITEMS)
    assert report["models"][0]["good"] == len(ITEMS)
    # The resumed process generated only what was missing.
    assert sum(" #1: " in line for line in err.splitlines()) == len(ITEMS) - done_before


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        env = {"SPARK_DATA_DIR": str(tmp_path / "data")}
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_usage_errors_are_one_clear_line(cli, tmp_path: Path) -> None:
    code, _, err = cli("eval")
    assert code == 2 and "Say which models to evaluate" in err
    (tmp_path / "bad.toml").write_text('[[item]]\nid = "a"\nprompt = "x"\n', "utf-8")
    code, _, err = cli("eval", "--suite", "bad.toml", "--models", "offline")
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith("Error: The suite is malformed") and "`difficulty` is missing" in first
    code, _, err = cli("eval", "--models", "offline", "--resume", "nosuchrun")
    assert code == 2 and "There is no eval run 'nosuchrun'" in err
    code, _, err = cli("eval", "--models", "nosuch:model")
    assert code == 2 and "Traceback" not in err
    code, _, err = cli("eval", "--models", "offline", "--runs", "0")
    assert code == 2


def test_offline_run_with_json_on_stdout(cli) -> None:
    code, out, err = cli("eval", "--models", "offline", "--json", "-")
    assert code == 0, err
    report = json.loads(out)
    row = report["models"][0]
    assert row["model"] == "offline:spark-templates"
    assert row["planned"] == row["finished"] == report["suite"]["items"] >= 40
    assert row["cost_usd"] == "0.000000"

    # Every generation is in the history, tagged: `spark history` can leave them out or keep
    # only them.
    def history(*args: str) -> list[dict[str, object]]:
        code, out, err = cli("history", "-n", "100", "--json", *args)
        assert code == 0, err
        data = json.loads(out)
        return list(data["items"] if isinstance(data, dict) else data)

    planned = row["planned"]
    assert len(history("--evals", "only")) == planned
    assert len(history("--eval-run", report["run_id"])) == planned
    assert len(history("--eval-run", "someotherrun")) == 0
    cli("generate", "a coin that spins", "-o", "out/")
    assert len(history("--evals", "exclude")) == 1
    assert len(history()) == planned + 1
    code, _, err = cli("history", "--evals", "sometimes")
    assert code == 2 and "Unknown --evals" in err
