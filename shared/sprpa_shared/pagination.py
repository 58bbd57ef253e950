"""Cursor pagination: an opaque cursor over (created_at, id), and a bounded page size."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from sprpa_shared.errors import ValidationFailed

MAX_LIMIT = 200
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]


def encode_cursor(created_at: datetime, id_: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{id_}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, id_ = raw.split("|")
        return datetime.fromisoformat(at), uuid.UUID(id_)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not one this API gave out", field="cursor") from exc
