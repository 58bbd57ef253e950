"""Every event the services publish is queued for the webhook endpoints that asked for its type in
its kabupaten, in the inbox transaction (a redelivered event queues nothing twice)."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from notify.rules import regency_of
from notify.sql import run
from sprpa_contracts.events import BY_TYPE
from sprpa_shared.events.envelope import Envelope

_WANTED = text("""
SELECT e.id FROM webhook_endpoints e
WHERE e.status <> 'disabled' AND :type = ANY (e.event_types) AND :regency = ANY (e.regency_codes)
""")
_QUEUE = text("""
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, subject, payload, next_attempt_at, created_at)
SELECT gen_random_uuid(), endpoint, :event, :type, :subject, CAST(:payload AS jsonb), :at, :at
FROM unnest(CAST(:endpoints AS uuid[])) AS endpoint
ON CONFLICT DO NOTHING
""")


async def queue(session: AsyncSession, envelope: Envelope) -> None:
    # The place every catalogue event carries (a desa's or a kabupaten's code), read without
    # validating the whole event again: the consumer's handler does that when it acts on it.
    place = envelope.data.get("village_code") or envelope.data.get("regency_code")
    if envelope.type not in BY_TYPE or not place:
        return  # national events go to nobody's kabupaten
    # Which endpoints want it first, in the same transaction: most events go to none, and an event
    # is written out again only for those (an import's batch is some 300 KB of JSON).
    endpoints = (await run(session, _WANTED, {"type": envelope.type, "regency": regency_of(place)})).scalars().all()
    if not endpoints:
        return
    await run(session, _QUEUE, {
        "event": envelope.id, "type": envelope.type, "subject": envelope.subject or "", "endpoints": list(endpoints),
        "payload": json.dumps(envelope.model_dump(mode="json", exclude_none=True)), "at": envelope.time})
