"""``spark instructions set|show|clear``: versions, refusals, and what `spark generate` sends."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from tests.fakes.upstream import FakeUpstream
from tests.test_cli import fake_env


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_set_show_clear_and_generate(tmp_path: Path, upstream: FakeUpstream) -> None:
    (tmp_path / "team.txt").write_text("Namespace Acme.Game.\r\n", encoding="utf-8")
    (tmp_path / "me.txt").write_text("Use UniTask.", encoding="utf-8")
    assert run("instructions", "set", "--team", "team.txt")[1].strip().endswith("version 1.")
    assert "version 1" in run("instructions", "set", "--me", "me.txt")[1]
    assert "version 2" in run("instructions", "set", "--me", "me.txt")[1]
    code, out, _ = run("instructions", "show", "--json")
    assert code == 0
    assert json.loads(out) == {
        "team": {"version": 1, "text": "Namespace Acme.Game."},
        "personal": {"version": 2, "text": "Use UniTask."},
    }
    code, _, err = run(
        "generate", "a coin", "--provider", "anthropic", "-o", "out/", env=fake_env(upstream)
    )
    assert code == 0, err
    system = upstream.anthropic.last.body["system"]
    system = system if isinstance(system, str) else "".join(p["text"] for p in system)
    assert "[[spark:team-instructions v1]]\nNamespace Acme.Game." in system
    assert "[[spark:personal-instructions v2]]\nUse UniTask." in system
    assert "cleared (version 3)" in run("instructions", "clear", "--me")[1]
    code, out, _ = run("instructions", "show")
    assert "Your instructions: none" in out and "Namespace Acme.Game." in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"x" * 4001, "4,001 characters; the limit is 4,000"),
        (b"a\x00b", "NUL"),
        (b"caf\xe9", "not UTF-8"),
        (b"   \n", "empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_saved(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "bad.txt").write_bytes(content)
    code, out, err = run("instructions", "set", "--me", "bad.txt")
    assert code == 2 and says in out + err
    assert json.loads(run("instructions", "show", "--json")[1])["personal"] is None


def test_whose_instructions_must_be_said() -> None:
    code, out, err = run("instructions", "clear")
    assert code == 2 and "--team or --me" in out + err
    code, out, err = run("instructions", "set", "--me", "missing.txt")
    assert code == 2 and "Cannot read missing.txt" in out + err


async def test_the_mcp_server_sends_the_users_instructions(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    from tests.mcp_support import call, stdio_client, upstream_env
    from tests.serve_support import server_env

    env = server_env(tmp_path, **upstream_env(upstream), SPARK_CLI_USER="dana")
    (tmp_path / "mine.txt").write_text("Prefix private fields with m_.", encoding="utf-8")
    saved = await asyncio.to_thread(
        run, "instructions", "set", "--me", str(tmp_path / "mine.txt"), env=env
    )
    assert saved[0] == 0, saved
    async with stdio_client(env) as client:
        answer = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
    assert not answer.is_error, answer.text
    system = upstream.anthropic.last.body["system"]
    system = system if isinstance(system, str) else "".join(p["text"] for p in system)
    assert "[[spark:personal-instructions v1]]\nPrefix private fields with m_." in system


def test_estimate_prices_the_instructions_generate_sends(tmp_path: Path) -> None:
    """`spark estimate` counts the team's and the user's instructions in the system prompt,
    as `spark generate` sends them (and as the web app's and MCP's estimates do)."""

    def system_tokens() -> int:
        code, out, err = run("estimate", "--prompt-tokens", "100", "-p", "anthropic", "--json")
        assert code == 0, err
        return int(json.loads(out)["system_prompt_tokens"])

    bare = system_tokens()
    (tmp_path / "team.txt").write_text("Namespace Acme.Game. " * 40, encoding="utf-8")
    (tmp_path / "me.txt").write_text("Use UniTask for every delay. " * 20, encoding="utf-8")
    assert run("instructions", "set", "--team", "team.txt")[0] == 0
    with_team = system_tokens()
    assert run("instructions", "set", "--me", "me.txt")[0] == 0
    with_both = system_tokens()
    assert bare + 200 < with_team < with_both
    assert run("instructions", "clear", "--team")[0] == 0
    assert run("instructions", "clear", "--me")[0] == 0
    assert system_tokens() == bare
