"""MCP's generate tool meets the same limits as the web API: the error of kind ``budget`` with
the limit's figures, and no provider call (``spark mcp`` over stdio, the fake upstream)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from spark.config import Settings
from spark.db import Database
from spark.db.limits import set_limits
from spark.limits import TEAM, Limits
from tests.fakes.upstream import FakeUpstream
from tests.mcp_support import call, stdio_client, upstream_env
from tests.serve_support import server_env


async def test_the_generate_tool_is_refused_by_the_budget(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    env = server_env(tmp_path, **upstream_env(upstream), SPARK_CLI_USER="dana")
    settings = Settings(data_dir=tmp_path / "spark")
    async with stdio_client(env) as client:
        free = await call(client, "generate_unity_script", {"prompt": "a coin"})
        assert not free.is_error  # the schema exists now
        async with Database.from_settings(settings) as database, database.session() as session:
            await set_limits(
                session=session,
                admin_id=None,
                scope=TEAM,
                limits=Limits(daily_usd=Decimal("0.001")),
            )
        refused = await call(
            client, "generate_unity_script", {"prompt": "a coin", "provider": "anthropic"}
        )
    assert refused.is_error
    error = refused.data["error"]
    assert error["kind"] == "budget" and error["limit_usd"] == "0.001"
    assert error["scope"] == "team" and error["resets_at"].endswith("+00:00")
    assert "team's daily limit" in refused.text and "SECRET" not in refused.text
    assert upstream.anthropic.history == []
