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

_QUEUE = text("""
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, subject, payload, next_attempt_at, created_at)
SELECT gen_random_uuid(), e.id, :event, :type, :subject, CAST(:payload AS jsonb), :at, :at
FROM webhook_endpoints e
WHERE e.status <> 'disabled' AND :type = ANY (e.event_types) AND :regency = ANY (e.regency_codes)
ON CONFLICT DO NOTHING
""")


async def queue(session: AsyncSession, envelope: Envelope) -> None:
    # The place every catalogue event carries (a desa's or a kabupaten's code), read without
    # validating the whole event again: the consumer's handler does that when it acts on it.
    place = envelope.data.get("village_code") or envelope.data.get("regency_code")
    if envelope.type not in BY_TYPE or not place:
        return  # national events go to nobody's kabupaten
    await run(session, _QUEUE, {
        "event": envelope.id, "type": envelope.type, "subject": envelope.subject or "", "regency": regency_of(place),
        "payload": json.dumps(envelope.model_dump(mode="json", exclude_none=True)), "at": envelope.time})
