"""``GET /api/models``: providers (available or how to enable them) and their models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from spark.catalog import ModelInfo
from spark.models import ProviderModels
from spark.web.auth import CurrentUser
from spark.web.deps import EngineDep
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody, ModelOut, ModelsResponse, PriceOut, ProviderOut

router = APIRouter(prefix="/api", tags=["models"], route_class=SparkRoute)


def _money(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def price_hint(model: ModelInfo) -> str:
    if model.price is None:
        return "price unknown"
    if model.price.input == 0 and model.price.output == 0:
        return "free"
    return f"${_money(model.price.input)} in / ${_money(model.price.output)} out per M tokens"


def model_out(model: ModelInfo) -> ModelOut:
    price = None
    if model.price is not None:
        price = PriceOut(
            input=str(model.price.input),
            output=str(model.price.output),
            checked=model.price.checked.isoformat(),
        )
    return ModelOut(
        id=model.id,
        display_name=model.display_name,
        label=model.label,
        status=model.status,
        default=model.default,
        price=price,
        price_hint=price_hint(model),
        context_window=model.context_window,
        max_output_tokens=model.max_output_tokens,
        note=model.note,
    )


def provider_out(provider: ProviderModels) -> ProviderOut:
    return ProviderOut(
        id=provider.id,
        display_name=provider.display_name,
        available=provider.available,
        hint="" if provider.available else provider.how_to_enable,
        live=provider.live,
        models=[model_out(m) for m in provider.models],
    )


@router.get(
    "/models",
    summary="List providers and their models",
    responses={422: {"model": ErrorBody, "description": "Unknown provider."}},
)
async def list_models(
    engine: EngineDep,
    user: CurrentUser,
    provider: Annotated[str | None, Query(max_length=64, description="Only this provider.")] = None,
) -> ModelsResponse:
    """Every provider (or one) with availability, its models' status labels and prices.

    A configured provider's own model list is merged in (cached); retired models stay listed,
    labelled. Prices are USD per million tokens.
    """
    return ModelsResponse(
        providers=[provider_out(p) for p in await engine.models.overview(provider)]
    )
