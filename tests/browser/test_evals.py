"""Admin → Evals in Chromium, at desktop and phone size: a run made by `spark eval` (a real
process, on the server's database, against the fake upstream) is listed and its report shown
as a table and a chart; a user who is not an admin has no Evals link and gets 403."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail under SPARK_REQUIRE_BROWSER=1, saying why
    expect = None

import pytest

from tests.browser.conftest import Shot
from tests.eval_support import MODELS, SUITE_TOML, enqueue, expected
from tests.fakes.upstream import FakeUpstream
from tests.serve_support import SparkServer
from tests.web_support import PASSWORD, csrf_of, unique_name

PHONE = {"width": 390, "height": 844}
ADMIN = "evals-admin"


@pytest.fixture(scope="module")
def evals_admin(launched: dict[str, SparkServer]) -> str:
    """An admin made with `spark users create --admin` on the server's database before anyone
    signs up, so every account the ``page`` fixture signs up is not an admin, whatever order
    (or worker) the tests run in."""
    proc = subprocess.run(
        [sys.executable, "-m", "spark", "users", "create", ADMIN, "--admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=launched["keys"].env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return ADMIN


@pytest.fixture
def account(evals_admin: str) -> dict[str, str]:
    """The ``page`` fixture's account: a user who is not an admin."""
    return {"username": unique_name("player"), "password": PASSWORD}


def _sign_in_as_admin(page: Any, url: str) -> None:
    with httpx2.Client(base_url=url, timeout=10) as client:
        csrf = csrf_of(client.get("/signin").text)
        answer = client.post(
            "/signin", data={"csrf_token": csrf, "username": ADMIN, "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text
        cookie = str(client.cookies["spark_session"])
    page.context.add_cookies([{"name": "spark_session", "value": cookie, "url": url}])


def _run_eval(server: SparkServer, upstream: FakeUpstream, folder: Path) -> str:
    """`spark eval` on the server's database; returns the run id."""
    (folder / "suite.toml").write_text(SUITE_TOML, "utf-8")
    upstream.reset()
    for model in MODELS:
        enqueue(upstream, model)
    args = ["eval", "--suite", "suite.toml", "--models", ",".join(MODELS), "--json", "r.json"]
    proc = subprocess.run(
        [sys.executable, "-m", "spark", *args],
        cwd=folder,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return str(json.loads((folder / "r.json").read_text("utf-8"))["run_id"])


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


def test_an_admin_reads_an_eval_report(
    page: Any,
    spark_url: str,
    launched: dict[str, SparkServer],
    upstream_server: FakeUpstream,
    tmp_path: Path,
    shot: Shot,
) -> None:
    run_id = _run_eval(launched["keys"], upstream_server, tmp_path)
    _sign_in_as_admin(page, spark_url)
    page.goto(spark_url)
    page.click("text=Evals")
    row = page.locator("#eval-runs tbody tr").filter(has_text=run_id)
    expect(row).to_contain_text("finished")
    expect(row).to_contain_text("12/12")
    row.locator("a").click()
    expect(page.locator("#eval-title")).to_contain_text(run_id)
    table = page.locator("#eval-models tbody tr")
    expect(table).to_have_count(len(MODELS))
    for n, model in enumerate(MODELS):
        figures = expected(model)
        expect(table.nth(n)).to_contain_text(model)
        expect(table.nth(n)).to_contain_text(f"{figures['score']:.1f}")
        expect(table.nth(n)).to_contain_text(f"{figures['good']}/{figures['planned']}")
    expect(page.locator("svg.spark-chart-eval-scores")).to_be_visible()
    expect(page.locator("#eval-items tbody tr")).to_have_count(12)
    shot(page, "40-eval-report-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#eval-models tbody tr").first).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "41-eval-report-phone")
    page.goto(spark_url + "/admin/evals")
    _no_sideways_scroll(page)
    page.locator("#eval-runs a").filter(has_text=run_id).click()
    expect(page.locator("#eval-title")).to_be_visible()
    # The generations are in the CLI user's history, not this admin's: no links to them.
    expect(page.locator("#eval-items a")).to_have_count(0)


def test_others_have_no_evals_page(page: Any, spark_url: str) -> None:
    page.goto(spark_url)
    expect(page.locator("#prompt")).to_be_visible()
    expect(page.locator('nav a[href="/admin/evals"]')).to_have_count(0)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = httpx2.get(spark_url + "/admin/evals", cookies=cookies, timeout=10)
    assert answer.status_code == 403
