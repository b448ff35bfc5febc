"""The API reference page, the generated highlight stylesheet and the health check (the chat
screen is :mod:`spark.web.routes.chat`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from spark import __version__
from spark.web.deps import TemplatesDep
from spark.web.highlight import stylesheet
from spark.web.routing import SparkRoute

router = APIRouter(include_in_schema=False, route_class=SparkRoute)


@router.get("/docs", response_class=HTMLResponse)
async def api_reference(request: Request, templates: TemplatesDep) -> Response:
    """The API reference, rendered from the OpenAPI schema (no Swagger UI: no CDN)."""
    schema: dict[str, Any] = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
    ]
    return templates.TemplateResponse(
        request,
        "docs.html",
        {
            "operations": operations,
            "schemas": schema.get("components", {}).get("schemas", {}),
            "version": __version__,
        },
    )


@router.get("/assets/highlight.css")
async def highlight_css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/healthz")
async def health() -> Response:
    return JSONResponse({"ok": True, "version": __version__})
