"""Provider fallback and the response cache.

- ``spark_user_preferences`` gains ``fallback``: the user's own fallback list
  (``anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol``); NULL follows the team's (the site
  setting ``fallback``), an empty string turns fallback off for this user.
- ``spark_response_cache``: one successful, valid generation's script per exact-match key
  (provider, model, system prompt, Unity target, conversation, prompt), stored by ``user_id``
  for that user (``scope = 'user'``) or for the whole team (``scope = 'team'``), until
  ``expires_at``. ``generation_id`` is the history row it came from: deleting that row (by its
  user, by the retention clean-up, with its user) deletes the entry too (``ON DELETE
  CASCADE``).
- ``spark_generation_history`` gains the status ``cached`` (a hit: answered from the cache at
  $0), ``cached_from`` (the generation whose script it returned) and ``saved_usd`` (what that
  generation had cost: the saving shown on the dashboard).

PostgreSQL: the cache table has row-level security: a user reads their own entries and every
``team`` entry, and writes, changes and deletes only their own; ``spark_forget_expired_cache()``
(SECURITY DEFINER) deletes every user's expired entries for the daily clean-up. The history's
status CHECK is replaced in place. SQLite cannot alter a CHECK constraint: the table's stored
definition is edited as SQLite's documentation describes for loosening a constraint (a
``writable_schema`` edit and a ``schema_version`` bump, in the migration's transaction), which
keeps the table, its rows, indexes and triggers as they are.

Revision ID: 0011
Revises: 0013 (the revisions of issues 16 and 17 came first)
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
    MAINTENANCE,
    _signature,
    create_definer_functions,
)

revision = "0011"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

CACHE = "spark_response_cache"
HISTORY = "spark_generation_history"
PREFERENCES = "spark_user_preferences"
OLD_STATUSES = "status IN ('running', 'succeeded', 'failed', 'interrupted')"
NEW_STATUSES = "status IN ('running', 'succeeded', 'failed', 'interrupted', 'cached')"

DEFINER_FUNCTIONS = {
    "spark_forget_expired_cache()": f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    deleted integer;
BEGIN
    {_ON}
    DELETE FROM {CACHE} WHERE expires_at <= now();
    GET DIAGNOSTICS deleted = ROW_COUNT;
    {_OFF}
    RETURN deleted;
END
$$""",
}


def function_signatures() -> list[str]:
    """The functions the app role may call (``spark db upgrade`` grants them)."""
    return [_signature(d) for d in DEFINER_FUNCTIONS]


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _history_id() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _sqlite_replace_check(old: str, new: str) -> None:
    """Rewrite the history table's stored CHECK in place (SQLite's documented procedure for
    constraint changes that existing rows already satisfy)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    stored = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (HISTORY,)
    ).scalar_one()
    if old not in stored:
        raise RuntimeError(f"{HISTORY} has an unexpected status CHECK; not changed.")
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (stored.replace(old, new), HISTORY),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _pg_replace_check(new: str) -> None:
    """Replace the history's status CHECK (its name, from 0001 through the naming convention,
    is a truncated one: found rather than assumed), keeping the name."""
    bind = op.get_bind()
    name = bind.exec_driver_sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = %(table)s::regclass "
        "AND contype = 'c' AND pg_get_constraintdef(oid) LIKE %(status)s",
        {"table": HISTORY, "status": "%status%"},
    ).scalar_one()
    quoted = bind.dialect.identifier_preparer.quote(name)
    op.execute(f"ALTER TABLE {HISTORY} DROP CONSTRAINT {quoted}")
    op.execute(f"ALTER TABLE {HISTORY} ADD CONSTRAINT {quoted} CHECK ({new})")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(PREFERENCES, sa.Column("fallback", sa.Text()))
    for column in (
        sa.Column("cached_from", _history_id()),
        sa.Column("saved_usd", sa.Numeric(14, 6)),
    ):
        op.add_column(HISTORY, column)
    if dialect == "postgresql":
        _pg_replace_check(NEW_STATUSES)
    else:
        _sqlite_replace_check(OLD_STATUSES, NEW_STATUSES)
    op.create_table(
        CACHE,
        sa.Column("id", _history_id(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("generation_id", _history_id(), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("class_name", sa.String(128), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("validation", _json()),
        sa.Column("cost_usd", sa.Numeric(14, 6)),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{CACHE}"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{CACHE}_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            [f"{HISTORY}.id"],
            name=f"fk_{CACHE}_generation_id_{HISTORY}",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("scope IN ('user', 'team')", name=f"ck_{CACHE}_scope_known"),
        sa.UniqueConstraint("user_id", "scope", "cache_key", name=f"uq_{CACHE}_owner_key"),
    )
    op.create_index(f"ix_{CACHE}_cache_key", CACHE, ["cache_key"])
    op.create_index(f"ix_{CACHE}_expires_at", CACHE, ["expires_at"])
    op.create_index(f"ix_{CACHE}_generation_id", CACHE, ["generation_id"])
    if dialect != "postgresql":
        return
    op.execute(f"ALTER TABLE {CACHE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {CACHE} FORCE ROW LEVEL SECURITY")
    mine = f"user_id = {CURRENT_USER_ID}"
    op.execute(
        f"CREATE POLICY spark_cache_read ON {CACHE} FOR SELECT "
        f"USING ({mine} OR (scope = 'team' AND {CURRENT_USER_ID} IS NOT NULL))"
    )
    op.execute(f"CREATE POLICY spark_cache_write ON {CACHE} FOR INSERT WITH CHECK ({mine})")
    op.execute(
        f"CREATE POLICY spark_cache_change ON {CACHE} FOR UPDATE USING ({mine}) WITH CHECK ({mine})"
    )
    op.execute(f"CREATE POLICY spark_cache_delete ON {CACHE} FOR DELETE USING ({mine})")
    op.execute(
        f"CREATE POLICY spark_maintenance ON {CACHE} TO CURRENT_USER "
        f"USING ({MAINTENANCE}) WITH CHECK ({MAINTENANCE})"
    )
    create_definer_functions(DEFINER_FUNCTIONS)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for signature in function_signatures():
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_table(CACHE)  # its policies and indexes go with it
    # A cache hit was a success to its user: it stays one under the older schema (every
    # user's rows: on PostgreSQL through the owner's maintenance policy).
    if dialect == "postgresql":
        op.execute("SELECT set_config('spark.maintenance', 'on', true)")
    op.execute(f"UPDATE {HISTORY} SET status = 'succeeded' WHERE status = 'cached'")
    if dialect == "postgresql":
        op.execute("SELECT set_config('spark.maintenance', '', true)")
    if dialect == "postgresql":
        _pg_replace_check(OLD_STATUSES)
    else:
        _sqlite_replace_check(NEW_STATUSES, OLD_STATUSES)
    for column in ("saved_usd", "cached_from"):
        op.drop_column(HISTORY, column)
    op.drop_column(PREFERENCES, "fallback")
