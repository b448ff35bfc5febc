"""SPARK's settings: one pydantic-settings class, built on demand (never at import time).

Every setting has an environment variable and a default; a ``.env`` file in the working directory
is read too (environment variables win). Provider keys keep their providers' usual names
(``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL``);
everything of SPARK's own is prefixed ``SPARK_``. Tests build their own ``Settings(...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from spark.paths import default_data_dir

InputSystem = Literal["legacy", "new", "both"]


class Settings(BaseSettings):
    """All of SPARK's configuration. See README.md, "Configuration", for each variable."""

    model_config = SettingsConfigDict(
        env_prefix="SPARK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,
    )

    # Provider credentials and endpoints (the providers' own variable names).
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "anthropic_api_key")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "anthropic_base_url")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    # A local OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1, LM Studio, vLLM...).
    openai_compat_base_url: str | None = None
    openai_compat_api_key: SecretStr | None = None

    # Generation.
    default_provider: str | None = None
    default_model: str | None = None
    max_output_tokens: int = Field(default=4096, ge=256, le=200_000)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    unity_version: str = "6000.0"
    input_system: InputSystem = "both"
    repair_rounds: int = Field(default=1, ge=0, le=3)
    # Validator rules switched on (opt-in rules) and off, by id: "SPK051, SPK010".
    validator_enable: str = ""
    validator_disable: str = ""
    # A Unity project folder: its version, input handling, packages and classes replace the
    # defaults above, and generated scripts are compile-checked in it (docs/unity-projects.md).
    unity_project: Path | None = None
    unity_editor: str | None = None  # a Unity Editor installation, instead of Unity Hub's
    csc: str | None = None  # a C# compiler command line, when no Editor is found
    unity_scripts_folder: str = Field(default="Scripts/SPARK", min_length=1)  # under Assets/
    compile_check: bool = True  # compile generated scripts when a compiler and references exist
    compile_timeout: float = Field(default=120.0, gt=0)
    project_context_tokens: int = Field(default=1500, ge=0, le=20_000)
    max_prompt_chars: int = Field(default=20_000, ge=1)
    # Team and personal instructions, each (appended to the system prompt: docs/prompts.md).
    max_instructions_chars: int = Field(default=4_000, ge=1, le=20_000)

    # Timeouts and retry (seconds). The SDKs' own retries are always off: SPARK retries.
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    retry_base_delay: float = Field(default=1.0, ge=0)
    retry_max_delay: float = Field(default=10.0, ge=0)
    models_cache_seconds: float = Field(default=300.0, ge=0)
    # How long to wait for a provider's live model list (its own, short, timeout).
    models_timeout: float = Field(default=5.0, gt=0)

    # Storage.
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty means the SQLite file ``spark.db`` in ``data_dir`` (filled in below). A secret because
    # a PostgreSQL URL may carry a password.
    database_url: SecretStr = SecretStr("")
    # The table owner's URL, used only by ``spark db upgrade`` on PostgreSQL (default: the above).
    database_migration_url: SecretStr | None = None
    # The PostgreSQL role the app connects as; migrations grant it what it needs (and no more).
    database_app_role: str = "spark_app"
    history_retention_days: int = Field(default=90, ge=1)
    # Team controls (docs/teams.md). Provider fallback: an ordered list of provider:model
    # entries tried when the chosen provider is down; the team's default until an admin sets
    # one (users may override it). Empty: no fallback.
    fallback: str = ""
    # The response cache: off unless switched on (here or by an admin); entries live
    # SPARK_CACHE_TTL seconds; "user" (each user's own) or "team" (shared by everyone).
    cache: bool = False
    cache_ttl: int = Field(default=7 * 86400, ge=60, le=366 * 86400)
    cache_scope: Literal["user", "team"] = "user"
    # The user that `spark generate`, `spark history` and `spark stats` record under.
    cli_user: str = Field(default="local", min_length=1, max_length=64)
    # Web app. SPARK_SECRET_KEY signs session cookies; required when serving beyond this machine
    # (else generated once into ``data_dir/secret_key``).
    session_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SPARK_SECRET_KEY", "session_key")
    )
    # Whether anyone who reaches the web app may create an account (admins always can).
    allow_signup: bool = True
    # Whether web users may name a Unity project folder on this server (their Unity target):
    # only for a local, single-user install; a shared server must not read arbitrary folders.
    allow_project_paths: bool = False
    # Reverse proxies (IPs or networks, comma-separated) whose X-Forwarded-For/-Proto headers
    # are believed. Empty: nobody's, so a client cannot pick the address it is throttled under.
    trusted_proxies: str = ""
    # Spend and rate limits (docs/teams.md): how long a reservation may stay unsettled before
    # it is released (its process died), and where the 80% warnings are POSTed (optional; the
    # URL may carry a token, so it is a secret: never logged nor shown).
    limit_reservation_minutes: int = Field(default=30, ge=1, le=1440)
    limit_webhook_url: SecretStr | None = None

    @field_validator("anthropic_api_key", "openai_api_key", "openai_compat_api_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: object) -> object:
        # An empty ``ANTHROPIC_API_KEY=`` line in .env means "not set", not "an empty key".
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("limit_webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("the webhook URL must start with http:// or https://")
        return value.strip() if isinstance(value, str) else value

    @field_validator(
        "anthropic_base_url",
        "openai_base_url",
        "openai_compat_base_url",
        "default_provider",
        "default_model",
        "unity_project",
        "unity_editor",
        "csc",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        import ipaddress

        networks = []
        for entry in filter(None, (part.strip() for part in value.split(","))):
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return ",".join(networks)

    @field_validator("validator_enable", "validator_disable")
    @classmethod
    def _rule_ids(cls, value: str) -> str:
        if not value.strip():
            return ""
        from spark.unity.rules import parse_rule_ids, unknown_rule_ids

        ids = parse_rule_ids(value)
        unknown = unknown_rule_ids(ids)
        if unknown:
            raise ValueError(f"not a Unity rule id: {', '.join(unknown)} (see `spark rules`)")
        return ",".join(ids)

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if not self.database_url.get_secret_value().strip():
            path = (self.data_dir / "spark.db").expanduser()
            self.database_url = SecretStr(f"sqlite+aiosqlite:///{path}")
        return self

    def secret_values(self) -> list[str]:
        """Every configured secret, for redaction of messages and logs."""
        keys = (
            self.anthropic_api_key,
            self.openai_api_key,
            self.openai_compat_api_key,
            self.limit_webhook_url,
        )
        return [k.get_secret_value() for k in keys if k is not None and k.get_secret_value()]


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment and ``.env``; keyword arguments win over both."""
    return Settings(**overrides)  # type: ignore[arg-type]
