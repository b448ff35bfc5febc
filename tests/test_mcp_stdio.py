"""``spark mcp`` over stdio, driven by the SDK's client as a desktop assistant drives it.

Each test starts ``spark mcp`` as a subprocess (the SDK's ``StdioServerParameters``), with
the providers pointed at the fake upstream; generations are recorded under ``SPARK_CLI_USER``
in the data folder's SQLite database, as ``spark generate``'s are. The client negotiates the
2026-07-28 protocol by default (``mode="auto"``); desktop assistants of today use the
handshake (``mode="legacy"``), so progress and cancellation are tested in both.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spark.config import Settings
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.mcp_support import (
    HTTP_TOOLS,
    call,
    cancel_mid_stream,
    stdio_client,
    upstream_env,
    wait_for_rows,
)
from tests.serve_support import server_env

GOOD = """using UnityEngine;

public class Bobber : MonoBehaviour
{
    [SerializeField] private float height = 0.5f;

    private void Update()
    {
        transform.position = new Vector3(0f, Mathf.Sin(Time.time) * height, 0f);
    }
}
"""


def _env(tmp_path: Path, upstream: FakeUpstream, **variables: str) -> dict[str, str]:
    return server_env(tmp_path, **upstream_env(upstream), SPARK_CLI_USER="dana", **variables)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_generate_with_progress_retry_and_errors(
    tmp_path: Path, upstream: FakeUpstream, mode: str
) -> None:
    settings = Settings(data_dir=tmp_path / "spark")
    async with stdio_client(_env(tmp_path, upstream), mode=mode) as client:
        assert {t.name for t in (await client.list_tools()).tools} == HTTP_TOOLS | {
            "write_to_project"
        }
        upstream.anthropic.enqueue(Reply(chunk_size=20, chunk_delay=0.05))
        first = await call(
            client,
            "generate_unity_script",
            {"prompt": "a coin that spins", "provider": "anthropic"},
        )
        assert not first.is_error, first.text
        assert first.data["file_name"] == "CoinSpinner.cs" and first.data["code"] in DEFAULT_TEXT
        assert first.data["generation_id"] == 1 and first.data["ok"] is True
        messages = [m or "" for _, m in first.progress]
        assert messages[0] == "Generating with anthropic/claude-sonnet-5-5"
        assert any(m.startswith("Writing the script") for m in messages)

        # A follow-up in the conversation sends the earlier script along.
        upstream.anthropic.enqueue(Reply())
        again = await call(
            client,
            "generate_unity_script",
            {
                "prompt": "also make it bob",
                "provider": "anthropic",
                "conversation_id": first.data["conversation_id"],
            },
        )
        assert not again.is_error and again.data["conversation_id"] == first.data["conversation_id"]
        sent = upstream.anthropic.last.body["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
        assert "CoinSpinner" in str(sent[1]["content"])

        upstream.anthropic.enqueue(Fault.rate_limit(retry_after=0), Reply())
        retried = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
        assert retried.data["attempts"] == 2
        assert any("Rate limited — retrying" in (m or "") for _, m in retried.progress)

        upstream.anthropic.enqueue(Fault.auth())
        refused = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
        assert refused.is_error and "Anthropic rejected the API key (401)" in refused.text
        assert refused.data["error"]["hint"] and "SECRET" not in refused.text
        missing = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "openai_compat"}
        )
        assert missing.is_error and "SPARK_OPENAI_COMPAT_BASE_URL" in missing.text
    rows = await wait_for_rows(settings, lambda r: len(r) == 5)
    assert [(r["status"], r["error_kind"]) for r in rows] == [
        ("succeeded", None),
        ("succeeded", None),
        ("succeeded", None),
        ("failed", "auth"),
        ("failed", "config"),
    ]
    assert len({r["user_id"] for r in rows}) == 1  # all the CLI user's (dana)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_cancelling_the_call_stops_the_generation(
    tmp_path: Path, upstream: FakeUpstream, mode: str
) -> None:
    settings = Settings(data_dir=tmp_path / "spark")
    upstream.anthropic.enqueue(Reply(chunk_size=4, chunk_delay=0.5, input_tokens=420))
    async with stdio_client(_env(tmp_path, upstream), mode=mode) as client:
        await cancel_mid_stream(client, {"prompt": "a coin to cancel", "provider": "anthropic"})
        # The server goes on serving after the cancel.
        after = await call(client, "list_history", {})
        assert after.data["items"][0]["prompt"] == "a coin to cancel"
    rows = await wait_for_rows(settings, lambda r: bool(r) and r[0]["status"] != "running")
    assert (rows[0]["status"], rows[0]["error_kind"], rows[0]["input_tokens"]) == (
        "failed",
        "cancelled",
        420,
    )


async def test_the_other_tools_over_stdio(tmp_path: Path, upstream: FakeUpstream) -> None:
    script = tmp_path / "Bobber.cs"
    script.write_text(GOOD)
    async with stdio_client(_env(tmp_path, upstream)) as client:
        made = await call(client, "generate_unity_script", {"prompt": "a coin that spins"})
        generation = made.data["generation_id"]
        by_path = await call(client, "validate_csharp", {"path": str(script)})
        assert not by_path.is_error and by_path.data["file_name"] == "Bobber.cs"
        assert by_path.data["ok"] is True
        neither = await call(client, "validate_csharp", {})
        assert neither.is_error and "either code or path" in neither.text
        not_cs = await call(client, "validate_csharp", {"path": "/etc/passwd"})
        assert not_cs.is_error and "not a .cs file" in not_cs.text
        found = await call(client, "get_generation", {"generation_id": generation})
        assert found.data["code"] == made.data["code"]
        absent = await call(client, "get_generation", {"generation_id": 999})
        assert absent.is_error and "list_history" in absent.text
        history = await call(client, "list_history", {"search": "spins"})
        assert history.data["total"] == 1
        stats = await call(client, "usage_stats", {"days": 1})
        assert stats.data["succeeded"] == 1
        cost = await call(client, "estimate_cost", {"prompt_tokens": 1000, "output_tokens": 500})
        assert cost.data["input_tokens"] > 1000 and cost.data["estimated"] is True
        models = await call(client, "list_models")
        assert models.data["default"] == {"provider": "offline", "model": "spark-templates"}
        nowhere = await call(client, "write_to_project", {"generation_id": generation})
        assert nowhere.is_error and "--project" in nowhere.text
        resource = await client.read_resource(made.data["resource_uri"])
        assert resource.contents[0].text == made.data["code"]  # type: ignore[union-attr]
        prompt = await client.get_prompt(
            "editor_window", {"purpose": "lists the scene's lights", "menu_path": "Tools/Lights"}
        )
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert "generate_unity_script" in text and "Tools/Lights" in text


async def test_a_unity_project_over_stdio(
    tmp_path: Path, upstream: FakeUpstream, unity_project: Path
) -> None:
    """With --project: generations are written for the project, compile_check compiles in it,
    and write_to_project writes only under its Assets/, with .meta files, never overwriting
    unless told to."""
    async with stdio_client(_env(tmp_path, upstream), "--project", str(unity_project)) as client:
        upstream.anthropic.enqueue(Reply())
        made = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
        assert "2022.3" in str(upstream.anthropic.last.body["system"])
        assert made.data["compile"]["status"] == "ok", made.data["compile"]
        compiled = await call(client, "compile_check", {"code": GOOD})
        assert compiled.data["status"] == "ok" and compiled.data["ok"] is True
        broken = await call(
            client, "compile_check", {"code": GOOD.replace("Mathf.Sin", "Mathf.Sine")}
        )
        assert broken.data["status"] == "failed" and broken.data["files"][0]["diagnostics"]

        written = await call(
            client, "write_to_project", {"generation_id": made.data["generation_id"]}
        )
        assert not written.is_error, written.text
        assert written.data["path"] == "Assets/Scripts/SPARK/CoinSpinner.cs"
        target = unity_project / written.data["path"]
        assert target.read_text() == made.data["code"]
        assert (unity_project / "Assets/Scripts/SPARK.meta").is_file()
        guid = written.data["guid"]
        again = await call(client, "write_to_project", {"code": made.data["code"] + "\n// v2\n"})
        assert again.is_error and "already exists" in again.text and "overwrite: true" in again.text
        replaced = await call(
            client, "write_to_project", {"code": made.data["code"] + "// v2\n", "overwrite": True}
        )
        assert replaced.data["replaced"] is True and replaced.data["guid"] == guid
        assert target.read_text().endswith("// v2\n")
        outside = await call(client, "write_to_project", {"code": GOOD, "folder": "../../outside"})
        assert outside.is_error and "outside the project's Assets/" in outside.text
        bad_name = await call(client, "write_to_project", {"code": GOOD, "file_name": "../x.cs"})
        assert bad_name.is_error
        assert not (unity_project.parent / "outside").exists()


def test_spark_mcp_help_and_a_bad_project(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    shown = subprocess.run(
        [sys.executable, "-m", "spark", "mcp", "--help"], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and "--project" in shown.stdout and "stdin" in shown.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "spark", "mcp", "--project", str(tmp_path / "nope")],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert refused.returncode == 2 and refused.stdout == ""  # stdout is the protocol's
    assert "Error:" in refused.stderr and "Traceback" not in refused.stderr
