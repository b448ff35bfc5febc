"""The MCP tools: each one a thin call into the service face or a ``spark.db`` repository.

Every tool takes the :class:`~spark.mcp.service.McpService` from its context (the server's
lifespan state) and answers with :func:`~spark.mcp.service.tool_result`, or with
:func:`~spark.mcp.service.tool_error` when SPARK refuses or fails (a :class:`SparkError`: its
message and hint). Parameter descriptions here are what an agent reads; the constraints that
depend on the server (the prompt's length limit, the providers, which arguments exist on which
transport) are written into each tool's schema by :mod:`spark.mcp.server`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from spark.db.export import generation_json
from spark.db.history import HistoryFilters, get_generation, list_generations
from spark.db.instructions import read_instructions_in_force
from spark.db.usage import usage_report
from spark.errors import UsageError
from spark.estimate import DEFAULT_OUTPUT_TOKENS, report_json
from spark.mcp.generate import generate_script, generation_uri
from spark.mcp.service import McpService, check_text, tool_result
from spark.models import model_json
from spark.unity.extract import main_class_name
from spark.unity.target import UnityTarget

# Longest C# text a tool takes (a big MonoBehaviour is ~30,000 characters).
MAX_CODE_CHARS = 200_000
MAX_PATH_CHARS = 4096

Ctx = Context[McpService, Any]


def service_of(ctx: Ctx) -> McpService:
    """The server's :class:`McpService` (its lifespan state)."""
    return ctx.request_context.lifespan_context


# --- parameters (their descriptions are the agent's documentation) ---------------------------

Provider = Annotated[
    str | None,
    Field(
        description="The AI provider. Leave it out for the server's default. Only providers "
        "whose key is set work: `list_models` says which are available.",
    ),
]
Model = Annotated[
    str | None,
    Field(
        description="A model id of that provider, as `list_models` gives them (e.g. "
        "claude-sonnet-4-5, gpt-5-mini). Leave it out for the provider's default model.",
        max_length=128,
    ),
]
ConversationId = Annotated[
    str | None,
    Field(
        description="The conversation_id of an earlier generate_unity_script answer, to revise "
        'that script ("also add a dash on Shift"). Leave it out to start a new script.',
        max_length=64,
    ),
]
Project = Annotated[
    str | None,
    Field(
        description="Local only (spark mcp): a Unity project folder to write for (its Unity "
        "version, input handling, packages and classes; the script is compile-checked there). "
        "Default: the project spark mcp was started with.",
        max_length=MAX_PATH_CHARS,
    ),
]
Code = Annotated[
    str | None,
    Field(description="The C# source to check.", max_length=MAX_CODE_CHARS),
]
FileName = Annotated[
    str | None,
    Field(
        description="The file name it would have, e.g. Player.cs (default: the main class's "
        "name + .cs).",
        max_length=255,
    ),
]
UnityVersion = Annotated[
    str | None,
    Field(
        description="Unity version, e.g. 2022.3 or 6000.0 (default: the server's or the "
        "project's).",
        max_length=32,
    ),
]
InputSystem = Annotated[
    Literal["legacy", "new", "both"] | None,
    Field(
        description="Input handling: legacy Input Manager, the new Input System, or both "
        "(default: the server's or the project's)."
    ),
]


# --- tools ------------------------------------------------------------------------------------


async def generate_unity_script(
    ctx: Ctx,
    prompt: Annotated[
        str,
        Field(
            description='What the Unity C# script should do, in plain words ("an enemy that '
            'patrols between waypoints at 4 m/s"). Not empty; at most maxLength characters.',
        ),
    ],
    provider: Provider = None,
    model: Model = None,
    conversation_id: ConversationId = None,
    project: Project = None,
) -> CallToolResult:
    """Generate a Unity C# script from a prompt; SPARK validates it (C# syntax and Unity
    mistakes, with automatic fixes), compile-checks it when a compiler is available, asks the
    model once to repair what is left, and records it in your history.

    Returns `code`, `file_name` (ClassName.cs, as Unity requires), `ok` (no validation or
    compile errors left), `validation` and `compile` reports, `usage` (tokens), `cost_usd`,
    `generation_id` (for get_generation, write_to_project and the resource spark://generations/
    {id}) and `conversation_id` (pass it back to revise the script). Sends progress
    notifications while the reply streams and on each retry. Takes 5-60 s."""
    service = service_of(ctx)
    return await generate_script(
        service,
        ctx,
        prompt=prompt,
        provider=provider,
        model=model,
        conversation_id=conversation_id,
        project=project,
    )


def _target(
    service: McpService, unity_version: str | None, input_system: str | None
) -> UnityTarget:
    """The call's target, with the version and input handling the caller named."""
    wanted = {"unity_version": unity_version, "input_system": input_system}
    return UnityTarget.from_dict(wanted, defaults=service.target())


def _read_source(service: McpService, code: str | None, path: str | None) -> tuple[str, str | None]:
    """The code to check and its file name: ``code``, or the file at ``path`` (stdio only)."""
    if (code is None) == (path is None):
        raise UsageError("Pass either code or path, not both and not neither.")
    if code is not None:
        return code, None
    assert path is not None
    if not service.local:
        raise UsageError(
            "The path argument is only accepted over stdio (spark mcp): over HTTP, SPARK never "
            "reads files on the server.",
            hint="Send the file's text as code.",
        )
    file = Path(path).expanduser()
    if file.suffix.lower() != ".cs":
        raise UsageError(f"'{path}' is not a .cs file.", hint="Name a C# source file.")
    try:
        if file.stat().st_size > 4 * MAX_CODE_CHARS:
            raise UsageError(f"'{path}' is larger than SPARK checks ({MAX_CODE_CHARS:,} chars).")
        return file.read_text(encoding="utf-8", errors="replace"), file.name
    except OSError as exc:
        raise UsageError(f"Cannot read '{path}': {exc.strerror or exc}.") from None


async def validate_csharp(
    ctx: Ctx,
    code: Code = None,
    path: Annotated[
        str | None,
        Field(
            description="Local only (spark mcp): a .cs file to read instead of code.",
            max_length=MAX_PATH_CHARS,
        ),
    ] = None,
    file_name: FileName = None,
    fix: Annotated[
        bool,
        Field(
            description="Apply SPARK's automatic fixes and return the fixed code as "
            "`fixed_code` (nothing is written to disk)."
        ),
    ] = False,
    unity_version: UnityVersion = None,
    input_system: InputSystem = None,
) -> CallToolResult:
    """Check C# for syntax errors and Unity-specific mistakes (the rules are the resource
    spark://rules). Pass `code`, or over stdio a `path`. Returns `ok`, `summary` and
    `diagnostics` (rule id, severity, line, column, message, hint); with `fix`, also the
    fixed code and what was fixed."""
    service = service_of(ctx)
    check_text(code=code, path=path, file_name=file_name, unity_version=unity_version)
    source, read_name = _read_source(service, code, path)
    target = _target(service, unity_version, input_system)
    name = file_name or read_name or f"{main_class_name(source)}.cs"
    fixed, report = service.engine.validate(source, file_name=name, target=target, fix=fix)
    data: dict[str, Any] = {
        "file_name": name,
        "unity_version": target.unity_version,
        "input_system": target.input_system,
        **report.to_dict(),
    }
    if fix:
        data |= {"fixed_code": fixed, "changed": fixed != source}
    return tool_result(data)


async def compile_check(
    ctx: Ctx,
    code: Annotated[str, Field(description="The C# source to compile.", max_length=MAX_CODE_CHARS)],
    file_name: FileName = None,
) -> CallToolResult:
    """Compile C# against Unity's assemblies (over stdio in the configured Unity project, with
    its scripts and packages). Needs a C# compiler on the server (a Unity Editor, SPARK_CSC, or
    csc/mcs/dotnet); without one the answer's `status` is `skipped` and `notes` say why.
    Returns `status` (ok, failed, incomplete, skipped), `summary`, the compiler used and the
    errors per file."""
    service = service_of(ctx)
    check_text(code=code, file_name=file_name)
    report = await service.engine.compile_check(code, file_name=file_name, target=service.target())
    data = report.to_dict()
    if report.skipped:
        data["why_skipped"] = report.notes[0] if report.notes else "no C# compiler was found"
    return tool_result(data)


async def list_models(
    ctx: Ctx,
    provider: Annotated[
        str | None, Field(description="Only this provider's models.", max_length=64)
    ] = None,
) -> CallToolResult:
    """Every model SPARK can use: provider, id, status (current, legacy, retired), default,
    price per million input/output tokens, and whether its provider is available on this
    server (else `how_to_enable`). `default` is what generate_unity_script uses without
    provider and model."""
    service = service_of(ctx)
    check_text(provider=provider)
    overview = await service.engine.models.overview(provider or None)
    choice = await service.engine.models.default_choice()
    return tool_result(
        {
            "default": {"provider": choice.provider, "model": choice.model},
            "models": [model_json(m, p) for p in overview for m in p.models],
        }
    )


async def estimate_cost(
    ctx: Ctx,
    prompt: Annotated[
        str | None,
        Field(description="The prompt to price (its tokens are estimated)."),
    ] = None,
    prompt_tokens: Annotated[
        int | None,
        Field(description="Or the prompt's size in tokens.", ge=0, le=10_000_000),
    ] = None,
    output_tokens: Annotated[
        int,
        Field(description="Expected reply size in tokens.", ge=0, le=10_000_000),
    ] = DEFAULT_OUTPUT_TOKENS,
    provider: Annotated[
        str | None, Field(description="Only this provider's models.", max_length=64)
    ] = None,
) -> CallToolResult:
    """Estimate what one generation would cost on every model (SPARK's system prompt
    counted), cheapest first, with the date each price was checked. Token counts are
    estimated (about 4 characters a token), not measured."""
    service = service_of(ctx)
    check_text(prompt=prompt, provider=provider)
    caller = service.caller(ctx)
    database = await service.database()
    # As generate_unity_script sends it: with the team's and the caller's instructions.
    instructions = await read_instructions_in_force(database=database, user_id=caller.user_id)
    report = service.engine.estimate(
        prompt=prompt,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        provider=provider or None,
        target=service.target(),
        instructions=instructions,
    )
    return tool_result(report_json(report))


Status = Literal["running", "succeeded", "failed", "interrupted", "cached"]


async def list_history(
    ctx: Ctx,
    search: Annotated[
        str | None,
        Field(
            description="Only generations whose prompt, class name or code contains this "
            "(case-blind).",
            max_length=200,
        ),
    ] = None,
    provider: Annotated[str | None, Field(max_length=64)] = None,
    model: Annotated[str | None, Field(max_length=128)] = None,
    status: Annotated[Status | None, Field(description="Only this status.")] = None,
    date_from: Annotated[date | None, Field(description="From this UTC day (YYYY-MM-DD).")] = None,
    date_to: Annotated[date | None, Field(description="To this UTC day, included.")] = None,
    conversation_id: Annotated[str | None, Field(max_length=64)] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0,
) -> CallToolResult:
    """Your generations, newest first (without their code: get_generation has it): id,
    prompt, status, provider, model, class name, tokens, cost, time, validation summary.
    `total` counts every match."""
    service = service_of(ctx)
    check_text(search=search, provider=provider, model=model, conversation_id=conversation_id)
    if date_from and date_to and date_from > date_to:
        raise UsageError("date_from is after date_to.", hint="Swap them.")
    caller = service.caller(ctx)
    filters = HistoryFilters(
        provider=provider or None,
        model=model or None,
        status=status,
        date_from=date_from,
        date_to=date_to,
        search=(search or "").strip() or None,
        conversation_id=conversation_id or None,
    )
    database = await service.database()
    async with database.session(user_id=caller.user_id, read_only=True) as session:
        page = await list_generations(
            session=session, user_id=caller.user_id, filters=filters, limit=limit, offset=offset
        )
        items = [
            {
                **{k: v for k, v in generation_json(r).items() if k != "code"},
                "has_code": r.generated_code is not None,
                "resource_uri": generation_uri(r.id),
            }
            for r in page.items
        ]
    return tool_result({"total": page.total, "limit": limit, "offset": offset, "items": items})


async def get_generation_by_id(
    ctx: Ctx,
    generation_id: Annotated[
        int,
        Field(description="The id from generate_unity_script or list_history.", ge=1, le=2**63 - 1),
    ],
) -> CallToolResult:
    """One of your generations whole: prompt, status, provider, model, tokens, cost, attempts,
    repair rounds, validation summary, error, and its `code`."""
    service = service_of(ctx)
    caller = service.caller(ctx)
    database = await service.database()
    async with database.session(user_id=caller.user_id, read_only=True) as session:
        record = await get_generation(
            session=session, user_id=caller.user_id, record_id=generation_id
        )
        if record is None:
            raise unknown_generation(generation_id)
        data = generation_json(record)
    return tool_result({**data, "resource_uri": generation_uri(generation_id)})


def unknown_generation(generation_id: object) -> UsageError:
    """Another user's generation is answered exactly like one that does not exist."""
    return UsageError(
        f"SPARK has no generation {generation_id} in your history.",
        hint="list_history gives the ids of yours.",
    )


async def usage_stats(
    ctx: Ctx,
    days: Annotated[int, Field(description="The window, in days back.", ge=1, le=3650)] = 30,
) -> CallToolResult:
    """Your usage over the last N days: generations, succeeded, failed, success rate, tokens
    (input, output, cache), cost in USD, average time, per provider and per model."""
    service = service_of(ctx)
    caller = service.caller(ctx)
    database = await service.database()
    async with database.session(user_id=caller.user_id, read_only=True) as session:
        report = await usage_report(session=session, user_id=caller.user_id, days_back=days)
    return tool_result(report.to_json())
