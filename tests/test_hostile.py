"""Hostile input against a real ``spark serve``, on SQLite and on PostgreSQL.

``TABLE`` holds, for every JSON route of the app, requests a client should never send: NUL
characters and lone surrogates in every text field and parameter, bytes that are not UTF-8,
huge and deeply nested JSON, wrong types, out-of-range numbers, ids and dates. Each must get a
4xx with SPARK's error body (``{"error": {"kind", "message", "hint"}}``, the expected kind, a
message naming the field), never a 5xx, and never a closed keep-alive connection; afterwards the
server still generates, streamed and not. ``PAGES`` does the same for the HTML pages and their
forms (the page, with the message). ``test_every_json_route_has_table_entries`` enumerates the
app's routes, so a new route without entries fails.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from spark.config import Settings
from spark.web import create_app
from spark.web.routing import api_routes
from tests.db_fixtures import PostgresServer
from tests.serve_support import SparkServer, create_account, server_env
from tests.web_support import PASSWORD, csrf_of, parse_sse

BODY_LIMIT = 6 * 20_000 + 64 * 1024  # create_app's limit at the default SPARK_MAX_PROMPT_CHARS
NUL, HIGH, LOW = "\x00", "\ud800", "\udfff"
GOOD_GENERATION = {"provider": "offline", "prompt": "a coin that spins", "stream": False}


@dataclass(frozen=True)
class Bad:
    """One hostile request and the answer it must get."""

    what: str
    target: str  # path and query, percent-encoded as sent
    body: bytes | None = None
    _: KW_ONLY
    status: int = 422
    kind: str = "invalid_request"
    names: str | None = None  # a word the message must contain (the field, the reason)
    content_type: str = "application/json"


def encode(value: Any) -> bytes:
    """JSON as a client would write it (lone surrogates and NUL as \\u escapes)."""
    return json.dumps(value, ensure_ascii=True).encode()


def text_fields(target: str, base: dict[str, Any], fields: list[str]) -> list[Bad]:
    """A NUL, a lone high and a lone low surrogate in each text field of a JSON body."""
    return [
        Bad(f"{label} in {field}", target, encode(base | {field: f"a{bad}b"}), names=field)
        for field in fields
        for label, bad in (("NUL", NUL), ("high surrogate", HIGH), ("low surrogate", LOW))
    ]


def malformed_json(target: str, base: dict[str, Any]) -> list[Bad]:
    """Bodies that are not JSON SPARK takes: 400 invalid_json (or 413 / 422 as noted)."""
    invalid = "invalid_json"
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    prefix = encode(base)[:-1]
    return [
        Bad(
            "not UTF-8",
            target,
            prefix + b', "x": "\xff\xfe"}',
            status=400,
            kind=invalid,
            names="UTF-8",
        ),
        Bad("overlong UTF-8 NUL", target, prefix + b', "x": "\xc0\x80"}', status=400, kind=invalid),
        Bad(
            "UTF-8 surrogate", target, prefix + b', "x": "\xed\xa0\x80"}', status=400, kind=invalid
        ),
        Bad("not JSON", target, b'{"prompt": "a coin"', status=400, kind=invalid),
        Bad("empty object key", target, b"{nope}", status=400, kind=invalid),
        Bad(
            "40 levels deep",
            target,
            encode(base | {"x": deep}),
            status=400,
            kind=invalid,
            names="deeper",
        ),
        Bad(
            "100,000 levels deep", target, b"[" * 100_000, status=400, kind=invalid, names="deeper"
        ),
        Bad("NaN", target, prefix + b', "x": NaN}', status=400, kind=invalid, names="NaN"),
        Bad(
            "Infinity",
            target,
            prefix + b', "x": -Infinity}',
            status=400,
            kind=invalid,
            names="Infinity",
        ),
        Bad(
            "1e999", target, prefix + b', "x": 1e999}', status=400, kind=invalid, names="too large"
        ),
        Bad(
            "5,000-digit number",
            target,
            prefix + b', "x": ' + b"9" * 5000 + b"}",
            status=400,
            kind=invalid,
        ),
        Bad("NUL in a field name", target, encode(base | {"x\x00": 1}), names="field name"),
        Bad("surrogate in a field name", target, encode(base | {HIGH: 1}), names="field name"),
        Bad("unknown field", target, encode(base | {"admin": True}), names="admin"),
        Bad("an array", target, encode([base])),
        Bad("a string", target, encode("a coin")),
        Bad("null", target, b"null"),
        Bad("form-encoded", target, b"prompt=a+coin", content_type="text/plain"),
    ]


def query_text(path: str, names: list[str]) -> list[Bad]:
    """A NUL, a byte that is not UTF-8 and an encoded surrogate in each query parameter (and in
    one the route does not know)."""
    return [
        Bad(f"{label} in ?{name}", f"{path}?{name}={value}", names=name)
        for name in [*names, "unknown"]
        for label, value in (("NUL", "a%00b"), ("0xFF", "a%FFb"), ("surrogate", "%ED%A0%80"))
    ] + [Bad("NUL in a parameter name", f"{path}?a%00b=1", names="parameter name")]


def bad_ids(template: str) -> list[Bad]:
    """Path ids that are not row ids: NUL, out of range, not numbers."""
    ids = ["%00", "0", "-1", str(2**63), "9" * 30, "abc", "%C2%B2", "1e3", "%FF", "1.5"]
    return [Bad(f"id {i}", template.format(id=i)) for i in ids]


def numbers(path: str, name: str, bad: list[str]) -> list[Bad]:
    return [Bad(f"{name}={value}", f"{path}?{name}={value}", names=name) for value in bad]


HUGE_NUMBERS = ["-1", "1e400", "9" * 5000, "abc", "%C2%B2", "0x10", ""]
BAD_DATES = ["9999-12-32", "10000-01-01", "0000-01-01", "2026-02-30", "0", "-1", "2026-1-1"]

GENERATE = {"provider": "offline", "prompt": "a coin that spins"}
GEN, PREFS = "/api/generate", "/api/preferences"
INPUT: dict[str, Any] = {"status": 422, "kind": "invalid_input"}
NO_KEY: dict[str, Any] = {"status": 409, "kind": "not_configured"}
NO_CONVERSATION: dict[str, Any] = {"status": 404, "kind": "unknown_conversation"}
PREFERENCES = {"provider": "offline", "model": "spark-templates"}
MINE, INSTRUCTIONS = "/api/instructions/me", {"text": "Use UniTask."}
FILL, TPL = "/api/templates/object-pool/fill", "/api/templates"
UNKNOWN_TEMPLATE: dict[str, Any] = {"status": 404, "kind": "unknown_template"}
TEAM_TEMPLATE = {
    "name": "turret",
    "title": "Turret",
    "prompt": "Fire {rate} shots per second.",
    "parameters": [{"name": "rate", "kind": "float", "default": 2.0, "min": 0.1, "max": 20}],
}


def template_names(template: str) -> list[Bad]:
    """Path names that are not template names: NUL, surrogates, too long, upper case."""
    names = ["%00", "%ED%A0%80", "%FF", "a" * 65, "Turret", "-x", "a.b", "%C2%B2"]
    return [Bad(f"name {n[:10]}", template.format(name=n), names="name") for n in names]


FB, CACHE = "/api/fallback", "/api/cache"
FALLBACK = {"scope": "me", "entries": ["openai:gpt-6.2-sol"]}
CACHING = {"enabled": False, "scope": "user", "ttl_seconds": 3600}

TABLE: dict[tuple[str, str], list[Bad]] = {
    ("POST", "/api/generate"): [
        *text_fields(GEN, GENERATE, ["prompt", "provider", "model"]),
        *text_fields(GEN, GENERATE | {"conversation_id": "c_1"}, ["conversation_id"]),
        *text_fields(GEN, GENERATE | {"stream": True}, ["prompt"]),  # SSE
        *malformed_json(GEN, GENERATE),
        Bad("stream 'yes'", GEN, encode(GENERATE | {"stream": "yes"}), names="stream"),
        Bad("stream 'true'", GEN, encode(GENERATE | {"stream": "true"})),
        Bad("stream 1", GEN, encode(GENERATE | {"stream": 1}), names="stream"),
        Bad("stream null", GEN, encode(GENERATE | {"stream": None})),
        Bad("html 'yes'", GEN, encode(GENERATE | {"html": "yes"}), names="html"),
        Bad("html 1", GEN, encode(GENERATE | {"html": 1}), names="html"),
        Bad("prompt 5", GEN, encode(GENERATE | {"prompt": 5}), names="prompt"),
        Bad("prompt list", GEN, encode(GENERATE | {"prompt": ["a"]})),
        Bad("prompt null", GEN, encode(GENERATE | {"prompt": None})),
        Bad("no prompt", GEN, encode({"provider": "offline"}), names="prompt"),
        Bad("provider 7", GEN, encode(GENERATE | {"provider": 7})),
        Bad("conversation {}", GEN, encode(GENERATE | {"conversation_id": {}})),
        Bad("conversation 65", GEN, encode(GENERATE | {"conversation_id": "c" * 65})),
        *text_fields(GEN, GENERATE | {"conversation_id": "c_1"}, ["base_generation_id"]),
        Bad("base 21", GEN, encode(GENERATE | {"base_generation_id": "1" * 21}), names="base"),
        Bad("base 5", GEN, encode(GENERATE | {"base_generation_id": 5}), names="base"),
        Bad("fresh 'yes'", GEN, encode(GENERATE | {"fresh": "yes"}), names="fresh"),
        Bad("cache 'no'", GEN, encode(GENERATE | {"cache": "no"}), names="cache"),
        Bad("cache 0", GEN, encode(GENERATE | {"cache": 0}), names="cache"),
        Bad("prompt too long", GEN, encode({"prompt": "x" * 20_001}), **INPUT),
        Bad("prompt empty", GEN, encode({"prompt": "  "}), **INPUT),
        Bad("unknown provider", GEN, encode({"prompt": "a", "provider": "x"}), **INPUT),
        Bad("unknown model", GEN, encode(GENERATE | {"model": "nope"}), **INPUT),
        Bad("no key", GEN, encode({"prompt": "a", "provider": "openai"}), **NO_KEY),
        Bad(
            "other conversation",
            GEN,
            encode(GENERATE | {"conversation_id": "c_x"}),
            **NO_CONVERSATION,
        ),
        *query_text(GEN, []),
    ],
    ("PUT", "/api/preferences"): [
        *text_fields(PREFS, PREFERENCES, ["provider", "model"]),
        *malformed_json(PREFS, PREFERENCES),
        Bad("provider 1", PREFS, encode({"provider": 1}), names="provider"),
        Bad("model false", PREFS, encode(PREFERENCES | {"model": False})),
        Bad("provider empty", PREFS, encode({"provider": ""})),
        Bad("model 129", PREFS, encode(PREFERENCES | {"model": "m" * 129})),
        Bad("unknown provider", PREFS, encode({"provider": "x"}), **INPUT),
        Bad("unknown model", PREFS, encode(PREFERENCES | {"model": "x"}), **INPUT),
        *text_fields(PREFS, PREFERENCES, ["unity_version"]),
        Bad("version 33", PREFS, encode(PREFERENCES | {"unity_version": "6" * 33}), names="unity"),
        Bad("not a version", PREFS, encode(PREFERENCES | {"unity_version": "six"}), **INPUT),
        Bad("version 6", PREFS, encode(PREFERENCES | {"unity_version": 6}), names="unity"),
        Bad("input 'both '", PREFS, encode(PREFERENCES | {"input_system": "x"}), names="input"),
        Bad("pipeline 1", PREFS, encode(PREFERENCES | {"render_pipeline": 1}), names="render"),
        *query_text(PREFS, []),
    ],
    ("GET", "/api/preferences"): query_text(PREFS, []),
    ("GET", "/api/instructions"): query_text("/api/instructions", []),
    ("PUT", "/api/instructions/{scope}"): [
        *text_fields(MINE, INSTRUCTIONS, ["text"]),
        *malformed_json(MINE, INSTRUCTIONS),
        Bad("text 5", MINE, encode({"text": 5}), names="text"),
        Bad("text null", MINE, encode({"text": None}), names="text"),
        Bad("no text", MINE, encode({}), names="text"),
        Bad("text 4,001", MINE, encode({"text": "x" * 4001}), **INPUT, names="limit"),
        Bad("scope 'everyone'", "/api/instructions/everyone", encode(INSTRUCTIONS), names="scope"),
        Bad("scope NUL", "/api/instructions/me%00", encode(INSTRUCTIONS), names="scope"),
        *query_text(MINE, []),
    ],
    ("GET", "/api/templates"): query_text(TPL, []),
    ("GET", "/api/templates/{name}"): [
        *template_names("/api/templates/{name}"),
        *query_text("/api/templates/object-pool", []),
        Bad("no such template", "/api/templates/ghost", **UNKNOWN_TEMPLATE),
    ],
    ("POST", "/api/templates/{name}/fill"): [
        *malformed_json(FILL, {"values": {}}),
        *text_fields(FILL, {"values": {}}, ["values"]),
        Bad("NUL in a value", FILL, encode({"values": {"when_empty": "a\x00"}}), names="when"),
        Bad("surrogate in a name", FILL, encode({"values": {"a\ud800": 1}}), names="field"),
        Bad("values list", FILL, encode({"values": [1]}), names="values"),
        Bad("value object", FILL, encode({"values": {"max_size": {"a": 1}}}), names="max_size"),
        Bad("value null", FILL, encode({"values": {"max_size": None}}), names="max_size"),
        Bad("out of range", FILL, encode({"values": {"max_size": 10**9}}), names="at most"),
        Bad("not allowed", FILL, encode({"values": {"when_empty": "explode"}}), names="one of"),
        Bad("not a whole number", FILL, encode({"values": {"max_size": "1.5"}}), names="whole"),
        Bad("unknown parameter", FILL, encode({"values": {"colour": "red"}}), names="colour"),
        Bad("21 values", FILL, encode({"values": {f"v{i}": 1 for i in range(21)}})),
        *template_names("/api/templates/{name}/fill"),
        Bad("no such template", "/api/templates/ghost/fill", encode({}), **UNKNOWN_TEMPLATE),
        *query_text(FILL, []),
    ],
    ("POST", "/api/templates"): [
        *malformed_json(TPL, TEAM_TEMPLATE),
        *text_fields(TPL, TEAM_TEMPLATE, ["name", "title", "prompt"]),
        Bad("title 121", TPL, encode(TEAM_TEMPLATE | {"title": "t" * 121}), names="title"),
        Bad("parameters 21", TPL, encode(TEAM_TEMPLATE | {"parameters": [{}] * 21})),
        Bad("kind 'number'", TPL, encode(TEAM_TEMPLATE | {"parameters": [{"kind": "x"}]})),
        Bad("prompt 10,001", TPL, encode(TEAM_TEMPLATE | {"prompt": "p" * 10_001})),
        *query_text(TPL, []),
    ],
    ("PUT", "/api/templates/{name}"): [
        *malformed_json(f"{TPL}/turret", TEAM_TEMPLATE),
        *template_names("/api/templates/{name}"),
        Bad("names differ", f"{TPL}/other", encode(TEAM_TEMPLATE), **INPUT),
    ],
    ("DELETE", "/api/templates/{name}"): [
        *template_names("/api/templates/{name}"),
        # The server's user is an admin (limits); tests/test_prompt_templates.py has the 403 of
        # a member. A built-in template is not the team's to delete.
        Bad("a built-in template", f"{TPL}/object-pool", **UNKNOWN_TEMPLATE),
        *query_text(f"{TPL}/turret", []),
    ],
    ("DELETE", "/api/instructions/{scope}"): [
        Bad("scope 'everyone'", "/api/instructions/everyone", names="scope"),
        Bad("scope surrogate", "/api/instructions/%ED%A0%80", names="scope"),
        *query_text(MINE, []),
    ],
    ("GET", "/api/fallback"): query_text(FB, []),
    ("PUT", "/api/fallback"): [
        *text_fields(FB, FALLBACK, ["scope"]),
        *malformed_json(FB, FALLBACK),
        Bad("scope 'all'", FB, encode(FALLBACK | {"scope": "all"}), names="scope"),
        Bad("entries a string", FB, encode({"entries": "openai:x"}), names="entries"),
        Bad("entries 6", FB, encode({"entries": ["offline"] * 6}), names="entries"),
        Bad("entry 5", FB, encode({"entries": [5]}), names="entries"),
        Bad("NUL in an entry", FB, encode({"entries": ["openai:gpt\x00"]}), names="entries"),
        Bad("surrogate in an entry", FB, encode({"entries": ["openai:\ud800"]}), names="entries"),
        Bad("entry not provider:model", FB, encode({"entries": ["a;b"]}), **INPUT),
        Bad("entry 10,000 long", FB, encode({"entries": ["o:" + "m" * 10_000]}), **INPUT),
        *query_text(FB, []),
    ],
    ("DELETE", "/api/fallback"): [
        *query_text(FB, ["scope"]),
        Bad("scope 'all'", FB + "?scope=all", names="scope"),
    ],
    ("GET", "/api/cache"): query_text(CACHE, []),
    ("PUT", "/api/cache"): [
        *text_fields(CACHE, CACHING, ["scope"]),
        *malformed_json(CACHE, CACHING),
        Bad("scope 'everyone'", CACHE, encode({"scope": "everyone"}), names="scope"),
        Bad("enabled 'yes'", CACHE, encode({"enabled": "yes"}), names="enabled"),
        Bad("ttl '60'", CACHE, encode({"ttl_seconds": "60"}), names="ttl"),
        Bad("ttl 1.5", CACHE, encode({"ttl_seconds": 1.5}), names="ttl"),
        Bad("ttl 5", CACHE, encode({"ttl_seconds": 5}), **INPUT),
        Bad("ttl -1", CACHE, encode({"ttl_seconds": -1}), **INPUT),
        Bad("ttl 10**30", CACHE, encode({"ttl_seconds": 10**30}), **INPUT),
        *query_text(CACHE, []),
    ],
    ("DELETE", "/api/cache/entries"): query_text(CACHE + "/entries", []),
    ("GET", "/api/models"): [
        *query_text("/api/models", ["provider"]),
        Bad("provider 65", "/api/models?provider=" + "p" * 65, names="provider"),
        Bad("unknown provider", "/api/models?provider=nope", **INPUT),
    ],
    ("GET", "/api/history"): [
        *query_text("/api/history", ["q", "provider", "model", "status", "date_from", "evals"]),
        Bad("unknown evals filter", "/api/history?evals=neither", names="evals"),
        *numbers("/api/history", "limit", [*HUGE_NUMBERS, "0", "201", "5.5"]),
        *numbers("/api/history", "offset", [*HUGE_NUMBERS, str(10**10)]),
        *numbers("/api/history", "date_to", BAD_DATES),
        *numbers("/api/history", "date_from", BAD_DATES),
        Bad("unknown status", "/api/history?status=bogus", names="status"),
        Bad("q 201", "/api/history?q=" + "q" * 201, names="q"),
        Bad(
            "dates reversed",
            "/api/history?date_from=2026-02-02&date_to=2026-01-01",
            names="date_from",
        ),
    ],
    ("GET", "/api/history/{generation_id}"): [
        *bad_ids("/api/history/{id}"),
        *query_text("/api/history/1", []),
        Bad("no such id", "/api/history/999999", status=404, kind="unknown_generation"),
    ],
    ("DELETE", "/api/history/{generation_id}"): [
        *bad_ids("/api/history/{id}"),
        Bad("no such id", "/api/history/999999", status=404, kind="unknown_generation"),
    ],
    ("GET", "/api/export/{generation_id}"): [
        *bad_ids("/api/export/{id}"),
        *query_text("/api/export/1", ["explanation"]),
        *numbers("/api/export/1", "explanation", ["maybe", "2", ""]),
        Bad("no such id", "/api/export/999999", status=404, kind="unknown_generation"),
    ],
    ("GET", "/api/stats"): [
        *query_text("/api/stats", ["days"]),
        *numbers("/api/stats", "days", [*HUGE_NUMBERS, "0", "3651"]),
    ],
    ("GET", "/api/stats/series"): [
        *query_text("/api/stats/series", ["days"]),
        *numbers("/api/stats/series", "days", [*HUGE_NUMBERS, "0", "3651"]),
    ],
    ("GET", "/api/estimate"): [
        *query_text("/api/estimate", ["prompt", "prompt_tokens"]),
        *numbers("/api/estimate", "prompt_tokens", [*HUGE_NUMBERS, "10000001"]),
        *numbers("/api/estimate", "output_tokens", [*HUGE_NUMBERS, "10000001"]),
        Bad("prompt 20,001", "/api/estimate?prompt=" + "p" * 20_001, names="prompt"),
    ],
}

LIMITS_PUT = "/api/limits/team"
LIMITS_BODY = {"daily_usd": "5", "monthly_usd": 50}
TABLE[("GET", "/api/limits")] = query_text("/api/limits", [])
TABLE[("GET", "/api/budget")] = query_text("/api/budget", [])
TABLE[("PUT", "/api/limits/{scope}")] = [
    *text_fields(LIMITS_PUT, LIMITS_BODY, ["daily_usd", "monthly_usd"]),
    *malformed_json(LIMITS_PUT, LIMITS_BODY),
    Bad("daily -1", LIMITS_PUT, encode({"daily_usd": -1}), **INPUT, names="negative"),
    Bad("daily 'NaN'", LIMITS_PUT, encode({"daily_usd": "NaN"}), **INPUT, names="finite"),
    Bad("daily '1e400'", LIMITS_PUT, encode({"daily_usd": "1e400"}), **INPUT, names="daily"),
    Bad("daily 'five'", LIMITS_PUT, encode({"daily_usd": "five"}), **INPUT, names="daily_usd"),
    Bad("monthly 10^7", LIMITS_PUT, encode({"monthly_usd": 10**7}), **INPUT, names="monthly"),
    Bad("daily 7 places", LIMITS_PUT, encode({"daily_usd": "0.0000001"}), **INPUT),
    Bad("daily true", LIMITS_PUT, encode({"daily_usd": True}), names="daily_usd"),
    Bad("daily {}", LIMITS_PUT, encode({"daily_usd": {}}), names="daily_usd"),
    Bad("rpm -1", LIMITS_PUT, encode({"requests_per_minute": -1}), **INPUT, names="negative"),
    Bad("rpm 2.5", LIMITS_PUT, encode({"requests_per_minute": 2.5}), names="requests"),
    Bad("rpm '5'", LIMITS_PUT, encode({"requests_per_minute": "5"}), names="requests"),
    Bad("rpm 2^70", LIMITS_PUT, encode({"requests_per_minute": 2**70}), **INPUT),
    Bad("concurrent 10^6", LIMITS_PUT, encode({"concurrent": 10**6}), **INPUT),
    Bad("unknown scope", "/api/limits/everyone", encode(LIMITS_BODY), **INPUT, names="scope"),
    Bad("NUL in scope", "/api/limits/%00", encode(LIMITS_BODY), names="scope"),
    Bad("unknown user", "/api/limits/user:nobody", encode(LIMITS_BODY), **INPUT, names="user"),
    Bad("unknown provider", "/api/limits/provider:x", encode(LIMITS_BODY), **INPUT),
    Bad(
        "provider rate",
        "/api/limits/provider:openai",
        encode({"requests_per_minute": 1}),
        **INPUT,
        names="spend limits only",
    ),
    Bad("scope 2^70 bytes", "/api/limits/" + "u" * 5000, encode(LIMITS_BODY), **INPUT),
    *query_text(LIMITS_PUT, []),
]

# Requests that once failed and are fine: they must succeed.
EDGES = [
    "/api/history?date_to=9999-12-31",
    "/api/history?date_from=0001-01-01&date_to=9999-12-31",
    "/api/history?q=%E2%82%AC%F0%9F%98%80",  # "€😀": real characters, percent-encoded
]
# The longest prompt a URL may carry, in 4-byte characters (240 kB: past httpx's URL limit).
LONGEST_URL = "/api/estimate?prompt=" + "%F0%9F%98%80" * 20_000


@dataclass(frozen=True)
class BadPage:
    """A hostile page request or form post, and what the page must say."""

    what: str
    target: str
    form: dict[str, str] | None = None  # posted with the session's CSRF token
    status: int = 422
    says: str = ""


PAGES = [
    BadPage(
        "NUL in username", "/signin", {"username": "ci\x00", "password": PASSWORD}, says="username"
    ),
    BadPage("NUL in password", "/signin", {"username": "ci", "password": "a\x00"}, says="password"),
    BadPage(
        "NUL in next",
        "/signin",
        {"username": "ci", "password": PASSWORD, "next": "/\x00"},
        says="next",
    ),
    BadPage(
        "NUL in sign-up name",
        "/signup",
        {"username": "x\x00", "password": "p" * 10, "confirm": "p" * 10},
        says="username",
    ),
    BadPage("NUL in token name", "/account/tokens", {"name": "t\x00"}, says="name"),
    BadPage(
        "NUL in new password",
        "/account/password",
        {"current": PASSWORD, "password": "\x00" * 9, "confirm": "\x00" * 9},
        says="password",
    ),
    BadPage(
        "NUL in a new account",
        "/account/users",
        {"username": "u\x00", "password": "p" * 10},
        says="username",
    ),
    BadPage("token id 2^70", "/account/tokens/1180591620717411303424/delete", {}, says="token_id"),
    BadPage("history id 2^70", "/history/1180591620717411303424/delete", {}, says="generation_id"),
    BadPage("date out of range", "/history?date_to=10000-01-01", says="date_to"),
    BadPage("not a date", "/history?date_from=2026-02-30", says="date_from"),
    BadPage("NUL in search", "/history?q=%00", says="q"),
    BadPage("history id %00", "/history/%00", says="generation_id"),
    BadPage("history page 0", "/history?page=0", says="page"),
    BadPage("superscript tokens", "/estimate?prompt_tokens=%C2%B2", says="prompt_tokens"),
    BadPage("NUL in the estimate", "/estimate?prompt=%00", says="prompt"),
    BadPage("huge window", "/dashboard?days=" + "9" * 5000, says="days"),
    BadPage("NUL in conversation", "/?conversation=%00", says="conversation"),
    BadPage("NUL in next (query)", "/signin?next=%00", says="next"),
    BadPage("NUL in CSV query", "/history.csv?x=%00", says="x"),
    BadPage("NUL in the theme", "/account/theme", {"theme": "dark\x00"}, says="theme"),
    BadPage("unknown theme", "/account/theme", {"theme": "neon"}, says="theme"),
    BadPage(
        "NUL in Unity version",
        "/account/unity-target",
        {"unity_version": "6\x00"},
        says="unity_version",
    ),
    BadPage(
        "not a Unity version",
        "/account/unity-target",
        {"unity_version": "six"},
        says="Unity version",
    ),
    BadPage("NUL in instructions", "/account/instructions", {"text": "a\x00"}, says="text"),
    BadPage(
        "NUL in team instructions", "/account/team-instructions", {"text": "\x00"}, says="text"
    ),
    BadPage(
        "instructions 4,001", "/account/instructions", {"text": "x" * 4001}, says="the limit is"
    ),
    BadPage("NUL in a template", "/templates", {"definition": "name = 1\x00"}, says="definition"),
    BadPage("template name %00", "/templates/%00/delete", {}, says="name"),
    BadPage(
        "NUL in the fallback list",
        "/account/fallback",
        {"mode": "mine", "entries": "openai:gpt\x00"},
        says="entries",
    ),
    BadPage(
        "not a fallback list",
        "/account/fallback",
        {"mode": "mine", "entries": "open ai;gpt"},
        says="not a fallback entry",
    ),
    BadPage(
        "a fallback list of 10,000 entries",
        "/account/fallback",
        {"mode": "mine", "entries": "offline " * 10_000},
        says="at most 5",
    ),
    BadPage("conversation id with a dot", "/c/c_a.b", says="conversation_id"),
    BadPage("conversation id 65", "/c/" + "c" * 65, says="conversation_id"),
    BadPage("NUL in a title", "/c/c_x/rename", {"title": "t\x00"}, says="title"),
    BadPage("revision 2^70", "/c/c_x/restore/1180591620717411303424", {}, says="generation_id"),
    BadPage("export kind", "/c/c_x/export.tar", says="kind"),
    BadPage("selection ids", "/history/export?ids=abc", says="ids"),
    BadPage("selection format", "/history/export?ids=1&format=rar", says="format"),
    BadPage("unknown evals filter", "/history?evals=neither", says="evals"),
    BadPage("NUL in evals filter", "/history?evals=%00", says="evals"),
    BadPage("eval run id %00", "/admin/evals/a%00b", says="run_id"),
    BadPage("eval run id surrogate", "/admin/evals/%ED%A0%80", says="run_id"),
    BadPage("eval run id 33", "/admin/evals/" + "a" * 33, says="run_id"),
    BadPage("eval run id capitals", "/admin/evals/ABC", says="run_id"),
]
PAGES += [
    BadPage(
        "NUL in a limit", "/admin/limits", {"scope": "team", "daily_usd": "5\x00"}, says="daily_usd"
    ),
    BadPage(
        "negative limit", "/admin/limits", {"scope": "team", "daily_usd": "-1"}, says="negative"
    ),
    BadPage("NaN limit", "/admin/limits", {"scope": "team", "monthly_usd": "NaN"}, says="finite"),
    BadPage(
        "huge limit", "/admin/limits", {"scope": "team", "monthly_usd": "9" * 5000}, says="Monthly"
    ),
    BadPage("unknown scope", "/admin/limits", {"scope": "user:x", "daily_usd": "1"}, says="scope"),
    BadPage("rate 2.5", "/admin/limits", {"scope": "team", "concurrent": "2.5"}, says="whole"),
]
PAGE_EDGES = ["/history?date_to=9999-12-31", "/history?date_from=0001-01-01"]


def test_every_json_route_has_table_entries(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "spark", secret_key="k" * 32))
    routes = {
        (method, path)
        for path, route in api_routes(app.routes)
        if path.startswith("/api/")
        for method in route.methods or ()
    }
    assert routes == set(TABLE), "every JSON route needs hostile-input entries in TABLE"
    assert all(TABLE.values())


# Routes outside SparkRoute's gate, and why each may be: its hostile input is tested elsewhere.
OUTSIDE_THE_GATE = {
    "/openapi.json": "FastAPI's schema: takes no input",
    "/static": "StaticFiles: paths only, checked by Starlette",
    "/mcp": "MCP's JSON-RPC, parsed by the MCP SDK behind an API token: tests/test_mcp_http.py",
}


def test_every_route_outside_the_gate_is_accounted_for(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "spark", secret_key="k" * 32))
    outside = {
        str(route.path)
        for route in app.routes
        if isinstance(route, BaseRoute)
        and hasattr(route, "path")
        and not isinstance(route, APIRoute)
    }
    assert outside == set(OUTSIDE_THE_GATE)


# --- against a real server -------------------------------------------------------------------


@pytest.fixture
def server(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """(URL, API token) of `spark serve` on a fresh database of ``backend``."""
    variables: dict[str, str] = {}
    settings = Settings(data_dir=tmp_path / "spark")
    if backend == "postgresql":
        pg: PostgresServer = request.getfixturevalue("pg")
        variables["SPARK_DATABASE_URL"] = pg.url("app")
        settings = Settings(data_dir=tmp_path / "spark", database_url=pg.url("app"))
    token = create_account(settings, admin=True)  # admins reach every route (limits)
    spark = SparkServer(server_env(tmp_path, **variables), tmp_path / "serve.log")
    try:
        yield spark.wait_ready(timeout=60), token
    finally:
        spark.stop()
    log = spark.output()
    assert "Traceback" not in log and "unexpected error" not in log, log[-5000:]
    assert not re.search(r'" 5\d\d ', log), log[-5000:]


def _send(client: httpx2.Client, method: str, target: str, **kwargs: Any) -> httpx2.Response | str:
    """The answer, or what went wrong with the connection."""
    try:
        return client.request(method, target, **kwargs)
    except httpx2.TransportError as exc:
        return f"connection broken ({exc!r})"


def _problems_with(response: httpx2.Response, bad: Bad) -> str | None:
    if response.status_code != bad.status:
        return f"{response.status_code} instead of {bad.status}: {response.text[:300]}"
    if response.headers.get("connection", "").lower() == "close":
        return "the keep-alive connection was closed"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not SPARK's error body: {response.text[:300]}"
    if error.get("kind") != bad.kind or not error.get("message") or "hint" not in error:
        return f"wrong error body: {error}"
    if bad.names and bad.names not in error["message"]:
        return f"the message does not name {bad.names!r}: {error['message']}"
    return None


def _raw(url: str, head: bytes, body: bytes = b"") -> tuple[int, Any]:
    """Send ``head`` (and ``body``) on a fresh socket: the answer's status and its JSON (or its
    text, when it is not JSON)."""
    parts = urlsplit(url)
    answer = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head + body)
        while True:  # until the answer is complete or the server closes
            top, _, rest = answer.partition(b"\r\n\r\n")
            length = re.search(rb"content-length: (\d+)", top, re.I)
            if length and len(rest) >= int(length.group(1)):
                break
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    if not top:
        return 0, "no answer"
    try:
        return int(top.split()[1]), json.loads(rest)
    except ValueError:
        return int(top.split()[1]), rest.decode(errors="replace")


def _too_large(url: str, token: str) -> list[str]:
    """A declared body past the limit, and one sent in chunks without a length: 413."""
    failures = []
    head = (
        f"POST /api/generate HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    ).encode()
    declared = _raw(url, head + f"Content-Length: {10 * BODY_LIMIT}\r\n\r\n".encode())
    # Exactly one byte past the limit, chunked and never finished: the server reads it all.
    data = b'{"prompt": "' + b"x" * BODY_LIMIT
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(data[i : i + 8192]), data[i : i + 8192])
        for i in range(0, len(data), 8192)
    )
    chunked = _raw(url, head + b"Transfer-Encoding: chunked\r\n\r\n", chunks)
    for what, (status, answer) in (("declared", declared), ("chunked", chunked)):
        if status != 413 or not isinstance(answer, dict) or answer["error"]["kind"] != "too_large":
            failures.append(f"huge body ({what}): {status} {answer}")
    return failures


def _headers(client: httpx2.Client) -> list[str]:
    """Header values that are not ASCII: a token is 401, a CSRF header of a session 403."""
    failures = []
    token = client.get("/api/models", headers={"Authorization": b"Bearer spark_\xe9\xff"})
    if token.status_code != 401 or token.json()["error"]["kind"] != "unauthenticated":
        failures.append(f"non-ASCII bearer token: {token.status_code} {token.text[:200]}")
    return failures


def test_hostile_json_gets_4xx_and_the_server_keeps_serving(server: tuple[str, str]) -> None:
    url, token = server
    failures: list[str] = []
    with httpx2.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        first = client.post("/api/generate", json=GOOD_GENERATION)
        assert first.status_code == 200, first.text
        for (method, route), cases in TABLE.items():
            for bad in cases:
                response = _send(
                    client,
                    method,
                    bad.target,
                    content=bad.body,
                    headers={"content-type": bad.content_type} if bad.body is not None else {},
                )
                if isinstance(response, str):
                    failures.append(f"{method} {route} — {bad.what}: {response}")
                elif (problem := _problems_with(response, bad)) is not None:
                    failures.append(f"{method} {route} — {bad.what}: {problem}")
        for target in EDGES:
            response = _send(client, "GET", target)
            if isinstance(response, str) or response.status_code != 200:
                failures.append(f"GET {target[:60]}: {getattr(response, 'text', response)[:200]}")
        host = urlsplit(url).netloc
        status, answer = _raw(
            url,
            f"GET {LONGEST_URL} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode(),
        )
        # ~4 characters a token: the whole prompt arrived
        if status != 200 or not isinstance(answer, dict) or answer["prompt_tokens"] != 20_000 // 4:
            failures.append(f"the longest URL: {status} {str(answer)[:200]}")
        failures += _headers(client)
        failures += _too_large(url, token)
        # Still serving, on the same connection: a result, then a stream.
        again = client.post("/api/generate", json=GOOD_GENERATION)
        assert again.status_code == 200 and again.json()["ok"], again.text
        streamed = client.post("/api/generate", json=GOOD_GENERATION | {"stream": True})
        assert [e for e, _ in parse_sse(streamed.text)][-1] == "done", streamed.text[-500:]
    assert not failures, f"{len(failures)} hostile requests were mishandled:\n" + "\n".join(
        failures
    )


@contextmanager
def _signed_in(url: str) -> Iterator[httpx2.Client]:
    """A browser-like client signed in as the test account (cookie session)."""
    with httpx2.Client(base_url=url, timeout=60) as client:
        token = csrf_of(client.get("/signin").text)
        signed = client.post(
            "/signin", data={"csrf_token": token, "username": "ci", "password": PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        yield client


def test_hostile_pages_and_forms_get_the_page_with_a_message(server: tuple[str, str]) -> None:
    url, _ = server
    failures: list[str] = []
    with _signed_in(url) as client:
        csrf = csrf_of(client.get("/account").text)
        for bad in PAGES:
            if bad.form is None:
                response = client.get(bad.target)
            else:
                response = client.post(bad.target, data={"csrf_token": csrf, **bad.form})
            if response.status_code != bad.status:
                failures.append(f"{bad.what}: {response.status_code} {response.text[:200]}")
            elif not response.headers["content-type"].startswith("text/html"):
                failures.append(f"{bad.what}: not a page ({response.headers['content-type']})")
            elif not re.search(rf'id="form-error">[^<]*\b{bad.says}\b', response.text):
                failures.append(f"{bad.what}: the page does not name {bad.says!r}")
        for target in PAGE_EDGES:
            response = client.get(target)
            if response.status_code != 200 or "form-error" in response.text:
                failures.append(f"GET {target}: {response.status_code}")
        # A CSRF header that is not ASCII is refused like any wrong one.
        wrong = client.put(
            "/api/preferences", json=PREFERENCES, headers={"X-CSRF-Token": b"\xe9\xe9"}
        )
        if wrong.status_code != 403 or wrong.json()["error"]["kind"] != "csrf":
            failures.append(f"non-ASCII CSRF header: {wrong.status_code} {wrong.text[:200]}")
        assert client.get("/history").status_code == 200
    assert not failures, f"{len(failures)} hostile pages were mishandled:\n" + "\n".join(failures)
