"""The transactional outbox: an event row written in the same transaction as the change it reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.observability import current_traceparent

NOTIFY_CHANNEL = "sprpa_outbox"

# DDL shared by every service's first migration (see sprpa_shared.migrations).
OUTBOX_DDL = (
    """
CREATE TABLE outbox (
    position     bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    subject      text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
)""",
    "CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL",
)

INBOX_DDL = (
    """
CREATE TABLE inbox (
    event_id     uuid NOT NULL,
    consumer     text NOT NULL,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)""",
)

_INSERT = text(
    "INSERT INTO outbox (id, type, subject, envelope, created_at) "
    "VALUES (:id, :type, :subject, CAST(:envelope AS jsonb), :created_at)"
)
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")


async def emit(session: AsyncSession, data: EventData, *, at: datetime | None = None) -> Envelope:
    """Record an event to be published once, and only if, the session's transaction commits."""
    return (await emit_all(session, [data], at=at))[0]


async def emit_all(session: AsyncSession, events: list[EventData], *, at: datetime | None = None) -> list[Envelope]:
    """Several events of one change, in order: one INSERT round trip and one NOTIFY for all of them."""
    if not events:
        return []
    traceparent = current_traceparent()
    envelopes = [Envelope.wrap(data, time=at, traceparent=traceparent) for data in events]
    connection = await session.connection()  # same transaction as the caller's change
    rows = [{"id": envelope.id, "type": envelope.type, "subject": data.subject(),
             "envelope": envelope.model_dump_json(exclude_none=True), "created_at": envelope.time}
            for envelope, data in zip(envelopes, events, strict=True)]
    await connection.execute(_INSERT, rows if len(rows) > 1 else rows[0])
    await connection.execute(_NOTIFY)  # delivered to the relay at commit, dropped on rollback
    return envelopes
