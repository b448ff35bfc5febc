"""A scripted `spark eval` scenario for the fake upstream, and the report it must produce.

Six prompts on two models (Anthropic's claude-sonnet-5-5 at $2/$10 per million tokens and
OpenAI's gpt-6.2-astra at $8/$40, prices read from the catalog's data file here, not through
SPARK's code). Each model's replies are queued in suite order (``spark eval`` runs a model's
prompts one after another), so every figure of the report follows from this script:

1. ``good``: a valid script.
2. ``repaired``: a syntax error, then the repair round's valid script (1 round).
3. ``autofix``: ``void update()`` - the SPK005 automatic fix renames it (1 fix), valid.
4. ``broken``: a syntax error, and the repair round's reply still has it (1 round, 1 error).
5. ``refused``: a permanent error (Anthropic: 400 bad request; OpenAI: 401 auth) - a failure.
6. ``transient``: an overloaded answer (Anthropic 529, OpenAI 503), then a valid script
   (2 attempts).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.fakes.upstream import FakeUpstream, Fault, Reply

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("anthropic:claude-sonnet-5-5", "openai:gpt-6.2-astra")
ITEMS = ("good", "repaired", "autofix", "broken", "refused", "transient")

SUITE_TOML = """name = "scripted"
""" + "".join(
    f'\n[[item]]\nid = "{item}"\ndifficulty = "easy"\ntags = ["test"]\n'
    f'prompt = "A script for the {item} case."\n'
    for item in ITEMS
)


def fenced(code: str) -> str:
    return f"Here it is.\n\n```csharp\n{code}```\n"


GOOD = fenced(
    """using UnityEngine;

public class CoinSpinner : MonoBehaviour
{
    [SerializeField] private float degreesPerSecond = 180f;

    private void Update()
    {
        transform.Rotate(0f, degreesPerSecond * Time.deltaTime, 0f, Space.World);
    }
}
"""
)
BROKEN = fenced(
    """using UnityEngine;
public class Broken : MonoBehaviour
{
    void Update()
    {
        int x = 1
    }
}
"""
)
FIXED = fenced(
    """using UnityEngine;
public class Broken : MonoBehaviour
{
    [SerializeField] private int x = 1;
}
"""
)
LOWERCASE_UPDATE = fenced(
    """using UnityEngine;
public class Mover : MonoBehaviour
{
    [SerializeField] private float speed = 90f;

    private void update()
    {
        transform.Rotate(0f, speed * Time.deltaTime, 0f);
    }
}
"""
)


@dataclass(frozen=True)
class Call:
    """One provider call of the script and the tokens it is billed."""

    input_tokens: int
    output_tokens: int


# Tokens per call, per model: different numbers everywhere, so a figure summed from the wrong
# calls cannot come out right.
TOKENS: dict[str, dict[str, list[Call]]] = {
    MODELS[0]: {
        "good": [Call(1000, 2000)],
        "repaired": [Call(1100, 300), Call(1500, 250)],
        "autofix": [Call(900, 200)],
        "broken": [Call(800, 100), Call(1200, 110)],
        "refused": [],
        "transient": [Call(700, 400)],
    },
    MODELS[1]: {
        "good": [Call(500, 900)],
        "repaired": [Call(510, 310), Call(620, 260)],
        "autofix": [Call(430, 120)],
        "broken": [Call(300, 90), Call(640, 95)],
        "refused": [],
        "transient": [Call(350, 410)],
    },
}
TTFT = 0.03  # seconds before each reply's first text


def enqueue(upstream: FakeUpstream, model: str, items: tuple[str, ...] = ITEMS) -> None:
    """Queue ``model``'s replies for ``items`` (in suite order)."""
    provider, name = model.split(":")
    api = upstream.anthropic if provider == "anthropic" else upstream.openai
    t = TOKENS[model]

    def reply(text: str, call: Call) -> Reply:
        return Reply(
            text,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            ttft=TTFT,
            for_model=name,
        )

    script: dict[str, list[Any]] = {
        "good": [reply(GOOD, t["good"][0])],
        "repaired": [reply(BROKEN, t["repaired"][0]), reply(FIXED, t["repaired"][1])],
        "autofix": [reply(LOWERCASE_UPDATE, t["autofix"][0])],
        "broken": [reply(BROKEN, t["broken"][0]), reply(BROKEN, t["broken"][1])],
        "refused": [
            Fault.bad_request(for_model=name)
            if provider == "anthropic"
            else Fault.auth(for_model=name)
        ],
        "transient": [Fault.overloaded(for_model=name), reply(GOOD, t["transient"][0])],
    }
    for item in items:
        api.enqueue(*script[item])


def price(model: str) -> tuple[Decimal, Decimal]:
    """USD per million input and output tokens, read from the catalog's data file."""
    provider, name = model.split(":")
    data = tomllib.loads((ROOT / "src" / "spark" / "catalog.toml").read_text("utf-8"))
    row = next(m for m in data["model"] if m["provider"] == provider and m["id"] == name)
    return Decimal(row["price"]["input"]), Decimal(row["price"]["output"])


def expected(model: str, items: tuple[str, ...] = ITEMS) -> dict[str, Any]:
    """Every figure of ``model``'s row in the report, worked out from the script above."""
    calls = [c for item in items for c in TOKENS[model][item]]
    tokens_in = sum(c.input_tokens for c in calls)
    tokens_out = sum(c.output_tokens for c in calls)
    per_in, per_out = price(model)
    cost = (tokens_in * per_in + tokens_out * per_out) / Decimal(1_000_000)
    # good 1, repaired 1 - 0.25, autofix 1, broken 0.2 (errors left), refused 0, transient 1.
    scores = {"good": 1, "repaired": 0.75, "autofix": 1, "broken": 0.2, "refused": 0,
              "transient": 1}  # fmt: skip
    good = sum(item in ("good", "repaired", "autofix", "transient") for item in items)
    kind = "bad_request" if model.startswith("anthropic") else "auth"
    return {
        "model": model,
        "score": round(100 * sum(scores[i] for i in items) / len(ITEMS), 1),
        "planned": len(ITEMS),
        "finished": len(items),
        "unfinished": len(ITEMS) - len(items),
        "scripts": sum(item != "refused" for item in items),
        "valid": good,
        "good": good,
        "compile": {"checked": 0, "compiled": 0, "failed": 0, "text": "not checked"},
        "errors": int("broken" in items),  # the missing semicolon, left after the repair
        "warnings": 0,
        "repair_rounds": sum(item in ("repaired", "broken") for item in items),
        "repaired": sum(item in ("repaired", "broken") for item in items),
        "fixes": int("autofix" in items),
        # 1 per generation (a repair round is not an attempt), + the retried overload.
        "attempts": len(items) + int("transient" in items),
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost_usd": str(cost.quantize(Decimal("0.000001"))),
        "cost_per_good_script_usd": str((cost / good).quantize(Decimal("0.000001")))
        if good
        else None,
        "failures": {kind: 1} if "refused" in items else {},
    }


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    """A report row without its timings (checked apart: they are measured, not scripted)."""
    return {k: v for k, v in row.items() if k not in ("ttft_p50_ms", "total_p50_ms")}
