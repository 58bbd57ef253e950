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
from sprpa_shared.db import fetch
from sprpa_shared.ids import new_id

WAKE_CHANNEL = "notify_deliveries"
# The notices to write, given as one array a column (`columns`), `given` makes rows of them.
_GIVEN = (("ids", "id", "uuid"), ("kinds", "kind", "text"), ("audiences", "audience", "text"),
          ("organizations", "organization_id", "uuid"), ("regencies", "regency_code", "text"),
          ("villages", "village_code", "text"), ("urgent", "urgent", "boolean"), ("params", "params", "text"),
          ("links", "link", "text"), ("ats", "at", "timestamptz"), ("keys", "key", "text"))


def given(prefix: str = "", *extra: tuple[str, str, str]) -> str:
    """A query of the notices `columns(prefix=prefix)` gives, a row each, with `extra` columns given
    the same way, each as (parameter, column, type)."""
    columns = (*_GIVEN, *extra)
    arrays = ", ".join(f"CAST(:{prefix}{parameter} AS {kind}[])" for parameter, _, kind in columns)
    names = ", ".join(name for _, name, _ in columns)
    return f"SELECT {names} FROM unnest({arrays}) AS n ({names})"


def to_tell(notices: str) -> str:
    """A statement's CTEs, then its last SELECT, that write the notices of the query `notices` not
    written before and queue their deliveries (see `_WRITE`)."""
    return f"""written AS (
    INSERT INTO notifications (id, kind, audience, organization_id, regency_code, village_code, urgent, params,
                               link, created_at, dedupe_key)
    SELECT id, kind, audience, organization_id, regency_code, village_code, urgent, CAST(params AS jsonb), link,
           at, key
    FROM ({notices}) AS n
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, audience, organization_id, regency_code, village_code, created_at
), queued AS (
    INSERT INTO deliveries (id, notification_id, subject, channel, regency_code, next_attempt_at, created_at)
    SELECT gen_random_uuid(), n.id, s.subject, c.channel, n.regency_code, n.created_at, n.created_at
    FROM written n
    JOIN subscribers s ON NOT s.opted_out AND (
        (n.audience = 'organization' AND s.role = 'provider_staff' AND s.organization_id = n.organization_id)
        OR (n.audience = 'operators' AND s.role = 'district_operator' AND n.regency_code = ANY (s.regency_codes))
        OR (n.audience = 'cadres' AND s.role = 'village_cadre' AND s.village_code = n.village_code))
    CROSS JOIN LATERAL (VALUES ('email', s.email IS NOT NULL AND s.email_enabled),
                               ('whatsapp', s.phone IS NOT NULL AND s.whatsapp_enabled),
                               ('sms', s.phone IS NOT NULL AND s.sms_enabled)) AS c (channel, wanted)
    WHERE c.wanted
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT written, CASE WHEN queued > 0 THEN pg_notify('{WAKE_CHANNEL}', '') END IS NULL AS quiet
FROM (SELECT (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM queued) AS queued) AS counted"""


# The notices not written before, each with one queued delivery per person of its audience and
# channel they asked for (an address, the channel on, not opted out), in one statement; the sender
# is woken in it when a delivery was queued (it listens: new deliveries go out as they commit).
_WRITE = text(f"WITH {to_tell(given())}")
_PLACE_NAME = text("SELECT name FROM regions WHERE code = :code")
_ORGANIZATION_NAME = text("SELECT name FROM organizations WHERE id = :id")


async def write(session: AsyncSession, notices: list[Notice], *, at: datetime) -> int:
    """Write the notices not written before and queue their deliveries, in one statement; how
    many were new. A notice's key is unique: the same notice twice is written once."""
    return await write_each(session, [(notice, at) for notice in notices])


async def write_each(session: AsyncSession, notices: list[tuple[Notice, datetime]]) -> int:
    """`write`, each notice with its own time (the events of a run each made theirs)."""
    if not notices:
        return 0
    return (await fetch(session, _WRITE, await columns(session, notices), with_later=True))[0]["written"]


async def columns(session: AsyncSession, notices: list[tuple[Notice, datetime]], *,
                  prefix: str = "") -> dict[str, list]:
    """The notices as the values `given(prefix)` reads, a list a column, their params with the names
    of their desa and organisation (reads that lock nothing: before the transaction's first write,
    they need no transaction block, `db.DriverTransaction`)."""
    rows: list[dict] = []
    for notice, at in notices:
        params = dict(notice.params)
        if notice.village_code and "village_name" not in params:
            params["village_name"] = await _place_name(session, notice.village_code)
        organization = params.get("organization_id")
        if organization and "organization_name" not in params:
            named = await fetch(session, _ORGANIZATION_NAME, {"id": uuid.UUID(organization)}, unlocked=True)
            params["organization_name"] = named[0]["name"] if named else None
        rows.append(dict(ids=new_id(), kinds=notice.kind, audiences=notice.audience,
                         organizations=notice.organization_id, regencies=notice.regency_code,
                         villages=notice.village_code, urgent=notice.urgent, params=json.dumps(params),
                         links=notice.link, ats=at, keys=notice.key))
    return {f"{prefix}{parameter}": [row[parameter] for row in rows] for parameter, _, _ in _GIVEN}


_PLACE_NAMES: dict[str, str | None] = {}  # official names: reference data, the same for the process's life


async def _place_name(session: AsyncSession, code: str) -> str | None:
    if code not in _PLACE_NAMES:
        if len(_PLACE_NAMES) > 100_000:
            _PLACE_NAMES.clear()
        named = await fetch(session, _PLACE_NAME, {"code": code}, unlocked=True)
        _PLACE_NAMES[code] = named[0]["name"] if named else None
    return _PLACE_NAMES[code]
