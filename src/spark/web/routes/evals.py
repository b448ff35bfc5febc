"""Admin → Evals: the ``spark eval`` runs stored in the database, and each run's report as a
table and a chart (the same figures as the command's report, :mod:`spark.eval.report`).

Pages for admins only: eval runs are the team's (revision 0013). Nothing here starts a run;
``spark eval`` does, from a terminal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from spark import __version__
from spark.db.evals import list_eval_runs
from spark.eval.html import score_chart
from spark.eval.report import COLUMNS, SCORE_FORMULA, format_ms, table_rows
from spark.eval.store import load_report
from spark.web.auth import CurrentUser, WebUser
from spark.web.deps import DatabaseDep, TemplatesDep
from spark.web.errors import ApiError
from spark.web.routing import SparkRoute
from spark.web.security import csrf_token

router = APIRouter(tags=["evals"], route_class=SparkRoute)

RUNS_SHOWN = 100
EvalRunId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9-]+$",
        description="The eval run's id (printed by `spark eval`).",
    ),
]


def _admin_only(user: WebUser) -> None:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can see eval runs.")


@router.get("/admin/evals", response_class=HTMLResponse, include_in_schema=False)
async def evals_page(
    request: Request, database: DatabaseDep, templates: TemplatesDep, user: CurrentUser
) -> Response:
    _admin_only(user)
    async with database.session(user_id=user.id, read_only=True) as session:
        runs = await list_eval_runs(session=session, limit=RUNS_SHOWN)
    return templates.TemplateResponse(
        request,
        "evals.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "runs": runs,
            "version": __version__,
        },
    )


@router.get("/admin/evals/{run_id}", response_class=HTMLResponse, include_in_schema=False)
async def eval_run_page(
    request: Request,
    run_id: EvalRunId,
    database: DatabaseDep,
    templates: TemplatesDep,
    user: CurrentUser,
) -> Response:
    _admin_only(user)
    report = await load_report(database, run_id, user_id=user.id)
    if report is None:
        raise ApiError(404, "not_found", f"There is no eval run {run_id}.", "See Admin → Evals.")
    return templates.TemplateResponse(
        request,
        "eval_run.html",
        {
            "user": user,
            "csrf_token": csrf_token(request),
            "report": report,
            "columns": COLUMNS,
            "rows": table_rows(report),
            "chart": score_chart(report),
            "formula": SCORE_FORMULA,
            "format_ms": format_ms,
            # The generations are in the history of whoever ran `spark eval`: only they can
            # open them (row-level security), so only they get the links.
            "own": report.user_id == user.id,
            "version": __version__,
        },
    )
