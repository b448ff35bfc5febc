"""Column types that behave the same on SQLite and PostgreSQL.

- :class:`UTCDateTime`: always timezone-aware UTC in Python; ``timestamptz`` on PostgreSQL, an
  ISO string in UTC on SQLite (which has no time zones), so comparisons work on both.
- :class:`Money`: a :class:`~decimal.Decimal` with 6 places; ``numeric`` on PostgreSQL, a REAL on
  SQLite (SQLite has no decimal type; amounts are small enough for 6 exact places).
- :func:`utc_day`: the UTC calendar day of a timestamp, for per-day series.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Dialect, Numeric
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_PLACES = Decimal("0.000001")


def utc_now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: SPARK stores timezone-aware UTC timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An amount in USD with 6 decimal places."""

    impl = Numeric(14, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # SQLite has no decimals; asking SQLAlchemy for Decimals there only adds a warning.
            return dialect.type_descriptor(Numeric(14, 6, asdecimal=False))
        return dialect.type_descriptor(Numeric(14, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return to_money(value)


def to_money(value: Any) -> Decimal | None:
    """``value`` as a Decimal with 6 places (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(MONEY_PLACES)


class utc_day(FunctionElement[date]):
    """``utc_day(ts)``: the UTC date of a timestamp column, rendered per dialect."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> None:
        super().__init__(column)


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')::date"
