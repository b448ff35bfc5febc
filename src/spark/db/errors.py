"""Database failures as SPARK errors: one clear line for the user, never a driver traceback.

``DatabaseError`` is a :class:`~spark.errors.ConfigError` because what fixes it is configuration
(the URL, the server, the schema), so the CLI exits with 2.
"""

from __future__ import annotations

from spark.errors import ConfigError


class DatabaseError(ConfigError):
    """The database cannot be used: bad URL, unreachable server, refused login, missing driver."""


class SchemaOutOfDateError(DatabaseError):
    """The database's schema is not the one this version of SPARK expects."""
