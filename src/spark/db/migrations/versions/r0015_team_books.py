"""Team controls' books: a fallback's whole reservation in the history, the limits' clean-up,
and the team's cache savings.

- ``spark_generation_history`` gains ``reservation_parts``: the parts of the generation's spend
  reservation, one per route it held money for (the chosen model's, then each fallback route's
  extension): ``[{"provider", "model", "reserved_usd", "settled_usd"}]``. ``reserved_usd`` and
  ``settled_usd`` become the sums over the parts once the generation has ended.
- ``spark_generation_history`` gains the partial index ``ix_spark_generation_history_cached``
  (``created_at`` of rows with status ``cached``): the team's cache hits and savings over a
  window read only the hits, not the window's every row.

PostgreSQL (SECURITY DEFINER, for the app role):

- ``spark_forget_old_limit_reservations(p_before)`` deletes every user's settled and expired
  reservations settled (or released) before ``p_before``: the history retention's clean-up of
  ``spark_limit_reservations``, which has row-level security.
- ``spark_team_cache_savings(p_since)``: the team's cache hits since ``p_since`` and what they
  saved, for enabled admins only (the check of ``spark_team_usage``).

Revision ID: 0015
Revises: 0011 (the coordinator chains it after the revisions of its time)
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
    CURRENT_USER_ID,
    _signature,
    create_definer_functions,
)
from spark.db.migrations.versions.r0003_team_stats import ADMIN_ONLY

revision = "0015"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

HISTORY = "spark_generation_history"
CACHED_INDEX = "ix_spark_generation_history_cached"
DEFINER_FUNCTIONS = {
    "spark_forget_old_limit_reservations(p_before timestamptz)": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    deleted integer;
BEGIN
    {_ON}
    DELETE FROM spark_limit_reservations r
        WHERE r.state IN ('settled', 'expired') AND r.settled_at < p_before;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    {_OFF}
    RETURN deleted;
END
$$""",
    "spark_team_cache_savings(p_since timestamptz)": f"""
RETURNS TABLE (hits bigint, saved_usd numeric) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    caller integer := {CURRENT_USER_ID};
BEGIN
    {ADMIN_ONLY}
    {_ON}
    RETURN QUERY
        SELECT count(*), COALESCE(sum(h.saved_usd), 0)::numeric
        FROM {HISTORY} h
        WHERE h.status = 'cached' AND h.created_at >= p_since;
    {_OFF}
END
$$""",
}


def function_signatures() -> list[str]:
    """The functions the app role may call (``spark db upgrade`` grants them)."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column(HISTORY, sa.Column("reservation_parts", _json()))
    op.create_index(
        CACHED_INDEX,
        HISTORY,
        ["created_at"],
        sqlite_where=sa.text("status = 'cached'"),
        postgresql_where=sa.text("status = 'cached'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in function_signatures():
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_index(CACHED_INDEX, table_name=HISTORY)
    op.drop_column(HISTORY, "reservation_parts")
