"""Settings: environment, .env, defaults, and which providers they make available."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from spark.config import Settings, load_settings
from spark.errors import ConfigError, UsageError
from spark.providers import available_providers, build_provider, is_available


def test_defaults_offline_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.anthropic_api_key is None
    assert settings.max_retries == 3
    assert settings.unity_version == "6000.0"
    assert available_providers(settings) == ["offline"]


def test_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "OPENAI_API_KEY=sk-from-dotenv\nSPARK_MAX_RETRIES=5\nSPARK_TEMPERATURE=\n"
        "ANTHROPIC_API_KEY=from-dotenv\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    monkeypatch.setenv("SPARK_OPENAI_COMPAT_BASE_URL", "http://127.0.0.1:11434/v1")
    settings = load_settings()
    assert settings.anthropic_api_key is not None
    assert settings.anthropic_api_key.get_secret_value() == "from-env"  # environment wins
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-from-dotenv"
    assert settings.max_retries == 5
    assert settings.temperature is None  # an empty line means "unset"
    assert available_providers(settings) == ["anthropic", "openai", "openai_compat", "offline"]


def test_blank_key_is_not_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    assert not is_available("anthropic", load_settings())


def test_secrets_never_in_repr() -> None:
    settings = Settings(anthropic_api_key="sk-ant-secret-value", openai_api_key="sk-oai-secret")
    assert "secret" not in repr(settings)
    assert "secret" not in str(settings.model_dump())
    assert sorted(settings.secret_values()) == ["sk-ant-secret-value", "sk-oai-secret"]


def test_invalid_value_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        Settings(input_system="sometimes")  # type: ignore[arg-type]


def test_build_provider_without_key_says_which_variable() -> None:
    with pytest.raises(ConfigError) as info:
        build_provider("anthropic", Settings())
    assert "ANTHROPIC_API_KEY" in info.value.message
    assert "offline" in (info.value.hint or "")


def test_unknown_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        build_provider("gemini", Settings())
    assert "anthropic" in (info.value.hint or "")


def test_trusted_proxies_are_ip_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == ""  # nobody's forwarded headers by default
    monkeypatch.setenv("SPARK_TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/16 ,::1,192.168.1.7/24")
    assert load_settings().trusted_proxies == "10.0.0.5/32,10.1.0.0/16,::1/128,192.168.1.0/24"
    monkeypatch.setenv("SPARK_TRUSTED_PROXIES", "10.0.0.5, proxy.internal")
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address or network"):
        load_settings()
