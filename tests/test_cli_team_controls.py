"""`spark fallback`, `spark cache` and what `spark generate` says about them, on SQLite and
PostgreSQL, with the fake upstream behind the providers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Fault, Reply
from tests.test_cli import fake_env
from tests.test_cli_history import spark as spark  # the fixture

ANTHROPIC = ["-p", "anthropic", "-m", "claude-sonnet-5-5"]


def test_fallback_set_show_clear(spark) -> None:
    code, out, err = spark("fallback", "show", "--json")
    assert code == 0, err
    assert json.loads(out) == {"team": [], "mine": None, "effective": []}
    code, out, _ = spark("fallback", "set", "anthropic:claude-sonnet-5-5", "openai:gpt-6.2-sol")
    assert code == 0 and "anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol" in out
    code, out, _ = spark("fallback", "off", "--me", "--json")
    assert json.loads(out)["effective"] == [] and json.loads(out)["mine"] == []
    code, out, _ = spark("fallback", "clear", "--me", "--json")
    assert json.loads(out)["effective"] == ["anthropic:claude-sonnet-5-5", "openai:gpt-6.2-sol"]
    code, out, _ = spark("fallback", "clear", "--json")
    assert json.loads(out)["team"] == []
    code, out, err = spark("fallback", "set", "open ai;x")
    assert code == 2 and "not a fallback entry" in (out + err)


def test_generate_says_who_answered_after_a_529_storm(
    spark, upstream: FakeUpstream, tmp_path: Path
) -> None:
    env = fake_env(upstream)
    assert spark("fallback", "set", "openai:gpt-6.2-sol", env=env)[0] == 0
    upstream.anthropic.enqueue(*[Fault.overloaded()] * 4)
    upstream.openai.enqueue(Reply(DEFAULT_TEXT))
    code, out, err = spark("generate", "a coin", *ANTHROPIC, "-o", "out/", "--no-stream", env=env)
    assert code == 0, out + err
    assert "answered by OpenAI gpt-6.2-sol after Anthropic Claude was overloaded" in out + err
    code, out, err = spark("history", "show", "1", "--json", env=env)
    assert code == 0, err
    shown = json.loads(out)
    assert [a["provider"] for a in shown["attempt_details"]] == ["anthropic"] * 4 + ["openai"]


def test_cache_on_then_a_repeat_is_cached(spark, upstream: FakeUpstream) -> None:
    env = fake_env(upstream)
    code, out, _ = spark("cache", "show", "--json", env=env)
    assert json.loads(out) == {"enabled": False, "scope": "user", "ttl_seconds": 604800}
    code, out, _ = spark("cache", "set", "--on", "--ttl", "3600", env=env)
    assert code == 0 and "on" in out and "3,600 s" in out
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT, input_tokens=1000, output_tokens=2000))
    args = ("generate", "a coin", *ANTHROPIC, "-o", "out/", "--json", "--force")
    first = json.loads(spark(*args, env=env)[1])
    assert first["cached"] is False
    code, out, err = spark(*args, env=env)
    assert code == 0, out + err
    hit = json.loads(out)
    assert hit["cached"] is True and hit["cost_usd"] == "0" and hit["saved_usd"] == "0.022000"
    code, out, err = spark("generate", "a coin", *ANTHROPIC, "-o", "out/", "-f", env=env)
    assert "cached (saved $0.0220)" in out + err
    upstream.anthropic.enqueue(Reply(DEFAULT_TEXT))
    fresh = json.loads(spark(*args, "--no-cache", env=env)[1])
    assert fresh["cached"] is False
    code, out, err = spark("cache", "set", "--ttl", "5", env=env)
    assert code == 2 and "between 60" in out + err
    code, out, _ = spark("cache", "reset", "--json", env=env)
    assert json.loads(out)["enabled"] is False
