"""The clock-driven MOU sweep: `mou.expiring` 30 days before the end, `mou.expired` the day after it.

Safe with several replicas: each notice is claimed by inserting its (MOU, kind) row; a second
replica's insert waits for the first one's transaction and then does nothing.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_contracts.events import MouExpired, MouExpiring
from sprpa_shared.db import transaction
from sprpa_shared.events.outbox import emit
from sprpa_shared.jobs import periodic
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
WARN_DAYS = 30

_CLAIM = text(
    """
    INSERT INTO mou_notices (mou_id, kind, emitted_at)
    SELECT id, kind, :now FROM (
        SELECT id, 'expiring' AS kind FROM mous
        WHERE signed_date IS NOT NULL AND terminated_on IS NULL
          AND valid_until - CAST(:warn AS integer) <= CAST(:today AS date) AND valid_until >= CAST(:today AS date)
        UNION ALL
        SELECT id, 'expired' FROM mous
        WHERE signed_date IS NOT NULL AND terminated_on IS NULL AND valid_until < CAST(:today AS date)
    ) due
    ON CONFLICT DO NOTHING
    RETURNING mou_id, kind
    """
)
_MOUS = text("SELECT id, organization_id, regency_code, valid_until FROM mous WHERE id = ANY(:ids)")


async def sweep(session: AsyncSession, *, now: datetime) -> list[tuple[str, str]]:
    """Emit every notice that is due and was not emitted yet; returns (mou id, kind) of those emitted."""
    connection = await session.connection()
    today = now.date()
    claimed = (await connection.execute(_CLAIM, {"now": now, "today": today, "warn": WARN_DAYS})).all()
    if not claimed:
        return []
    mous = {row.id: row for row in await connection.execute(_MOUS, {"ids": [row.mou_id for row in claimed]})}
    for row in claimed:
        mou = mous[row.mou_id]
        common = dict(mou_id=mou.id, organization_id=mou.organization_id, regency_code=mou.regency_code,
                      valid_until=mou.valid_until)
        if row.kind == "expiring":
            await emit(session, MouExpiring(**common, days_left=(mou.valid_until - today).days), at=now)
        else:
            await emit(session, MouExpired(**common), at=now)
    return [(str(row.mou_id), row.kind) for row in claimed]


async def _mou_pass(app: FastAPI) -> None:
    async with transaction(app.state.sessions) as session:
        emitted = await sweep(session, now=app.state.clock.now())
    if emitted:
        log.info("MOU notices emitted", count=len(emitted))


mou_sweeper = periodic(_mou_pass, every="mou_sweep_seconds", what="MOU sweep")

