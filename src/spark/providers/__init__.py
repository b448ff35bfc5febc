"""The provider registry: names → factories, and which providers the settings make available.

Adding a provider means adding one entry to :data:`PROVIDERS` (and its models to the catalog);
nothing else dispatches on provider names. SDK modules are imported only when their provider is
built, so the offline path never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spark.config import Settings
from spark.errors import ConfigError, UsageError
from spark.providers.base import Provider


def _anthropic(settings: Settings) -> Provider:
    from spark.providers.anthropic import AnthropicProvider

    return AnthropicProvider.from_settings(settings)


def _openai(settings: Settings) -> Provider:
    from spark.providers.openai import OpenAIProvider

    return OpenAIProvider.from_settings(settings)


def _openai_compat(settings: Settings) -> Provider:
    from spark.providers.openai import OpenAIProvider

    return OpenAIProvider.compatible_from_settings(settings)


def _offline(settings: Settings) -> Provider:
    from spark.providers.templates import TemplateProvider

    # The reply names the providers with keys, instead of saying to set keys that are set.
    configured = [name for name in PROVIDERS if name != OFFLINE and is_available(name, settings)]
    return TemplateProvider(configured=configured)


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """How to build a provider and how to tell whether the settings enable it (what to set is
    told by the catalog's ``needs``, see :func:`how_to_enable`)."""

    build: Callable[[Settings], Provider]
    enabled: Callable[[Settings], bool]


PROVIDERS: dict[str, ProviderEntry] = {
    "anthropic": ProviderEntry(_anthropic, lambda s: s.anthropic_api_key is not None),
    "openai": ProviderEntry(_openai, lambda s: s.openai_api_key is not None),
    "openai_compat": ProviderEntry(_openai_compat, lambda s: s.openai_compat_base_url is not None),
    "offline": ProviderEntry(_offline, lambda s: True),
}
OFFLINE = "offline"


def how_to_enable(name: str) -> str:
    """What to set to enable provider ``name``: its ``needs`` line in the model catalog."""
    from spark.catalog import load_catalog

    return load_catalog().provider(name).needs


def is_available(name: str, settings: Settings) -> bool:
    """True when ``name`` is known and the settings hold what it needs (a key or a URL)."""
    entry = PROVIDERS.get(name)
    return entry is not None and entry.enabled(settings)


def available_providers(settings: Settings) -> list[str]:
    return [name for name in PROVIDERS if is_available(name, settings)]


def build_provider(name: str, settings: Settings) -> Provider:
    """Build a configured provider, or raise :class:`ConfigError` saying how to enable it."""
    entry = PROVIDERS.get(name)
    if entry is None:
        known = ", ".join(PROVIDERS)
        raise UsageError(f"Unknown provider '{name}'.", hint=f"Known providers: {known}.")
    if not entry.enabled(settings):
        raise ConfigError(
            f"The {name} provider is not configured: {how_to_enable(name)}.",
            hint="Or use the offline template provider: --provider offline.",
        )
    return entry.build(settings)
