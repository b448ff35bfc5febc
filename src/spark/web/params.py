"""Path parameter types shared by routes.

Row ids are 64-bit signed integers in SQLite and PostgreSQL alike: anything outside 1..2^63-1
is answered 422 before a query could overflow.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

GenerationId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The generation's id.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The API token's id.")]
