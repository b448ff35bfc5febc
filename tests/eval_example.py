"""Make docs/eval.md's example report offline: the fake upstream scripted with the mix of
tests/eval_support.py (good, repaired, auto-fixed, still broken, refused, overloaded-then-good)
for two models, then a real ``spark eval`` process against it.

    python -m tests.eval_example /tmp/eval-example

prints the command it ran and the report; the folder gets ``suite.toml``, ``report.json`` and
``report.html`` (its own SPARK data folder too: your history is not touched).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.eval_support import MODELS, SUITE_TOML, enqueue
from tests.fakes.upstream import FakeUpstream


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.toml").write_text(SUITE_TOML, "utf-8")
    with FakeUpstream() as upstream:
        for model in MODELS:
            enqueue(upstream, model)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "ANTHROPIC_"))}
        env = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
        env |= {
            "SPARK_DATA_DIR": str(folder / "data"),
            "ANTHROPIC_API_KEY": "fake-key",
            "ANTHROPIC_BASE_URL": upstream.anthropic_base_url,
            "OPENAI_API_KEY": "fake-key",
            "OPENAI_BASE_URL": upstream.openai_base_url,
            "SPARK_RETRY_BASE_DELAY": "0.05",
            "COLUMNS": "100",
        }
        args = ["eval", "--suite", "suite.toml", "--models", ",".join(MODELS)]
        args += ["--json", "report.json", "--html", "report.html"]
        print("$ spark " + " ".join(args), flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "spark", *args], cwd=folder, env=env, check=False
        )
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "eval-example")))
