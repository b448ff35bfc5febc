"""The model catalog: the packaged data file's promises, the loader's rules and its queries."""

from __future__ import annotations

import datetime
import typing
from decimal import Decimal
from pathlib import Path

import pytest

from spark.catalog import Catalog, CatalogError, ModelInfo, load_catalog
from spark.errors import ConfigError, UsageError
from spark.usage import Usage

LAUNCH_MODELS = {
    ("anthropic", "claude-3-5-sonnet-20241022"): "Claude 3.5 Sonnet (October 2024)",
    ("anthropic", "claude-3-5-sonnet-20240620"): "Claude 3.5 Sonnet (June 2024)",
    ("anthropic", "claude-3-haiku-20240307"): "Claude 3 Haiku",
    ("openai", "gpt-4"): "GPT-4",
    ("openai", "gpt-4-turbo-preview"): "GPT-4 Turbo Preview",
    ("openai", "gpt-3.5-turbo"): "GPT-3.5 Turbo",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _literal_strings(tp: object) -> set[str]:
    """Every string in a (possibly nested) Literal/Union type alias."""
    found: set[str] = set()
    for arg in typing.get_args(tp):
        if isinstance(arg, str):
            found.add(arg)
        else:
            found |= _literal_strings(arg)
    return found


# --- the packaged catalog ---------------------------------------------------------------------


def test_packaged_catalog_is_loaded_once(catalog: Catalog) -> None:
    assert load_catalog() is catalog
    assert catalog.source.endswith("catalog.toml")


def test_providers_in_order_with_how_to_enable_them(catalog: Catalog) -> None:
    assert [p.id for p in catalog.providers] == ["anthropic", "openai", "openai_compat", "offline"]
    anthropic_, openai_, compat, offline = catalog.providers
    assert (anthropic_.display_name, anthropic_.key_env) == (
        "Anthropic Claude",
        "ANTHROPIC_API_KEY",
    )
    assert (openai_.display_name, openai_.key_env) == ("OpenAI", "OPENAI_API_KEY")
    assert compat.display_name == "OpenAI-compatible (local)"
    assert compat.enable_env == "SPARK_OPENAI_COMPAT_BASE_URL"
    assert "authoritative" in compat.note
    assert (offline.display_name, offline.key_env, offline.enable_env) == (
        "Offline templates",
        None,
        None,
    )
    assert all(p.needs for p in catalog.providers)


@pytest.mark.parametrize(("key", "display_name"), LAUNCH_MODELS.items())
def test_launch_models_are_present_retired_and_selectable(
    catalog: Catalog, key: tuple[str, str], display_name: str
) -> None:
    provider, model_id = key
    model = catalog.find(provider, model_id)
    assert model is not None
    assert model.display_name == display_name
    assert model.status == "retired"
    assert model.retired_on is not None
    assert model.label == f"{display_name} (retired)"
    assert model.is_selectable
    assert model.price is not None  # historical list price, so old history rows can be costed


def test_each_provider_has_exactly_one_current_default(catalog: Catalog) -> None:
    for provider in catalog.providers:
        defaults = [m for m in provider.models if m.default]
        assert len(defaults) == 1, provider.id
        assert defaults[0].status == "current"
        assert catalog.default_model(provider.id) == defaults[0]
    assert catalog.default_model("offline").id == "spark-templates"


def test_every_current_model_has_a_checked_price(catalog: Catalog) -> None:
    for provider in catalog.providers:
        current = catalog.current_models(provider.id)
        assert current, provider.id
        for model in current:
            assert model.price is not None, model.id
            assert model.price.checked <= datetime.date.today(), model.id
            assert model.note, model.id


def test_local_and_offline_models_cost_nothing(catalog: Catalog) -> None:
    usage = Usage(input_tokens=5_000, output_tokens=2_000)
    for provider in ("openai_compat", "offline"):
        for model in catalog.models(provider):
            assert catalog.cost(provider, model.id, usage) == Decimal(0)


def test_current_anthropic_ids_are_known_to_the_installed_sdk(catalog: Catalog) -> None:
    import anthropic.types  # imported here: the SDKs take seconds to import

    sdk_ids = _literal_strings(anthropic.types.Model)
    assert "claude-sonnet-5-5" in sdk_ids  # the helper really read the Literal
    missing = [m.id for m in catalog.current_models("anthropic") if m.id not in sdk_ids]
    assert missing == [], f"anthropic SDK no longer lists {missing}: update catalog.toml"


def test_current_openai_ids_are_known_to_the_installed_sdk(catalog: Catalog) -> None:
    import openai.types

    sdk_ids = _literal_strings(openai.types.ChatModel)
    assert "gpt-6.2-sol" in sdk_ids
    missing = [m.id for m in catalog.current_models("openai") if m.id not in sdk_ids]
    assert missing == [], f"openai SDK no longer lists {missing}: update catalog.toml"


# --- queries ----------------------------------------------------------------------------------


def test_unknown_provider_is_a_usage_error_listing_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(UsageError) as caught:
        catalog.provider("gemini")
    assert "gemini" in caught.value.message
    for known in ("anthropic", "openai", "openai_compat", "offline"):
        assert known in caught.value.message
    with pytest.raises(UsageError):
        catalog.models("gemini")


def test_find_by_id_alias_and_case(catalog: Catalog) -> None:
    haiku = catalog.find("anthropic", "claude-haiku-4-5")
    assert haiku is not None
    assert catalog.find("anthropic", "claude-haiku-4-5-20251001") is haiku
    assert catalog.find("openai", "GPT-4o") is catalog.find("openai", "gpt-4o")
    assert catalog.find("openai", "gpt-3.5-turbo-0125") is catalog.find("openai", "gpt-3.5-turbo")
    assert catalog.find("openai", "gpt-99") is None
    assert catalog.find("openai", "claude-sonnet-5-5") is None  # models belong to one provider


def test_labels_say_the_status(catalog: Catalog) -> None:
    assert catalog.default_model("anthropic").label == "Claude Sonnet 5.5"
    legacy = catalog.find("openai", "gpt-4o")
    assert legacy is not None
    assert legacy.label == "GPT-4o (legacy)"


def test_cost_by_hand_anthropic_with_cache_tokens(catalog: Catalog) -> None:
    # Sonnet 5.5: $2 in, $10 out, $0.10 cache read, $2.50 cache write per million tokens.
    usage = Usage(
        input_tokens=1_234, output_tokens=5_678, cache_read_tokens=10_000, cache_write_tokens=2_000
    )
    # 1234*2 + 5678*10 + 10000*0.10 + 2000*2.50 = 2468 + 56780 + 1000 + 5000 = 65248 micro-dollars
    assert catalog.cost("anthropic", "claude-sonnet-5-5", usage) == Decimal("0.065248")


def test_cost_by_hand_openai_with_cached_input(catalog: Catalog) -> None:
    # GPT-6.1 Terra: $1 in, $5 out, $0.05 cached read, $1.25 cache write.
    usage = Usage(input_tokens=3, output_tokens=7, cache_read_tokens=11, cache_write_tokens=13)
    # (3*1 + 7*5 + 11*0.05 + 13*1.25) / 1e6 = 54.8 / 1e6 = 0.0000548 -> 0.000055 (half up)
    assert catalog.cost("openai", "gpt-6.1-terra", usage) == Decimal("0.000055")


def test_cost_by_hand_retired_launch_model_via_alias(catalog: Catalog) -> None:
    # Claude 3 Haiku: $0.25 in, $1.25 out, $0.03 cache read, $0.30 cache write.
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=200_000,
        cache_read_tokens=500_000,
        cache_write_tokens=100_000,
    )
    # 0.25 + 0.25 + 0.015 + 0.03 = 0.545
    cost = catalog.cost("anthropic", "claude-3-haiku-20240307", usage)
    assert cost == Decimal("0.545000")
    assert str(cost) == "0.545000"
    gpt35 = Usage(input_tokens=2_000, output_tokens=1_000)
    # 2000*0.50 + 1000*1.50 = 2500 micro-dollars
    assert catalog.cost("openai", "gpt-3.5-turbo-0125", gpt35) == Decimal("0.002500")


def test_cost_is_none_when_the_price_is_unknown(catalog: Catalog, tmp_path: Path) -> None:
    usage = Usage(input_tokens=10, output_tokens=10)
    assert catalog.cost("openai", "gpt-99-unlisted", usage) is None
    custom = load_catalog(_write(tmp_path, VALID))
    assert custom.find("p", "mystery") is not None
    assert custom.cost("p", "mystery", usage) is None
    assert custom.cost("p", "good", usage) == Decimal("0.000030")


def test_suggest_for_a_retired_model_puts_its_replacement_first(catalog: Catalog) -> None:
    suggestions = catalog.suggest("anthropic", "claude-3-haiku-20240307")
    assert suggestions[0].id == "claude-haiku-5-5"
    assert all(m.status == "current" for m in suggestions)
    assert suggestions[-1] == catalog.default_model("anthropic")
    assert catalog.suggest("openai", "gpt-3.5-turbo")[0].id == "gpt-6-luna"


def test_suggest_for_unknown_ids_uses_close_names_then_the_default(catalog: Catalog) -> None:
    typo = catalog.suggest("openai", "gpt-6.2-astar")
    assert typo[0].id == "gpt-6.2-astra"
    assert [m.id for m in typo].count("gpt-6.2-sol") == 1  # the default, never twice
    assert catalog.suggest("anthropic", "opus")[0].id == "claude-opus-5-5"
    nothing_alike = catalog.suggest("openai", "zzz")
    assert [m.id for m in nothing_alike] == ["gpt-6.2-sol"]
    assert all(
        m.id != "claude-sonnet-5-5" for m in catalog.suggest("anthropic", "claude-sonnet-5-5")
    )


def test_merge_live_keeps_catalog_order_then_appends_unknown_ids(catalog: Catalog) -> None:
    live = ["gpt-7-nova", "gpt-6.2-sol", "gpt-4o-2024-08-06", " gpt-7-nova ", "", "gpt-6-luna"]
    merged = catalog.merge_live("openai", live)
    catalog_models = list(catalog.models("openai"))
    assert merged[: len(catalog_models)] == catalog_models  # retired ones stay, in place
    extra = merged[len(catalog_models) :]
    assert [m.id for m in extra] == ["gpt-7-nova"]
    unknown = extra[0]
    assert unknown == ModelInfo(
        id="gpt-7-nova",
        display_name="gpt-7-nova",
        provider="openai",
        context_window=None,
        max_output_tokens=None,
        price=None,
        status="unknown",
        note="reported by the provider; not in SPARK's catalog",
    )
    assert unknown.label == "gpt-7-nova (not in catalog)"
    assert unknown.is_selectable
    assert catalog.cost("openai", unknown.id, Usage(input_tokens=1)) is None


def test_merge_live_for_a_local_server(catalog: Catalog) -> None:
    merged = catalog.merge_live("openai_compat", ["mistral:7b", "llama3.1:8b"])
    assert [m.id for m in merged] == [
        "qwen2.5-coder:7b",
        "qwen2.5-coder:14b",
        "llama3.1:8b",
        "mistral:7b",
    ]
    assert merged[-1].status == "unknown"
    assert catalog.merge_live("openai_compat", []) == list(catalog.models("openai_compat"))


# --- validation of broken files ---------------------------------------------------------------

VALID = """
[[provider]]
id = "p"
display_name = "P"
key_env = "P_KEY"
needs = "set P_KEY"

[[model]]
provider = "p"
id = "good"
display_name = "Good"
status = "current"
default = true
context_window = 1000
price = { input = "1.5", output = "1.5", cache_read = "0", cache_write = "0", checked = 2026-11-26 }

[[model]]
provider = "p"
id = "mystery"
display_name = "Mystery"
status = "legacy"
replacement = "good"
price = "unknown"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _fails(tmp_path: Path, text: str, *expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message
    assert isinstance(caught.value, ConfigError)


BAD_PRICE = 'price = { input = "1.5"'
DUPLICATE = """
[[model]]
provider = "p"
id = "good"
display_name = "Again"
status = "current"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VALID + DUPLICATE, ("p/good", "duplicate id 'good'"), id="duplicate-id"),
        pytest.param(
            VALID.replace('replacement = "good"', 'aliases = ["good"]'),
            ("duplicate id 'good'",),
            id="alias-collides-with-id",
        ),
        pytest.param(
            VALID.replace('status = "legacy"', 'status = "deprecated"'),
            ("p/mystery", "unknown status 'deprecated'"),
            id="unknown-status",
        ),
        pytest.param(
            VALID.replace("default = true\n", ""),
            ("provider 'p'", "exactly one default", "found none"),
            id="no-default",
        ),
        pytest.param(
            VALID.replace('status = "legacy"', 'status = "current"\ndefault = true'),
            ("provider 'p'", "found good, mystery"),
            id="two-defaults",
        ),
        pytest.param(
            VALID.replace('status = "current"', 'status = "retired"'),
            ("p/good", "default model must be current"),
            id="default-not-current",
        ),
        pytest.param(
            VALID.replace(BAD_PRICE, 'price = { input = "-1"'),
            ("p/good", "'input' is negative"),
            id="negative-price",
        ),
        pytest.param(
            VALID.replace(BAD_PRICE, "price = { input = 1.5"),
            ("p/good", "'input' must be a string"),
            id="float-price",
        ),
        pytest.param(
            VALID.replace(BAD_PRICE, 'price = { input = "cheap"'),
            ("p/good", "not a number"),
            id="non-numeric-price",
        ),
        pytest.param(
            VALID.replace(", checked = 2026-11-26", ""),
            ("p/good", "checked"),
            id="price-without-checked-date",
        ),
        pytest.param(
            VALID.replace('provider = "p"\nid = "mystery"', 'provider = "q"\nid = "mystery"'),
            ("q/mystery", "unknown provider 'q'", "known: p"),
            id="unknown-provider",
        ),
        pytest.param(
            VALID.replace('replacement = "good"', 'replacement = "gone"'),
            ("p/mystery", "replacement 'gone'"),
            id="missing-replacement",
        ),
        pytest.param(
            VALID.replace('replacement = "good"', 'replacement = "mystery"'),
            ("p/mystery", "its own replacement"),
            id="self-replacement",
        ),
        pytest.param(
            VALID.replace("context_window = 1000", "context_windw = 1000"),
            ("p/good", "unknown keys ['context_windw']"),
            id="misspelt-key",
        ),
        pytest.param(
            VALID.replace("context_window = 1000", "context_window = -5"),
            ("p/good", "context_window"),
            id="negative-context",
        ),
        pytest.param(
            VALID.replace('replacement = "good"', "retired_on = 2026-01-01T10:00:00"),
            ("p/mystery", "retired_on"),
            id="datetime-not-date",
        ),
        pytest.param(
            VALID.replace('display_name = "Good"', 'display_name = ""'),
            ("p/good", "display_name"),
            id="empty-display-name",
        ),
        pytest.param(VALID + "\n[[provider]]\nid = ", ("not valid TOML",), id="bad-toml"),
        pytest.param(
            VALID.replace('id = "p"\ndisplay_name = "P"', 'display_name = "P"'),
            ("provider #1", "'id' is required"),
            id="provider-without-id",
        ),
        pytest.param(
            VALID + '\n[[provider]]\nid = "p"\ndisplay_name = "P2"\nneeds = "x"\n',
            ("provider 'p'", "duplicate provider id"),
            id="duplicate-provider",
        ),
    ],
)
def test_broken_files_fail_naming_file_and_entry(
    tmp_path: Path, text: str, expected: tuple[str, ...]
) -> None:
    _fails(tmp_path, text, *expected)


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(CatalogError, match=r"nope\.toml"):
        load_catalog(missing)


def test_a_valid_custom_file_loads(tmp_path: Path) -> None:
    custom = load_catalog(_write(tmp_path, VALID))
    assert [p.id for p in custom.providers] == ["p"]
    good = custom.default_model("p")
    assert good.price is not None
    assert good.price.input == Decimal("1.5")
    assert good.price.checked == datetime.date(2026, 11, 26)
    assert custom.suggest("p", "mystery") == [good]
    assert load_catalog(_write(tmp_path, VALID)) is not custom  # only the packaged file is cached


def test_every_registered_provider_says_how_to_enable_it(catalog: Catalog) -> None:
    """The registry builds providers; the catalog says what enables them (one place each)."""
    from spark.config import Settings
    from spark.errors import ConfigError
    from spark.providers import PROVIDERS, build_provider

    assert set(PROVIDERS) == {p.id for p in catalog.providers}
    for info in catalog.providers:
        if info.enable_env is None:
            continue
        assert info.enable_env in info.needs
        with pytest.raises(ConfigError) as failure:
            build_provider(info.id, Settings())
        assert info.needs in failure.value.message
