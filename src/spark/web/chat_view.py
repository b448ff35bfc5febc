"""What the chat screen shows of a conversation, built once on the server: its turns (prompt,
revision, validation, tokens, cost, and the diff from the revision before), its current script
(highlighted, with the model's prose rendered from Markdown, the findings, the compile check and
the Unity target), and the list of recent conversations. The page draws these on load; after a
generation the script fetches the turns again (``/c/{id}/turns``), so both come from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from spark.catalog import load_catalog
from spark.db.conversations import has_script
from spark.db.models import ANSWERED, GenerationRecord, GenerationStatus
from spark.fallback import route_summary
from spark.unity.target import UnityTarget
from spark.web.conversations import Conversation
from spark.web.diffs import diff_html
from spark.web.formatting import seconds, tokens, usd
from spark.web.highlight import highlight_csharp
from spark.web.markdown import render_markdown
from spark.web.notes import provider_label
from spark.web.routes.export import safe_file_name
from spark.web.runner import export_url


def file_name_of(record: GenerationRecord) -> str:
    return safe_file_name(f"{record.class_name or 'GeneratedScript'}.cs")


def answer_note(record: GenerationRecord) -> str:
    """``cached — saved $0.022`` for a cache hit, ``answered by OpenAI gpt-6.2-sol after
    Anthropic was overloaded`` when a fallback route answered, else empty."""
    if record.status == GenerationStatus.CACHED:
        return "cached" if record.saved_usd is None else f"cached — saved {usd(record.saved_usd)}"
    label = provider_label(load_catalog())
    return route_summary(record.attempt_details or [], label) or ""


def stats_line(record: GenerationRecord) -> str:
    """``provider / model · 1,200 input + 800 output tokens · $0.012 · 2.4 s · 1 attempt``,
    and how it was answered (:func:`answer_note`) when that is news."""
    attempts = "1 attempt" if record.attempts == 1 else f"{record.attempts} attempts"
    repairs = {0: "", 1: " · 1 repair round"}.get(
        record.repair_rounds, f" · {record.repair_rounds} repair rounds"
    )
    cost = "price unknown" if record.cost_usd is None else usd(record.cost_usd)
    return (
        f"{record.provider} / {record.model} · {tokens(record.input_tokens)} input + "
        f"{tokens(record.output_tokens)} output tokens · {cost} · "
        f"{seconds(record.generation_ms)} · {attempts}{repairs}"
        + (f" · {note}" if (note := answer_note(record)) else "")
    )


def target_text(record: GenerationRecord) -> str | None:
    return UnityTarget.from_dict(record.unity_target).describe() if record.unity_target else None


@dataclass(frozen=True, slots=True)
class TurnView:
    record: GenerationRecord
    revision: int | None  # v1, v2, … for generations that left a script
    current: bool
    diff: Markup | None  # from the revision before (None for the first)
    previous_revision: int | None

    @property
    def status(self) -> str:
        r = self.record
        if r.partial:
            return "stopped (incomplete)"
        if r.status in ANSWERED:
            return r.validation_summary or "done"
        if r.status == GenerationStatus.RUNNING:
            return "running"
        return f"failed: {r.error_message or r.error_kind or 'unknown error'}"

    @property
    def figures(self) -> str:
        r = self.record
        cost = "price unknown" if r.cost_usd is None else usd(r.cost_usd)
        note = answer_note(r)
        return f"{tokens(r.total_tokens)} tokens · {cost} · {r.provider} / {r.model}" + (
            f" · {note}" if note else ""
        )

    @property
    def export_url(self) -> str | None:
        return export_url(str(self.record.id)) if self.revision is not None else None

    @property
    def file_name(self) -> str:
        return file_name_of(self.record)


def turn_views(conversation: Conversation) -> list[TurnView]:
    """Every generation of the conversation, oldest first, with its revision number."""
    views: list[TurnView] = []
    previous: tuple[int, GenerationRecord] | None = None
    current = conversation.current
    revision = 0
    for record in conversation.records:
        if has_script(record):
            revision += 1
            diff = None
            if previous is not None:
                diff = diff_html(
                    previous[1].generated_code or "",
                    record.generated_code or "",
                    file_name_of(record),
                )
            views.append(
                TurnView(
                    record=record,
                    revision=revision,
                    current=current is not None and record.id == current.id,
                    diff=diff,
                    previous_revision=previous[0] if previous else None,
                )
            )
            previous = (revision, record)
        else:
            views.append(TurnView(record, None, False, None, None))
    return views


def fixes_diff(record: GenerationRecord) -> Markup | None:
    """What the validator's automatic fixes changed in the script, as a diff (None: no fix)."""
    findings = record.findings or {}
    if not (findings.get("fixed") and findings.get("before_fixes") and record.generated_code):
        return None
    return diff_html(findings["before_fixes"], record.generated_code, file_name_of(record))


def current_view(record: GenerationRecord | None) -> dict[str, Any] | None:
    """The current script as the result panel shows it."""
    if record is None:
        return None
    findings = record.findings or None
    return {
        "record": record,
        "file_name": file_name_of(record),
        "export_url": export_url(str(record.id)),
        "code_html": Markup(highlight_csharp(record.generated_code or "")),
        "code": record.generated_code or "",
        "stats": stats_line(record),
        "explanation_html": Markup(render_markdown(record.explanation or "")),
        "findings": findings,
        "fixes_diff": fixes_diff(record),
        "compile": record.compile_report,
        "target": target_text(record),
    }
