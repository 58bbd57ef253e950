"""Recording a visit: update the facts, reclassify, move the case as the visit proves, schedule."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from registry import access
from registry.cases import history
from registry.cases.lifecycle import CaseStatus
from registry.children.events import announce_update
from registry.children.models import Child
from registry.children.service import reclassify
from registry.prevention import service as prevention
from registry.visits.models import Visit
from registry.visits.rules import (
    FollowUp,
    Outcome,
    PreventionBasis,
    confirms_closure,
    next_visit_due,
    outcome,
    prevention_basis,
)
from registry.visits.schemas import VisitCreate
from sprpa_contracts.events import VisitRecorded
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import ValidationFailed
from sprpa_shared.events.outbox import emit
from sprpa_shared.ids import new_id
from sprpa_shared.pagination import Keyset

_FOLLOWED = ("work", "school_status", "living_arrangement", "classification")  # what a visit may change
CLOSED_BY_FOLLOW_UP = "12-month follow-up confirmed the outcome: case closed"
MOVES = {
    Outcome.WITHDRAWN: (CaseStatus.WITHDRAWN, "follow-up visit: no child labour, attending for 3 months or more"),
    Outcome.PREVENTED: (CaseStatus.PREVENTED, "follow-up visit: service delivered, not working, in school or "
                                              "training"),
    Outcome.RELAPSE: (CaseStatus.ASSESSED, "relapse found on a follow-up visit: case reopened"),
}


def _school_status(current: str, attendance: str) -> str:
    if attendance == "school":
        return "in_school"
    if attendance == "training" and current == "equivalency":
        return "equivalency"  # a Kejar Paket class is training that counts as schooling
    return "never_enrolled" if current == "never_enrolled" else "out_of_school"


async def record(session: AsyncSession, *, child: Child, data: VisitCreate, principal: Principal,
                 now: datetime, visit_id: uuid.UUID | None = None) -> Visit:
    today = now.date()
    if data.visited_on > today:
        raise ValidationFailed("the visit cannot be in the future", field="visited_on")
    if data.visited_on < child.created_at.date():
        raise ValidationFailed("the visit is before the child was registered", field="visited_on")
    before = {field: getattr(child, field) for field in _FOLLOWED}
    rule, sessions, first_session = None, 0, None
    if child.status in ("assessed", "in_remediation"):  # where prevention through activities can happen
        rule = await prevention.rule_on(session, child.village_code[:5], data.visited_on)
        sessions, first_session = await prevention.sessions_counted(session, rule, child.id, data.visited_on)
    child.work = data.work.model_dump(mode="json") if data.work else None
    child.school_status = _school_status(child.school_status, data.attendance)
    if data.living_arrangement:
        child.living_arrangement = data.living_arrangement
    reclassify(child, data.visited_on)  # the child's age on the day of the visit, even entered later
    changed = sorted(field for field in _FOLLOWED if getattr(child, field) != before[field])
    follow_up = FollowUp(
        status=child.status,
        classification=child.classification["result"],
        flagged_as=child.flagged_as,
        attending_since=data.attending_since,
        visited_on=data.visited_on,
        attending=data.attendance != "none",
        service_delivered=child.service_delivered,
        assessed_as=before["classification"]["result"],
        prevention_sessions=sessions,
        min_sessions=rule.min_sessions if rule else None,
    )
    result = outcome(follow_up)
    basis = prevention_basis(follow_up) if result is Outcome.PREVENTED else None
    if changed:  # a visit that changes the child is a change to the child, announced as every other
        await announce_update(session, child, changed=changed, now=now)
    if result in MOVES:
        target, reason = MOVES[result]
        if basis is PreventionBasis.ACTIVITIES and rule is not None:
            reason = f"follow-up visit: {rule.describe(sessions)}, not working, in school or training"
            if child.remediation_started_on is None:  # prevention began with the first session that counts
                child.remediation_started_on = first_session
        await history.move(session, child=child, target=target, principal=principal, now=now, reason=reason,
                           basis=basis.value if basis else None)
    if confirms_closure(status=child.status, classification=child.classification["result"],
                        remediation_started=child.remediation_started_on, visited_on=data.visited_on):
        await history.move(session, child=child, target=CaseStatus.CLOSED, principal=principal, now=now,
                           reason=CLOSED_BY_FOLLOW_UP)
    elif result not in MOVES:
        child.version += 1
        child.updated_at = now
    child.next_visit_due = next_visit_due(last_visit=data.visited_on, remediation_started=child.remediation_started_on)
    session.add(child)
    visit = Visit(
        id=visit_id or new_id(),
        child_id=child.id,
        visited_on=data.visited_on,
        working=data.working,
        work=child.work,
        attendance=data.attendance,
        attending_since=data.attending_since,
        living_arrangement=child.living_arrangement,
        notes=data.notes,
        classification=child.classification,
        outcome=result.value,
        recorded_at=now,
        updated_at=now,
        recorded_by=principal.subject,
    )
    session.add(visit)
    await emit(
        session,
        VisitRecorded(
            visit_id=visit.id,
            child_id=child.id,
            village_code=child.village_code,
            visited_on=visit.visited_on,
            working=visit.working,
            attendance=data.attendance,
            classification=child.classification["result"],
            outcome=result.value,
            next_visit_due=child.next_visit_due,
        ),
        at=now,
    )
    return visit


async def visits_of(session: AsyncSession, child_id) -> list[Visit]:
    query = select(Visit).where(Visit.child_id == child_id).order_by(col(Visit.visited_on), col(Visit.recorded_at))
    return list((await session.exec(query)).all())


OVERDUE_ORDER = Keyset(col(Child.next_visit_due), col(Child.id))


async def overdue(session: AsyncSession, *, principal: Principal, today: date, village_code: str | None,
                  limit: int, cursor: str | None = None) -> list[Child]:
    """The page of children whose next visit is past due, most overdue first (one more than `limit`)."""
    query = select(Child).where(access.scope_filter(principal), col(Child.next_visit_due) < today)
    if village_code:
        query = query.where(Child.village_code == village_code)
    return list((await session.exec(OVERDUE_ORDER.query(query, cursor=cursor, limit=limit))).all())
