"""The one gate every request passes before a route sees it: :class:`SparkRoute`.

Every router of the app is built with ``route_class=SparkRoute``. Before FastAPI binds
parameters, the route checks, for any route:

- query parameters, decoded strictly (:func:`spark.web.text.decode_pairs`), and path
  parameters: text that is not UTF-8, or holds a NUL or a lone surrogate, is 422
  ``invalid_request`` naming the parameter;
- a JSON body (of a route that takes one): parsed strictly (:func:`spark.web.text.parse_json`;
  400 ``invalid_json`` saying why: not UTF-8, too deep, not JSON), then every string in it,
  field names included, is checked like the parameters (422 naming the field).

Form fields are checked the same way by :func:`spark.web.routes.account.read_form`. Types are
strict too (``"stream": "yes"`` is not a boolean): :class:`spark.web.schemas.RequestBody`.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from spark.text import text_problem
from spark.web.deps import web_state
from spark.web.errors import ApiError
from spark.web.text import (
    InvalidJson,
    Location,
    decode_pairs,
    pair_problems,
    parse_json,
    text_problems,
)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_UNPARSED = object()


class SparkRequest(Request):
    """A request whose JSON body is parsed strictly, once (FastAPI then reuses the value)."""

    _strict_json: Any = _UNPARSED

    async def json(self) -> Any:
        if self._strict_json is _UNPARSED:
            try:
                self._strict_json = parse_json(await self.body())
            except InvalidJson as exc:
                raise ApiError(
                    400,
                    "invalid_json",
                    f"The request body is not valid JSON: {exc}.",
                    "Send a UTF-8 JSON object such as "
                    '{"provider": "offline", "prompt": "a coin that spins"}.',
                ) from None
        return self._strict_json


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this content type as JSON (``application/json``,
    ``application/*+json``)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def invalid_text(problems: Sequence[tuple[Location, str]]) -> RequestValidationError:
    """The 422 for text a client sent that SPARK cannot take (answered as ``invalid_request``)."""
    return RequestValidationError(
        [{"type": "invalid_text", "loc": loc, "msg": message} for loc, message in problems]
    )


def check_url(request: Request) -> None:
    """Refuse query or path parameters that are not text (422)."""
    pairs = decode_pairs(request.scope.get("query_string", b""))
    problems: list[tuple[Location, str]] = [
        (("query", name), problem) for name, problem in pair_problems(pairs)
    ]
    for name, value in request.path_params.items():
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            problems.append((("path", name), problem))
    if problems:
        raise invalid_text(problems)


_SHARES_READS = "spark_shares_reads"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def shares_reads(endpoint: Endpoint) -> Endpoint:
    """Mark a route whose reads (the token's user included) share one transaction: its
    handler runs in a :meth:`~spark.db.engine.Database.sharing` scope, which the endpoint
    ends (``end_sharing``) before anything long; it ends at the latest when the handler
    returns, before the response is sent (and so before a stream starts)."""
    setattr(endpoint, _SHARES_READS, True)
    return endpoint


class SparkRoute(APIRoute):
    """An API route whose parameters and JSON body are checked before FastAPI binds them."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None
        sharing = getattr(self.endpoint, _SHARES_READS, False)

        async def checked(request: Request) -> Response:
            request = SparkRequest(request.scope, request.receive)
            check_url(request)
            if takes_body and is_json(request.headers.get("content-type")):
                body = await request.body()
                if body:
                    problems = list(text_problems(await request.json(), ("body",)))
                    if problems:
                        raise invalid_text(problems)
            if not sharing:
                return await handler(request)
            database = await web_state(request).database.get()
            async with database.sharing():
                return await handler(request)

        return checked


def api_routes(routes: Sequence[BaseRoute]) -> list[tuple[str, APIRoute]]:
    """Every API route among ``routes`` (included routers' too) with its full path."""
    return [
        (str(context.path_format), context.original_route)
        for context in iter_route_contexts(routes)
        if isinstance(context.original_route, APIRoute)
    ]
