"""Writing notices down: a notice is one row everyone of its audience reads in the app, and one
queued delivery per person of that audience and channel (email, WhatsApp, SMS) they asked for.
The same notice twice (a redelivered event, a second replica's reminder pass) is written once: its
key is unique.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from notify.rules import Notice
from notify.sql import run
from sprpa_shared.ids import new_id

_NOTICE = text("""
INSERT INTO notifications (id, kind, audience, organization_id, regency_code, village_code, urgent, params, link,
                           created_at, dedupe_key)
VALUES (:id, :kind, :audience, :organization_id, :regency_code, :village_code, :urgent, CAST(:params AS jsonb),
        :link, :at, :key)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
""")
# Who of the audience gets it on which channel: an address, the channel on, not opted out.
_DELIVERIES = text("""
INSERT INTO deliveries (id, notification_id, subject, channel, regency_code, next_attempt_at, created_at)
SELECT gen_random_uuid(), :notification, s.subject, c.channel, :regency_code, :at, :at
FROM subscribers s
CROSS JOIN LATERAL (VALUES ('email', s.email IS NOT NULL AND s.email_enabled),
                           ('whatsapp', s.phone IS NOT NULL AND s.whatsapp_enabled),
                           ('sms', s.phone IS NOT NULL AND s.sms_enabled)) AS c (channel, wanted)
WHERE c.wanted AND NOT s.opted_out AND CASE :audience
    WHEN 'organization' THEN s.role = 'provider_staff' AND s.organization_id = :organization_id
    WHEN 'operators' THEN s.role = 'district_operator' AND :regency_code = ANY (s.regency_codes)
    WHEN 'cadres' THEN s.role = 'village_cadre' AND s.village_code = :village_code
END
ON CONFLICT DO NOTHING
""")
WAKE_CHANNEL = "notify_deliveries"  # the sender listens: new deliveries go out as soon as they commit
_WAKE = text(f"SELECT pg_notify('{WAKE_CHANNEL}', '')")
_PLACE_NAME = text("SELECT name FROM regions WHERE code = :code")
_ORGANIZATION_NAME = text("SELECT name FROM organizations WHERE id = :id")


async def write(session: AsyncSession, notices: list[Notice], *, at: datetime) -> int:
    """Write the notices not written before and queue their deliveries; how many were new."""
    written, woken = 0, False
    for notice in notices:
        params = dict(notice.params)
        if notice.village_code and "village_name" not in params:
            params["village_name"] = await _place_name(session, notice.village_code)
        organization = params.get("organization_id")
        if organization and "organization_name" not in params:
            params["organization_name"] = (await run(session, _ORGANIZATION_NAME,
                                                                 {"id": uuid.UUID(organization)})).scalar()
        values = dict(kind=notice.kind, audience=notice.audience, organization_id=notice.organization_id,
                      regency_code=notice.regency_code, village_code=notice.village_code)
        inserted = (await run(session, _NOTICE, {
            **values, "id": new_id(), "urgent": notice.urgent, "params": json.dumps(params), "link": notice.link,
            "at": at, "key": notice.key})).scalar_one_or_none()
        if inserted is None:
            continue
        written += 1
        queued = await run(session, _DELIVERIES, {**values, "notification": inserted, "at": at})
        woken = woken or bool(queued.rowcount)
    if woken:
        await run(session, _WAKE, {})
    return written


_PLACE_NAMES: dict[str, str | None] = {}  # official names: reference data, the same for the process's life


async def _place_name(session: AsyncSession, code: str) -> str | None:
    if code not in _PLACE_NAMES:
        if len(_PLACE_NAMES) > 100_000:
            _PLACE_NAMES.clear()
        _PLACE_NAMES[code] = (await run(session, _PLACE_NAME, {"code": code})).scalar()
    return _PLACE_NAMES[code]
