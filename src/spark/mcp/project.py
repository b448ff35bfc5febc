"""``write_to_project`` (stdio only): a script into the configured Unity project, with its .meta.

Only :mod:`spark.unity.project_write` writes into a project, and this tool goes through it: only
under the project's ``Assets/`` folder (``..`` and symbolic links resolved first), never over
an existing script unless ``overwrite`` is true (its ``.meta`` and GUID are then kept), never a
class name another script of the project already declares. The project is the one ``spark mcp``
was started with (``--project`` or ``SPARK_UNITY_PROJECT``): an agent cannot name another folder.
Over HTTP the tool does not exist.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Annotated

from mcp_types import CallToolResult
from pydantic import Field

from spark.db.history import get_generation
from spark.errors import UsageError
from spark.mcp.service import McpService, check_text, tool_result
from spark.mcp.tools import MAX_CODE_CHARS, Ctx, service_of, unknown_generation
from spark.unity.extract import main_class_name
from spark.unity.project_scripts import load_script_index
from spark.unity.project_write import plan_destination, write_script


async def write_to_project(
    ctx: Ctx,
    generation_id: Annotated[
        int | None,
        Field(
            description="Write this generation's script (from generate_unity_script or "
            "list_history).",
            ge=1,
            le=2**63 - 1,
        ),
    ] = None,
    code: Annotated[
        str | None,
        Field(description="Or write this C# source.", max_length=MAX_CODE_CHARS),
    ] = None,
    file_name: Annotated[
        str | None,
        Field(
            description="The file's name, e.g. Player.cs (default: the main class's name + "
            ".cs; Unity needs the two to match).",
            max_length=255,
        ),
    ] = None,
    folder: Annotated[
        str | None,
        Field(
            description="A folder under Assets/, e.g. Scripts/Enemies (default: the server's "
            "SPARK_UNITY_SCRIPTS_FOLDER, Scripts/SPARK). Created with .meta files if missing.",
            max_length=1024,
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        Field(description="Replace an existing file of that name (its .meta and GUID are kept)."),
    ] = False,
) -> CallToolResult:
    """Write a script into the Unity project this server was started with (--project or
    SPARK_UNITY_PROJECT), under Assets/, with its .meta file. Never overwrites an existing
    script unless `overwrite` is true, and refuses a class name the project already has in
    another file. Returns the written `path` (relative to the project), its `meta` and `guid`."""
    service = service_of(ctx)
    check_text(code=code, file_name=file_name, folder=folder)
    root = _project(service)
    source = await _source(service, ctx, generation_id, code)
    class_name = main_class_name(source)
    name = file_name or f"{class_name}.cs"
    if PurePath(name).name != name or "\\" in name or not name.endswith(".cs"):
        raise UsageError(
            f"'{name}' is not a file name ending in .cs.",
            hint="Pass a bare name such as Player.cs; choose the folder with folder.",
        )
    destination = plan_destination(root, folder=folder or service.settings.unity_scripts_folder)
    index = load_script_index(destination.root, cache_dir=service.settings.data_dir / "cache")
    path = destination.path_for(name)
    existed = path.exists()
    try:
        written = write_script(
            destination, name, source, class_name=class_name, force=overwrite, index=index
        )
    except UsageError as refused:
        if existed and not overwrite:  # the writer's hint names the CLI's --force
            refused.hint = "Pass overwrite: true to replace it (its .meta and GUID are kept)."
        raise
    except OSError as exc:
        raise UsageError(
            f"Could not write {destination.relative(path)}: {exc.strerror or exc}.",
            hint="Check the folder's permissions and free space.",
        ) from None
    return tool_result(
        {
            "path": destination.relative(written.path),
            "absolute_path": str(written.path),
            "meta": destination.relative(written.meta),
            "guid": written.guid,
            "created_meta": written.created_meta,
            "replaced": existed,
            "folders_created": [destination.relative(f) for f in written.folders],
        }
    )


def _project(service: McpService) -> Path:
    if service.project is None:
        raise UsageError(
            "No Unity project is configured, so SPARK has nowhere to write.",
            hint="Start spark mcp with --project /path/to/YourGame, or set SPARK_UNITY_PROJECT.",
        )
    return service.project


async def _source(
    service: McpService, ctx: Ctx, generation_id: int | None, code: str | None
) -> str:
    """The code to write: the caller's generation, or ``code``."""
    if (generation_id is None) == (code is None):
        raise UsageError("Pass either generation_id or code, not both and not neither.")
    if code is not None:
        return code
    caller = service.caller(ctx)
    database = await service.database()
    async with database.session(user_id=caller.user_id, read_only=True) as session:
        record = await get_generation(
            session=session, user_id=caller.user_id, record_id=generation_id or 0
        )
        if record is None:
            raise unknown_generation(generation_id)
        if not record.generated_code:
            raise UsageError(
                f"Generation {generation_id} has no script (its status is {record.status}).",
                hint="Pick a succeeded generation from list_history.",
            )
        return record.generated_code
