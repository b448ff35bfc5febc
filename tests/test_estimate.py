"""The cost calculator: token estimates and per-model costs against hand-computed values."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spark.catalog import Catalog, load_catalog
from spark.cli import app
from spark.estimate import DEFAULT_OUTPUT_TOKENS, estimate_costs, estimate_tokens
from spark.unity.prompts import build_system_prompt
from spark.usage import Usage

CATALOG = """
[[provider]]
id = "paid"
display_name = "Paid Cloud"
enable_env = "PAID_KEY"
needs = "set PAID_KEY"

[[provider]]
id = "local"
display_name = "Local"
needs = "always"

[[model]]
provider = "paid"
id = "big"
display_name = "Big"
status = "current"
default = true
price = { input = "3", output = "15", cache_read = "0.3", cache_write = "3.75", checked = 2026-01-02 }

[[model]]
provider = "paid"
id = "small"
display_name = "Small"
status = "current"
price = { input = "0.25", output = "1.25", cache_read = "0.03", cache_write = "0.3", checked = 2026-03-04 }

[[model]]
provider = "paid"
id = "small-twin"
display_name = "Small twin"
status = "current"
price = { input = "0.25", output = "1.25", cache_read = "0.03", cache_write = "0.3", checked = 2026-03-04 }

[[model]]
provider = "paid"
id = "old"
display_name = "Old"
status = "legacy"
price = { input = "0.10", output = "0.50", cache_read = "0.01", cache_write = "0.1", checked = 2026-03-04 }

[[model]]
provider = "paid"
id = "gone"
display_name = "Gone"
status = "retired"
price = { input = "0.01", output = "0.01", cache_read = "0.01", cache_write = "0.01", checked = 2025-01-01 }

[[model]]
provider = "paid"
id = "mystery"
display_name = "Mystery"
status = "current"
price = "unknown"

[[model]]
provider = "local"
id = "free"
display_name = "Free"
status = "current"
default = true
price = { input = "0", output = "0", cache_read = "0", cache_write = "0", checked = 2026-05-06 }
"""  # noqa: E501


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    return load_catalog(path)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("abcd" * 3, 3),  # 12 / 4
        ("abcde", 2),  # 1.25, rounded up
        ("ab```cs\nx;\n```", 4),  # 2 / 4 + 12 / 3.5 = 3.93
        ("```aaaa", 2),  # an unclosed fence is code to the end: 7 / 3.5
        ("x" * 4000, 1000),
    ],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_costs_by_hand(catalog: Catalog) -> None:
    report = estimate_costs(
        catalog=catalog,
        prompt_tokens=1000,
        output_tokens=2000,
        system_prompt="x" * 400,  # 100 tokens
        available=["local"],
    )
    assert (report.prompt_tokens, report.system_prompt_tokens, report.input_tokens) == (
        1000,
        100,
        1100,
    )
    costs = {r.model: r.cost_usd for r in report.rows}
    assert costs == {
        "free": Decimal("0"),
        "old": Decimal("0.001110"),  # 1100 x 0.10 + 2000 x 0.50 = 1110 per million
        "small": Decimal("0.002775"),  # 275 + 2500
        "small-twin": Decimal("0.002775"),
        "big": Decimal("0.033300"),  # 3300 + 30000
        "mystery": None,  # unknown, never $0
    }
    assert [r.model for r in report.rows] == [
        "free",
        "old",
        "small",
        "small-twin",
        "big",
        "mystery",
    ]
    # the legacy model is cheaper but not current; free models are flagged free instead
    assert [r.model for r in report.cheapest] == ["small", "small-twin"]  # a tie: both
    by_model = {r.model: r for r in report.rows}
    assert by_model["free"].free and not by_model["free"].cheapest
    assert not by_model["mystery"].free and by_model["mystery"].price_checked is None
    assert by_model["small"].price_checked == date(2026, 3, 4)
    assert by_model["small"].input_per_million == Decimal("0.25")
    assert by_model["old"].display_name == "Old (legacy)"
    assert {r.model for r in report.rows if r.available} == {"free"}
    assert "estimated" in report.note


def test_prompt_text_and_ties(catalog: Catalog) -> None:
    report = estimate_costs(
        catalog=catalog,
        prompt="abcd" * 10,  # 10 tokens
        output_tokens=0,
        providers=["paid"],
        include_retired=True,
    )
    assert report.input_tokens == 10 and report.output_tokens == 0
    costs = {r.model: r.cost_usd for r in report.rows}
    assert costs["gone"] == Decimal("0.000000")  # 10 x 0.01 / 1e6 rounds to 0 ...
    assert costs["small"] == Decimal("0.000003")  # 2.5 per million, half up
    assert all(r.available for r in report.rows)  # available=None: all
    assert "free" not in costs
    # ... and a retired model is never "cheapest"
    tie = estimate_costs(catalog=catalog, prompt_tokens=0, output_tokens=0, providers=["paid"])
    assert tie.cheapest == ()  # every known cost is zero: nothing paid to compare


def test_default_output_and_negative_sizes(catalog: Catalog) -> None:
    report = estimate_costs(catalog=catalog, prompt="")
    assert report.output_tokens == DEFAULT_OUTPUT_TOKENS and report.input_tokens == 0
    with pytest.raises(ValueError):
        estimate_costs(catalog=catalog, prompt_tokens=-1)


def test_real_catalog_matches_catalog_cost() -> None:
    catalog = load_catalog()
    system = build_system_prompt()
    report = estimate_costs(
        catalog=catalog, prompt="enemy that patrols between waypoints", system_prompt=system
    )
    assert report.system_prompt_tokens == estimate_tokens(system) > 100
    usage = Usage(input_tokens=report.input_tokens, output_tokens=DEFAULT_OUTPUT_TOKENS)
    for row in report.rows:
        assert row.cost_usd == catalog.cost(row.provider, row.model, usage)
        assert row.status != "retired"
    assert report.cheapest and all(r.status == "current" for r in report.cheapest)
    known = [r.cost_usd for r in report.rows if r.cost_usd is not None]
    assert known == sorted(known)


def test_cli_estimate() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "estimate",
            "--prompt-tokens",
            "1000",
            "--output-tokens",
            "2000",
            "-p",
            "anthropic",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prompt_tokens"] == 1000 and data["estimated"] is True
    assert data["input_tokens"] == 1000 + data["system_prompt_tokens"]
    assert {m["provider"] for m in data["models"]} == {"anthropic"}
    sonnet = next(m for m in data["models"] if m["model"] == "claude-sonnet-5-5")
    expected = (Decimal(data["input_tokens"]) * 2 + 2000 * 10) / 1_000_000
    assert Decimal(sonnet["cost_usd"]) == expected.quantize(Decimal("0.000001"))
    assert sonnet["price_checked"] and sonnet["available"] is False
    result = runner.invoke(app, ["estimate", "a rotating cube"])
    assert result.exit_code == 0 and "cheapest" in result.stdout and "estimated" in result.stdout
    result = runner.invoke(app, ["estimate", "x", "--provider", "nope"])
    assert result.exit_code == 2 and "Unknown provider" in result.stderr
