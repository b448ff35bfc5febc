"""``GET /api/export/{generation_id}``: a finished script as a ``ClassName.cs`` download."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from spark.web.auth import CurrentUser
from spark.web.deps import ConversationsDep
from spark.web.errors import ApiError
from spark.web.params import GenerationId
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody

router = APIRouter(prefix="/api", tags=["export"], route_class=SparkRoute)

_SAFE_FILE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\.cs$")


def safe_file_name(name: str) -> str:
    """``name`` when it is a plain ``Identifier.cs``, else ``GeneratedScript.cs``."""
    return name if _SAFE_FILE_NAME.match(name) else "GeneratedScript.cs"


@router.get(
    "/export/{generation_id}",
    summary="Download a generated script",
    response_class=Response,
    responses={
        200: {
            "content": {"text/x-csharp": {}},
            "description": "The script, as an attachment named after its class.",
        },
        401: {"model": ErrorBody, "description": "Not signed in."},
        404: {"model": ErrorBody, "description": "Unknown generation."},
        422: {"model": ErrorBody, "description": "Not a generation id."},
    },
)
async def export_script(
    generation_id: GenerationId, conversations: ConversationsDep, user: CurrentUser
) -> Response:
    """The script of a finished generation, named ``ClassName.cs`` as Unity requires."""
    turn = await conversations.find_turn(owner=user.id, generation_id=str(generation_id))
    if turn is None:
        raise ApiError(
            404,
            "unknown_generation",
            "SPARK has no finished script with this id in your history.",
            "Generate the script again.",
        )
    file_name = safe_file_name(turn.file_name)
    return Response(
        content=turn.code.encode("utf-8"),
        media_type="text/x-csharp; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
