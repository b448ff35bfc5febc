"""The response cache in the database (``spark_response_cache``, revision 0011).

- :func:`cache_settings`: whether the cache is on, its scope and lifetime: ``SPARK_CACHE``,
  ``SPARK_CACHE_SCOPE`` and ``SPARK_CACHE_TTL``, each replaced by the team admin's site
  setting (``cache``, ``cache_scope``, ``cache_ttl``) once set (:func:`set_cache_settings`).
- :class:`DatabaseCache`: the :class:`~spark.caching.ResponseCache` one generation uses. With
  scope ``user`` a user reads and writes only their own entries; with ``team`` every user reads
  every ``team`` entry (on PostgreSQL row-level security enforces both; see the revision).
  An entry points at the history row it came from and is stored only once that row exists.
- :func:`forget_expired_cache`: the daily clean-up (every user's expired entries). Entries
  also go with their history row (``ON DELETE CASCADE``): the history retention removes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from spark.caching import CachedScript
from spark.db.models import ResponseCacheEntry, User
from spark.db.site import set_site_setting, site_settings
from spark.db.types import utc_now
from spark.errors import UsageError

if TYPE_CHECKING:
    from spark.config import Settings
    from spark.db.engine import Database
    from spark.db.history import GenerationOutcome
    from spark.events import DoneEvent, GenerationResult
    from spark.limits import Quota
    from spark.recording import GenerationStart

Scope = Literal["user", "team"]
SCOPES: tuple[Scope, ...] = ("user", "team")
CACHE, CACHE_SCOPE, CACHE_TTL = "cache", "cache_scope", "cache_ttl"
MIN_TTL, MAX_TTL = 60, 366 * 86400


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """Whether the response cache answers, for whom, and for how long (seconds)."""

    enabled: bool
    scope: Scope
    ttl: int

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "scope": self.scope, "ttl_seconds": self.ttl}


KEYS = (CACHE, CACHE_SCOPE, CACHE_TTL)


async def cache_settings(*, session: AsyncSession, settings: Settings) -> CacheSettings:
    """The settings in force: the admin's where set, else the environment's."""
    return settings_from(await site_settings(session=session, keys=KEYS), settings)


def settings_from(stored: dict[str, str], settings: Settings) -> CacheSettings:
    """:func:`cache_settings` from the site settings already read (``stored``)."""
    enabled, scope, ttl = (stored.get(key) for key in KEYS)
    return CacheSettings(
        enabled=settings.cache if enabled is None else enabled == "true",
        scope="team" if scope == "team" else "user" if scope == "user" else settings.cache_scope,
        ttl=int(ttl) if ttl is not None and ttl.isdigit() else settings.cache_ttl,
    )


def check_cache_settings(scope: str | None = None, ttl: int | None = None) -> None:
    """UsageError for a scope or lifetime SPARK cannot use."""
    if scope is not None and scope not in SCOPES:
        raise UsageError("The cache scope must be user or team.")
    if ttl is not None and not MIN_TTL <= ttl <= MAX_TTL:
        raise UsageError(f"The cache lifetime must be between {MIN_TTL} and {MAX_TTL} seconds.")


async def set_cache_settings(
    *,
    session: AsyncSession,
    admin: User | None,
    enabled: bool | None = None,
    scope: str | None = None,
    ttl: int | None = None,
) -> None:
    """Change the given settings (None: leave as is); admins only."""
    check_cache_settings(scope, ttl)
    changes = {
        CACHE: None if enabled is None else ("true" if enabled else "false"),
        CACHE_SCOPE: scope,
        CACHE_TTL: None if ttl is None else str(ttl),
    }
    for key, value in changes.items():
        if value is not None:
            await set_site_setting(session=session, admin=admin, key=key, value=value)


async def reset_cache_settings(*, session: AsyncSession, admin: User | None) -> None:
    """Forget the admin's cache settings: the environment's apply again."""
    for key in KEYS:
        await set_site_setting(session=session, admin=admin, key=key, value=None)


class RecordedGeneration(Protocol):
    """What the cache needs of the generation's recorder (a ``HistoryRecorder``): its history
    row's id (set by :meth:`DatabaseCache.answer` once a hit's row is written), what goes into
    the row, and the outcome of a final event."""

    record_id: int | None
    conversation_id: str | None
    unity_target: dict[str, Any] | None
    base_generation_id: int | None
    eval_run_id: str | None

    def outcome(self, event: DoneEvent) -> GenerationOutcome: ...


class DatabaseCache:
    """The response cache of one generation of ``user_id`` (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        *,
        user_id: int,
        settings: CacheSettings,
        recorder: RecordedGeneration,
    ) -> None:
        self.database = database
        self.user_id = user_id
        self.settings = settings
        self.recorder = recorder

    async def lookup(self, key: str) -> CachedScript | None:
        async with self.database.transaction(
            user_id=self.user_id, read_only=True, statements=1
        ) as connection:
            return await self._find(connection, key)

    async def _find(self, connection: AsyncConnection, key: str) -> CachedScript | None:
        query = _LOOKUP_TEAM if self.settings.scope == "team" else _LOOKUP_USER
        found = (
            await connection.execute(query, {"key": key, "now": utc_now(), "user_id": self.user_id})
        ).first()
        return None if found is None else CachedScript(**found._asdict())

    async def answer(
        self, key: str, started: GenerationStart, result: GenerationResult, quota: Quota | None
    ) -> None:
        """A hit recorded in one transaction: one request against the rate limits (with a
        database ``quota``: requests per minute, not concurrency or money; no statement when
        no such limit applies), the ``cached`` history row (written started and finished, one
        ``INSERT``) and, in a conversation, the new revision made current (as the web
        recorder's ``finish`` does). The recorder learns the row's id once it is committed."""
        async with self.database.transaction(
            user_id=self.user_id, statements=self._statements(quota)
        ) as connection:
            record_id = await self._record(connection, started, result, quota)
        self.recorder.record_id = record_id

    async def take(
        self,
        key: str,
        started: GenerationStart,
        build: Callable[[CachedScript], GenerationResult],
        quota: Quota | None,
    ) -> GenerationResult | None:
        """:meth:`lookup` then :meth:`answer`. On PostgreSQL in one transaction (three round
        trips fewer than two: ``BEGIN``, ``set_config``, ``COMMIT``); on SQLite the lookup
        stays a read of its own, so that a miss never waits for the write lock (and a read
        that later writes could not wait for it: docs/database.md)."""
        if not self.database.is_postgresql:
            hit = await self.lookup(key)
            if hit is None:
                return None
            result = build(hit)
            await self.answer(key, started, result, quota)
            return result
        async with self.database.transaction(
            user_id=self.user_id, statements=1 + self._statements(quota), joins=True
        ) as connection:
            hit = await self._find(connection, key)
            if hit is None:
                return None
            result = build(hit)
            record_id = await self._record(connection, started, result, quota)
        self.recorder.record_id = record_id
        return result

    def _revising(self) -> bool:
        recorder = self.recorder
        return bool(recorder.conversation_id) and not getattr(recorder, "new", False)

    def _statements(self, quota: Quota | None) -> int:
        from spark.db.limits import DatabaseQuota

        counting = isinstance(quota, DatabaseQuota) and quota.may_count_requests()
        return 1 + self._revising() + (4 if counting else 0)

    async def _record(
        self,
        connection: AsyncConnection,
        started: GenerationStart,
        result: GenerationResult,
        quota: Quota | None,
    ) -> int:
        """What :meth:`answer` writes, on ``connection``; the history row's id."""
        from spark.db.conversations import forget_current_revision
        from spark.db.history import insert_finished_generation
        from spark.db.limits import DatabaseQuota
        from spark.events import DoneEvent

        recorder = self.recorder
        if isinstance(quota, DatabaseQuota) and quota.may_count_requests():
            await quota.count_request(connection)
        record_id = await insert_finished_generation(
            connection=connection,
            outcome=recorder.outcome(DoneEvent(result)),
            user_id=self.user_id,
            provider=started.provider,
            model=started.model,
            prompt=started.prompt,
            system_prompt_version=started.system_prompt_version,
            conversation_id=recorder.conversation_id,
            unity_target=recorder.unity_target,
            base_generation_id=recorder.base_generation_id,
            eval_run_id=recorder.eval_run_id,
            team_instructions_version=started.team_instructions_version,
            personal_instructions_version=started.personal_instructions_version,
        )
        if self._revising():
            assert recorder.conversation_id is not None
            await forget_current_revision(
                session=connection, user_id=self.user_id, conversation_id=recorder.conversation_id
            )
        return record_id

    async def store(self, key: str, result: GenerationResult) -> None:
        source = self.recorder.record_id
        if source is None:  # not in the history: nothing would ever remove it
            return
        entry = ResponseCacheEntry
        now = utc_now()
        async with self.database.session(user_id=self.user_id) as session:
            await session.execute(
                delete(entry).where(
                    entry.user_id == self.user_id,
                    entry.scope == self.settings.scope,
                    entry.cache_key == key,
                )
            )
            session.add(
                entry(
                    user_id=self.user_id,
                    scope=self.settings.scope,
                    cache_key=key,
                    generation_id=source,
                    provider=result.provider[:64],
                    model=result.model[:128],
                    reply=result.reply,
                    code=result.code,
                    class_name=result.class_name[:128],
                    file_name=result.file_name[:200],
                    validation=None if result.validation is None else result.validation.to_dict(),
                    cost_usd=result.cost_usd,
                    created_at=now,
                    expires_at=now + timedelta(seconds=self.settings.ttl),
                )
            )


def _lookup(*where: Any) -> Any:
    entry = ResponseCacheEntry
    return (
        select(
            entry.generation_id,
            entry.provider,
            entry.model,
            entry.reply,
            entry.code,
            entry.class_name,
            entry.file_name,
            entry.validation,
            entry.cost_usd,
        )
        .where(entry.cache_key == bindparam("key"), entry.expires_at > bindparam("now"), *where)
        .order_by(entry.created_at.desc())
        .limit(1)
    )


# Built once (a hit's hot path): the newest live entry under a key, of the user's own or the
# team's.
_LOOKUP_USER = _lookup(
    ResponseCacheEntry.scope == "user", ResponseCacheEntry.user_id == bindparam("user_id")
)
_LOOKUP_TEAM = _lookup(ResponseCacheEntry.scope == "team")


async def forget_expired_cache(*, session: AsyncSession) -> int:
    """Delete every user's expired entries; how many went (PostgreSQL: through
    ``spark_forget_expired_cache()``, which alone may cross users)."""
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(text("SELECT spark_forget_expired_cache()"))
        return int(result.scalar_one())
    deleted = await session.execute(
        delete(ResponseCacheEntry).where(ResponseCacheEntry.expires_at <= utc_now())
    )
    return int(getattr(deleted, "rowcount", 0))


async def clear_cache(*, session: AsyncSession, user_id: int) -> int:
    """Delete the user's own entries (of both scopes); how many went."""
    deleted = await session.execute(
        delete(ResponseCacheEntry).where(ResponseCacheEntry.user_id == user_id)
    )
    return int(getattr(deleted, "rowcount", 0))
