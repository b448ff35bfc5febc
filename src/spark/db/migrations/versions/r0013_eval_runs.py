"""`spark eval`: eval runs, their finished items, and history rows tagged with their run.

- ``spark_eval_runs``: one row per run (suite name and digest, models, runs per prompt,
  status). A team table like ``spark_site_settings``: no row-level security; it holds model
  figures, not a user's own prompts, and the web app shows it to admins only.
- ``spark_eval_items``: one row per finished (run, model, item, run number), with the item's
  figures as JSON and the history row of its generation; the key is what lets a resumed run
  skip what is done.
- ``spark_generation_history`` gains ``eval_run_id`` (indexed): the run a generation belongs
  to, so history and statistics can leave eval generations out or show only them.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

HISTORY = "spark_generation_history"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _now() -> sa.TextClause:
    return sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "spark_eval_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("suite_name", sa.String(200), nullable=False),
        sa.Column("suite_digest", sa.String(64), nullable=False),
        sa.Column("suite_items", sa.Integer(), nullable=False),
        sa.Column("suite_source", sa.Text()),
        sa.Column("models", _json(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.PrimaryKeyConstraint("id", name="pk_spark_eval_runs"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_spark_eval_runs_user_id_users", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_spark_eval_runs_started_at", "spark_eval_runs", ["started_at"])
    op.create_table(
        "spark_eval_items",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("result", _json(), nullable=False),
        sa.Column("history_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("run_id", "model", "item_id", "run", name="pk_spark_eval_items"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["spark_eval_runs.id"],
            name="fk_spark_eval_items_run_id_spark_eval_runs",
            ondelete="CASCADE",
        ),
    )
    op.add_column(HISTORY, sa.Column("eval_run_id", sa.String(32)))
    op.create_index("ix_spark_generation_history_eval_run", HISTORY, ["eval_run_id"])


def downgrade() -> None:
    op.drop_index("ix_spark_generation_history_eval_run", table_name=HISTORY)
    op.drop_column(HISTORY, "eval_run_id")
    op.drop_table("spark_eval_items")
    op.drop_index("ix_spark_eval_runs_started_at", table_name="spark_eval_runs")
    op.drop_table("spark_eval_runs")
