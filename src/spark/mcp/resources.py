"""MCP resources (a generation's script, the validator's rules) and starting prompts.

- ``spark://generations/{generation_id}``: the ``.cs`` text of one of the caller's generations
  (another user's id reads exactly like an unknown one).
- ``spark://rules``: every validation rule as JSON (id, severity, what it catches, its fix).
- Prompts ``monobehaviour``, ``scriptable_object`` and ``editor_window``: a well-formed request
  to pass to ``generate_unity_script``, from a few arguments.
"""

from __future__ import annotations

import json
from typing import Annotated

from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from pydantic import Field

from spark.db.history import get_generation
from spark.mcp.service import check_text
from spark.mcp.tools import Ctx, service_of
from spark.unity.rules import iter_rules

GENERATION_URI = "spark://generations/{generation_id}"
RULES_URI = "spark://rules"


async def generation_code(generation_id: str, ctx: Ctx) -> str:
    """The C# script of one of your generations."""
    service = service_of(ctx)
    missing = ResourceNotFoundError(
        f"SPARK has no script for generation {generation_id} in your history."
    )
    if not (generation_id.isascii() and generation_id.isdigit()) or len(generation_id) > 18:
        raise missing
    caller = service.caller(ctx)
    database = await service.database()
    async with database.session(user_id=caller.user_id, read_only=True) as session:
        record = await get_generation(
            session=session, user_id=caller.user_id, record_id=int(generation_id)
        )
        if record is None or record.generated_code is None:
            raise missing
        return record.generated_code


def rules() -> str:
    """SPARK's validation rules as JSON: id, severity, title, hint, analyzer id, fix, examples."""
    return json.dumps([rule.to_json() for rule in iter_rules()], ensure_ascii=False, indent=1)


def _request(kind: str, what: str, class_name: str, extra: str = "") -> str:
    check_text(description=what, class_name=class_name)
    name = f" Name the class {class_name}." if class_name.strip() else ""
    return (
        f"Use SPARK's generate_unity_script tool to write a Unity {kind}: {what.strip()}.{name}"
        f"{extra} Then show me the code, and tell me what SPARK's validation and compile "
        "reports found (`ok`, `validation`, `compile`)."
    )


ClassName = Annotated[str, Field(description="The class name (optional).")]


def monobehaviour(
    behaviour: Annotated[str, Field(description="What the component does.")],
    class_name: ClassName = "",
) -> str:
    """A MonoBehaviour component: attach it to a GameObject."""
    return _request(
        "MonoBehaviour component",
        behaviour,
        class_name,
        " Expose tuning values as [SerializeField] private fields with tooltips.",
    )


def scriptable_object(
    data: Annotated[str, Field(description="What the asset holds, e.g. 'weapon stats'.")],
    class_name: ClassName = "",
) -> str:
    """A ScriptableObject data asset with a CreateAssetMenu entry."""
    return _request(
        "ScriptableObject",
        data,
        class_name,
        " Add a [CreateAssetMenu] attribute so it can be created from the Assets menu.",
    )


def editor_window(
    purpose: Annotated[str, Field(description="What the window shows or does.")],
    menu_path: Annotated[str, Field(description="Its menu item, e.g. Tools/Level Stats.")] = "",
    class_name: ClassName = "",
) -> str:
    """A Unity Editor window (an EditorWindow in an Editor folder) opened from a menu item."""
    check_text(menu_path=menu_path)
    menu = f" Open it from the menu item {menu_path.strip()}." if menu_path.strip() else ""
    return _request(
        "EditorWindow (editor-only code, for an Editor folder)", purpose, class_name, menu
    )
