"""The `spark` command: Typer's runner for most cases, one real subprocess at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.cli import app
from tests.fakes.upstream import FakeUpstream, Fault, Reply

LAUNCH_MODELS = [
    "claude-3-5-sonnet-20241022",
    "claude-3-5-sonnet-20240620",
    "claude-3-haiku-20240307",
    "gpt-4",
    "gpt-4-turbo-preview",
    "gpt-3.5-turbo",
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `spark ...` in a clean folder; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def fake_env(upstream: FakeUpstream, **extra: str) -> dict[str, str]:
    return {
        "ANTHROPIC_API_KEY": "test-key-a",
        "ANTHROPIC_BASE_URL": upstream.anthropic_base_url,
        "OPENAI_API_KEY": "test-key-o",
        "OPENAI_BASE_URL": upstream.openai_base_url,
        "SPARK_RETRY_BASE_DELAY": "0.01",
        # The fake's /v1/models must answer even on a loaded machine: with the default 5 s an
        # unknown model passes as "maybe live" when the list times out (tests that time it out
        # set their own value).
        "SPARK_MODELS_TIMEOUT": "60",
        **extra,
    }


def test_offline_generate_writes_the_template(cli, tmp_path: Path) -> None:
    code, out, _ = cli("generate", "rotate an object at 90 degrees per second", "-o", "out/")
    assert code == 0
    script = tmp_path / "out" / "Rotator.cs"
    assert script.is_file()
    assert "speed = 90f" in script.read_text()
    assert "Wrote" in out and "Rotator.cs" in out
    assert "offline/spark-templates" in out
    assert "validation: OK" in out


def test_default_output_is_the_current_folder(cli, tmp_path: Path) -> None:
    code, _, _ = cli("generate", "a 60 second countdown timer", "--no-stream")
    assert code == 0
    assert [p.name for p in tmp_path.glob("*.cs")]


def test_json_result(cli, tmp_path: Path) -> None:
    code, out, _ = cli("generate", "a coin collectible", "--json", "-o", "Assets/Scripts/")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert Path(data["path"]).read_text() == data["code"]
    assert Path(data["path"]).parent == tmp_path / "Assets" / "Scripts"
    assert data["provider"] == "offline"
    assert data["cost_usd"] == "0.000000"
    assert data["validation"]["counts"]["error"] == 0


@pytest.mark.parametrize(
    ("provider", "model"),
    [("anthropic", "claude-3-5-sonnet-20241022"), ("openai", "gpt-4")],
)
def test_launch_models_through_the_fake(cli, upstream, tmp_path, provider, model) -> None:
    code, out, _ = cli(
        "generate",
        "a coin that spins",
        "--provider",
        provider,
        "--model",
        model,
        "-o",
        "out/",
        env=fake_env(upstream),
    )
    assert code == 0, out
    assert (tmp_path / "out" / "CoinSpinner.cs").is_file()
    api = upstream.anthropic if provider == "anthropic" else upstream.openai
    assert api.history[-1].body["model"] == model
    assert f"{provider}/{model}" in out


def test_explicit_file_output(cli, upstream, tmp_path) -> None:
    code, _, _ = cli("generate", "a coin", "-p", "openai", "-o", "Coin.cs", env=fake_env(upstream))
    assert code == 0
    assert (tmp_path / "Coin.cs").is_file()


def test_retry_notice_is_shown(cli, upstream, tmp_path) -> None:
    upstream.openai.enqueue(Fault.rate_limit(), Reply())
    code, _, err = cli("generate", "a coin", "-p", "openai", env=fake_env(upstream))
    assert code == 0
    assert "Rate limited — retrying in 0.01 s (attempt 2 of 4)" in err


def test_provider_failure_is_one_line_and_exit_1(cli, upstream) -> None:
    upstream.anthropic.enqueue(Fault.auth())
    code, out, err = cli("generate", "a coin", "-p", "anthropic", env=fake_env(upstream))
    assert code == 1
    assert "Error: Anthropic rejected the API key (401)." in err
    assert "Hint: Check ANTHROPIC_API_KEY" in err
    assert "Traceback" not in err + out
    assert "test-key-a" not in err + out


def test_debug_shows_the_traceback(cli, upstream) -> None:
    upstream.anthropic.enqueue(Fault.auth())
    code, _, err = cli("generate", "a coin", "-p", "anthropic", "--debug", env=fake_env(upstream))
    assert code == 1
    assert "Traceback" in err


def test_failure_as_json(cli, upstream) -> None:
    upstream.openai.enqueue(Fault.insufficient_quota())
    code, out, _ = cli("generate", "a coin", "-p", "openai", "--json", env=fake_env(upstream))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["error"]["kind"] == "quota"
    assert data["error"]["retryable"] is False


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["generate", ""], "The prompt is empty"),
        (["generate", "   "], "The prompt is empty"),
        (["generate", "x", "--provider", "gemini"], "Unknown provider 'gemini'"),
        (["generate", "x", "--model", "gpt-4"], "Unknown model 'gpt-4'"),
        (["generate", "x", "--provider", "anthropic"], "ANTHROPIC_API_KEY"),
        (["generate", "x", "-o", "notes.txt"], "does not end in .cs"),
        (["models", "--provider", "gemini"], "Unknown provider"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(cli, args, words) -> None:
    code, out, err = cli(*args)
    assert code == 2
    assert words in err
    assert "Traceback" not in err + out


def test_unwritable_output_path_is_checked_before_generating(cli, upstream, tmp_path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    code, _, err = cli(
        "generate", "a coin", "-p", "openai", "-o", "blocker/sub/", env=fake_env(upstream)
    )
    assert code == 2
    assert "is a file, not a folder" in err
    assert upstream.openai.history == []  # nothing was paid for


def test_bad_setting_is_a_usage_error(cli) -> None:
    code, _, err = cli("generate", "x", env={"SPARK_MAX_RETRIES": "many"})
    assert code == 2
    assert "Invalid configuration" in err and "max_retries" in err


def test_existing_file_is_not_overwritten_without_force(cli, tmp_path) -> None:
    target = tmp_path / "Rotator.cs"
    target.write_text("// my own edits\n")
    code, out, _ = cli("generate", "a rotator")
    assert code == 0
    assert target.read_text() == "// my own edits\n"
    assert (tmp_path / "Rotator.cs.new").is_file()
    assert "already exists" in out
    code, _, _ = cli("generate", "a rotator", "--force")
    assert code == 0
    assert "class Rotator" in target.read_text()


def test_models_lists_launch_and_current_models(cli) -> None:
    code, out, _ = cli("models", "--json")
    assert code == 0
    rows = json.loads(out)
    ids = {row["id"] for row in rows}
    assert set(LAUNCH_MODELS) <= ids
    anthropic_rows = [r for r in rows if r["provider"] == "anthropic"]
    assert not any(r["available"] for r in anthropic_rows)
    assert "ANTHROPIC_API_KEY" in anthropic_rows[0]["how_to_enable"]
    defaults = [r for r in rows if r["default"]]
    assert {r["provider"] for r in defaults} == {"anthropic", "openai", "openai_compat", "offline"}
    assert all(r["status"] == "current" for r in defaults)


def test_models_with_keys_merges_the_live_list(cli, upstream) -> None:
    upstream.openai.models = ["gpt-6.2-sol", "gpt-7-preview"]
    code, out, _ = cli("models", "--provider", "openai", "--json", env=fake_env(upstream))
    assert code == 0
    rows = json.loads(out)
    assert all(r["available"] and r["live_list"] for r in rows)
    unknown = next(r for r in rows if r["id"] == "gpt-7-preview")
    assert unknown["status"] == "unknown"


def test_models_table(cli) -> None:
    code, out, _ = cli("models", "--provider", "anthropic")
    assert code == 0
    assert "claude-3-haiku-20240307" in out
    assert "retired" in out
    assert "set ANTHROPIC_API_KEY" in out


def test_validate_command(cli, tmp_path) -> None:
    good = tmp_path / "Good.cs"
    good.write_text("using UnityEngine;\npublic class Good : MonoBehaviour\n{\n}\n")
    bad = tmp_path / "Bad.cs"
    bad.write_text("using UnityEngine;\npublic class Bad : MonoBehaviour\n{\n    int x = 1\n}\n")
    assert cli("validate", str(good))[0] == 0
    code, out, _ = cli("validate", str(bad))
    assert code == 1
    assert "expected ';'" in out
    assert cli("validate", str(tmp_path / "Missing.cs"))[0] == 2


BROKEN_REPLY = (
    "```csharp\nusing UnityEngine;\npublic class Spinner : MonoBehaviour\n{\n"
    "    void Update()\n    {\n        transform.Rotate(0, 1, 0)\n    }\n}\n```"
)
FIXED_REPLY = BROKEN_REPLY.replace("transform.Rotate(0, 1, 0)", "transform.Rotate(0, 1, 0);")


def test_repair_round_end_to_end(cli, upstream, tmp_path) -> None:
    upstream.anthropic.enqueue(Reply(BROKEN_REPLY), Reply(FIXED_REPLY))
    code, out, err = cli("generate", "a spinner", "-p", "anthropic", env=fake_env(upstream))
    assert code == 0, out + err
    assert "transform.Rotate(0, 1, 0);" in (tmp_path / "Spinner.cs").read_text()
    assert "1 repair round" in out
    assert "before the repair round: FAILED — 1 error" in out
    assert "repair round 1" in err
    assert len([r for r in upstream.anthropic.history if r.path == "/v1/messages"]) == 2


def test_still_broken_script_is_written_and_exit_1(cli, upstream, tmp_path) -> None:
    upstream.openai.enqueue(Reply(BROKEN_REPLY), Reply(BROKEN_REPLY))
    code, out, _ = cli("generate", "a spinner", "-p", "openai", "--json", env=fake_env(upstream))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["validation"]["counts"]["error"] == 1
    assert Path(data["path"]).is_file()  # the user still gets the code


def test_validate_reads_stdin_and_formats_json(cli, tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        ["validate", "-", "--format", "json"],
        input="using UnityEngine;\npublic class A : MonoBehaviour\n{\n    int x = 1\n}\n",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert "expected ';'" in json.dumps(data)


def test_validate_uses_the_configured_unity_version(cli, tmp_path) -> None:
    script = tmp_path / "Mover.cs"
    script.write_text(
        "using UnityEngine;\npublic class Mover : MonoBehaviour\n{\n"
        "    [SerializeField] private Rigidbody body;\n"
        "    private void FixedUpdate()\n    {\n        body.velocity = Vector3.zero;\n    }\n}\n"
    )
    _, modern, _ = cli("validate", str(script))
    _, old, _ = cli("validate", str(script), env={"SPARK_UNITY_VERSION": "2022.3"})
    assert "linearVelocity" in modern
    assert "linearVelocity" not in old


def test_validate_help_and_bad_options_through_the_typer_app(cli, tmp_path) -> None:
    code, out, _ = cli("validate", "--help")
    assert code == 0
    assert "--unity-version" in out and "--input-system" in out and "Exit codes" in out
    script = tmp_path / "A.cs"
    script.write_text("public class A {}\n")
    code, _, err = cli("validate", "--format", "xml", str(script))
    assert code == 2
    assert "invalid choice: 'xml'" in err
    code, _, err = cli("validate")
    assert code == 2
    assert "required: FILE" in err
    code, _, err = cli("validate", "--input-system", "new", "--no-such-option", str(script))
    assert code == 2
    assert "unrecognized arguments: --no-such-option" in err


def test_validate_starts_without_typer_or_settings(tmp_path) -> None:
    """`spark validate` is dispatched before Typer, Click, pydantic and Settings are imported."""
    bad = tmp_path / "Bad.cs"
    bad.write_text("using UnityEngine;\npublic class Bad : MonoBehaviour\n{\n    int x = 1\n}\n")
    heavy = ("typer", "click", "pydantic", "pydantic_settings", "spark.config", "anthropic")
    proc = run_in_new_process(["validate", str(bad)], heavy)
    assert "Bad.cs:4:14: error CS-SYNTAX: expected ';'" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "exit 1 []"


def test_rules_command(cli) -> None:
    code, out, _ = cli("rules", "--json")
    assert code == 0
    rules = json.loads(out)
    ids = {rule["id"] for rule in rules}
    assert "CS-SYNTAX" in ids or any(i.startswith("SPK") for i in ids)
    assert any(rule["analyzer_id"] == "UNT0001" for rule in rules)
    code, out, _ = cli("rules")
    assert code == 0
    assert "UNT0002" in out


def test_version(cli) -> None:
    code, out, _ = cli("version")
    assert code == 0
    assert out.strip()


def test_real_subprocess_against_the_fake(upstream, tmp_path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "SPARK_"))
    }
    env.update(fake_env(upstream))
    upstream.anthropic.enqueue(Fault.server(503), Reply())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "spark",
            "generate",
            "a coin that spins",
            "-p",
            "anthropic",
            "-m",
            "claude-3-5-sonnet-20241022",
            "-o",
            "out/",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "CoinSpinner.cs").read_text().startswith("using UnityEngine;")
    assert "retrying" in proc.stderr
    assert "2 attempts" in proc.stdout
    assert "Traceback" not in proc.stderr


def run_in_new_process(argv: list[str], heavy: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """``spark *argv`` in a new interpreter; its output ends with a line ``exit CODE [...]``
    naming the modules of ``heavy`` that got imported."""
    probe = (
        "import sys\n"
        f"sys.argv = ['spark', *{argv!r}]\n"
        "import spark.cli\n"
        "code = 0\n"
        "try:\n"
        "    spark.cli.main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print('exit', code, sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("args", [["generate", "--help"], ["db", "upgrade", "--help"]])
def test_a_commands_help_does_not_load_pydantic(args: list[str]) -> None:
    """Start-up: help pages need neither the settings nor typer's pydantic adapters."""
    proc = run_in_new_process([*args], ("pydantic",))
    assert "Usage:" in proc.stdout and "--help" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "exit 0 []"
