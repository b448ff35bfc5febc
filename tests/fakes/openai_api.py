"""The fake OpenAI Chat Completions API (JSON and SSE), in the real wire format."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from tests.fakes.api_base import _Exchange, _preset_for, _ScriptedAPI
from tests.fakes.scripts import (
    _OPENAI_STOP,
    DEFAULT_OPENAI_MODELS,
    Fault,
    RecordedRequest,
    Reply,
    _dumps,
)


class OpenAIAPI(_ScriptedAPI):
    """The OpenAI Chat Completions API (`POST /v1/chat/completions`, `GET /v1/models`)."""

    name = "openai"
    request_id_header = "x-request-id"
    default_models = DEFAULT_OPENAI_MODELS
    _missing_key_message = (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    )

    # preset → (status, type, code, message)
    _PRESETS: ClassVar[dict[str, tuple[int, str, str | None, str]]] = {
        "rate_limit": (
            429,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again in 20s.",
        ),
        "overloaded": (
            503,
            "server_error",
            None,
            "The engine is currently overloaded, please try again later.",
        ),
        "server": (
            500,
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
        ),
        "auth": (
            401,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided: {key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        ),
        "bad_request": (400, "invalid_request_error", None, "Invalid request."),
        "context_too_long": (
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 215000 tokens. Please reduce the length of the messages.",
        ),
        "permission": (
            403,
            "request_forbidden",
            "unsupported_country_region_territory",
            "Country, region, or territory not supported",
        ),
        "not_found": (404, "invalid_request_error", None, "Not found."),
        "not_found_model": (
            404,
            "invalid_request_error",
            "model_not_found",
            "The model `{model}` does not exist or you do not have access to it.",
        ),
        "too_large": (413, "invalid_request_error", None, "Request too large."),
        "unprocessable": (422, "invalid_request_error", None, "Unprocessable request."),
        "billing": (
            429,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details. For "
            "more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        ),
    }

    def _validate(self, req: RecordedRequest, route: str) -> str | None:
        body = req.body
        if not isinstance(body, dict):
            return "We could not parse the JSON body of your request."
        for name, kind in (("model", str), ("messages", list)):
            if not isinstance(body.get(name), kind):
                return f"Missing required parameter: '{name}'."
        if body.get("stream_options") is not None and body.get("stream") is not True:
            return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        return None

    def _error(
        self, fault: Fault, req: RecordedRequest, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        p_status, p_type, p_code, p_message = self._PRESETS[_preset_for(fault)]
        key = req.api_key or ""
        masked = f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}" if len(key) > 8 else key
        message = p_message.format(model=fault.model or req.model, key=masked)
        error = {
            "message": fault.message or message,
            "type": fault.error_type or p_type,
            "param": fault.param,
            "code": fault.code or p_code,
        }
        return fault.status_code or p_status, {"error": error}

    def _stream_error(self, fault: Fault, req: RecordedRequest, request_id: str) -> str:
        _, body = self._error(fault, req, request_id)
        return f"data: {_dumps(body if fault.body is None else fault.body)}\n\n"

    def _drops(self, fault: Fault) -> bool:
        return fault.openai_mode == "drop"

    def _serve_models(self, ex: _Exchange, req: RecordedRequest) -> None:
        def info(model_id: str) -> dict[str, Any]:
            return {"id": model_id, "object": "model", "created": 1715367049, "owned_by": "system"}

        if req.path.rstrip("/") != "/v1/models":
            model_id = req.path.removeprefix("/v1/models/")
            if model_id in self.models:
                ex.send(200, info(model_id), self._ok_headers(), "application/json")
            else:
                self._send_fault(ex, Fault.not_found_model(model_id))
            return
        body = {"object": "list", "data": [info(m) for m in self.models]}
        ex.send(200, body, self._ok_headers(), "application/json")

    @staticmethod
    def _finish_reason(reply: Reply) -> str:
        reason = reply.stop_reason or "stop"
        return _OPENAI_STOP.get(reason, reason)

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        prompt = reply.input_tokens + reply.cache_read_tokens + reply.cache_write_tokens
        details = {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0}
        if reply.cache_write_tokens:
            details["cache_write_tokens"] = reply.cache_write_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": reply.billed_output_tokens,
            "total_tokens": prompt + reply.billed_output_tokens,
            "prompt_tokens_details": details,
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": self._finish_reason(reply),
        }
        return {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": self._usage(reply),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    @staticmethod
    def _chunk(model: str, choices: list[dict[str, Any]], **extra: Any) -> str:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        return f"data: {_dumps(chunk | extra)}\n\n"

    @staticmethod
    def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    def _prelude(self, reply: Reply, model: str) -> Iterator[str]:
        delta = {"role": "assistant", "content": "", "refusal": None}
        yield self._chunk(model, [self._choice(delta)])

    def _delta(self, text: str, model: str, reply: Reply, sent: int) -> str:
        extra: dict[str, Any] = {}
        if reply.usage_in_every_chunk:  # the prompt and one completion token per delta so far
            so_far = Reply(
                input_tokens=reply.input_tokens,
                cache_read_tokens=reply.cache_read_tokens,
                cache_write_tokens=reply.cache_write_tokens,
                output_tokens=sent,
            )
            extra["usage"] = self._usage(so_far)
        return self._chunk(model, [self._choice({"content": text})], **extra)

    def _epilogue(self, reply: Reply, model: str, req: RecordedRequest) -> Iterator[str]:
        options = req.body.get("stream_options") or {}
        # with include_usage, every chunk carries "usage": null until the final usage chunk
        extra = {"usage": None} if options.get("include_usage") else {}
        yield self._chunk(model, [self._choice({}, self._finish_reason(reply))], **extra)
        if extra:
            yield self._chunk(model, [], usage=self._usage(reply))

    def _closing(self) -> str:
        return "data: [DONE]\n\n"
