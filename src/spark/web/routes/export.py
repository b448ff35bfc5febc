"""Downloads: one script (``GET /api/export/{generation_id}``, ``ClassName.cs``, optionally with
the model's notes as a comment block), a conversation's scripts (``/c/{id}/export.zip`` and
``.unitypackage``) and a selection from History (``/history/export``), packed by
:mod:`spark.unity.export` with their ``.meta`` files under ``Assets/Scripts/SPARK``.

A conversation's archive holds one file per class: the current revision for its class, the
newest finished revision for any other class the conversation wrote (Unity wants one file per
class name). A History selection naming two generations of the same class is refused with a
message, as ``spark export`` refuses it.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from spark.db.conversations import has_script
from spark.db.history import get_generation
from spark.db.models import GenerationRecord
from spark.errors import UsageError
from spark.unity.export import place_scripts, scripts_of, unitypackage_bytes, zip_bytes
from spark.web.auth import CurrentUser
from spark.web.deps import ConversationsDep, DatabaseDep
from spark.web.errors import ApiError
from spark.web.params import MAX_ROW_ID, ConversationId, GenerationId
from spark.web.routing import SparkRoute
from spark.web.schemas import ErrorBody

router = APIRouter(tags=["export"], route_class=SparkRoute)

_SAFE_FILE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\.cs$")
Format = Literal["zip", "unitypackage"]
_MEDIA = {"zip": "application/zip", "unitypackage": "application/gzip"}
MAX_SELECTION = 100


def safe_file_name(name: str) -> str:
    """``name`` when it is a plain ``Identifier.cs``, else ``GeneratedScript.cs``."""
    return name if _SAFE_FILE_NAME.match(name) else "GeneratedScript.cs"


def notes_comment(explanation: str) -> str:
    """The model's notes as a C# block comment to put above the script."""
    body = explanation.replace("*/", "* /").strip()
    lines = "\n".join(f" * {line}".rstrip() for line in body.splitlines())
    return f"/*\n * Notes from the model that wrote this script:\n *\n{lines}\n */\n\n"


@router.get(
    "/api/export/{generation_id}",
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
    generation_id: GenerationId,
    conversations: ConversationsDep,
    user: CurrentUser,
    explanation: Annotated[
        bool, Query(description="Put the model's notes above the script, as a comment.")
    ] = False,
) -> Response:
    """The script of a generation (finished, or the part of a stopped one that arrived), named
    ``ClassName.cs`` as Unity requires."""
    turn = await conversations.find_turn(owner=user.id, generation_id=str(generation_id))
    if turn is None:
        raise ApiError(
            404,
            "unknown_generation",
            "SPARK has no finished script with this id in your history.",
            "Generate the script again.",
        )
    file_name = safe_file_name(turn.file_name)
    code = turn.code
    if explanation and turn.explanation:
        code = notes_comment(turn.explanation) + code
    return Response(
        content=code.encode("utf-8"),
        media_type="text/x-csharp; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def _archive(records: list[GenerationRecord], kind: Format, name: str) -> Response:
    try:
        placed = place_scripts(scripts_of(records))
    except UsageError as exc:
        raise ApiError(422, "invalid_request", exc.message, exc.hint) from None
    data = zip_bytes(placed) if kind == "zip" else unitypackage_bytes(placed)
    return Response(
        content=data,
        media_type=_MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )


def latest_per_class(
    records: list[GenerationRecord], current_id: int | None
) -> list[GenerationRecord]:
    """One revision per class name: the current one for its class, else the newest finished."""
    chosen: dict[str, GenerationRecord] = {}
    for record in records:
        if has_script(record) and not record.partial:
            chosen[record.class_name or ""] = record
    for record in records:
        if record.id == current_id and has_script(record):
            chosen[record.class_name or ""] = record
    return list(chosen.values())


@router.get("/c/{conversation_id}/export.{kind}", include_in_schema=False)
async def export_conversation(
    conversation_id: ConversationId,
    kind: Format,
    conversations: ConversationsDep,
    user: CurrentUser,
) -> Response:
    """The conversation's scripts as a ``.zip`` or ``.unitypackage``."""
    conversation = await conversations.get(owner=user.id, conversation_id=conversation_id)
    if conversation is None:
        raise ApiError(404, "unknown_conversation", "SPARK has no such conversation of yours.")
    current = conversation.current
    records = latest_per_class(conversation.records, current.id if current else None)
    if not records:
        raise ApiError(404, "no_scripts", "This conversation has no finished script yet.")
    return _archive(records, kind, f"spark-{conversation_id[:14]}")


@router.get("/history/export", include_in_schema=False)
async def export_selection(
    database: DatabaseDep,
    user: CurrentUser,
    ids: Annotated[list[int], Query(max_length=MAX_SELECTION)] = [],  # noqa: B006
    kind: Annotated[Format, Query(alias="format")] = "zip",
) -> Response:
    """The generations ticked on the History page, packed for Unity."""
    wanted = [i for i in dict.fromkeys(ids) if 1 <= i <= MAX_ROW_ID]
    if not wanted:
        raise ApiError(
            422,
            "invalid_request",
            "Tick the generations to download first.",
            "Then press Download.",
        )
    records: list[GenerationRecord] = []
    async with database.session(user_id=user.id) as session:
        for record_id in wanted:
            record = await get_generation(session=session, user_id=user.id, record_id=record_id)
            if record is None:
                raise ApiError(404, "unknown_generation", f"No generation {record_id} of yours.")
            records.append(record)
    return _archive(records, kind, "spark-scripts")
