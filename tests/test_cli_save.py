"""Where `spark generate` puts a script it has paid for: never over another file without
--force (`Door.cs.new`, `Door.cs.new-2`, …, claimed atomically), in the unsaved folder when the
target cannot be written (exit 1), and on standard output when nothing can be written at all
(disk full, reproduced for real with a file-size limit on a `spark` subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from spark.cli.output import write_script
from tests.db_fixtures import PostgresServer
from tests.fakes.upstream import FakeUpstream, Reply
from tests.test_cli import fake_env

REPO = Path(__file__).resolve().parents[1]


def door(version: str) -> str:
    """The code of a `Door` script that differs by ``version``."""
    return (
        "using UnityEngine;\n\npublic class Door : MonoBehaviour\n{\n"
        f'    public string version = "{version}";\n}}\n'
    )


def door_reply(version: str) -> Reply:
    return Reply(f"Here it is.\n\n```csharp\n{door(version)}```\n")


def big_reply(size: int) -> tuple[Reply, str]:
    """A reply whose script is about ``size`` bytes, and that script."""
    fields = "".join(f"    public int field{i} = {i};\n" for i in range(size // 30))
    code = f"using UnityEngine;\n\npublic class Big : MonoBehaviour\n{{\n{fields}}}\n"
    return Reply(f"```csharp\n{code}```\n", chunk_size=16384), code


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`spark ...` in-process, in a clean folder with its own data folder."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
        env = {"SPARK_DATA_DIR": str(tmp_path / "data"), **env}
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


# A `spark` process whose writes to files stop at a size limit (`ulimit -f`), as on a full
# disk. SIGXFSZ is set back to its default first, so the CLI's own entry point is what keeps
# the process alive (CPython ignores the signal at start-up; an embedding program may not).
LIMITED = """
import resource, runpy, signal, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
sys.argv = ["spark", *sys.argv[2:]]
runpy.run_module("spark", run_name="__main__")
"""


def spark_process(
    *args: str, cwd: Path, env: dict[str, str], file_size_limit: int | None = None
) -> subprocess.Popen[str]:
    """Start `python -m spark ARGS` (under a file-size limit in bytes, if given)."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "SPARK_"))
    }
    # No .pyc writes: under the limit they would be the first writes to fail.
    clean.update(env, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(REPO))
    if file_size_limit is None:
        command = [sys.executable, "-m", "spark", *args]
    else:
        command = [sys.executable, "-c", LIMITED, str(file_size_limit), *args]
    return subprocess.Popen(
        command, cwd=cwd, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run_spark(
    *args: str, cwd: Path, env: dict[str, str], file_size_limit: int | None = None
) -> tuple[int, str, str]:
    proc = spark_process(*args, cwd=cwd, env=env, file_size_limit=file_size_limit)
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- never overwrite -------------------------------------------------------------------------


def test_each_new_version_gets_the_next_free_name(tmp_path: Path) -> None:
    target = tmp_path / "Door.cs"
    written = [write_script(target, door(v), force=False) for v in ("1", "2", "3", "4")]
    assert [p.name for p in written] == ["Door.cs", "Door.cs.new", "Door.cs.new-2", "Door.cs.new-3"]
    assert [p.read_text() for p in written] == [door(v) for v in ("1", "2", "3", "4")]
    # A script already saved under one of the names is not saved again.
    assert write_script(target, door("2"), force=False).name == "Door.cs.new"
    assert write_script(target, door("1"), force=False).name == "Door.cs"
    assert len(files_under(tmp_path)) == 4


def test_force_replaces_the_file_itself(tmp_path: Path) -> None:
    target = tmp_path / "Door.cs"
    write_script(target, door("1"), force=False)
    write_script(target, door("2"), force=False)
    assert write_script(target, door("3"), force=True) == target
    assert target.read_text() == door("3")
    assert (tmp_path / "Door.cs.new").read_text() == door("2")  # --force touches Door.cs only
    assert [p.name for p in files_under(tmp_path)] == ["Door.cs", "Door.cs.new"]  # no temp left


def test_a_name_taken_by_a_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "Door.cs").write_text(door("mine"))
    (tmp_path / "Door.cs.new").mkdir()
    assert write_script(tmp_path / "Door.cs", door("2"), force=False).name == "Door.cs.new-2"


def test_three_runs_keep_three_versions(cli, upstream: FakeUpstream, tmp_path: Path) -> None:
    env = fake_env(upstream)
    outputs = []
    for version in ("1", "2", "3"):
        upstream.anthropic.enqueue(door_reply(version))
        code, out, err = cli("generate", "a door", "-p", "anthropic", "-o", "out/", env=env)
        assert code == 0, out + err
        outputs.append(out)
    folder = tmp_path / "out"
    assert [p.read_text() for p in files_under(folder)] == [door("1"), door("2"), door("3")]
    assert f"Wrote {folder / 'Door.cs.new'}" in outputs[1]
    assert f"Wrote {folder / 'Door.cs.new-2'}" in outputs[2]
    assert "Door.cs already exists with other content; review Door.cs.new-2" in outputs[2]


WRITER = """
import sys, time
from pathlib import Path
from spark.cli.output import write_script
folder, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
(folder.parent / f"ready-{tag}").touch()
while not (folder.parent / "go").exists():
    time.sleep(0.001)
for i in range(count):
    print(write_script(folder / "Door.cs", f"// {tag} {i}\\n", force=False).name, flush=True)
"""


def test_two_processes_never_pick_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "Door.cs").write_text("// mine\n")
    count = 60
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = {
        tag: subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), tag, str(count)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in ("a", "b")
    }
    try:
        for tag, proc in procs.items():  # both wait at the line, then start together
            while not (tmp_path / f"ready-{tag}").exists():
                assert proc.poll() is None, f"writer {tag} exited early"
                time.sleep(0.01)
        (tmp_path / "go").touch()
        names = {tag: proc.communicate(timeout=120)[0].split() for tag, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    assert all(proc.returncode == 0 for proc in procs.values())
    everything = names["a"] + names["b"]
    assert len(everything) == len(set(everything)) == 2 * count  # no name handed out twice
    for tag, written in names.items():  # and each holds what its writer wrote there
        for i, name in enumerate(written):
            assert (folder / name).read_text() == f"// {tag} {i}\n"
    assert (folder / "Door.cs").read_text() == "// mine\n"
    assert len(files_under(folder)) == 2 * count + 1


def test_two_concurrent_runs_both_keep_their_script(upstream: FakeUpstream, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "Door.cs").write_text(door("mine"))
    upstream.anthropic.enqueue(door_reply("a"), door_reply("b"))
    env = {**fake_env(upstream), "SPARK_DATA_DIR": str(tmp_path / "data")}
    assert run_spark("history", cwd=tmp_path, env=env)[0] == 0  # the database exists
    args = ("generate", "a door", "-p", "anthropic", "-o", "out/", "--no-stream")
    procs = [spark_process(*args, cwd=tmp_path, env=env) for _ in range(2)]
    results = [(p.communicate(timeout=180), p.returncode) for p in procs]
    assert [code for _, code in results] == [0, 0], results
    assert (out / "Door.cs").read_text() == door("mine")
    assert sorted(p.read_text() for p in files_under(out) if p.name != "Door.cs") == [
        door("a"),
        door("b"),
    ]
    printed = sorted(
        line for (stdout, _), _ in results for line in stdout.splitlines() if "Wrote" in line
    )
    assert [line.split("/")[-1] for line in printed] == ["Door.cs.new", "Door.cs.new-2"]


# --- diverted to the unsaved folder -------------------------------------------------------


def test_unwritable_target_goes_to_unsaved_exits_1_and_says_where(
    cli, upstream: FakeUpstream, tmp_path: Path
) -> None:
    # A folder where --force would replace Door.cs: the write fails after the generation.
    (tmp_path / "out" / "Door.cs").mkdir(parents=True)
    env = fake_env(upstream)
    unsaved = tmp_path / "data" / "unsaved"
    args = ("generate", "a door", "-p", "anthropic", "-o", "out/", "--force", "--no-stream")
    for version, name in (("1", "Door.cs"), ("2", "Door.cs.new"), ("3", "Door.cs.new-2")):
        upstream.anthropic.enqueue(door_reply(version))
        code, out, err = cli(*args, env=env)
        assert code == 1, out + err
        assert err.startswith(
            f"Error: Could not write {tmp_path / 'out' / 'Door.cs'} (Is a directory); "
            f"the script was saved to {unsaved / name} instead.\n"
        )
        assert f"Wrote {unsaved / name}" in out
        assert "Traceback" not in out + err
    assert [p.name for p in files_under(unsaved)] == ["Door.cs", "Door.cs.new", "Door.cs.new-2"]
    assert [p.read_text() for p in files_under(unsaved)] == [door("1"), door("2"), door("3")]
    assert files_under(tmp_path / "out") == []  # no temporary file left behind
    upstream.anthropic.enqueue(door_reply("4"))
    code, out, _ = cli(*args, "--json", env=env)
    data = json.loads(out)
    assert code == 1
    assert (data["ok"], data["unsaved"], data["path"]) == (
        False,
        True,
        str(unsaved / "Door.cs.new-3"),
    )
    assert data["write_errors"][0]["message"] == "Is a directory"
    assert "saved to" in data["error"]["message"]


def test_a_fifo_in_the_way_is_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Door.cs")
    assert write_script(tmp_path / "Door.cs", door("1"), force=False).name == "Door.cs.new"


def test_an_impossible_output_name_costs_nothing(cli, upstream: FakeUpstream) -> None:
    code, out, err = cli(
        "generate", "a door", "-p", "anthropic", "-o", "D" * 300 + ".cs", env=fake_env(upstream)
    )
    assert code == 2
    assert "File name too long" in err and "Traceback" not in out + err
    code, _, err = cli("generate", "a door", "-o", "x" * 300 + "/", env=fake_env(upstream))
    assert code == 2 and "File name too long" in err
    assert upstream.anthropic.history == []


# --- nothing can be written: the disk is full -----------------------------------------------


@pytest.fixture
def pg_env(upstream: FakeUpstream, tmp_path: Path, pg: PostgresServer) -> dict[str, str]:
    """The fake provider, a data folder, and the history on PostgreSQL: its server process
    writes the rows, so a file-size limit on `spark` does not reach them."""
    return {
        **fake_env(upstream),
        "SPARK_DATA_DIR": str(tmp_path / "data"),
        "SPARK_DATABASE_URL": pg.url("app"),
    }


def test_disk_full_prints_the_code_and_keeps_it_in_history(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    """`ulimit -f 0` with the history on PostgreSQL (another process writes it): the script
    reaches stdout, the error is one line and a hint, and `spark history` gives the code back."""
    args = ("generate", "a SpinningCoin", "-p", "anthropic", "-o", "out/", "--no-stream")
    code, out, err = run_spark(*args, cwd=tmp_path, env=pg_env, file_size_limit=0)
    assert code == 1, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith("Error: Could not write the script: ")
    assert f"{tmp_path / 'out' / 'CoinSpinner.cs'} (File too large)" in lines[0]
    assert "unsaved/CoinSpinner.cs (File too large)" in lines[0]
    assert lines[1].startswith("Hint: The script follows on standard output.")
    assert len([line for line in lines if line.startswith(("Error", "Warning"))]) == 1
    expected = Reply().text.split("```csharp\n")[1].split("```")[0]
    assert out == expected
    assert files_under(tmp_path / "out") == files_under(tmp_path / "data") == []

    history_id = int(lines[1].split("spark history show ")[1].split()[0])
    shown = run_spark("history", "show", str(history_id), "--code", cwd=tmp_path, env=pg_env)
    assert shown == (0, expected, "")
    code, listed, _ = run_spark("history", "--json", cwd=tmp_path, env=pg_env)
    assert json.loads(listed)[0]["code"] == expected


def test_disk_full_as_json_carries_the_code(pg_env: dict[str, str], tmp_path: Path) -> None:
    args = ("generate", "a SpinningCoin", "-p", "anthropic", "-o", "out/", "--json")
    code, out, err = run_spark(*args, cwd=tmp_path, env=pg_env, file_size_limit=0)
    assert code == 1, err
    data = json.loads(out)
    assert data["ok"] is False and data["path"] is None and data["history_id"] > 0
    assert data["error"]["kind"] == "SaveError"
    assert "this result's `code`" in data["error"]["hint"]
    assert [e["message"] for e in data["write_errors"]] == ["File too large", "File too large"]
    assert data["code"].startswith("using UnityEngine;")


def test_disk_full_on_sqlite_stops_before_paying(upstream: FakeUpstream, tmp_path: Path) -> None:
    """With `ulimit -f 0` a SQLite history cannot even be opened: one line, exit 2, and the
    provider is never called."""
    env = {**fake_env(upstream), "SPARK_DATA_DIR": str(tmp_path / "data")}
    assert run_spark("history", cwd=tmp_path, env=env)[0] == 0  # the database exists
    args = ("generate", "a SpinningCoin", "-p", "anthropic", "-o", "out/", "--no-stream")
    code, _, err = run_spark(*args, cwd=tmp_path, env=env, file_size_limit=0)
    assert code == 2, err
    assert err.startswith("Error: Cannot use the database") and "Traceback" not in err
    assert upstream.anthropic.history == []


def test_history_write_and_file_writes_all_fail_on_sqlite(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    """The disk fills up during the generation: the history row cannot take the script (a
    warning line, no traceback), nor can the files; the script still reaches stdout."""
    env = {**fake_env(upstream), "SPARK_DATA_DIR": str(tmp_path / "data")}
    assert run_spark("history", cwd=tmp_path, env=env)[0] == 0  # database and user exist
    reply, code_text = big_reply(400_000)
    upstream.anthropic.enqueue(reply)
    args = ("generate", "a big one", "-p", "anthropic", "-o", "out/", "--no-stream")
    # Room for the database (~100 KB) and the small start of the history row, not the script.
    code, out, err = run_spark(*args, cwd=tmp_path, env=env, file_size_limit=200_000)
    assert code == 1, err
    assert "Traceback" not in err
    assert "Warning: could not record the generation" in err
    assert "Error: Could not write the script: " in err
    assert "It is also in your history" not in err  # it is not
    assert out == code_text
    assert files_under(tmp_path / "out") == []
    # No stray file; SQLite may leave its WAL beside the database when the full disk stopped
    # the last checkpoint (the next open recovers it: the history still opens).
    names = {p.name for p in files_under(tmp_path / "data")} - {"spark.db-wal", "spark.db-shm"}
    assert names == {"spark.db", "spark.db.migrate-lock"}
    assert run_spark("history", cwd=tmp_path, env=env)[0] == 0
