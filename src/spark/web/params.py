"""Limits and parameter types shared by routes (and by ``spark serve``).

Row ids are 64-bit signed integers in SQLite and PostgreSQL alike: anything outside 1..2^63-1
is answered 422 before a query could overflow.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_ROW_ID = 2**63 - 1

# The longest prompt a URL may carry (`/api/estimate?prompt=`, the cost calculator's form).
MAX_QUERY_PROMPT_CHARS = 20_000
# What `spark serve` lets a request's URL and headers take (uvicorn's default is 16 KiB): the
# longest query prompt with every character a 4-byte UTF-8 one percent-encoded (12 bytes), plus
# 16 KiB of headers. Larger requests are refused by the HTTP server itself (a plain-text 400).
MAX_REQUEST_HEAD_BYTES = 12 * MAX_QUERY_PROMPT_CHARS + 16 * 1024

GenerationId = Annotated[
    int, Path(ge=1, le=MAX_ROW_ID, description="The generation's id.", examples=[1])
]
TokenId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The API token's id.")]


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic alone also takes ``0`` (a Unix time) or ``2026-01-01T00``."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError(
            "date_format", "a date is written YYYY-MM-DD, from 0001-01-01 to 9999-12-31"
        )
    return value


FirstDay = Annotated[
    date | None, BeforeValidator(_iso_day), Query(description="First UTC day (YYYY-MM-DD).")
]
LastDay = Annotated[
    date | None, BeforeValidator(_iso_day), Query(description="Last UTC day (YYYY-MM-DD).")
]

ConversationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The conversation's id (from a generation's `conversation_id`).",
    ),
]
