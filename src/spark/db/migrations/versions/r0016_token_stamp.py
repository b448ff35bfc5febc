"""A token check writes the token's last use at most once a minute on PostgreSQL too.

``spark_user_id_for_token`` stamped ``api_tokens.last_used_at`` on every call, so every request
with a token took that token's row lock until its transaction ended. The SQLite path has
written the stamp only when it is older than a minute (``spark.db.users.STAMP_EVERY``; the
Account page shows it to the minute) since the token check became one statement; now the
function does the same: it reads the token, and updates it only when the stamp is missing or
a minute old. So a client calling many times a second takes the row lock once a minute, and a
request may check its token inside the transaction its other reads share
(``Database.sharing``) without holding every other request with that token behind it.

The function keeps its signature, owner and grants (``CREATE OR REPLACE``). Nothing on SQLite.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from spark.db.migrations.versions.r0002_postgres_security import _OFF, _ON, DEFINER_FUNCTIONS
from spark.db.migrations.versions.r0014_usage_monthly import _replace_functions

revision = "0016"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None

_TOKEN = "spark_user_id_for_token(p_token_hash text)"

_THROTTLED = f"""
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    owner_id integer;
    used timestamptz;
BEGIN
    {_ON}
    SELECT t.user_id, t.last_used_at INTO owner_id, used
    FROM api_tokens t WHERE t.token_hash = p_token_hash;
    IF owner_id IS NOT NULL AND (used IS NULL OR used <= now() - interval '1 minute') THEN
        UPDATE api_tokens t SET last_used_at = now() WHERE t.token_hash = p_token_hash;
    END IF;
    {_OFF}
    RETURN owner_id;
END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions({_TOKEN: _THROTTLED})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions({_TOKEN: DEFINER_FUNCTIONS[_TOKEN]})
