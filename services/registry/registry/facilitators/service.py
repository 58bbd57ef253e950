"""Assigning a case to a facilitator, the caseloads, and the replica of village accounts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.children.models import Child
from sprpa_contracts.events import AccountChanged, FacilitatorAssigned
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.events.outbox import emit

DUE_SOON_DAYS = 7
OPEN = "c.status <> 'closed' AND c.merged_into IS NULL AND c.erased_at IS NULL"

_ACCOUNT = text("""
INSERT INTO facilitators (account_id, village_code, active, changed_at)
VALUES (:account, :village, :active, :at)
ON CONFLICT (account_id) DO UPDATE SET village_code = EXCLUDED.village_code, active = EXCLUDED.active,
    changed_at = EXCLUDED.changed_at
WHERE facilitators.changed_at <= EXCLUDED.changed_at
""")
_CURRENT = text("SELECT facilitator_id FROM case_assignments WHERE child_id = :child AND ended_at IS NULL "
                "FOR UPDATE")
_END = text("UPDATE case_assignments SET ended_at = :at WHERE child_id = :child AND ended_at IS NULL")
_ASSIGN = text("INSERT INTO case_assignments (child_id, facilitator_id, assigned_at, assigned_by, reason) "
               "VALUES (:child, :facilitator, :at, :by, :reason)")
_HISTORY = text("SELECT facilitator_id, assigned_at, assigned_by, reason, ended_at FROM case_assignments "
                "WHERE child_id = :child ORDER BY id")
_FACILITATOR = text("SELECT village_code, active FROM facilitators WHERE account_id = :account")
_CASELOAD = text(f"""
SELECT c.id, c.full_name, c.village_code, c.status, c.next_visit_due, a.assigned_at
FROM case_assignments a JOIN children c ON c.id = a.child_id
WHERE a.facilitator_id = :facilitator AND a.ended_at IS NULL AND {OPEN}
ORDER BY c.next_visit_due NULLS LAST, c.id
""")
_CASELOADS = text(f"""
SELECT a.facilitator_id, f.village_code AS facilitator_village, COALESCE(f.active, false) AS active,
       count(*) AS cases,
       count(*) FILTER (WHERE c.next_visit_due >= :today AND c.next_visit_due <= :soon) AS due_soon,
       count(*) FILTER (WHERE c.next_visit_due < :today) AS overdue
FROM case_assignments a JOIN children c ON c.id = a.child_id
LEFT JOIN facilitators f ON f.account_id = a.facilitator_id
WHERE a.ended_at IS NULL AND a.facilitator_id IS NOT NULL AND {OPEN} AND c.regency_code = :regency
GROUP BY a.facilitator_id, f.village_code, f.active
ORDER BY a.facilitator_id
""")
_UNASSIGNED = text(f"""
SELECT count(*) FROM children c
WHERE {OPEN} AND c.regency_code = :regency AND NOT EXISTS (
    SELECT 1 FROM case_assignments a WHERE a.child_id = c.id AND a.ended_at IS NULL AND a.facilitator_id IS NOT NULL)
""")


async def on_account_changed(session: AsyncSession, event: AccountChanged, envelope: Envelope) -> None:
    """Keep the village accounts a case may be assigned to: live village_cadre accounts and their desa."""
    if event.role != Role.VILLAGE_CADRE.value:
        return
    await (await session.connection()).execute(_ACCOUNT, {
        "account": event.account_id, "village": event.village_code,
        "active": event.change in ("created", "approved", "reactivated", "password_reset", "moved"),
        "at": envelope.time})


async def assign(session: AsyncSession, child: Child, facilitator_id: uuid.UUID | None, *, reason: str | None,
                 principal: Principal, now: datetime) -> uuid.UUID | None:
    """Give the case to a facilitator of the child's desa (or take it from its facilitator, None). The
    earlier assignment ends; every assignment stays in the history. The same facilitator again is no change."""
    access.require_district_writer_of(principal, child.village_code)
    connection = await session.connection()
    if facilitator_id is not None:
        account = (await connection.execute(_FACILITATOR, {"account": facilitator_id})).first()
        if account is None or not account.active or account.village_code != child.village_code:
            raise ValidationFailed("not an active cadre or facilitator account of the child's desa",
                                   field="facilitator_id")
    current = (await connection.execute(_CURRENT, {"child": child.id})).first()
    previous = current.facilitator_id if current else None
    if current is not None and previous == facilitator_id:
        return previous
    await connection.execute(_END, {"child": child.id, "at": now})
    await connection.execute(_ASSIGN, {"child": child.id, "facilitator": facilitator_id, "at": now,
                                       "by": principal.subject, "reason": reason})
    await emit(session, FacilitatorAssigned(child_id=child.id, village_code=child.village_code,
                                            facilitator_id=facilitator_id, previous_facilitator_id=previous), at=now)
    return previous


async def release(session: AsyncSession, child: Child, *, now: datetime, by: str) -> None:
    """The child moved to another desa (or kabupaten): the case leaves the old desa's facilitator, for
    the new desa's district to assign; kept in the history like any reassignment."""
    connection = await session.connection()
    current = (await connection.execute(_CURRENT, {"child": child.id})).first()
    if current is None or current.facilitator_id is None:
        return
    await connection.execute(_END, {"child": child.id, "at": now})
    await connection.execute(_ASSIGN, {"child": child.id, "facilitator": None, "at": now, "by": by,
                                       "reason": "the child moved to another desa"})
    await emit(session, FacilitatorAssigned(child_id=child.id, village_code=child.village_code, facilitator_id=None,
                                            previous_facilitator_id=current.facilitator_id), at=now)


async def history(session: AsyncSession, child_id: uuid.UUID) -> list:
    return list((await (await session.connection()).execute(_HISTORY, {"child": child_id})).all())


async def caseload(session: AsyncSession, principal: Principal) -> list:
    """The caller's own open cases (a village cadre or facilitator), the nearest visit first."""
    principal.require_role(Role.VILLAGE_CADRE)
    try:
        me = uuid.UUID(principal.subject)
    except ValueError:
        return []
    rows = (await (await session.connection()).execute(_CASELOAD, {"facilitator": me})).all()
    return [row for row in rows if principal.covers_place(row.village_code)]


async def caseloads(session: AsyncSession, principal: Principal, regency_code: str, today: date) -> tuple[list, int]:
    access.require_district(principal)
    if not principal.covers_place(regency_code):
        raise ValidationFailed(f"{regency_code} is outside your area", field="regency_code")
    params = {"regency": regency_code, "today": today, "soon": today + timedelta(days=DUE_SOON_DAYS)}
    connection = await session.connection()
    rows = (await connection.execute(_CASELOADS, params)).all()
    unassigned = (await connection.execute(_UNASSIGNED, params)).scalar_one()
    return list(rows), unassigned
