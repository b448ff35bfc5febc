"""The answers every operation can give, written into ``/openapi.json`` in one place.

Routes document what is theirs (a 404 for an unknown id, a 409 for a provider without a key).
What follows from the gate every request passes is added here to every operation it applies
to, so a new route is documented without repeating it:

- 400: the HTTP server refuses a request whose URL and headers together pass
  :data:`MAX_REQUEST_HEAD_BYTES` (a plain-text answer: SPARK never sees the request); an
  operation that takes a JSON body also answers 400 ``invalid_json`` (not UTF-8, not JSON,
  nested too deep);
- 401: no session and no valid API token (operations that act for a user; outside ``/api/``
  a 303 to the sign-in page instead);
- 413: a body past the size limit;
- 422: a parameter or body field that is missing, of the wrong type, out of range or not
  text (SPARK's error body, not FastAPI's ``HTTPValidationError``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from spark.web.auth import optional_user
from spark.web.params import MAX_REQUEST_HEAD_BYTES
from spark.web.routing import api_routes

_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_HEAD_TOO_LARGE = {
    "text/plain": {
        "schema": {"type": "string"},
        "example": "Invalid HTTP request received.",
    }
}


def _identifies_user(dependant: Dependant) -> bool:
    return any(
        dependency.call is optional_user or _identifies_user(dependency)
        for dependency in dependant.dependencies
    )


def _answer(operation: dict[str, Any], status: str, description: str, content: Any) -> None:
    answers = operation.setdefault("responses", {})
    existing = answers.get(status)
    if existing is None:
        answers[status] = {"description": description, "content": dict(content)}
        return
    if status == "422":  # FastAPI's default 422 describes a body SPARK never sends
        existing["content"] = dict(content)
    else:
        existing.setdefault("content", {}).update(content)
    if description not in existing.get("description", ""):
        existing["description"] = f"{existing.get('description', '')} {description}".strip()


def add_common_answers(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Document, on every operation of ``schema``, the answers described above."""
    by_operation = {(p, m.lower()): r for p, r in api_routes(routes) for m in r.methods or ()}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            route = by_operation.get((path, method))
            if route is None:
                continue
            _answer(
                operation,
                "400",
                f"The URL and headers are larger than {MAX_REQUEST_HEAD_BYTES:,} bytes "
                "(refused by the HTTP server, plain text).",
                _HEAD_TOO_LARGE,
            )
            if route.body_field is not None:
                _answer(
                    operation, "400", "The body is not UTF-8 JSON (`invalid_json`).", _ERROR_BODY
                )
                _answer(operation, "413", "The body is too large (`too_large`).", _ERROR_BODY)
            if route.body_field is not None or operation.get("parameters"):
                _answer(
                    operation,
                    "422",
                    "A parameter or field is missing, of the wrong type, out of range, or "
                    "not text (`invalid_request`).",
                    _ERROR_BODY,
                )
            if _identifies_user(route.dependant) and path.startswith("/api/"):
                _answer(operation, "401", "Not signed in (session or API token).", _ERROR_BODY)
            elif _identifies_user(route.dependant):
                _answer(operation, "303", "Not signed in: sent to the sign-in page.", {})
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json`` and ``/docs``) include the answers."""
    build: Callable[[], dict[str, Any]] = app.openapi  # FastAPI's: builds once, then cached
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not completed:
            add_common_answers(schema, app.routes)
            completed.append(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
