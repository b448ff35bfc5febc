"""Alembic environment for SPARK: runs on the connection handed in by :mod:`spark.db.migrate`.

There is no alembic.ini: ``spark db upgrade`` (or ``spark.db.migrate.upgrade``) builds the
configuration in code, so migrations work from an installed package.
"""

from __future__ import annotations

from alembic import context

from spark.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run SPARK's migrations with `spark db upgrade` (spark.db.migrate).")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
