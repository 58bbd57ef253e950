"""Lists: one envelope (`items`, `next_cursor`), an opaque keyset cursor, a bounded page size, and
incremental sync (`updated_since`: what changed, oldest change first)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import and_, or_

from sprpa_shared.errors import ValidationFailed

MAX_LIMIT = 200
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
UpdatedSince = Annotated[AwareDatetime | None, Query(
    description="only items changed at or after this instant (RFC 3339 with an offset), oldest change first; "
                "pass the `updated_at` of the last item you read (you get it once more). Changes of the last "
                "few seconds (SYNC_SETTLE_SECONDS) wait for the next poll, so a late commit is never skipped.")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """Every list of the API: a page of items and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page; null: no more")


def encode_cursor(at: datetime, id_: uuid.UUID, kind: str = "c") -> str:
    return base64.urlsafe_b64encode(f"{kind}|{at.isoformat()}|{id_}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str = "c") -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        given, at, id_ = raw.split("|")
        if given != kind:
            raise ValueError(kind)
        return datetime.fromisoformat(at), uuid.UUID(id_)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not one this list gave out (with or without updated_since)",
                               field="cursor") from exc


class Keyset:
    """A list read in the order of (`at`, `id`): the page after `cursor`, one row more than `limit` to
    know whether another page follows. With `updated_since`, `at` is the change time, read oldest first."""

    def __init__(self, at: Any, id_: Any, *, descending: bool = False, kind: str = "c") -> None:
        self.at, self.id, self.descending, self.kind = at, id_, descending, kind

    @classmethod
    def listing(cls, *, created: Any, updated: Any, id_: Any, updated_since: datetime | None,
                descending: bool = False) -> Keyset:
        """The list's own order, or with `updated_since` the order of change, oldest first."""
        return cls(updated, id_, kind="u") if updated_since else cls(created, id_, descending=descending)

    def query(self, query, *, cursor: str | None, limit: int, updated_since: datetime | None = None,
              now: datetime | None = None, settle_seconds: float = 0.0):
        """The page after `cursor`, one row more than `limit` (to know whether another follows). With
        `updated_since`: changes at or after it, up to `settle_seconds` before `now`. A transaction
        stamps its change before it commits, so the newest seconds wait until every earlier stamp is
        visible, and a reader that moved past them never skips a late commit."""
        if updated_since is not None:
            if now is None:
                raise ValueError("a list of changes needs the time now")
            query = query.where(self.at >= updated_since, self.at <= now - timedelta(seconds=settle_seconds))
        if cursor:
            at, last = decode_cursor(cursor, self.kind)
            if self.descending:
                query = query.where(or_(self.at < at, and_(self.at == at, self.id < last)))
            else:
                query = query.where(or_(self.at > at, and_(self.at == at, self.id > last)))
        order = (self.at.desc(), self.id.desc()) if self.descending else (self.at, self.id)
        return query.order_by(*order).limit(limit + 1)

    def next_cursor(self, rows: list, limit: int) -> str | None:
        """The cursor after the page's last row, or None when `rows` (limit + 1 read) held no more. A
        row selected with others (`select(Referral, Case)`) is keyed by its first entity."""
        if len(rows) <= limit:
            return None
        last = rows[limit - 1]
        entity = last if hasattr(last, self.at.key) else last[0]
        return encode_cursor(getattr(entity, self.at.key), getattr(entity, self.id.key), self.kind)

    async def read(self, session, query, *, request, cursor: str | None, limit: int,
                   updated_since: datetime | None = None) -> tuple[list, str | None]:
        """One page of the list and the cursor of the next (None on the last). A list of changes
        stops the app's SYNC_SETTLE_SECONDS before the app clock's now."""
        state = request.app.state
        rows = list((await session.exec(self.query(
            query, cursor=cursor, limit=limit, updated_since=updated_since, now=state.clock.now(),
            settle_seconds=state.settings.sync_settle_seconds))).all())
        return rows[:limit], self.next_cursor(rows, limit)
