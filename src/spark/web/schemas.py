"""The JSON API's request and response bodies (they document themselves in the OpenAPI schema).

Request bodies derive from :class:`RequestBody`: unknown fields are refused and types are
strict (``"stream": "yes"`` or ``"1"`` is not a boolean, a number in a string is not a
number). Their text is checked before they are built (:mod:`spark.web.routing`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    kind: str = Field(description="Stable machine-readable error kind, e.g. `invalid_input`.")
    message: str = Field(description="What went wrong, for people.")
    hint: str | None = Field(default=None, description="What to do about it.")
    provider: str | None = None
    status: int | None = Field(default=None, description="The provider's HTTP status, if any.")
    retryable: bool | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Field-level problems of a request that failed validation."
    )
    # A spend limit (`budget`) or rate limit (`rate_limited`): docs/teams.md.
    scope: str | None = Field(default=None, description="`team`, `user:<id>`, `provider:<id>`.")
    period: str | None = Field(default=None, description="`day` or `month` (budget).")
    limit_usd: str | None = None
    spent_usd: str | None = None
    reserved_usd: str | None = Field(default=None, description="Held by running generations.")
    requested_usd: str | None = Field(default=None, description="This request's reservation.")
    resets_at: str | None = Field(default=None, description="When the window resets (UTC).")
    rule: str | None = Field(default=None, description="`requests_per_minute` or `concurrent`.")
    limit: int | None = None
    retry_after: int | None = Field(default=None, description="Seconds, as in Retry-After.")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the JSON API has this shape."""

    error: ErrorDetail


class RequestBody(BaseModel):
    """The base of every JSON request body: no unknown fields, no coercion between types."""

    model_config = ConfigDict(extra="forbid", strict=True)


class GenerateBody(RequestBody):
    """A generation request. A follow-up names the conversation it continues."""

    prompt: str = Field(description="What the script should do (limit: SPARK_MAX_PROMPT_CHARS).")
    provider: str | None = Field(
        default=None,
        max_length=64,
        description="anthropic, openai, openai_compat or offline (default: the configured one).",
    )
    model: str | None = Field(
        default=None, max_length=200, description="Model id (default: the provider's default)."
    )
    conversation_id: str | None = Field(
        default=None,
        max_length=64,
        description="Continue this conversation (the previous prompts and replies are sent "
        "along); omit to start a new one.",
    )
    base_generation_id: str | None = Field(
        default=None,
        max_length=20,
        description="With conversation_id: the revision this prompt builds on (the turns up to "
        "it are sent along). Default: the conversation's current revision. Regenerate and Edit "
        "name the revision before the last one.",
    )
    fresh: bool = Field(
        default=False,
        description="With conversation_id: send no earlier turns (Regenerate or Edit of the "
        "conversation's first prompt); the result still joins the conversation.",
    )
    cache: bool = Field(
        default=True,
        description="When the response cache is on: `false` asks the model anew even if the "
        "same request was answered before (the chat's Regenerate does).",
    )
    stream: bool = Field(
        default=True,
        description="true: a text/event-stream of events; false: one JSON result when done.",
    )
    html: bool = Field(
        default=False,
        description="true: the result also carries its HTML renderings (`html`, "
        "`explanation_html`, `fixes_diff_html`), as SPARK's page asks; false (API clients): "
        "they are left empty and never computed.",
    )


class PriceOut(BaseModel):
    input: str = Field(description="USD per million input tokens (exact decimal string).")
    output: str = Field(description="USD per million output tokens.")
    checked: str = Field(description="Date the price was last verified.")


class ModelOut(BaseModel):
    id: str
    display_name: str
    label: str = Field(description="Display name with the status when not current.")
    status: Literal["current", "legacy", "retired", "unknown"]
    default: bool
    price: PriceOut | None
    price_hint: str = Field(description="E.g. `$3 in / $15 out per M tokens`, or `free`.")
    context_window: int | None
    max_output_tokens: int | None
    note: str


class ProviderOut(BaseModel):
    id: str
    display_name: str
    available: bool
    hint: str = Field(description="How to enable it, when it is not available.")
    live: bool = Field(description="Whether the provider's own model list was merged in.")
    models: list[ModelOut]


class ModelsResponse(BaseModel):
    providers: list[ProviderOut]


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    total_tokens: int


class GenerationOut(BaseModel):
    """A finished generation (the `done` event's `result`, or the `stream: false` answer)."""

    conversation_id: str
    generation_id: str
    provider: str
    model: str
    class_name: str
    file_name: str
    code: str
    html: str = Field(
        description="The code highlighted by Pygments (escaped HTML); empty unless the request "
        "asked for `html`."
    )
    reply: str
    usage: UsageOut
    cost_usd: str | None = Field(description="Exact decimal string; null if the price is unknown.")
    duration_ms: int
    attempts: int = Field(description="1 + retries (failed provider calls tried again).")
    stop_reason: str | None
    repair_rounds: int = Field(description="Times the model was asked to fix its script.")
    attempt_details: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every provider call: number, repair_round, provider, model, outcome "
        "(`ok` or an error kind), error_message, tokens and cost_usd.",
    )
    validation: dict[str, Any] | None
    validation_before_repair: dict[str, Any] | None
    export_url: str
    retries: list[str] = Field(default_factory=list, description="Retry notices, in order.")
    compile: dict[str, Any] | None = Field(
        default=None, description="The compile check's report (compiler named), when one ran."
    )
    explanation: str = Field(default="", description="The model's prose around the script.")
    explanation_html: str = Field(
        default="",
        description="That prose rendered from Markdown and sanitised (safe HTML); empty unless "
        "the request asked for `html`.",
    )
    fixes_diff_html: str | None = Field(
        default=None,
        description="The validator's automatic fixes as a diff (escaped HTML); null unless the "
        "request asked for `html`.",
    )
    target: str = Field(default="", description="The Unity target the script was written for.")


class GenerateResult(BaseModel):
    """The answer to `stream: false`: the result, or the error that ended the generation."""

    ok: bool
    result: GenerationOut | None = None
    error: ErrorDetail | None = None
    conversation_id: str | None = Field(default=None, description="Set when `ok` is false.")
    generation_id: str | None = Field(
        default=None, description="The failed generation's history id, when `ok` is false."
    )


class PreferencesOut(BaseModel):
    """The user's saved choice (``null``: none yet, the server's default applies)."""

    provider: str | None = Field(description="The provider last chosen.")
    models: dict[str, str] = Field(description="The model last chosen, per provider.")
    unity_version: str | None = Field(default=None, description="The Unity target's version.")
    input_system: str | None = Field(default=None, description="legacy, new or both.")
    render_pipeline: str | None = Field(default=None, description="built-in, urp or hdrp.")
    target: str = Field(default="", description="The Unity target in words.")


class PreferencesBody(RequestBody):
    """Remember ``provider`` (and ``model`` for it) as the user's choice, and the Unity target
    (a field left out stays as it was; ``null`` goes back to the server's setting)."""

    provider: str = Field(min_length=1, max_length=64)
    model: str | None = Field(default=None, min_length=1, max_length=128)
    unity_version: str | None = Field(
        default=None, max_length=32, description="e.g. 2022.3 or 6000.0.23f1."
    )
    input_system: Literal["legacy", "new", "both"] | None = Field(
        default=None, description="The input handling scripts may use."
    )
    render_pipeline: Literal["built-in", "urp", "hdrp", "custom"] | None = Field(
        default=None, description="The render pipeline (null: not specified)."
    )


class HistoryItemOut(BaseModel):
    generation_id: str
    conversation_id: str | None
    created_at: str
    status: str = Field(
        description="running, succeeded, failed, interrupted or cached (a response-cache hit)."
    )
    error_kind: str | None = Field(description="e.g. `cancelled`, `rate_limit` when failed.")
    provider: str
    model: str
    prompt: str
    class_name: str | None
    success: bool | None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0
    cost_usd: str | None
    generation_ms: int | None = None
    export_url: str | None
    reserved_usd: str | None = Field(
        default=None,
        description="Held against the spend limits: before the provider was called, and once "
        "it ended what every part held (a fallback route's extension included).",
    )
    settled_usd: str | None = Field(
        default=None,
        description="What the reservation's parts were settled at (counted against limits).",
    )


class HistoryDetailOut(HistoryItemOut):
    generated_code: str | None
    error_message: str | None
    attempts: int = Field(description="1 + retries (failed provider calls tried again).")
    repair_rounds: int
    attempt_details: list[dict[str, Any]] = Field(
        default_factory=list, description="Every provider call, as in the generate result."
    )
    reservation_parts: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The spend reservation per route that held money (the chosen model, then "
        "each fallback route): provider, model, reserved_usd, settled_usd.",
    )
    validation_summary: str | None
    validation_errors: int | None
    validation_warnings: int | None
    finished_at: str | None
    explanation: str | None = Field(
        default=None, description="The model's prose around the script (Markdown)."
    )
    findings: dict[str, Any] | None = Field(
        default=None, description="The validation report: every finding (and automatic fix)."
    )
    compile_report: dict[str, Any] | None = Field(
        default=None, description="The compile check's report, when one ran."
    )
    unity_target: dict[str, Any] | None = Field(
        default=None, description="The Unity version, input system and pipeline written for."
    )
    partial: bool = Field(
        default=False, description="Stopped before it finished: the text that had arrived."
    )
    team_instructions_version: int | None = Field(
        default=None, description="The version of the team's instructions sent (null: none)."
    )
    personal_instructions_version: int | None = Field(
        default=None, description="The version of your instructions sent (null: none)."
    )
    cached: bool = Field(default=False, description="Answered from the response cache, at $0.")
    saved_usd: str | None = Field(
        default=None, description="A cache hit: what the generation it reused had cost."
    )
    cached_from: str | None = Field(
        default=None, description="A cache hit: the id of the generation it reused."
    )
    answered_by: str | None = Field(
        default=None,
        description="When a fallback route answered: e.g. `answered by OpenAI gpt-6.2-sol "
        "after Anthropic was overloaded`.",
    )


class HistoryOut(BaseModel):
    items: list[HistoryItemOut]
    total: int
    limit: int = 50
    offset: int = 0
