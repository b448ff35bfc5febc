"""The fake Anthropic Messages API (JSON and SSE), in the real wire format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from tests.fakes.api_base import _Exchange, _preset_for, _ScriptedAPI, _sse
from tests.fakes.scripts import (
    _ANTHROPIC_STOP,
    DEFAULT_ANTHROPIC_MODELS,
    Fault,
    RecordedRequest,
    Reply,
    _rid,
)


class AnthropicAPI(_ScriptedAPI):
    """The Anthropic Messages API (`POST /v1/messages`, `GET /v1/models`)."""

    name = "anthropic"
    request_id_header = "request-id"
    default_models = DEFAULT_ANTHROPIC_MODELS
    _missing_key_message = "x-api-key header is required"

    # preset → (status, error type, message)
    _PRESETS: ClassVar[dict[str, tuple[int, str, str]]] = {
        "rate_limit": (
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per "
            "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        ),
        "overloaded": (529, "overloaded_error", "Overloaded"),
        "server": (500, "api_error", "Internal server error"),
        "auth": (401, "authentication_error", "invalid x-api-key"),
        "bad_request": (400, "invalid_request_error", "Invalid request."),
        "context_too_long": (
            400,
            "invalid_request_error",
            "prompt is too long: 215000 tokens > 200000 maximum",
        ),
        "permission": (
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        "not_found": (404, "not_found_error", "Not found"),
        "not_found_model": (404, "not_found_error", "model: {model}"),
        "too_large": (413, "request_too_large", "Request exceeds the maximum allowed size."),
        "unprocessable": (422, "invalid_request_error", "Unprocessable request."),
        "billing": (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
        ),
    }
    # the error type of a status, when a fault's status differs from its preset's
    _TYPE_BY_STATUS: ClassVar[dict[int, str]] = {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        408: "timeout_error",
        409: "conflict_error",
        413: "request_too_large",
        429: "rate_limit_error",
        504: "timeout_error",
        529: "overloaded_error",
    }

    def _validate(self, req: RecordedRequest, route: str) -> str | None:
        body = req.body
        if not isinstance(body, dict):
            return "The request body is not valid JSON."
        required = [("model", str), ("messages", list)]
        if route == "generate":
            required.append(("max_tokens", int))
        for name, kind in required:
            if not isinstance(body.get(name), kind):
                return f"{name}: Field required"
        return None

    def _error(
        self, fault: Fault, req: RecordedRequest, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        p_status, p_type, p_message = self._PRESETS[_preset_for(fault)]
        status = fault.status_code or p_status
        if status != p_status:
            p_type = self._TYPE_BY_STATUS.get(status, p_type)
            p_message = "Request timed out" if status == 504 else p_message
        error: dict[str, Any] = {
            "type": fault.error_type or p_type,
            "message": fault.message or p_message.format(model=fault.model or req.model),
        }
        if fault.code:
            error["details"] = {"error_code": fault.code}
        return status, {"type": "error", "error": error, "request_id": request_id}

    def _stream_error(self, fault: Fault, req: RecordedRequest, request_id: str) -> str:
        _, body = self._error(fault, req, request_id)
        return _sse("error", body if fault.body is None else fault.body)

    @staticmethod
    def _model_info(model_id: str) -> dict[str, Any]:
        words = model_id.split("-")
        date = words[-1] if len(words[-1]) == 8 and words[-1].isdigit() else "20250101"
        if words[-1] == date:
            words = words[:-1]
        version = ".".join(w for w in words[2:] if w.isdigit())
        display = " ".join(w.capitalize() for w in words[:2]) + (f" {version}" if version else "")
        return {
            "type": "model",
            "id": model_id,
            "display_name": display,
            "created_at": f"{date[:4]}-{date[4:6]}-{date[6:]}T00:00:00Z",
            "lifecycle": "active",
            "max_input_tokens": 200_000,
            "max_tokens": 64_000,
        }

    def _serve_models(self, ex: _Exchange, req: RecordedRequest) -> None:
        ids = list(self.models)
        if req.path.rstrip("/") != "/v1/models":
            model_id = req.path.removeprefix("/v1/models/")
            if model_id in ids:
                ex.send(200, self._model_info(model_id), self._ok_headers(), "application/json")
            else:
                self._send_fault(ex, Fault.not_found_model(model_id))
            return
        limit = int(req.query.get("limit", 20))
        if req.query.get("after_id") in ids:
            ids = ids[ids.index(req.query["after_id"]) + 1 :]
        elif req.query.get("before_id") in ids:
            ids = ids[: ids.index(req.query["before_id"])][-limit:]
        page = ids[:limit]
        body = {
            "data": [self._model_info(m) for m in page],
            "has_more": len(ids) > len(page),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }
        ex.send(200, body, self._ok_headers(), "application/json")

    @staticmethod
    def _stop_reason(reply: Reply) -> str:
        reason = reply.stop_reason or "end_turn"
        return _ANTHROPIC_STOP.get(reason, reason)

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": reply.cache_write_tokens,
            "cache_read_input_tokens": reply.cache_read_tokens,
            "output_tokens": reply.billed_output_tokens,
        }

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        return {
            "id": _rid("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": self._stop_reason(reply),
            "stop_sequence": None,
            "usage": self._usage(reply) | {"service_tier": "standard"},
        }

    def _prelude(self, reply: Reply, model: str) -> Iterator[str]:
        message = self._message(reply, model) | {"content": [], "stop_reason": None}
        message["usage"] |= {"output_tokens": 1}
        yield _sse("message_start", {"type": "message_start", "message": message})
        start = {"type": "content_block_start", "index": 0}
        yield _sse("content_block_start", start | {"content_block": {"type": "text", "text": ""}})
        yield _sse("ping", {"type": "ping"})

    def _delta(self, text: str, model: str, reply: Reply, sent: int) -> str:
        delta = {"type": "text_delta", "text": text}
        return _sse(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        delta = {"stop_reason": self._stop_reason(reply), "stop_sequence": None}
        usage = self._usage(reply)
        yield _sse("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})

    def _closing(self) -> str:
        return _sse("message_stop", {"type": "message_stop"})
