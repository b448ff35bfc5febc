"""Admin → Evals in the web app: admins see the runs and a run's report (table, chart, every
generation), escaped; other users get 403; unknown runs 404. No secret reaches the pages."""

from __future__ import annotations

from pathlib import Path

from spark.db.users import get_or_create_user
from spark.eval.runner import EvalRunner, parse_models
from spark.eval.store import DatabaseEvalStore
from spark.eval.suite import load_suite
from tests.eval_support import MODELS, SUITE_TOML, enqueue, expected
from tests.fakes.upstream import FakeUpstream
from tests.web_support import MakeClient, make_client

__all__ = ["make_client"]

HOSTILE = '<img src=x onerror="alert(1)">'


async def test_admins_see_runs_and_reports(
    make_client: MakeClient, upstream: FakeUpstream, tmp_path: Path
) -> None:
    admin = await make_client()  # the first account is the admin
    other = await make_client()
    database = await admin.db()
    path = tmp_path / "suite.toml"
    path.write_text(SUITE_TOML.replace('name = "scripted"', f"name = {HOSTILE!r}"), "utf-8")
    suite = load_suite(path)
    for model in MODELS:
        enqueue(upstream, model)
    async with database.session() as session:
        # Run as the admin (as `spark eval` with SPARK_CLI_USER set to their name does).
        user_id = (await get_or_create_user(session=session, username=admin.username)).id
    store = DatabaseEvalStore(database, run_id="webrun1", user_id=user_id)
    models = parse_models(",".join(MODELS), admin.engine)
    await store.create(suite, models, 1)
    await EvalRunner(
        admin.engine, suite, models, store=store, recorder_for=store.recorder_for
    ).run()

    listing = await admin.get("/admin/evals")
    assert listing.status_code == 200
    assert 'href="/admin/evals/webrun1"' in listing.text
    assert "12/12" in listing.text
    assert HOSTILE not in listing.text and "&lt;img src=x" in listing.text
    page = await admin.get("/admin/evals/webrun1")
    assert page.status_code == 200
    text = page.text
    assert HOSTILE not in text and "&lt;img src=x" in text
    assert "<svg" in text and "spark-chart-eval-scores" in text
    for model in MODELS:
        row = expected(model)
        assert f"{row['score']:.1f}" in text
        assert f"{row['good']}/{row['planned']}" in text
    assert text.count('data-label="Item"') == 12  # every generation, in its own row
    assert text.count('href="/history/') == 12  # an item leads to its generation
    opened = await admin.get(text.split('href="/history/')[1].split('"')[0].join(["/history/", ""]))
    assert opened.status_code == 200 and "A script for the" in opened.text
    for secret in ("test-key-anthropic", "test-key-openai"):
        assert secret not in text and secret not in listing.text

    # The history: eval generations can be left out or shown alone.
    only = (await admin.get("/api/history?evals=only")).json()
    assert only["total"] == 12
    assert (await admin.get("/api/history?evals=exclude")).json()["total"] == 0
    assert (await admin.get("/api/history")).json()["total"] == 12
    page_only = await admin.get("/history?evals=only")
    assert page_only.status_code == 200 and page_only.text.count('class="history-row"') == 12
    assert '<option value="only" selected>' in page_only.text
    refused = await admin.get("/history?evals=neither")
    assert refused.status_code == 422 and "Unknown evals filter" in refused.text

    assert 'href="/admin/evals"' in (await admin.get("/")).text
    assert 'href="/admin/evals"' not in (await other.get("/")).text
    for target in ("/admin/evals", "/admin/evals/webrun1"):
        refused = await other.get(target)
        assert refused.status_code == 403 and "Only an admin" in refused.text
    missing = await admin.get("/admin/evals/nosuchrun")
    assert missing.status_code == 404 and "no eval run nosuchrun" in missing.text


async def test_the_list_is_empty_at_first(make_client: MakeClient) -> None:
    admin = await make_client()
    page = await admin.get("/admin/evals")
    assert page.status_code == 200 and 'id="evals-empty"' in page.text
