"""SPARK's tables as SQLAlchemy 2 models; the Alembic revisions in ``migrations/`` create them.

- ``users``: accounts (usernames unique regardless of case). No row-level security: signing in
  looks a user up before anyone is known (see docs/database.md).
- ``api_tokens``: hashed bearer tokens per user; the token itself is shown once, never stored.
- ``spark_user_preferences``: one row per user, created on first access.
- ``spark_generation_history``: one row per generation, written when it starts (``running``) and
  finished with its figures (``succeeded`` / ``failed`` / ``interrupted``).

- ``spark_sessions``: signed-in browser sessions (the cookie carries a random id, the table its
  SHA-256), so signing out ends a session on every instance.

On PostgreSQL ``api_tokens``, ``spark_user_preferences``, ``spark_generation_history`` and
``spark_sessions`` are isolated per user by row-level security (revisions 0002 and 0006).
``spark_usage_daily`` sums the finished history per UTC day, user, provider, model and status
for the admin's team view, and ``spark_usage_daily_team`` the same for everyone together;
triggers keep both in step with the history (revision 0008), as they do
``spark_usage_monthly`` (revision 0014: each user's generations and cost per month, from which
the team view ranks its spenders). The first is isolated per user
like the history; the second is the owner's alone (the app role may not touch it). Two small
tables hold no user's data and have no row-level security: ``spark_site_settings`` (run-time
settings an admin changes) and ``spark_sign_in_failures`` (the sign-in throttle's counts,
shared by every app instance). Revision 0012 adds ``spark_user_instructions`` (each user's
personal instructions, one row per saved version, isolated per user), and two shared tables
that only admins write: ``spark_team_instructions`` (versions of the team's instructions) and
``spark_team_templates`` (the team's prompt templates).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from spark.db.types import Money, UTCDateTime, utc_now

# Named constraints, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# History ids may grow large on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEYs.
HistoryId = BigInteger().with_variant(Integer(), "sqlite")
JsonObject = JSON().with_variant(JSONB(), "postgresql")


class GenerationStatus(StrEnum):
    """Where a generation is in its life. Values are stored in history rows."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died before it finished
    CACHED = "cached"  # answered from the response cache at $0 (revision 0011)


# The statuses of a generation that gave its user a script: a conversation's turns.
ANSWERED = (GenerationStatus.SUCCEEDED, GenerationStatus.CACHED)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_username_lower", func.lower(text("username")), unique=True),
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    # argon2 via pwdlib; None for accounts that cannot sign in with a password (the CLI's user).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token: tokens are 256 random bits, so a slow hash adds nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserPreferences(Base):
    __tablename__ = "spark_user_preferences"
    __table_args__ = (
        CheckConstraint("repair_rounds BETWEEN 0 AND 3", name="repair_rounds_range"),
        CheckConstraint("input_system IN ('legacy', 'new', 'both')", name="input_system_known"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    preferred_provider: Mapped[str | None] = mapped_column(String(64))
    # {"anthropic": "claude-...", "openai": "gpt-..."}
    preferred_models: Mapped[dict[str, Any]] = mapped_column(
        JsonObject, default=dict, server_default=text("'{}'")
    )
    unity_version: Mapped[str | None] = mapped_column(String(32))
    input_system: Mapped[str | None] = mapped_column(String(16))
    repair_rounds: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now, server_default=func.now()
    )
    # Revision 0009: "light" or "dark" (None follows the browser), and the rest of the Unity
    # target (the version and input system are the columns above).
    theme: Mapped[str | None] = mapped_column(String(8))
    render_pipeline: Mapped[str | None] = mapped_column(String(16))
    unity_project: Mapped[str | None] = mapped_column(Text)
    # Revision 0011: the user's fallback list ("anthropic:claude-sonnet-5-5 → openai:gpt-6.2-sol");
    # None follows the team's, "" turns fallback off for this user.
    fallback: Mapped[str | None] = mapped_column(Text)


class GenerationRecord(Base):
    __tablename__ = "spark_generation_history"
    __table_args__ = (
        # Listing a user's history and the stats query: both by user, newest first.
        Index("ix_spark_generation_history_user_created", "user_id", "created_at"),
        # Retention deletes by age across users.
        Index("ix_spark_generation_history_created", "created_at"),
        Index("ix_spark_generation_history_conversation", "user_id", "conversation_id"),
        # An eval run's generations (revision 0013).
        Index("ix_spark_generation_history_eval_run", "eval_run_id"),
        # The start-up sweep looks for rows still running; there are few of them.
        Index(
            "ix_spark_generation_history_running",
            "status",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        # The team's cache hits and savings over a window read only the hits (revision 0015).
        Index(
            "ix_spark_generation_history_cached",
            "created_at",
            sqlite_where=text("status = 'cached'"),
            postgresql_where=text("status = 'cached'"),
        ),
        CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'interrupted', 'cached')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(HistoryId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    prompt: Mapped[str] = mapped_column(Text)
    system_prompt_version: Mapped[str | None] = mapped_column(String(32))
    generated_code: Mapped[str | None] = mapped_column(Text)
    class_name: Mapped[str | None] = mapped_column(String(128))
    # A script was produced and passed validation without errors.
    success: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16), default=GenerationStatus.RUNNING)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    cost_usd: Mapped[Decimal | None] = mapped_column(Money)
    generation_ms: Mapped[int | None] = mapped_column(Integer)
    # 1 + retries (provider calls that failed and were tried again); repair rounds apart.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    repair_rounds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Every provider call: [{"number", "repair_round", "provider", "model", "outcome" ("ok" or
    # an error kind), "error_message", the four token counts, "cost_usd"}] (revision 0007).
    attempt_details: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonObject)
    validation_summary: Mapped[str | None] = mapped_column(String(200))
    validation_errors: Mapped[int | None] = mapped_column(Integer)
    validation_warnings: Mapped[int | None] = mapped_column(Integer)
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    # host:pid of the process running it, so a crashed process's rows can be told apart.
    runner: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Revision 0009: the model's prose around the script (Markdown), the validation report's
    # findings and fixes, the compile check's report, the Unity target the script was written
    # for, and whether the row holds the partial text of a stopped generation.
    explanation: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[dict[str, Any] | None] = mapped_column(JsonObject)
    compile_report: Mapped[dict[str, Any] | None] = mapped_column(JsonObject)
    unity_target: Mapped[dict[str, Any] | None] = mapped_column(JsonObject)
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The revision of the conversation this prompt built on: 0 for none (a first prompt, or
    # Regenerate/Edit of one), None when not known (rows written before revision 0009).
    base_generation_id: Mapped[int | None] = mapped_column(HistoryId)
    # Revision 0010: the spend reservation held for the generation (its most expensive outcome)
    # and what it was settled at (what counts against the limits), when limits were checked.
    # Revision 0015: both are the sums over the reservation's parts once the generation ended;
    # ``reservation_parts`` lists them, one per route that held money (the chosen model's, then
    # each fallback route's): [{"provider", "model", "reserved_usd", "settled_usd"}].
    reserved_usd: Mapped[Decimal | None] = mapped_column(Money)
    settled_usd: Mapped[Decimal | None] = mapped_column(Money)
    reservation_parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonObject)
    # Revision 0013: the `spark eval` run this generation belongs to (None: not an eval).
    eval_run_id: Mapped[str | None] = mapped_column(String(32))
    # Revision 0012: the versions of the team's and the user's instructions sent with it
    # (None: none were in force).
    team_instructions_version: Mapped[int | None] = mapped_column(Integer)
    personal_instructions_version: Mapped[int | None] = mapped_column(Integer)
    # Revision 0011: a cache hit (status ``cached``) names the generation whose script it
    # returned, and what that one had cost (the saving).
    cached_from: Mapped[int | None] = mapped_column(HistoryId)
    saved_usd: Mapped[Decimal | None] = mapped_column(Money)

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


class ConversationInfo(Base):
    """What a user changed about one conversation: its title, the revision that is current.

    A conversation is its history rows sharing a ``conversation_id``; this row exists only once
    the user renames it or restores an earlier revision (revision 0009).
    """

    __tablename__ = "spark_conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(200))
    current_generation_id: Mapped[int | None] = mapped_column(
        HistoryId,
        ForeignKey(
            "spark_generation_history.id",
            ondelete="SET NULL",
            name="fk_spark_conversations_current_generation",  # the convention's is too long
        ),
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now, server_default=func.now()
    )


class TeamInstructions(Base):
    """One saved version of the team's instructions (an empty text: cleared). Revision 0012."""

    __tablename__ = "spark_team_instructions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )


class UserInstructions(Base):
    """One saved version of a user's personal instructions (an empty text: cleared)."""

    __tablename__ = "spark_user_instructions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )


class TeamTemplate(Base):
    """A prompt template the team added (the built-in ones are files). Revision 0012."""

    __tablename__ = "spark_team_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    prompt: Mapped[str] = mapped_column(Text)
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JsonObject)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now, server_default=func.now()
    )


class ResponseCacheEntry(Base):
    """One successful, valid generation's script, returned at $0 for the same request again
    until ``expires_at`` (revision 0011). ``scope`` ``user``: only ``user_id`` gets it;
    ``team``: every user does. Deleting the history row it came from deletes it too."""

    __tablename__ = "spark_response_cache"
    __table_args__ = (
        Index("ix_spark_response_cache_cache_key", "cache_key"),
        Index("ix_spark_response_cache_expires_at", "expires_at"),
        Index("ix_spark_response_cache_generation_id", "generation_id"),
        CheckConstraint("scope IN ('user', 'team')", name="scope_known"),
        UniqueConstraint("user_id", "scope", "cache_key", name="uq_spark_response_cache_owner_key"),
    )

    id: Mapped[int] = mapped_column(HistoryId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(8))
    cache_key: Mapped[str] = mapped_column(String(64))  # SHA-256, hex
    generation_id: Mapped[int] = mapped_column(
        HistoryId, ForeignKey("spark_generation_history.id", ondelete="CASCADE")
    )
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    reply: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    class_name: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str] = mapped_column(String(200))
    validation: Mapped[dict[str, Any] | None] = mapped_column(JsonObject)
    cost_usd: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SiteSetting(Base):
    """A site-wide setting changed at run time by an admin (e.g. ``signup_open``)."""

    __tablename__ = "spark_site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )


class SignInFailure(Base):
    """Failed sign-ins in a row for one username from one address (the sign-in throttle).

    In the database rather than in memory so that every app instance behind a load balancer
    counts the same failures; rows are deleted on a successful sign-in and by the daily clean-up.
    """

    __tablename__ = "spark_sign_in_failures"
    __table_args__ = (Index("ix_spark_sign_in_failures_last_failed_at", "last_failed_at"),)

    username: Mapped[str] = mapped_column(String(64), primary_key=True)  # lower case
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser session. The signed cookie carries a random session id; only its
    SHA-256 is stored, so the table alone cannot be turned into a working cookie.

    Signing out deletes the row, so the cookie stops working on every instance at once; the
    row also ends with its account (cascade) and at ``expires_at``.
    """

    __tablename__ = "spark_sessions"
    __table_args__ = (
        Index("ix_spark_sessions_user_id", "user_id"),  # "sign out everywhere"
        Index("ix_spark_sessions_expires_at", "expires_at"),  # the daily clean-up
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the session id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _UsageSums:
    """The figures both rollup tables keep per key (see revision 0008)."""

    generations: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_micros: Mapped[int] = mapped_column(BigInteger)  # USD millionths: exact everywhere
    generation_ms: Mapped[int] = mapped_column(BigInteger)
    timed: Mapped[int] = mapped_column(Integer)  # rows with a generation_ms


class UsageDay(_UsageSums, Base):
    """One UTC day of one user's finished generations on one model with one outcome: the
    rollup behind the admin's team view. Written only by triggers on the history (a row that
    finishes is added, one that changes or goes is taken back out); never by the app."""

    __tablename__ = "spark_usage_daily"
    __table_args__ = (
        # PostgreSQL ranks the team's spenders from this index alone (index-only scan).
        Index(
            "ix_spark_usage_daily_day",
            "day",
            postgresql_include=["user_id", "generations", "cost_micros"],
        ),
        {"sqlite_with_rowid": False},
    )

    # The key starts with the user: the team view sums each user's days in one pass.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class UsageDayTeam(_UsageSums, Base):
    """The same sums for everyone together (the team view's totals). On PostgreSQL only the
    owner's functions read or write it."""

    __tablename__ = "spark_usage_daily_team"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)


class UsageMonth(Base):
    """A user's finished generations and their cost in one UTC calendar month (revision 0014):
    the team view ranks its spenders from whole months of it. Isolated per user like the
    history; triggers keep it in step."""

    __tablename__ = "spark_usage_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)  # no index beyond the key (revision 0014)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    generations: Mapped[int] = mapped_column(Integer)
    cost_micros: Mapped[int] = mapped_column(BigInteger)  # USD millionths


class SpendLimit(Base):
    """The limits of one scope (revision 0010): ``team``, ``default`` (users without a row of
    their own), ``user:<id>`` or ``provider:<id>``. Amounts in USD millionths; NULL: no limit.
    Site-wide settings an admin changes: no row-level security (see docs/teams.md)."""

    __tablename__ = "spark_limits"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    daily_micros: Mapped[int | None] = mapped_column(BigInteger)
    monthly_micros: Mapped[int | None] = mapped_column(BigInteger)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    concurrent: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, onupdate=utc_now, server_default=func.now()
    )


class LimitCounter(Base):
    """What one scope used in one window (revision 0010): ``d:2026-12-03`` / ``m:2026-12``
    (spent and reserved USD millionths), ``min:2026-12-03T12:34`` (requests started) and
    ``live`` (generations running). Every instance reserves and settles against these rows
    inside one locked transaction (see spark.db.limits)."""

    __tablename__ = "spark_limit_counters"
    __table_args__ = ({"sqlite_with_rowid": False},)

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    window: Mapped[str] = mapped_column(String(24), primary_key=True)
    spent_micros: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    reserved_micros: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    warned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class LimitReservation(Base):
    """Money and a concurrency slot held for one generation until it ends (revision 0010).

    ``counters`` lists the ``[scope, window]`` rows it holds. ``state``: ``active``, then
    ``settled`` (at ``settled_micros``) or ``expired`` (released after ``expires_at`` because
    its process never settled it). Isolated per user by row-level security on PostgreSQL.
    """

    __tablename__ = "spark_limit_reservations"
    __table_args__ = (
        Index("ix_spark_limit_reservations_user_id", "user_id"),
        Index(
            "ix_spark_limit_reservations_active",
            "expires_at",
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        CheckConstraint("state IN ('active', 'settled', 'expired')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(HistoryId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))
    counters: Mapped[list[list[str]]] = mapped_column(JsonObject)
    reserved_micros: Mapped[int] = mapped_column(BigInteger)
    settled_micros: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvalRun(Base):
    """One ``spark eval`` run: a suite on some models (revision 0013).

    A team table, like the site settings: no row-level security. It holds the suite's name and
    digest, the models and the per-item figures, never a user's own prompt beyond the suite's;
    the web app shows it to admins only. ``user_id`` is who ran it.
    """

    __tablename__ = "spark_eval_runs"
    __table_args__ = (Index("ix_spark_eval_runs_started_at", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # running | finished | interrupted
    suite_name: Mapped[str] = mapped_column(String(200))
    suite_digest: Mapped[str] = mapped_column(String(64))
    suite_items: Mapped[int] = mapped_column(Integer)
    # "built-in", or the suite file's absolute path (so --resume can find it again).
    suite_source: Mapped[str | None] = mapped_column(Text)
    models: Mapped[list[str]] = mapped_column(JsonObject)  # ["provider:model", ...]
    runs: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class EvalItem(Base):
    """One finished generation of an eval run: a suite item on a model (revision 0013).

    The key makes an item finish once per run: a resumed run skips the keys already here.
    """

    __tablename__ = "spark_eval_items"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("spark_eval_runs.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run: Mapped[int] = mapped_column(Integer, primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JsonObject)
    history_id: Mapped[int | None] = mapped_column(HistoryId)
    finished_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, server_default=func.now()
    )
