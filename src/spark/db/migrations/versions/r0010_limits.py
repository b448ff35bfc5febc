"""Spend limits and rate limits: the limits, the counters they are checked against, and the
reservations that hold money (and a slot) for running generations.

- ``spark_limits``: one row per scope (``team``, ``default``, ``user:<id>``,
  ``provider:<id>``): daily and monthly USD (millionths), requests per minute, concurrent
  generations. Site-wide settings an admin changes, like ``spark_site_settings``: no row-level
  security.
- ``spark_limit_counters``: per scope and window (``d:<day>``, ``m:<month>``, ``min:<minute>``,
  ``live``) the money spent and reserved, the requests started or the generations running.
  Team-wide sums that every request of every user must check together, like
  ``spark_sign_in_failures``: no row-level security (amounts only, no text).
- ``spark_limit_reservations``: one row per generation that reserved; isolated per user by
  row-level security like the history. Releasing reservations that expired (their process
  died) crosses users, so on PostgreSQL it goes through the SECURITY DEFINER function
  ``spark_expire_limit_reservations``.
- ``spark_generation_history`` gains ``reserved_usd`` and ``settled_usd``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from spark.db.migrations.versions.r0002_postgres_security import (
    _OFF,
    _ON,
    _signature,
    create_definer_functions,
    enable_user_isolation,
)

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

LIMITS = "spark_limits"
COUNTERS = "spark_limit_counters"
RESERVATIONS = "spark_limit_reservations"
HISTORY = "spark_generation_history"
DEFINER_FUNCTIONS = {
    "spark_expire_limit_reservations(p_now timestamptz)": f"""
RETURNS TABLE (counters text, reserved_micros bigint) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    {_ON}
    RETURN QUERY UPDATE spark_limit_reservations r SET state = 'expired', settled_at = p_now
        WHERE r.state = 'active' AND r.expires_at < p_now
        RETURNING r.counters::text, r.reserved_micros;
    {_OFF}
END
$$""",
}


def function_signatures() -> list[str]:
    """Every function this revision creates, as ``name(types)``."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _now() -> sa.Column[Any]:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    )


def upgrade() -> None:
    op.create_table(
        LIMITS,
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("daily_micros", sa.BigInteger()),
        sa.Column("monthly_micros", sa.BigInteger()),
        sa.Column("requests_per_minute", sa.Integer()),
        sa.Column("concurrent", sa.Integer()),
        sa.Column("updated_by", sa.Integer()),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("scope", name="pk_spark_limits"),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name="fk_spark_limits_updated_by_users",
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        COUNTERS,
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("window", sa.String(24), nullable=False),
        sa.Column("spent_micros", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("reserved_micros", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("warned", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("scope", "window", name="pk_spark_limit_counters"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        RESERVATIONS,
        sa.Column("id", _id(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("counters", _json(), nullable=False),
        sa.Column("reserved_micros", sa.BigInteger(), nullable=False),
        sa.Column("settled_micros", sa.BigInteger()),
        sa.Column("state", sa.String(16), nullable=False),
        _now(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_spark_limit_reservations"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_spark_limit_reservations_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "state IN ('active', 'settled', 'expired')",
            name="ck_spark_limit_reservations_state_known",
        ),
    )
    op.create_index("ix_spark_limit_reservations_user_id", RESERVATIONS, ["user_id"])
    op.create_index(
        "ix_spark_limit_reservations_active",
        RESERVATIONS,
        ["expires_at"],
        sqlite_where=sa.text("state = 'active'"),
        postgresql_where=sa.text("state = 'active'"),
    )
    op.add_column(HISTORY, sa.Column("reserved_usd", sa.Numeric(14, 6)))
    op.add_column(HISTORY, sa.Column("settled_usd", sa.Numeric(14, 6)))
    if op.get_bind().dialect.name == "postgresql":
        enable_user_isolation(RESERVATIONS)
        create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in function_signatures():
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_column(HISTORY, "settled_usd")
    op.drop_column(HISTORY, "reserved_usd")
    op.drop_table(RESERVATIONS)  # its indexes and policies go with it
    op.drop_table(COUNTERS)
    op.drop_table(LIMITS)
