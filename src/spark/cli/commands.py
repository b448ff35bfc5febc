"""The ``spark`` Typer app, with commands split by concern into sibling modules.

Every command turns SPARK's errors into one clear line plus a hint (a traceback only with
``--debug``) and uses the exit codes 0 (ok), 1 (the generation or validation failed) and
2 (usage or configuration error).
"""

from __future__ import annotations

import typer

from spark import __version__
from spark.cli import db_commands as _db_commands
from spark.cli import estimate as _estimate
from spark.cli import eval as _eval
from spark.cli import export as _export
from spark.cli import generate as _generate
from spark.cli import mcp as _mcp
from spark.cli import models as _models
from spark.cli import project as _project
from spark.cli import serve as _serve
from spark.cli import team_commands as _team_commands
from spark.cli import validate as _validate
from spark.cli.common import SparkGroup

app = typer.Typer(
    cls=SparkGroup,
    name="spark",
    help="SPARK: turn a sentence into a working Unity C# script.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("generate")(_generate.generate)
app.command("models")(_models.models)
app.command("validate", context_settings=_validate.PASS_THROUGH)(_validate.validate)
app.command("rules")(_validate.rules)
app.command("check", context_settings=_validate.PASS_THROUGH)(_project.check)
app.add_typer(_project.project_app, name="project")
app.command("export")(_export.export)
app.command("serve")(_serve.serve)
app.command("mcp")(_mcp.mcp)
app.command("estimate")(_estimate.estimate)
app.command("eval")(_eval.eval_models)
_db_commands.register(app)
_team_commands.register(app)


@app.command("version")
def version() -> None:
    """Print SPARK's version."""
    typer.echo(__version__)
